// A child process that runs the analysis library (the compiled out/server/src)
// on inputs sent by its parent, the way server.ts drives it: update, ownership,
// diagnostics, then hover, quick fixes, completion and signature help. The
// parent enforces time limits and restarts it after a crash or a hang.
//
// Messages in:  { op: 'check', id, file, versions: string[], kernel?, probes?: number, probeAll?: boolean, drift?: boolean, seed?, resetCaches?: boolean }
//               { op: 'memory', id }
// Messages out: { id, ok: true, ... } | { id, ok: false, error: { name, message, stack }, phase }
import { createRequire } from 'module';
import * as path from 'path';
import { fileURLToPath, pathToFileURL } from 'url';
import { normalizeDiagnostics as normalize } from './common.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const require = createRequire(path.join(root, 'package.json'));
const out = (p) => path.join(root, 'out', 'server', 'src', p);

function optional(file) {
  try {
    return require(out(file));
  } catch {
    return undefined;
  }
}

const { Analyzer } = require(out('analyzer.js'));
const { ownershipDiagnostics } = require(out('features/diagnostics.js'));
const { hoverAt } = require(out('features/hover.js'));
const { codeActions } = require(out('features/codeActions.js'));
const { parseKernelVersion } = require(out('knowledge/kernelVersion.js'));
const completion = optional('features/completion.js');
const signatureHelp = optional('features/signatureHelp.js');
const semantic = optional('features/semanticTokens.js');

let subject;
let reference;

/**
 * Replaces the analyzer's body-lowering cache (a private field) with an empty
 * one, of `capacity` entries (undefined: the default). Results must never
 * depend on that cache, so a check can start from a clean one.
 */
function resetCaches(analyzer, capacity) {
  const bodies = analyzer.bodies;
  if (bodies && typeof bodies.constructor === 'function') {
    try {
      analyzer.bodies = capacity === undefined ? new bodies.constructor() : new bodies.constructor(capacity);
    } catch {
      // keep the cache
    }
  }
}

/** A fresh-as-possible analyzer for the drift oracle: no body-lowering cache to share results through. */
async function freshReference() {
  const analyzer = await Analyzer.create();
  resetCaches(analyzer, 0);
  return analyzer;
}

