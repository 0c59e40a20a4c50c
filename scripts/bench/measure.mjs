// The measurements, each the same for every server: cold start, open, edits, hover, completion,
// memory with a directory open and its growth over many edits, and CLI throughput.
import { spawn } from 'child_process';
import { readFileSync } from 'fs';
import { resolve } from 'path';
import { performance } from 'perf_hooks';
import { BenchClient, fileUri, TimeoutError } from './lsp.mjs';
import { completionPositions, editLines, hoverPositions } from './positions.mjs';
import { BINS } from './paths.mjs';
import { MiB, summarize } from './stats.mjs';

export const DEFAULT_DEBOUNCE_MS = 75;
/**
 * How long a server is left alone before its memory counts as "at rest": bpf-kptr gives memory
 * back in collections 1 s and 5 to 7 s after its last work (server/src/idleCompaction.ts).
 */
export const REST_MS = 10000;

/** How to start each server for a workload. */
export function serverSpecs({ clangd, workload, withClangd, nodeFlags = [] }) {
  const ours = {
    id: 'bpf-kptr',
    label: nodeFlags.length > 0 ? `bpf-kptr (node ${nodeFlags.join(' ')})` : 'bpf-kptr',
    command: process.execPath,
    args: [...nodeFlags, BINS.server, '--stdio'],
    // `timing: true` asks for the bpfKptr/analysisTiming notification (used when the server
    // advertises it; ignored otherwise). A debounce is only passed when advertised (see directory).
    initializationOptions: (extra = {}) => ({ settings: { includePaths: workload.includeDirs }, timing: true, ...extra }),
  };
  const specs = [ours];
  if (withClangd && clangd) {
    specs.push({
      id: 'clangd',
      label: `clangd ${clangd.version}`,
      command: clangd.command,
      args: ['--background-index=false', '--log=error', ...workload.clangd.args],
      initializationOptions: () => undefined,
    });
  }
  return specs;
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function start(spec, workload) {
  return new BenchClient(spec.id, spec.command, spec.args, { cwd: workload.root });
}

async function initialize(client, spec, workload, extra) {
  return client.initialize({ rootUri: fileUri(workload.root), initializationOptions: spec.initializationOptions(extra) });
}

/** What the server says about itself: hooks for the benchmark, completion support. */
export function serverFeatures(capabilities) {
  const hooks = capabilities?.experimental?.bpfKptr ?? {};
  return {
    completion: Boolean(capabilities?.completionProvider),
    hover: Boolean(capabilities?.hoverProvider),
    debounceHook: typeof hooks.debounceMs === 'number',
    timingNotification: typeof hooks.timingNotification === 'string' ? hooks.timingNotification : undefined,
  };
}

/**
 * Cold start, `runs` times after `warmup` runs: spawn to initialize answered, then didOpen of
 * `file` to its first publishDiagnostics, in a fresh process each time; and the resident
 * memory once those diagnostics are in.
 */
export async function coldStart(spec, workload, file, { runs, warmup }) {
  const text = readFileSync(file, 'utf8');
  const init = [];
  const open = [];
  const rss = [];
  const idle = [];
  let features;
  let diagnostics = 0;
  let errors = 0;
  for (let i = 0; i < warmup + runs; i++) {
    const client = start(spec, workload);
    try {
      const { result, spawnToInit } = await initialize(client, spec, workload);
      features = serverFeatures(result.capabilities);
      const idleRss = client.memory().rss;
      const wait = client.waitForDiagnostics(fileUri(file), 1);
      const t0 = performance.now();
      await client.open(file, text, 1);
      const { at, params } = await wait;
      if (i >= warmup) {
        init.push(spawnToInit);
        open.push(at - t0);
        rss.push(client.memory().rss);
        idle.push(idleRss);
        diagnostics = params.diagnostics.length;
        errors = params.diagnostics.filter((d) => d.severity === 1).length;
      }
    } finally {
      await client.shutdown();
    }
  }
  return { raw: { init, open, rssMiB: rss.map((b) => b / MiB), idleRssMiB: idle.map((b) => b / MiB) }, diagnostics, errors, features };
}

/**
 * One server session on a group of files: warm opens (close and reopen once the server has
 * analysed the file before), then one-character edits to publishDiagnostics, hovers and
 * completions at many positions, each after warm-up requests that are not counted.
 */
export async function session(spec, workload, files, options) {
  const { runs, edits: editCount, hoversPerKind, completionsPerKind, warmupRequests = 5 } = options;
  const client = start(spec, workload);
  const out = { warmOpen: [], edit: [], editServerCompute: [], hover: {}, completion: {}, notes: [] };
  try {
    const { result } = await initialize(client, spec, workload);
    const features = serverFeatures(result.capabilities);
    out.features = features;
    const docs = [];
    for (const file of files) {
      const text = readFileSync(file, 'utf8');
      const uri = fileUri(file);
      const wait = client.waitForDiagnostics(uri, 1);
      await client.open(file, text, 1);
      await wait;
      docs.push({ file, uri, text, version: 1 });
    }
    // Warm opens: the file was analysed before in this process.
    for (let i = 0; i < runs + 1; i++) {
      for (const doc of docs) {
        await client.close(doc.uri);
        await sleep(20);
        const wait = client.waitForDiagnostics(doc.uri, ++doc.version);
        const t0 = performance.now();
        await client.open(doc.file, doc.text, doc.version);
        const { at } = await wait;
        if (i > 0) out.warmOpen.push(at - t0);
      }
    }
    // Edits: a space typed at the start of a line, at places spread over each file.
    const perFile = Math.max(1, Math.ceil(editCount / docs.length));
    const warmup = Math.min(5, perFile);
    for (const doc of docs) {
      const lines = editLines(doc.text, perFile + warmup);
      doc.editLines = lines;
      for (let i = 0; i < lines.length; i++) {
        const version = ++doc.version;
        const timingsBefore = client.timings.length;
        const wait = client.waitForDiagnostics(doc.uri, version);
        const t0 = performance.now();
        await client.change(doc.uri, version, [{ range: { start: { line: lines[i], character: 0 }, end: { line: lines[i], character: 0 } }, text: ' ' }]);
        const { at } = await wait;
        if (i < warmup) continue;
        out.edit.push(at - t0);
        const reported = client.timings.slice(timingsBefore).find((t) => t.uri === doc.uri && t.version === version);
        if (reported && typeof reported.totalMs === 'number') out.editServerCompute.push(reported.totalMs);
        await sleep(5);
      }
    }
    // Hovers, by category.
    if (features.hover) {
      for (const doc of docs) {
        const positions = hoverPositions(doc.text, hoversPerKind);
        for (const p of positions.slice(0, warmupRequests)) await client.timedRequest('textDocument/hover', { textDocument: { uri: doc.uri }, position: p.position });
        for (const p of positions) {
          const r = await client.timedRequest('textDocument/hover', { textDocument: { uri: doc.uri }, position: p.position });
          const bucket = (out.hover[p.kind] ??= { ms: [], answered: 0, errors: 0 });
          if (r.error) bucket.errors++;
          else {
            bucket.ms.push(r.ms);
            if (r.result) bucket.answered++;
          }
        }
      }
    } else out.notes.push('hover: not advertised by the server');
    // Completions, by category; a server that does not advertise completion is asked once.
    if (features.completion) {
      for (const doc of docs) {
        const positions = completionPositions(doc.text, completionsPerKind);
        for (const p of positions.slice(0, Math.min(3, warmupRequests))) {
          await client.timedRequest('textDocument/completion', { textDocument: { uri: doc.uri }, position: p.position, context: p.context }, 60000);
        }
        for (const p of positions) {
          const r = await client.timedRequest('textDocument/completion', { textDocument: { uri: doc.uri }, position: p.position, context: p.context }, 60000);
          const bucket = (out.completion[p.kind] ??= { ms: [], answered: 0, errors: 0, items: [] });
          if (r.error) bucket.errors++;
          else {
            bucket.ms.push(r.ms);
            const items = Array.isArray(r.result) ? r.result.length : r.result?.items?.length ?? 0;
            bucket.items.push(items);
            if (items > 0) bucket.answered++;
          }
        }
      }
    } else {
      const doc = docs[0];
      const p = completionPositions(doc.text, 1)[0];
      const r = p
        ? await client.timedRequest('textDocument/completion', { textDocument: { uri: doc.uri }, position: p.position, context: p.context }, 3000)
        : { error: new Error('no completion position in the file') };
      const answer = r.error ? (r.error instanceof TimeoutError ? 'no answer within 3 s' : `error ${r.error.code ?? ''} ${r.error.message}`.trim()) : 'an answer';
      out.completionUnsupported = `not advertised (completionProvider absent); asked once, the server gave ${answer}`;
    }
    out.rssMiB = client.memory().rss / MiB;
  } finally {
    out.exit = await client.shutdown();
  }
  const byKind = (buckets) => {
    const all = Object.values(buckets).flatMap((b) => b.ms);
    const kinds = Object.fromEntries(
      Object.entries(buckets).map(([k, b]) => [k, { ...summarize(b.ms), answered: b.answered, errors: b.errors, ...(b.items ? { itemsMedian: summarize(b.items).median } : {}) }]),
    );
    return { all: summarize(all), byKind: kinds };
  };
  return {
    features: out.features,
    warmOpen: summarize(out.warmOpen),
    edit: summarize(out.edit),
    editServerCompute: out.editServerCompute.length > 0 ? summarize(out.editServerCompute) : undefined,
    editRaw: out.edit,
    hover: byKind(out.hover),
    completion: out.completionUnsupported ? { unsupported: out.completionUnsupported } : byKind(out.completion),
    rssMiB: out.rssMiB,
    notes: out.notes,
    editLines: undefined,
  };
}

/**
 * A whole directory open in one server: every file opened (as an editor restoring a session
 * does), the time until every file has diagnostics, the resident memory after the same pause
 * as after the edits (so both are read at rest, after any idle-time collection); then `edits`
 * one-character edits spread over the files, `inFlight` files at a time (each edit waits for
 * its own diagnostics), with the resident memory sampled along the way and after a pause.
 */
export async function directory(spec, workload, { edits, inFlight = 16, sampleEvery = 500, soonMs = 2000, restMs = REST_MS, timeoutMs = 600000, debounceMs }) {
  const client = start(spec, workload);
  const out = { files: workload.files.length, lines: workload.totalLines, samples: [], soonMs, restMs };
  try {
    // `debounceMs` is only given when the server advertised that it takes one (run.mjs asks first).
    const { result } = await initialize(client, spec, workload, debounceMs !== undefined ? { debounceMs } : undefined);
    out.features = serverFeatures(result.capabilities);
    out.rssStartMiB = client.memory().rss / MiB;
    const docs = workload.files.map((file) => ({ file, text: readFileSync(file, 'utf8'), version: 1 }));
    const t0 = performance.now();
    const waits = [];
    for (const doc of docs) {
      doc.uri = fileUri(doc.file);
      waits.push(client.waitForDiagnostics(doc.uri, 1, timeoutMs));
      await client.open(doc.file, doc.text, 1);
    }
    const published = await Promise.all(waits);
    out.openAllMs = performance.now() - t0;
    out.diagnostics = published.reduce((a, p) => a + p.params.diagnostics.length, 0);
    out.errors = published.reduce((a, p) => a + p.params.diagnostics.filter((d) => d.severity === 1).length, 0);
    await sleep(soonMs);
    out.rssOpenSoonMiB = client.memory().rss / MiB;
    await sleep(Math.max(0, restMs - soonMs));
    const opened = client.memory();
    out.rssOpenMiB = opened.rss / MiB;
    out.peakOpenMiB = opened.peak / MiB;
    out.samples.push({ edits: 0, rssMiB: out.rssOpenMiB });
    if (edits > 0) {
      for (const doc of docs) {
        doc.editLines = editLines(doc.text, 64);
        doc.next = 0;
      }
      const slots = Math.min(inFlight, docs.length);
      let done = 0;
      let issued = 0;
      const latencies = [];
      const started = performance.now();
      const worker = async (slot) => {
        const mine = docs.filter((_, i) => i % slots === slot);
        for (let k = 0; issued < edits; k++) {
          issued++;
          const doc = mine[k % mine.length];
          const line = doc.editLines[doc.next++ % doc.editLines.length];
          const version = ++doc.version;
          const wait = client.waitForDiagnostics(doc.uri, version, timeoutMs);
          const e0 = performance.now();
          await client.change(doc.uri, version, [{ range: { start: { line, character: 0 }, end: { line, character: 0 } }, text: ' ' }]);
          await wait;
          latencies.push(performance.now() - e0);
          done++;
          if (done % sampleEvery === 0) out.samples.push({ edits: done, rssMiB: client.memory().rss / MiB });
        }
      };
      await Promise.all(Array.from({ length: slots }, (_, s) => worker(s)));
      out.edits = done;
      out.editsWallMs = performance.now() - started;
      out.editLatency = summarize(latencies);
      await sleep(soonMs);
      out.rssAfterSoonMiB = client.memory().rss / MiB;
      await sleep(Math.max(0, restMs - soonMs));
      const after = client.memory();
      out.rssAfterMiB = after.rss / MiB;
      out.peakMiB = after.peak / MiB;
      out.growthPct = ((out.rssAfterMiB - out.rssOpenMiB) / out.rssOpenMiB) * 100;
      out.maxSampleMiB = Math.max(...out.samples.map((s) => s.rssMiB), out.rssAfterMiB);
    }
  } finally {
    out.exit = await client.shutdown();
  }
  return out;
}

function runTimed(command, args, { cwd } = {}) {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const child = spawn(command, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    const stdout = [];
    const stderr = [];
    child.stdout.on('data', (c) => stdout.push(c));
    child.stderr.on('data', (c) => stderr.push(c));
    child.on('error', reject);
    child.on('exit', (code) => resolve({ ms: performance.now() - t0, code, stdout: Buffer.concat(stdout).toString(), stderr: Buffer.concat(stderr).toString() }));
  });
}

