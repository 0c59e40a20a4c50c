// The analysis library driven in-process, as the server drives it on each edit, to time the
// server's own compute apart from its debounce and the protocol, phase by phase, and to profile it.
//
// The library is bundled from server/src with the same esbuild settings as dist/server.js, but
// not minified, so that profiles name functions as the source does.
import { build } from 'esbuild';
import { mkdirSync, readFileSync, rmSync } from 'fs';
import { Session } from 'inspector';
import { createRequire } from 'module';
import { join } from 'path';
import { performance } from 'perf_hooks';
import { pathToFileURL } from 'url';
import { bundleOptions } from '../bundle-options.mjs';
import { REPO_ROOT, SCRATCH } from './paths.mjs';

const ENTRY = `
export { Analyzer } from './server/src/analyzer';
export { ownershipDiagnostics } from './server/src/features/diagnostics';
export { hoverAt } from './server/src/features/hover';
export { DEFAULT_SETTINGS } from './server/src/settings';
`;

let loaded;

/** Bundles (once per process) and loads the library; returns its exports. */
export async function loadLibrary() {
  if (loaded) return loaded;
  const outDir = join(SCRATCH, 'library');
  mkdirSync(outDir, { recursive: true });
  const outfile = join(outDir, `library-${process.pid}.cjs`);
  process.on('exit', () => rmSync(outfile, { force: true }));
  await build({
    stdin: { contents: ENTRY, resolveDir: REPO_ROOT, loader: 'ts', sourcefile: 'bench-library-entry.ts' },
    absWorkingDir: REPO_ROOT,
    ...bundleOptions('bench'),
    sourcemap: 'inline',
    minify: false,
    outfile,
  });
  const lib = createRequire(import.meta.url)(outfile);
  const location = { runtime: join(REPO_ROOT, 'dist', 'tree-sitter.wasm'), grammar: join(REPO_ROOT, 'dist', 'tree-sitter-c.wasm') };
  loaded = { lib, location, bundleFile: outfile };
  return loaded;
}

/**
 * What the server does between its debounce timer firing and publishDiagnostics (server.ts
 * publishDiagnostics): analyzer.update (mask, incremental parse, model, local headers),
 * analyzer.ownership (the engine), ownershipDiagnostics. Returns milliseconds per phase.
 */
function publishOnce(lib, analyzer, file, text, version, settings) {
  const t0 = performance.now();
  const analysis = analyzer.update(file, text, version);
  const t1 = performance.now();
  const ownership = analyzer.ownership(file, settings.kernelVersion);
  const t2 = performance.now();
  const diagnostics = lib.ownershipDiagnostics(analysis, ownership, {
    severities: settings.severities,
    disabled: settings.disabled,
    uriOf: (f) => pathToFileURL(f ?? file).toString(),
    textOf: (f) => analyzer.textOf(f),
  });
  const t3 = performance.now();
  return { update: t1 - t0, ownership: t2 - t1, diagnostics: t3 - t2, total: t3 - t0, count: diagnostics.length };
}

/**
 * Opens `file` in a fresh analyzer, then applies the same edits the LSP run makes (a space at
 * the start of each of `lines`), timing the server's work for each. The first `warmup` edits
 * are not reported. Returns { open, edits: [{update, ownership, diagnostics, total}] }.
 */
export async function libraryEditTimes(file, lines, { includePaths = [], warmup = 5, profile } = {}) {
  const { lib, location } = await loadLibrary();
  const analyzer = await lib.Analyzer.create(location);
  analyzer.configure({ includePaths });
  const settings = lib.DEFAULT_SETTINGS;
  let text = readFileSync(file, 'utf8');
  const open = publishOnce(lib, analyzer, file, text, 1, settings);
  let version = 1;
  const edit = (line) => {
    let offset = 0;
    for (let i = 0; i < line; i++) offset = text.indexOf('\n', offset) + 1;
    text = text.slice(0, offset) + ' ' + text.slice(offset);
    return publishOnce(lib, analyzer, file, text, ++version, settings);
  };
  lines.slice(0, warmup).forEach(edit);
  const session = profile ? await startProfile() : undefined;
  const edits = lines.slice(warmup).map(edit);
  const cpuProfile = session ? await stopProfile(session) : undefined;
  analyzer.dispose();
  return { open, edits, cpuProfile };
}

/** Time to open (analyse from scratch) each file in one warm analyzer, as the CLI does. */
export async function libraryOpenTimes(files, { includePaths = [], profile } = {}) {
  const { lib, location } = await loadLibrary();
  const analyzer = await lib.Analyzer.create(location);
  analyzer.configure({ includePaths });
  const settings = lib.DEFAULT_SETTINGS;
  const session = profile ? await startProfile() : undefined;
  const out = [];
  for (const file of files) {
    const text = readFileSync(file, 'utf8');
    out.push({ file, ...publishOnce(lib, analyzer, file, text, 1, settings) });
    analyzer.close(file);
  }
  const cpuProfile = session ? await stopProfile(session) : undefined;
  analyzer.dispose();
  return { opens: out, cpuProfile };
}

/**
 * Hover at each of `offsets` of `file` once it is analysed, as server.ts onHover does (hoverAt
 * on the current analysis). Returns [{ offset, ms, answered }] and the profile when asked.
 */
export async function libraryHoverTimes(file, offsets, { includePaths = [], profile } = {}) {
  const { lib, location } = await loadLibrary();
  const analyzer = await lib.Analyzer.create(location);
  analyzer.configure({ includePaths });
  const settings = lib.DEFAULT_SETTINGS;
  const text = readFileSync(file, 'utf8');
  publishOnce(lib, analyzer, file, text, 1, settings);
  const analysis = analyzer.get(file);
  // As server.ts onHover: the ownership analysis of the document's current version goes along,
  // so hovers on variables read what the engine saw there.
  const context = { kernelVersion: settings.kernelVersion, ownership: analyzer.ownership(file, settings.kernelVersion) };
  for (const offset of offsets.slice(0, 5)) lib.hoverAt(analysis, offset, context);
  const session = profile ? await startProfile() : undefined;
  const out = offsets.map((offset) => {
    const t0 = performance.now();
    const result = lib.hoverAt(analysis, offset, context);
    return { offset, ms: performance.now() - t0, answered: Boolean(result) };
  });
  const cpuProfile = session ? await stopProfile(session) : undefined;
  analyzer.dispose();
  return { hovers: out, cpuProfile };
}

function post(session, method, params) {
  return new Promise((resolve, reject) => session.post(method, params, (err, result) => (err ? reject(err) : resolve(result))));
}

async function startProfile() {
  const session = new Session();
  session.connect();
  await post(session, 'Profiler.enable');
  await post(session, 'Profiler.setSamplingInterval', { interval: 100 });
  await post(session, 'Profiler.start');
  return session;
}

async function stopProfile(session) {
  const { profile } = await post(session, 'Profiler.stop');
  session.disconnect();
  return profile;
}
