#!/usr/bin/env node
// The bpf-kptr fuzzer: mutates the fixtures and examples and drives both the
// analysis library (in a worker process, with a time limit per input) and the
// real language server over the protocol (rapid incremental edits, requests at
// random positions, cancellations, malformed messages), checking that nothing
// crashes or hangs and that incremental results equal a fresh analysis.
//
//   node scripts/fuzz/fuzz.mjs [options]
//
//   --seed N              seed of every random choice (default 1); a run is reproducible from it
//   --time SECONDS        stop after this long (default 60)
//   --engine-inputs N     stop the engine target after N inputs (default: until time runs out)
//   --server-sessions N   stop the server target after N editing sessions (default: until time runs out)
//   --target LIST         engine, server or both (default both, run side by side)
//   --only N              re-run engine input N of this seed alone (prints what it did)
//   --hang-ms N           one operation (a parse, a hover...) using more CPU time than this is a hang (default 15000)
//   --minimize / --no-minimize   shrink each new failure by delta debugging (default on)
//   --save-fixtures       write minimised failures into test/fixtures/robustness/
//   --out DIR             where failures and the summary go (default .cache/fuzz/seed-N)
//   --json                print the summary as JSON on stdout
//   --quiet               no progress lines
//   --no-build            do not build first (by default the bundle and the compiled library are rebuilt,
//                         so the run tests the sources as they are)
//   --help                this text
//
// Exit status: 0 when nothing failed, 1 when something did, 2 on a usage error.
import { spawnSync } from 'child_process';
import * as crypto from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { parseArgs } from 'util';
import { fileURLToPath, pathToFileURL } from 'url';
import { EngineHost } from './engine-host.mjs';
import { isStackOverflow, normalizeDiagnostics, signatureOf } from './common.mjs';
import { CancellationTokenSource, LspSession } from './lsp.mjs';
import { minimize } from './minimize.mjs';
import { bomb, BOMBS, loadCorpus, mutate } from './mutate.mjs';
import { Rng } from './random.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const ROBUSTNESS_FIXTURES = path.join(ROOT, 'test', 'fixtures', 'robustness');
/** Random offsets (and as many identifiers) where hover, completion and signature help are asked. */
const ENGINE_PROBES = 6;

function usage(message) {
  process.stderr.write(`fuzz: ${message}\nSee the comment at the top of scripts/fuzz/fuzz.mjs for the options.\n`);
  process.exit(2);
}