/** bpf-kptr-lint over the workload's directory: wall time including start-up, lines per second. */
export async function lintThroughput(workload, { runs, warmup = 1 }) {
  const args = [BINS.lint, '--format', 'json', ...workload.includeDirs.flatMap((d) => ['-I', d]), workload.root];
  const walls = [];
  let checked;
  for (let i = 0; i < warmup + runs; i++) {
    const r = await runTimed(process.execPath, args, { cwd: workload.root });
    if (r.code !== 0 && r.code !== 1) throw new Error(`bpf-kptr-lint exited ${r.code}: ${r.stderr.slice(0, 500)}`);
    if (i >= warmup) walls.push(r.ms);
    if (!checked) {
      const json = JSON.parse(r.stdout);
      const abs = (f) => resolve(workload.root, f.path);
      checked = { files: json.files.length, lines: json.files.reduce((a, f) => a + (workload.lines.get(abs(f)) ?? countText(abs(f))), 0) };
    }
  }
  const wall = summarize(walls);
  return { command: `node bin/bpf-kptr-lint.js --format json ${workload.includeDirs.map((d) => `-I ${d} `).join('')}${workload.root}`, ...checked, wallMs: wall, linesPerSec: Math.round(checked.lines / (wall.median / 1000)) };
}

function countText(file) {
  try {
    return readFileSync(file, 'utf8').split('\n').length - 1;
  } catch {
    return 0;
  }
}