function rng(seed) {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = Math.imul(s ^ (s >>> 15), s | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function diagnosticsOf(analyzer, file, analysis, kernel) {
  const uri = pathToFileURL(file).toString();
  const ownership = analyzer.ownership(file, kernel);
  if (!ownership) return { diagnostics: [], ownership };
  const diagnostics = ownershipDiagnostics(analysis, ownership, {
    severities: {},
    disabled: new Set(),
    uriOf: (f) => (f ? pathToFileURL(f).toString() : uri),
    textOf: (f) => analyzer.textOf(f),
  });
  return { diagnostics, ownership };
}

/** Offsets worth probing: identifiers, brackets and the ends of the text; with `all`, inside every identifier (up to 2,000). */
function probeOffsets(text, count, random, all = false) {
  const offsets = [0, text.length, Math.max(0, text.length - 1)];
  if (all) {
    for (const m of text.slice(0, 200000).matchAll(/[A-Za-z_]\w*/g)) {
      offsets.push(m.index + Math.floor(m[0].length / 2));
      if (offsets.length > 2000) break;
    }
    return offsets;
  }
  for (let i = 0; i < count && text.length > 0; i++) offsets.push(Math.floor(random() * (text.length + 1)));
  const words = [...text.slice(0, 200000).matchAll(/[A-Za-z_]\w*/g)];
  for (let i = 0; i < count && words.length; i++) {
    const m = words[Math.floor(random() * words.length)];
    offsets.push(m.index + Math.floor(random() * (m[0].length + 1)));
  }
  return offsets;
}

async function check(message) {
  const { file, versions } = message;
  const kernel = parseKernelVersion(message.kernel ?? '6.18');
  const uri = pathToFileURL(file).toString();
  const random = rng(message.seed ?? 1);
  const started = performance.now();
  const timings = {};
  let phase = 'update';
  const time = (name, fn) => {
    phase = name;
    // Tells the parent an operation starts: its time limit is per operation, not per input.
    process.send({ id: message.id, progress: name });
    const t0 = performance.now();
    try {
      return fn();
    } finally {
      timings[name] = (timings[name] ?? 0) + performance.now() - t0;
    }
  };
  subject ??= await Analyzer.create();
  if (message.resetCaches) resetCaches(subject);
  try {
    let analysis;
    let result;
    versions.forEach((text, version) => {
      analysis = time('update', () => subject.update(file, text, version + 1));
      result = time('ownership', () => diagnosticsOf(subject, file, analysis, kernel));
    });
    const finalText = versions[versions.length - 1];
    const normalized = normalize(result.diagnostics, uri);
    const skippedFunctions = result.ownership?.skipped?.length ?? 0;
    let features = 0;
    if (message.probes || message.probeAll) {
      const offsets = probeOffsets(finalText, message.probes ?? 0, random, message.probeAll);
      const current = subject.get(file);
      for (const offset of offsets) {
        time('hover', () => hoverAt(current, offset, { kernelVersion: kernel }));
        if (completion?.completionsAt) time('completion', () => completion.completionsAt(current, offset, { kernelVersion: kernel }));
        if (signatureHelp?.signatureHelpAt) time('signatureHelp', () => signatureHelp.signatureHelpAt(current, offset, kernel));
        features++;
      }
      if (semantic?.semanticTokens) time('semanticTokens', () => semantic.semanticTokens(current, subject.ownership(file, kernel)));
      if (result.diagnostics.length) {
        time('codeActions', () =>
          codeActions({ analysis: current, withTree: (use) => subject.withTree(file, use), uri, diagnostics: result.diagnostics }),
        );
        features++;
      }
    }
    let drift;
    if (message.drift) {
      reference ??= await freshReference();
      phase = 'reference';
      process.send({ id: message.id, progress: phase });
      const t0 = performance.now();
      const fresh = reference.update(file, finalText, 1);
      const freshResult = diagnosticsOf(reference, file, fresh, kernel);
      const expected = normalize(freshResult.diagnostics, uri);
      reference.close(file);
      timings.reference = performance.now() - t0;
      // Wall-clock budgets (parse time, analysis time) may run out on one side only on a loaded machine.
      const timed = (list) => list.some((d) => /took longer than|time budget/.test(d));
      const inconclusive = analysis.skipped === 'parse-timeout' || fresh.skipped === 'parse-timeout' || timed(normalized) || timed(expected);
      if (!inconclusive && JSON.stringify(expected) !== JSON.stringify(normalized)) {
        drift = { incremental: normalized, fresh: expected };
      }
    }
    subject.close(file);
    const memory = process.memoryUsage();
    return {
      ok: true,
      ms: performance.now() - started,
      timings,
      diagnostics: normalized.length,
      codes: [...new Set(result.diagnostics.map((d) => String(d.code)))].sort(),
      lines: result.diagnostics.length <= 20000 ? result.diagnostics.map((d) => `${d.code}@${d.range.start.line}`).sort() : undefined,
      skipped: analysis.skipped,
      skippedFunctions,
      features,
      drift,
      rss: memory.rss,
      heapUsed: memory.heapUsed,
    };
  } catch (error) {
    try {
      subject.close(file);
    } catch {
      subject = undefined;
    }
    return {
      ok: false,
      phase,
      ms: performance.now() - started,
      error: { name: error?.name ?? typeof error, message: String(error?.message ?? error).slice(0, 2000), stack: String(error?.stack ?? '').slice(0, 8000) },
    };
  }
}

process.on('message', async (message) => {
  let reply;
  if (message.op === 'check') reply = await check(message);
  else if (message.op === 'memory') reply = { ok: true, memory: process.memoryUsage() };
  else reply = { ok: false, error: { name: 'UsageError', message: `unknown op ${message.op}`, stack: '' } };
  process.send({ id: message.id, ...reply });
});
process.send({ ready: true });
