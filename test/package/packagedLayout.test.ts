import * as assert from 'assert';
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Hover } from 'vscode-languageserver-protocol';
import { REPO_ROOT } from '../helpers';
import { TestClient } from '../lspClient';

/** The files a .vsix may hold: the allow-list of .vscodeignore, nothing else. */
const ALLOWED = [
  /^extension\.vsixmanifest$/,
  /^\[Content_Types\]\.xml$/,
  /^extension\/package\.json$/,
  /^extension\/readme\.md$/,
  /^extension\/LICENSE\.txt$/,
  /^extension\/dist\/(client|server)\.js$/,
  /^extension\/dist\/tree-sitter(-c)?\.wasm$/,
  /^extension\/syntaxes\/[\w.-]+\.json$/,
  /^extension\/snippets\/[\w.-]+\.code-snippets$/,
  /^extension\/docs\/rules\/[\w.-]+\.md$/,
];

describe('the packaged extension', function () {
  this.timeout(180000);
  let unpacked: string;
  let entries: string[];

  before(() => {
    const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'bpf-kptr-vsix-'));
    const vsix = path.join(scratch, 'bpf-kptr.vsix');
    execFileSync(process.execPath, [path.join(REPO_ROOT, 'scripts', 'package.mjs'), vsix], { cwd: REPO_ROOT, stdio: 'pipe' });
    unpacked = path.join(scratch, 'unpacked');
    execFileSync('python3', ['-m', 'zipfile', '-e', vsix, unpacked]);
    const list = execFileSync('python3', ['-m', 'zipfile', '-l', vsix], { encoding: 'utf8' });
    entries = list
      .split('\n')
      .slice(1)
      .map((line) => line.replace(/\s+\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\s+\d+\s*$/, '').trim())
      .filter(Boolean);
  });

  it('holds both WASM files and only allow-listed files', () => {
    assert.ok(entries.includes('extension/dist/tree-sitter.wasm'), 'parser runtime WASM is packaged');
    assert.ok(entries.includes('extension/dist/tree-sitter-c.wasm'), 'C grammar WASM is packaged');
    const unexpected = entries.filter((entry) => !ALLOWED.some((pattern) => pattern.test(entry)));
    assert.deepStrictEqual(unexpected, []);
  });

  it('starts its server from the unzipped layout and answers a hover', async () => {
    const server = path.join(unpacked, 'extension', 'dist', 'server.js');
    const client = TestClient.start([server, '--stdio']);
    try {
      await client.initialize();
      const text = 'struct v {\n\tstruct bpf_cpumask __kptr *m;\n};\n';
      const uri = await client.open(path.join(unpacked, 'probe.bpf.c'), text);
      const hover = await client.request<Hover | null>('textDocument/hover', { textDocument: { uri }, position: { line: 1, character: 21 } });
      assert.ok(hover, `no hover; server stderr: ${client.stderr.join('')}`);
      assert.match((hover.contents as { value: string }).value, /referenced kptr/);
    } finally {
      await client.shutdown();
    }
  });

  it('refuses to start with a clear message when a WASM file is missing', async () => {
    const broken = path.join(unpacked, 'broken');
    fs.cpSync(path.join(unpacked, 'extension'), broken, { recursive: true });
    fs.rmSync(path.join(broken, 'dist', 'tree-sitter-c.wasm'));
    const client = TestClient.start([path.join(broken, 'dist', 'server.js'), '--stdio']);
    try {
      await assert.rejects(client.initialize(), /tree-sitter-c\.wasm is missing/);
      assert.match(client.stderr.join(''), /tree-sitter-c\.wasm is missing/);
    } finally {
      client.process.kill();
    }
  });
});
