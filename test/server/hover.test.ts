import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { Hover, InitializeResult } from 'vscode-languageserver-protocol';
import { EXAMPLES } from '../helpers';
import { TestClient } from '../lspClient';

const EXAMPLE = path.join(EXAMPLES, 'cpumask_per_task.bpf.c');

function positionOf(text: string, needle: string, delta = 0): { line: number; character: number } {
  const offset = text.indexOf(needle) + delta;
  assert.ok(offset >= delta, `${needle} not in the file`);
  const before = text.slice(0, offset);
  const line = before.split('\n').length - 1;
  return { line, character: offset - (before.lastIndexOf('\n') + 1) };
}

describe('language server over stdio', function () {
  this.timeout(20000);
  let client: TestClient;
  let init: InitializeResult;
  const text = fs.readFileSync(EXAMPLE, 'utf8');

  before(async () => {
    client = TestClient.start();
    init = await client.initialize();
  });
  after(async () => {
    const code = await client.shutdown();
    assert.strictEqual(code, 0, 'exits cleanly after shutdown and exit');
  });

  it('answers initialize with what it really implements', () => {
    assert.strictEqual(init.serverInfo?.name, 'bpf-kptr-language-server');
    assert.strictEqual(init.capabilities.textDocumentSync && (init.capabilities.textDocumentSync as { change: number }).change, 2, 'incremental sync');
    assert.strictEqual(init.capabilities.hoverProvider, true);
    assert.strictEqual(init.capabilities.positionEncoding, 'utf-16');
  });

  it('hovers __kptr on a field of the kernel docs style cpumask example', async () => {
    const uri = await client.open(EXAMPLE, text);
    const hover = await client.request<Hover | null>('textDocument/hover', {
      textDocument: { uri },
      position: positionOf(text, '__kptr *birth_cpu', 2),
    });
    assert.ok(hover, 'a hover came back');
    const value = (hover.contents as { value: string }).value;
    assert.match(value, /\*\*`__kptr`\*\*: referenced kptr/);
    assert.match(value, /On field `birth_cpu` of `struct task_cpus`/);
    assert.match(value, /bpf_kptr_xchg/);
    assert.match(value, /store to referenced kptr disallowed/);
    assert.match(value, /docs\.kernel\.org/);
    assert.deepStrictEqual(hover.range, {
      start: positionOf(text, '__kptr *birth_cpu'),
      end: positionOf(text, '__kptr *birth_cpu', '__kptr'.length),
    });
  });

  it('follows incremental edits before answering', async () => {
    const file = path.join(EXAMPLES, 'edited.bpf.c');
    const uri = await client.open(file, 'struct s {\n\tstruct task_struct *t;\n};\n');
    await client.change(uri, 2, [{ range: { start: { line: 1, character: 20 }, end: { line: 1, character: 20 } }, text: '__kptr_untrusted ' }]);
    const hover = await client.request<Hover | null>('textDocument/hover', { textDocument: { uri }, position: { line: 1, character: 22 } });
    assert.ok(hover);
    assert.match((hover.contents as { value: string }).value, /unreferenced kptr/);
    await client.close(uri);
  });

  it('answers null, not an error, for unknown documents and odd positions', async () => {
    const unknown = await client.request('textDocument/hover', { textDocument: { uri: 'file:///nowhere.bpf.c' }, position: { line: 0, character: 0 } });
    assert.strictEqual(unknown, null);
    const uri = await client.open(path.join(EXAMPLES, 'odd.bpf.c'), 'int x;');
    const far = await client.request('textDocument/hover', { textDocument: { uri }, position: { line: 9999, character: 9999 } });
    assert.strictEqual(far, null);
  });
});
