// Where the language server's memory goes with a directory open: the analysis library in-process
// (as the server drives it), every file opened and analysed, then the V8 heap, the WASM parser's
// memory and the resident set read after a full garbage collection, and again after edits.
//
//   node --expose-gc scripts/bench/memory.mjs DIR [EDITS]
import { readFileSync } from 'fs';
import { loadLibrary } from './library.mjs';
import { editLines } from './positions.mjs';
import { listFiles } from './workloads.mjs';

const [dir, editsArg = '0'] = process.argv.slice(2);
if (!dir || typeof globalThis.gc !== 'function') {
  process.stderr.write('usage: node --expose-gc scripts/bench/memory.mjs DIR [EDITS]\n');
  process.exit(2);
}
const MiB = 1024 * 1024;
const snapshot = (label) => {
  globalThis.gc();
  globalThis.gc();
  const m = process.memoryUsage();
  const row = { rssMiB: m.rss / MiB, heapUsedMiB: m.heapUsed / MiB, heapTotalMiB: m.heapTotal / MiB, externalMiB: m.external / MiB, arrayBuffersMiB: m.arrayBuffers / MiB };
  process.stdout.write(`${label.padEnd(34)} ${Object.entries(row).map(([k, v]) => `${k} ${v.toFixed(1)}`).join('  ')}\n`);
  return row;
};

const { lib, location } = await loadLibrary();
const files = listFiles(dir, /\.bpf\.c$/);
snapshot('library loaded');
const analyzer = await lib.Analyzer.create(location);
snapshot('parser created');
const settings = lib.DEFAULT_SETTINGS;
const docs = files.map((file) => ({ file, text: readFileSync(file, 'utf8'), version: 1 }));
for (const doc of docs) {
  analyzer.update(doc.file, doc.text, 1);
  analyzer.ownership(doc.file, settings.kernelVersion);
}
snapshot(`${files.length} files open and analysed`);
const edits = Number(editsArg);
if (edits > 0) {
  for (const doc of docs) doc.lines = editLines(doc.text, 64);
  for (let i = 0; i < edits; i++) {
    const doc = docs[i % docs.length];
    const line = doc.lines[Math.floor(i / docs.length) % doc.lines.length];
    let offset = 0;
    for (let l = 0; l < line; l++) offset = doc.text.indexOf('\n', offset) + 1;
    doc.text = doc.text.slice(0, offset) + ' ' + doc.text.slice(offset);
    analyzer.update(doc.file, doc.text, ++doc.version);
    analyzer.ownership(doc.file, settings.kernelVersion);
  }
  snapshot(`after ${edits} edits`);
}
for (const doc of docs) analyzer.close(doc.file);
snapshot('every file closed');
analyzer.dispose();