let parsed;
try {
  parsed = parseArgs({
    options: {
      seed: { type: 'string', default: '1' },
      time: { type: 'string', default: '60' },
      'engine-inputs': { type: 'string' },
      'server-sessions': { type: 'string' },
      target: { type: 'string', default: 'both' },
      only: { type: 'string' },
      'hang-ms': { type: 'string', default: '15000' },
      minimize: { type: 'boolean', default: true },
      'no-minimize': { type: 'boolean', default: false },
      'save-fixtures': { type: 'boolean', default: false },
      out: { type: 'string' },
      json: { type: 'boolean', default: false },
      quiet: { type: 'boolean', default: false },
      'no-build': { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
} catch (error) {
  usage(error.message);
}
const opts = parsed.values;
if (opts.help) {
  const lines = fs.readFileSync(fileURLToPath(import.meta.url), 'utf8').split('\n').slice(1);
  const header = lines.slice(0, lines.findIndex((l) => !l.startsWith('//'))).map((l) => l.replace(/^\/\/ ?/, ''));
  process.stdout.write(header.join('\n') + '\n');
  process.exit(0);
}
const seed = Number(opts.seed);
const timeLimitMs = Number(opts.time) * 1000;
const hangMs = Number(opts['hang-ms']);
if (!Number.isInteger(seed) || !(timeLimitMs > 0) || !(hangMs > 0)) usage('--seed must be an integer, --time and --hang-ms positive numbers');
const engineLimit = opts['engine-inputs'] !== undefined ? Number(opts['engine-inputs']) : Infinity;
const serverLimit = opts['server-sessions'] !== undefined ? Number(opts['server-sessions']) : Infinity;
const targets = opts.target === 'both' ? ['engine', 'server'] : opts.target.split(',');
for (const t of targets) if (t !== 'engine' && t !== 'server') usage(`unknown target ${t}`);
const doMinimize = opts.minimize && !opts['no-minimize'];
const outDir = path.resolve(opts.out ?? path.join(ROOT, '.cache', 'fuzz', `seed-${seed}`));

if (!opts['no-build']) {
  // The engine target runs the compiled library (out/), the server target the bundle (dist/): build both.
  for (const [what, args] of [
    ['bundle', [path.join(ROOT, 'scripts', 'build.mjs')]],
    ['compile', [path.join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', ROOT]],
  ]) {
    const built = spawnSync(process.execPath, args, { cwd: ROOT, stdio: ['ignore', 'ignore', 'inherit'] });
    if (built.status !== 0) usage(`the ${what} step failed (exit ${built.status ?? built.signal}); fix it or pass --no-build`);
  }
}
for (const needed of [path.join(ROOT, 'out', 'server', 'src', 'analyzer.js'), path.join(ROOT, 'dist', 'server.js')]) {
  if (!fs.existsSync(needed)) usage(`${path.relative(ROOT, needed)} is missing: run "node scripts/build.mjs && npx tsc -p ." first, or leave out --no-build.`);
}

const log = (line) => {
  if (!opts.quiet) process.stderr.write(line + '\n');
};
const started = Date.now();
const deadline = started + timeLimitMs;
const timeLeft = () => deadline - Date.now();

const corpus = loadCorpus(ROOT).filter((c) => c.text.length > 0);
if (corpus.length === 0) usage('no seed inputs under test/fixtures or examples');
const corpusHash = crypto.createHash('sha256').update(corpus.map((c) => path.relative(ROOT, c.file) + '\0' + c.text).join('\0')).digest('hex').slice(0, 12);
const context = { corpus };

/** A directory with headers that include each other, themselves and a missing file. */
function includeLab() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bpf-kptr-fuzz-lab-'));
  fs.writeFileSync(path.join(dir, 'a.bpf.h'), '#pragma once\n#include "b.bpf.h"\n#include "a.bpf.h"\nstruct a_val { struct bpf_cpumask __kptr *m; };\nstatic int a_fn(int x) { return b_fn(x); }\n');
  fs.writeFileSync(path.join(dir, 'b.bpf.h'), '#include "a.bpf.h"\n#include "missing.bpf.h"\n#include "./b.bpf.h"\nstatic int b_fn(int x) { return a_fn(x) + 1; }\n');
  fs.writeFileSync(path.join(dir, 'c.bpf.h'), `#include "${path.join(dir, 'c.bpf.h')}"\n#include "../${path.basename(dir)}/a.bpf.h"\n`);
  return dir;
}
const lab = includeLab();
const LAB_PREFIX = '#include "a.bpf.h"\n#include "c.bpf.h"\n#include "nowhere/missing.h"\n';

// ---- findings ------------------------------------------------------------------

const findings = new Map();
const stats = {
  engine: { inputs: 0, versions: 0, characters: 0, bombs: 0, crashes: 0, hangs: 0, drifts: 0, deaths: 0, slowest: [], peakRssMb: 0, restarts: 0 },
  server: { sessions: 0, edits: 0, requests: 0, cancelled: 0, chaos: 0, crashes: 0, hangs: 0, drifts: 0, stale: 0, missing: 0, peakRssMb: 0, restarts: 0 },
};

function shortHash(text) {
  return crypto.createHash('sha256').update(text).digest('hex').slice(0, 10);
}

function slug(signature) {
  return signature
    .replace(/[^A-Za-z0-9]+/g, '-')
    .replace(/^-|-$/g, '')
    .slice(0, 50)
    .toLowerCase();
}

/** Records a failure once per signature; returns the record when it is new. */
function record(kind, signature, details) {
  const known = findings.get(signature);
  if (known) {
    known.count++;
    return undefined;
  }
  const entry = { kind, signature, count: 1, ...details };
  findings.set(signature, entry);
  const dir = path.join(outDir, 'failures', `${slug(signature)}-${shortHash(signature)}`);
  fs.mkdirSync(dir, { recursive: true });
  entry.dir = path.relative(ROOT, dir);
  (details.versions ?? []).forEach((text, i) => fs.writeFileSync(path.join(dir, `input.v${i}.bpf.c`), text));
  if (details.transcript) fs.writeFileSync(path.join(dir, 'transcript.json'), JSON.stringify(details.transcript, null, 1));
  fs.writeFileSync(path.join(dir, 'failure.json'), JSON.stringify({ ...entry, versions: undefined, transcript: undefined }, null, 2));
  log(`!! ${kind}: ${signature}${details.where ? ` (${details.where})` : ''} -> ${entry.dir}`);
  return entry;
}

// ---- the engine target -----------------------------------------------------------

/** Engine input `index` of this seed: a pure function of (seed, index). */
function engineInput(index) {
  const rng = Rng.for(seed, 'engine', index);
  const source = rng.pick(corpus);
  const useLab = rng.chance(0.05);
  const dir = useLab ? lab : path.dirname(source.file);
  const file = path.join(dir, `fuzz-${seed}-${index}.bpf.${rng.chance(0.1) ? 'h' : 'c'}`);
  if (rng.chance(0.04)) {
    const b = bomb(rng);
    return { file, versions: [b.text], what: `bomb ${b.name}(${b.size})`, seed: rng.int(2 ** 31), bomb: true };
  }
  let text = useLab ? LAB_PREFIX + source.text : source.text;
  const versions = [];
  const steps = rng.weighted([
    [5, 1],
    [3, 2],
    [2, 4],
  ]);
  const applied = [];
  for (let i = 0; i < steps; i++) {
    const m = mutate(rng, text, context);
    text = m.text;
    versions.push(text);
    applied.push(m.applied.join('+'));
  }
  return { file, versions, what: `${path.relative(ROOT, source.file)} ${applied.join(' | ')}`, seed: rng.int(2 ** 31) };
}

function classify(reply) {
  if (reply.hang) return 'hang';
  if (reply.died) return 'death';
  if (!reply.ok) return 'crash';
  if (reply.drift) return 'drift';
  return undefined;
}

async function engineMinimize(host, input, kind, signature) {
  const stillFails = async (versions) => {
    const reply = await host.check(
      { file: input.file, versions, probes: ENGINE_PROBES, drift: kind === 'drift', seed: input.seed, resetCaches: true },
      kind === 'hang' ? Math.min(hangMs, 8000) : hangMs,
    );
    const k = classify(reply);
    if (k !== kind) return false;
    if (kind === 'crash') return isStackOverflow(reply.error) ? signature.includes('stack overflow') : signatureOf('engine', reply.error) === signature;
    return true;
  };
  let versions = [...input.versions];
  // Drop earlier versions that the failure does not need.
  for (let i = 0; i < versions.length - 1 && timeLeft() > 0; ) {
    const shorter = [...versions.slice(0, i), ...versions.slice(i + 1)];
    if (await stillFails(shorter)) versions = shorter;
    else i++;
  }
  // Then shrink each version, the last one first, the others held fixed.
  for (let i = versions.length - 1; i >= 0 && timeLeft() > 0; i--) {
    const budgetMs = (kind === 'hang' ? 120000 : 60000) / versions.length;
    const { text } = await minimize(versions[i], (candidate) => stillFails([...versions.slice(0, i), candidate, ...versions.slice(i + 1)]), { budgetMs, log });
    versions = [...versions.slice(0, i), text, ...versions.slice(i + 1)];
  }
  return versions;
}

function saveFixture(entry, versions) {
  if (!opts['save-fixtures']) return;
  fs.mkdirSync(ROBUSTNESS_FIXTURES, { recursive: true });
  const name = `${entry.kind}-${slug(entry.signature).slice(0, 40)}-${shortHash(entry.signature).slice(0, 6)}`;
  const files = versions.map((text, i) => {
    const file = versions.length === 1 ? `${name}.bpf.c` : `${name}.v${i}.bpf.c`;
    fs.writeFileSync(path.join(ROBUSTNESS_FIXTURES, file), text);
    return file;
  });
  fs.writeFileSync(
    path.join(ROBUSTNESS_FIXTURES, `${name}.json`),
    JSON.stringify({ kind: entry.kind, signature: entry.signature, found: `seed ${seed}, ${entry.where}`, versions: files, includesLab: entry.lab || undefined }, null, 2) + '\n',
  );
  log(`   saved as test/fixtures/robustness/${name}`);
}

async function runEngine() {
  const host = new EngineHost({ timeoutMs: hangMs });
  try {
    const only = opts.only !== undefined ? Number(opts.only) : undefined;
    for (let index = only ?? 0; index < (only !== undefined ? only + 1 : engineLimit) && timeLeft() > 0; index++) {
      const input = engineInput(index);
      const reply = await host.check({ file: input.file, versions: input.versions, probes: ENGINE_PROBES, drift: true, seed: input.seed });
      const s = stats.engine;
      s.inputs++;
      s.versions += input.versions.length;
      s.characters += input.versions.reduce((n, v) => n + v.length, 0);
      if (input.bomb) s.bombs++;
      if (only !== undefined) log(`input ${index}: ${input.what}\n${JSON.stringify({ ...reply, drift: reply.drift ? '(see failure)' : undefined }, null, 1)}`);
      if (reply.ms !== undefined) {
        s.slowest.push({ ms: Math.round(reply.ms), what: `#${index} ${input.what}`.slice(0, 160) });
        s.slowest.sort((a, b) => b.ms - a.ms);
        s.slowest.length = Math.min(s.slowest.length, 5);
      }
      const kind = classify(reply);
      if (!kind) {
        if (!opts.quiet && s.inputs % 100 === 0) log(`engine: ${s.inputs} inputs, ${findings.size} distinct failures, ${Math.round((Date.now() - started) / 1000)} s`);
        continue;
      }
      s[{ crash: 'crashes', hang: 'hangs', drift: 'drifts', death: 'deaths' }[kind]]++;
      // A drift that needs earlier, unrelated inputs (shared caches) cannot be shrunk on its own.
      let selfContained = true;
      if (kind === 'drift') {
        const again = await host.check({ file: input.file, versions: input.versions, probes: 0, drift: true, seed: input.seed, resetCaches: true });
        selfContained = classify(again) === 'drift';
      }
      const signature =
        kind === 'crash'
          ? signatureOf('engine', reply.error)
          : kind === 'drift'
            ? `engine:drift:${selfContained ? 'incremental' : 'across documents (shared cache)'}`
            : `engine:${kind}:${input.bomb ? input.what.split('(')[0] : 'mutated input'}`;
      const entry = record(kind, signature, {
        target: 'engine',
        where: `engine input ${index}: ${input.what}`.slice(0, 300),
        error: reply.error ? { name: reply.error.name, message: reply.error.message, stack: reply.error.stack?.split('\n').slice(0, 12).join('\n') } : undefined,
        phase: reply.phase,
        drift: reply.drift,
        versions: input.versions,
        lab: input.file.startsWith(lab),
      });
      if (entry && doMinimize && selfContained && timeLeft() > 0) {
        const versions = await engineMinimize(host, input, kind, signature);
        fs.mkdirSync(path.join(ROOT, entry.dir), { recursive: true });
        versions.forEach((text, i) => fs.writeFileSync(path.join(ROOT, entry.dir, `minimal.v${i}.bpf.c`), text));
        entry.minimalCharacters = versions[versions.length - 1].length;
        saveFixture(entry, versions);
      }
    }
  } finally {
    stats.engine.peakRssMb = Math.round(host.peakRss / 1e6);
    stats.engine.restarts = host.restarts;
    await host.stop();
  }
}

// ---- the server target -----------------------------------------------------------

const MALFORMED = [
  ['request', 'textDocument/hover', null],
  ['request', 'textDocument/hover', { textDocument: { uri: 42 }, position: { line: 'x', character: {} } }],
  ['request', 'textDocument/hover', { textDocument: { uri: 'file:///nowhere.bpf.c' }, position: { line: 0, character: 0 } }],
  ['request', 'textDocument/hover', { textDocument: { uri: 'file://%zz' }, position: { line: -1, character: -1 } }],
  ['request', 'textDocument/codeAction', { textDocument: { uri: 'untitled:x' }, range: null, context: { diagnostics: [{ source: 'bpf-kptr', code: 'kptr-leak', data: { fix: { kind: 'insert-release', before: null } } }] } }],
  ['request', 'textDocument/completion', { textDocument: {}, position: null }],
  ['request', 'textDocument/signatureHelp', [1, 2, 3]],
  ['request', 'textDocument/semanticTokens/full', { textDocument: { uri: 'file:///nowhere.bpf.c' } }],
  ['request', 'textDocument/semanticTokens/full', { textDocument: null }],
  ['request', 'textDocument/semanticTokens/range', { textDocument: { uri: 'file:///nowhere.bpf.c' }, range: null }],
  ['request', 'textDocument/definition', { textDocument: { uri: 'file:///x' }, position: { line: 0, character: 0 } }],
  ['request', 'bpfKptr/unknownRequest', { anything: true }],
  ['request', 'workspace/executeCommand', { command: 'rm -rf /', arguments: ['/'] }],
  ['notify', 'bpfKptr/unknownNotification', {}],
  ['notify', '$/unknownDollarNotification', {}],
  ['notify', '$/cancelRequest', { id: 987654321 }],
  ['notify', '$/setTrace', { value: 'verbose' }],
  ['notify', 'textDocument/didOpen', null],
  ['notify', 'textDocument/didOpen', { textDocument: { uri: 'file:///tmp/chaos-number.bpf.c', languageId: 'c', version: 1, text: 42 } }],
  ['notify', 'textDocument/didOpen', { textDocument: { uri: 'file:///tmp/chaos-object.bpf.c', languageId: 'c', version: 'one', text: { evil: true } } }],
  ['notify', 'textDocument/didChange', { textDocument: { uri: 'file:///tmp/never-opened.bpf.c', version: 2 }, contentChanges: [{ text: 'x' }] }],
  ['notify', 'textDocument/didChange', { textDocument: { uri: 'file:///tmp/never-opened.bpf.c' }, contentChanges: null }],
  ['notify', 'textDocument/didClose', { textDocument: { uri: 'file:///tmp/never-opened.bpf.c' } }],
  ['notify', 'textDocument/didClose', null],
  ['notify', 'textDocument/didSave', { textDocument: { uri: 'file:///tmp/never-opened.bpf.c' } }],
  ['notify', 'workspace/didChangeConfiguration', null],
  ['notify', 'workspace/didChangeConfiguration', { settings: { bpfKptr: { kernelVersion: {}, maxFileSize: -1, includePaths: 'x', diagnostics: [] } } }],
  ['notify', 'workspace/didChangeWatchedFiles', { changes: [{ uri: 'file:///etc/passwd', type: 2 }] }],
];

function randomPosition(rng, text) {
  const lines = text.split(/\r\n|\r|\n/);
  const roll = rng.int(10);
  if (roll === 0) return { line: rng.pick([-1, 1e9, 2 ** 31 - 1]), character: rng.pick([-1, 0, 1e9]) };
  if (roll === 1) return { line: lines.length, character: 0 };
  const line = rng.int(lines.length);
  return { line, character: rng.int((lines[line]?.length ?? 0) + 2) };
}

async function startServer(kind) {
  const session = new LspSession({});
  await session.initialize();
  log(`server: ${kind} started (pid ${session.pid})`);
  return session;
}

async function runServer() {
  let subject = await startServer('subject');
  let reference = await startServer('reference');
  const s = stats.server;
  const sample = () => {
    for (const server of [subject, reference]) {
      const memory = server?.memory();
      if (memory?.peak) s.peakRssMb = Math.max(s.peakRssMb, Math.round(memory.peak / 1e6));
    }
  };
  try {
    for (let index = 0; index < serverLimit && timeLeft() > 0; index++) {
      const rng = Rng.for(seed, 'server', index);
      // Some sessions open more documents than the server keeps analysed, so some rest and wake.
      const docCount = rng.chance(0.3) ? (rng.chance(0.3) ? rng.range(9, 14) : rng.range(2, 6)) : 1;
      const docs = [];
      const transcript = { session: index, documents: [], steps: [] };
      for (let d = 0; d < docCount; d++) {
        const source = rng.pick(corpus);
        const dir = rng.chance(0.05) ? lab : path.dirname(source.file);
        const uri = pathToFileURL(path.join(dir, `fuzz-s${seed}-${index}-${d}.bpf.c`)).toString();
        const text = rng.chance(0.5) ? source.text : mutate(rng, source.text, context).text;
        subject.open(uri, text);
        docs.push(uri);
        transcript.documents.push({ uri, text });
      }
      const pending = [];
      const edits = rng.range(3, 40);
      for (let e = 0; e < edits; e++) {
        const uri = rng.pick(docs);
        const next = mutate(rng, subject.text(uri), context, rng.logInt(3)).text;
        subject.editTo(uri, next);
        transcript.steps.push({ uri, version: subject.version(uri), text: subject.text(uri).length > 200000 ? '(large)' : subject.text(uri) });
        s.edits++;
        if (rng.chance(0.4)) {
          const method = rng.weighted([
            [4, 'textDocument/hover'],
            [2, 'textDocument/completion'],
            [2, 'textDocument/signatureHelp'],
            [1, 'textDocument/codeAction'],
            [1, 'textDocument/semanticTokens/full'],
          ]);
          const target = rng.pick(docs);
          const position = randomPosition(rng, subject.text(target));
          const params =
            method === 'textDocument/semanticTokens/full'
              ? { textDocument: { uri: target } }
              : method === 'textDocument/codeAction'
              ? { textDocument: { uri: target }, range: { start: position, end: position }, context: { diagnostics: subject.published.filter((p) => p.uri === target).slice(-1)[0]?.diagnostics ?? [] } }
              : { textDocument: { uri: target }, position };
          const cancel = rng.chance(0.3);
          const source = cancel ? new CancellationTokenSource() : undefined;
          pending.push(subject.settle(method, params, 30000, source?.token).then((outcome) => ({ method, outcome, cancelled: cancel })));
          if (source) {
            source.cancel();
            s.cancelled++;
          }
          s.requests++;
        }
        if (rng.chance(0.05)) {
          const [how, method, params] = rng.pick(MALFORMED);
          s.chaos++;
          if (how === 'notify') subject.notify(method, params);
          else pending.push(subject.settle(method, params, 30000).then((outcome) => ({ method, outcome })));
        }
        if (rng.chance(0.15)) await new Promise((r) => setTimeout(r, rng.int(120)));
      }
      const answered = await Promise.all(pending);
      const timedOut = answered.filter((a) => a.outcome.error?.code === 'TIMEOUT');
      const where = `server session ${index} (${docCount} document${docCount > 1 ? 's' : ''}, ${edits} edits)`;

      let dead = !subject.alive;
      let unresponsive = false;
      if (!dead && timedOut.length) unresponsive = !(await subject.responsive(30000));
      const finals = [];
      if (!dead && !unresponsive) {
        for (const uri of docs) {
          try {
            finals.push({ uri, params: await subject.diagnosticsOfCurrent(uri, 60000) });
          } catch {
            dead = !subject.alive;
            if (!dead) {
              if (await subject.responsive(30000)) {
                s.missing++;
                record('missing', 'server:missing-diagnostics', { target: 'server', where, transcript });
              } else unresponsive = true;
            }
            break;
          }
        }
      }
      if (dead || unresponsive) {
        const kind = dead ? 'crash' : 'hang';
        s[dead ? 'crashes' : 'hangs']++;
        const error = dead ? { name: 'ServerExited', message: `exit ${JSON.stringify(subject.exitStatus)}`, stack: subject.stderr } : undefined;
        const stderrError = /(\w*Error)[^\n]*\n((?:\s+at [^\n]+\n?){1,12})/.exec(subject.stderr);
        const signature = dead
          ? stderrError
            ? signatureOf('server', { name: stderrError[1], message: stderrError[0].split('\n')[0].replace(/^.*?Error:?\s*/, ''), stack: stderrError[0] })
            : `server:crash:${subject.exitStatus?.signal ?? subject.exitStatus?.code}`
          : 'server:hang';
        record(kind, signature, { target: 'server', where, error, transcript, stderr: subject.stderr.slice(-4000) });
        sample();
        subject.kill();
        s.restarts++;
        subject = await startServer('subject');
        continue;
      }
      // Stale results: per document, versions must never go backwards, and nothing may follow the final one.
      await new Promise((r) => setTimeout(r, 150));
      for (const uri of docs) {
        const versions = subject.published.filter((p) => p.uri === uri && p.version !== undefined).map((p) => p.version);
        const final = subject.version(uri);
        if (versions.some((v, i) => i > 0 && v < versions[i - 1]) || versions[versions.length - 1] !== final) {
          s.stale++;
          record('stale', 'server:stale-diagnostics', { target: 'server', where, versions, final, transcript });
        }
      }
      // Drift: the final diagnostics must equal a fresh open of the final text in another server.
      for (const { uri, params } of finals) {
        const text = subject.text(uri);
        reference.open(uri, text);
        let fresh;
        try {
          fresh = await reference.diagnosticsOfCurrent(uri, 60000);
        } catch {
          fresh = undefined;
        }
        reference.close(uri);
        if (!reference.alive || !fresh) {
          record('crash', 'server:reference-server-failed', { target: 'server', where: `${where}, fresh open`, versions: [text], stderr: reference.stderr.slice(-4000) });
          reference.kill();
          reference = await startServer('reference');
          continue;
        }
        const a = normalizeDiagnostics(params.diagnostics, uri);
        const b = normalizeDiagnostics(fresh.diagnostics, uri);
        // Wall-clock budgets may run out on one side only (a loaded machine): not comparable.
        const timed = (list) => list.some((d) => /took longer than|time budget/.test(d));
        const inconclusive = text.length > 500000 || timed(a) || timed(b);
        if (JSON.stringify(a) !== JSON.stringify(b) && !inconclusive) {
          s.drifts++;
          record('drift', 'server:drift', { target: 'server', where: `${where}, ${uri}`, drift: { incremental: a, fresh: b }, versions: [text], transcript });
        }
      }
      for (const uri of docs) subject.close(uri);
      const done = new Set(docs);
      subject.published = subject.published.filter((p) => !done.has(p.uri));
      reference.published = [];
      s.sessions++;
      sample();
      if (!opts.quiet && s.sessions % 10 === 0) log(`server: ${s.sessions} sessions, ${s.edits} edits, ${findings.size} distinct failures, ${Math.round((Date.now() - started) / 1000)} s`);
    }
  } finally {
    sample();
    await Promise.all([subject.shutdown(), reference.shutdown()]);
  }
}

// ---- main ----------------------------------------------------------------------

fs.mkdirSync(outDir, { recursive: true });
log(`fuzz: seed ${seed}, ${Math.round(timeLimitMs / 1000)} s, targets ${targets.join('+')}, corpus ${corpus.length} files (${corpusHash}), failures in ${path.relative(ROOT, outDir)}`);
const runs = [];
if (targets.includes('engine')) runs.push(runEngine());
if (targets.includes('server') && opts.only === undefined) runs.push(runServer());
const outcomes = await Promise.allSettled(runs);
fs.rmSync(lab, { recursive: true, force: true });
const harnessErrors = outcomes.filter((o) => o.status === 'rejected').map((o) => String(o.reason?.stack ?? o.reason));

const summary = {
  seed,
  seconds: Math.round((Date.now() - started) / 100) / 10,
  corpus: { files: corpus.length, hash: corpusHash },
  bombs: Object.keys(BOMBS),
  engine: targets.includes('engine') ? stats.engine : undefined,
  server: targets.includes('server') ? stats.server : undefined,
  failures: [...findings.values()].map(({ kind, signature, count, where, dir, minimalCharacters, phase }) => ({ kind, signature, count, where, dir, minimalCharacters, phase })),
  harnessErrors,
};
fs.writeFileSync(path.join(outDir, 'summary.json'), JSON.stringify(summary, null, 2));
if (opts.json) process.stdout.write(JSON.stringify(summary, null, 2) + '\n');
else {
  const e = stats.engine;
  const v = stats.server;
  process.stdout.write(
    [
      `fuzz seed ${seed}: ${summary.seconds} s`,
      targets.includes('engine') ? `  engine: ${e.inputs} inputs (${e.versions} versions, ${(e.characters / 1e6).toFixed(1)} M characters, ${e.bombs} bombs): ${e.crashes} crashes, ${e.hangs} hangs, ${e.drifts} drifts, ${e.deaths} worker deaths; peak RSS ${e.peakRssMb} MB` : undefined,
      targets.includes('server') ? `  server: ${v.sessions} sessions, ${v.edits} edits, ${v.requests} requests (${v.cancelled} cancelled), ${v.chaos} malformed: ${v.crashes} crashes, ${v.hangs} hangs, ${v.drifts} drifts, ${v.stale} stale, ${v.missing} missing; peak RSS ${v.peakRssMb} MB` : undefined,
      `  ${findings.size} distinct failure${findings.size === 1 ? '' : 's'}${findings.size ? ':' : ''}`,
      ...summary.failures.map((f) => `    ${f.kind} x${f.count}: ${f.signature}\n      first: ${f.where}\n      saved: ${f.dir}`),
      ...harnessErrors.map((h) => `  harness error: ${h}`),
      '',
    ]
      .filter((l) => l !== undefined)
      .join('\n'),
  );
}
process.exitCode = findings.size > 0 || harnessErrors.length > 0 ? 1 : 0;