/**
 * clangd's command-line counterpart, `clangd --check` (preamble, AST and diagnostics of one file,
 * as the editor would build them), over up to `maxFiles` of the workload's files spread by size,
 * one after another: lines per second, and the wall time that rate gives for the whole directory.
 */
export async function clangdCheckThroughput(clangd, workload, { maxFiles }) {
  const bySize = [...workload.files].sort((a, b) => workload.lines.get(a) - workload.lines.get(b));
  const sample = bySize.length <= maxFiles ? bySize : Array.from({ length: maxFiles }, (_, i) => bySize[Math.floor(((i + 0.5) * bySize.length) / maxFiles)]);
  let ms = 0;
  let lines = 0;
  let errors = 0;
  for (const file of sample) {
    const r = await runTimed(clangd.command, [`--check=${file}`, '--check-locations=false', '--log=error', ...workload.clangd.args], { cwd: workload.root });
    ms += r.ms;
    lines += workload.lines.get(file);
    errors += (r.stderr.match(/^E\[/gm) ?? []).length;
  }
  const linesPerSec = Math.round(lines / (ms / 1000));
  return {
    command: `${clangd.command} --check=FILE --check-locations=false, one file after another`,
    files: sample.length,
    lines,
    sampledWallMs: Math.round(ms),
    linesPerSec,
    projectedWallMs: Math.round((workload.totalLines / linesPerSec) * 1000),
    projected: sample.length < workload.files.length,
    errorLines: errors,
  };
}
