// A terminal demo of the language server: opens every BPF C file under a
// directory over stdio, as an editor would, then prints the diagnostics and
// the hover on each kptr tag. `npm start` runs it on examples/.
import { spawn } from 'child_process';
import { readdirSync, readFileSync, statSync } from 'fs';
import { createRequire } from 'module';
import { dirname, join, relative } from 'path';
import { fileURLToPath, pathToFileURL } from 'url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(join(root, 'package.json'));
const rpc = require('vscode-languageserver-protocol/node');
const dir = process.argv[2] ?? join(root, 'examples');

const files = [];
(function walk(d) {
  for (const name of readdirSync(d)) {
    const full = join(d, name);
    if (statSync(full).isDirectory()) walk(full);
    else if (/\.bpf\.[ch]$/.test(name)) files.push(full);
  }
})(dir);

const child = spawn(process.execPath, [join(root, 'bin', 'bpf-kptr-language-server.js'), '--stdio'], { stdio: ['pipe', 'pipe', 'inherit'] });
const connection = rpc.createProtocolConnection(new rpc.StreamMessageReader(child.stdout), new rpc.StreamMessageWriter(child.stdin));
const published = new Map();
connection.onNotification('textDocument/publishDiagnostics', (p) => published.set(p.uri, p.diagnostics));
connection.onNotification('window/showMessage', (p) => console.log(`[server] ${p.message}`));
connection.listen();

const init = await connection.sendRequest('initialize', { processId: process.pid, rootUri: pathToFileURL(dir).toString(), capabilities: {} });
await connection.sendNotification('initialized', {});
console.log(`${init.serverInfo.name} ${init.serverInfo.version}: ${files.length} files under ${relative(process.cwd(), dir) || '.'}\n`);

for (const file of files) {
  const text = readFileSync(file, 'utf8');
  const uri = pathToFileURL(file).toString();
  await connection.sendNotification('textDocument/didOpen', { textDocument: { uri, languageId: 'c', version: 1, text } });
  const lines = text.split('\n');
  console.log(`── ${relative(process.cwd(), file)}`);
  for (let line = 0; line < lines.length; line++) {
    const match = /__kptr\w*|__percpu_kptr|__uptr/.exec(lines[line]);
    if (!match) continue;
    const hover = await connection.sendRequest('textDocument/hover', { textDocument: { uri }, position: { line, character: match.index + 1 } });
    if (hover) console.log(`  ${line + 1}:${match.index + 1} hover ${match[0]}: ${hover.contents.value.split('\n')[0].replace(/\*\*/g, '')}`);
  }
}
await new Promise((r) => setTimeout(r, 500));
for (const file of files) {
  const diagnostics = published.get(pathToFileURL(file).toString()) ?? [];
  for (const d of diagnostics) {
    console.log(`${relative(process.cwd(), file)}:${d.range.start.line + 1}:${d.range.start.character + 1}: ${['', 'error', 'warning', 'info', 'hint'][d.severity ?? 2]}: ${d.message} [${d.code}]`);
  }
}
await connection.sendRequest('shutdown');
await connection.sendNotification('exit');
