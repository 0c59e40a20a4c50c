// npm run bench: the editor's latency and memory as a user feels them, side by side with clangd.
//
//   npm run bench                         examples, generated 1k/5k/20k-line files, a generated
//                                         150-file directory; clangd too when it is on the PATH
//   npm run bench -- DIR...               also every *.bpf.c under DIR (e.g. sched_ext's scheds/)
//   npm run bench -- --smoke              a few seconds: examples and a small generated file, for CI
//   npm run bench -- --help               every option
//
// A real LSP client over stdio starts the built server (bin/bpf-kptr-language-server.js --stdio)
// and clangd the same way, on the same files, in the same run. Results: a table on the terminal,
// bench-results/<timestamp>.json and .md.
import { execFileSync } from 'child_process';
import { cpSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'fs';
import { cpus, loadavg, totalmem } from 'os';
import { basename, dirname, join } from 'path';
import { parseArgs } from 'util';
import { clangdCheckThroughput, coldStart, DEFAULT_DEBOUNCE_MS, directory, lintThroughput, serverSpecs, session } from './measure.mjs';
import { libraryEditTimes, libraryHoverTimes, libraryOpenTimes, loadLibrary } from './library.mjs';
import { editLines, findTargets, spread } from './positions.mjs';
import { BINS, REPO_ROOT, RESULTS_DIR, SCRATCH } from './paths.mjs';
import { summarizeProfile } from './profile.mjs';
import { formatReport, formatMarkdown, checkTargets } from './report.mjs';
import { summarize } from './stats.mjs';
import { measureMachineSpeed } from './machineSpeed.mjs';
import { directoryWorkload, examplesWorkload, findClangd, generatedDirWorkload, generatedFileWorkload, prepareForClangd } from './workloads.mjs';

const USAGE = `Usage: npm run bench -- [options] [DIR...]

Measures bpf-kptr's language server and CLI as a user feels them, and clangd on the same files.

Workloads: the repository's examples/, generated BPF files (1k, 5k, 20k lines) and a generated
150-file directory (about 70,000 lines), and every DIR given (all *.bpf.c under it).

Options:
  --smoke                  a few seconds: examples and a 300-line generated file, no clangd
  --workloads LIST         comma-separated subset of examples,gen-1k,gen-5k,gen-20k,gen-dir150
                           (default: all; "none" to run only the DIRs)
  --no-clangd              do not run clangd
  --clangd CMD             the clangd to run (default: clangd-19, else clangd, from the PATH)
  --runs N                 cold and warm opens per file (default 5, after 1 warm-up)
  --edits N                one-character edits per file (default 40, after 5 warm-up)
  --hovers N               hover positions per category per file (default 25)
  --completions N          completion positions per category per file (default 10)
  --growth-edits N         edits for memory growth with a directory open (default 10000)
  --clangd-growth-edits N  the same for clangd (default 1000: clangd rebuilds an AST per edit)
  --clangd-check-files N   files clangd --check runs on for the CLI comparison (default 20)
  --lint-runs N            bpf-kptr-lint runs per directory (default 3, after 1 warm-up)
  -I DIR                   an include directory for the DIR workloads (repeatable; each DIR's
                           include/, include/lib and include/bpf-compat are added by themselves)
  --cflag=FLAG             an extra compiler flag for clangd on the DIR workloads (repeatable)
  --focus FILE             also give per-file figures for FILE (a path under a DIR, or its end;
                           repeatable); by default the 3 largest files and one of median size
  --server-node-flag=FLAG  a Node.js flag for the bpf-kptr server process, e.g.
                           --server-node-flag=--max-old-space-size=128 (repeatable; to tell a
                           leak from a lazy garbage collector)
  --profile                also profile the analysis library (5k-line edits, directory opens)
                           and print where the time goes
  --out FILE               the JSON results file (default bench-results/<timestamp>.json, with a
                           .md summary beside it; bench-results/ is git-ignored)
  --no-build               do not run scripts/build.mjs first (measure the dist/ already built)
  --report FILE            measure nothing: print the table of an earlier results FILE (.json)
                           and write its .md again
  -h, --help               this text

Every figure is a median and a p95 over the runs, after warm-up runs that are not counted.
Per file: spawn → initialize answered; didOpen → first publishDiagnostics in a fresh server and
in a warm one; one-character edits → the next publishDiagnostics, and the server's own compute
per edit apart from its 75 ms debounce (the analysis library timed in-process on the same
edits, and the latency minus the debounce); hover and completion at many positions by kind;
resident memory. Per directory: every file open → every file's diagnostics, RSS then, RSS after
--growth-edits edits (growth in %), and bpf-kptr-lint wall time and lines per second (clangd:
clangd --check on a sample of files). With clangd, each figure is given for both servers and
the ratio clangd / bpf-kptr ("bpf-kptr ahead by"). A fixed JavaScript workload that uses none of
bpf-kptr's code is timed before and after the run (scripts/bench/machineSpeed.mjs): when it
moved, the machine changed speed, and figures from runs far apart compare only with it.

Examples:
  npm run bench                                     everything, clangd too when on the PATH
  npm run bench -- --workloads examples,gen-5k,gen-dir150 --clangd-growth-edits 200
  npm run bench -- --no-clangd ~/src/scx/scheds     also a project of your own, bpf-kptr alone
  npm run bench -- --report bench-results/2026-01-01T00-00-00-000Z.json

Where the server's memory goes (V8 heap after a full collection, the parser's WASM memory, RSS):
  node --expose-gc scripts/bench/memory.mjs DIR [EDITS]`;

function parse() {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      smoke: { type: 'boolean' },
      workloads: { type: 'string' },
      'no-clangd': { type: 'boolean' },
      clangd: { type: 'string' },
      runs: { type: 'string' },
      edits: { type: 'string' },
      hovers: { type: 'string' },
      completions: { type: 'string' },
      'growth-edits': { type: 'string' },
      'clangd-growth-edits': { type: 'string' },
      'clangd-check-files': { type: 'string' },
      'lint-runs': { type: 'string' },
      include: { type: 'string', short: 'I', multiple: true },
      cflag: { type: 'string', multiple: true },
      focus: { type: 'string', multiple: true },
      'server-node-flag': { type: 'string', multiple: true },
      profile: { type: 'boolean' },
      out: { type: 'string' },
      'no-build': { type: 'boolean' },
      report: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  const smoke = Boolean(values.smoke);
  const num = (name, normal, quick) => {
    const raw = values[name];
    if (raw === undefined) return smoke ? quick : normal;
    const n = Number(raw);
    if (!Number.isInteger(n) || n < 0) throw new Error(`--${name} takes a whole number, not "${raw}"`);
    return n;
  };
  return {
    help: values.help,
    smoke,
    dirs: positionals,
    workloads: values.workloads ? values.workloads.split(',').map((s) => s.trim()) : smoke ? ['examples', 'gen-300'] : ['examples', 'gen-1k', 'gen-5k', 'gen-20k', 'gen-dir150'],
    withClangd: !values['no-clangd'] && (!smoke || Boolean(values.clangd)),
    clangdCommand: values.clangd,
    runs: num('runs', 5, 1),
    edits: num('edits', 40, 4),
    hovers: num('hovers', 25, 3),
    completions: num('completions', 10, 2),
    growthEdits: num('growth-edits', 10000, 20),
    clangdGrowthEdits: num('clangd-growth-edits', 1000, 20),
    clangdCheckFiles: num('clangd-check-files', 20, 2),
    lintRuns: num('lint-runs', 3, 1),
    includes: values.include ?? [],
    cflags: values.cflag ?? [],
    focus: values.focus ?? [],
    serverNodeFlags: values['server-node-flag'] ?? [],
    profile: Boolean(values.profile),
    out: values.out,
    build: !values['no-build'],
    report: values.report,
  };
}

const log = (text) => process.stderr.write(text + '\n');

function buildWorkloads(opts) {
  const out = [];
  for (const id of opts.workloads) {
    if (id === 'none') continue;
    if (id === 'examples') out.push(examplesWorkload());
    else if (/^gen-\d+k?$/.test(id)) {
      const n = id.endsWith('k') ? Number(id.slice(4, -1)) * 1000 : Number(id.slice(4));
      out.push(generatedFileWorkload(n));
    } else if (/^gen-dir\d+$/.test(id)) {
      const files = Number(id.slice(7));
      out.push(generatedDirWorkload(files, Math.round((70000 * files) / 150)));
    } else throw new Error(`unknown workload "${id}"`);
  }
  for (const dir of opts.dirs) out.push(directoryWorkload(dir, { includeDirs: opts.includes, extraFlags: opts.cflags, focus: opts.focus }));
  return out;
}

function machine() {
  const cpu = cpus();
  let kernel = '';
  let os = '';
  try {
    kernel = execFileSync('uname', ['-r'], { encoding: 'utf8' }).trim();
    os = /PRETTY_NAME="([^"]+)"/.exec(readFileSync('/etc/os-release', 'utf8'))?.[1] ?? '';
  } catch {
    // not Linux
  }
  return { cpu: cpu[0]?.model ?? 'unknown', cores: cpu.length, memoryGiB: Math.round(totalmem() / 2 ** 30), node: process.version, kernel, os };
}

/** Copies the built server and CLI (bin/, dist/, the rule pages) aside and measures the copy. */
function snapshotBuild() {
  const dir = join(SCRATCH, `build-${process.pid}`);
  rmSync(dir, { recursive: true, force: true });
  for (const part of ['bin', 'dist', join('docs', 'rules'), 'package.json']) cpSync(join(REPO_ROOT, part), join(dir, part), { recursive: true });
  BINS.server = join(dir, 'bin', 'bpf-kptr-language-server.js');
  BINS.lint = join(dir, 'bin', 'bpf-kptr-lint.js');
  process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
}

/** The commit measured, and whether the working tree differed from it. */
function sourceState() {
  try {
    const commit = execFileSync('git', ['rev-parse', 'HEAD'], { cwd: REPO_ROOT, encoding: 'utf8' }).trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--', 'server', 'bin', 'package.json'], { cwd: REPO_ROOT, encoding: 'utf8' }).trim() !== '';
    return { commit, dirty };
  } catch {
    return { commit: 'unknown', dirty: undefined };
  }
}


/** Every per-file figure of one server on one group of files. */
async function measureFocus(spec, w, group, opts, state) {
  const cold = { init: [], open: [], rssMiB: [], idleRssMiB: [] };
  let features;
  let diagnostics = 0;
  let errors = 0;
  for (const file of opts.smoke ? group.files.slice(0, 1) : group.files) {
    const c = await coldStart(spec, w, file, { runs: opts.runs, warmup: opts.smoke ? 0 : 1 });
    features = c.features;
    diagnostics += c.diagnostics;
    errors += c.errors;
    for (const k of Object.keys(cold)) cold[k].push(...c.raw[k]);
  }
  if (spec.id === 'bpf-kptr') state.debounceHook = features.debounceHook;
  const s = await session(spec, w, group.files, {
    runs: opts.runs,
    edits: opts.edits,
    hoversPerKind: opts.hovers,
    completionsPerKind: opts.completions,
  });
  const entry = {
    spawnToInit: summarize(cold.init),
    openCold: summarize(cold.open),
    openWarm: s.warmOpen,
    edit: s.edit,
    hover: s.hover,
    completion: s.completion,
    rssIdleMiB: summarize(cold.idleRssMiB),
    rssAfterOpenMiB: summarize(cold.rssMiB),
    rssSessionMiB: Math.round(s.rssMiB * 10) / 10,
    diagnostics,
    errors,
    features: s.features,
    notes: s.notes,
  };
  if (spec.id === 'bpf-kptr') {
    entry.editMinusDebounce = summarize(s.editRaw.map((ms) => ms - DEFAULT_DEBOUNCE_MS));
    if (s.editServerCompute) entry.serverCompute = { source: 'the server\'s timing notification', ...s.editServerCompute };
    const lib = [];
    const phases = { update: [], ownership: [], diagnostics: [] };
    for (const file of group.files) {
      const text = readFileSync(file, 'utf8');
      const perFile = Math.max(1, Math.ceil(opts.edits / group.files.length));
      const lines = editLines(text, perFile + Math.min(5, perFile));
      const r = await libraryEditTimes(file, lines, { includePaths: w.includeDirs, warmup: Math.min(5, perFile) });
      for (const e of r.edits) {
        lib.push(e.total);
        for (const k of Object.keys(phases)) phases[k].push(e[k]);
      }
    }
    entry.libraryCompute = {
      source: 'the analysis library in-process, the work of server.ts publishDiagnostics per edit',
      ...summarize(lib),
      phases: Object.fromEntries(Object.entries(phases).map(([k, v]) => [k, summarize(v)])),
    };
  }
  return entry;
}

async function main() {
  const opts = parse();
  if (opts.help) {
    process.stdout.write(USAGE + '\n');
    return;
  }
  if (opts.report) {
    const results = JSON.parse(readFileSync(opts.report, 'utf8'));
    if (results.partial) log(`${opts.report} is partial: the run stopped before every workload was measured.`);
    results.targets = checkTargets(results);
    const md = opts.report.replace(/\.json$/, '') + '.md';
    writeFileSync(md, formatMarkdown(results));
    process.stdout.write(formatReport(results));
    process.stdout.write(`\nSummary: ${md}\n`);
    return;
  }
  const started = Date.now();
  if (opts.build) execFileSync(process.execPath, [join(REPO_ROOT, 'scripts', 'build.mjs')], { stdio: 'inherit' });
  snapshotBuild();
  await loadLibrary();
  const clangd = opts.withClangd ? findClangd(opts.clangdCommand) : undefined;
  if (opts.withClangd && !clangd) log('clangd is not on the PATH (apt-get install clangd-19): measuring bpf-kptr alone.');
  prepareForClangd(Boolean(clangd));
  const workloads = buildWorkloads(opts);
  const results = {
    date: new Date().toISOString(),
    command: `npm run bench --${process.argv.slice(2).map((a) => ' ' + a).join('') || ''}`.replace(/ --$/, ''),
    machine: machine(),
    source: sourceState(),
    servers: { 'bpf-kptr': { command: `node ${opts.serverNodeFlags.map((f) => f + ' ').join('')}bin/bpf-kptr-language-server.js --stdio`, debounceMs: DEFAULT_DEBOUNCE_MS } },
    options: { ...opts, help: undefined },
    workloads: [],
  };
  if (clangd) results.servers.clangd = { command: `${clangd.command} --background-index=false`, version: clangd.version };
  results.machine.referenceMs = { before: measureMachineSpeed() };
  const state = { debounceHook: false, failures: 0 };
  /** Runs one measurement; a failure is recorded in the results and the run goes on. */
  const guarded = async (what, measure) => {
    try {
      return await measure();
    } catch (error) {
      state.failures++;
      log(`   FAILED ${what}: ${error.stack ?? error}`);
      return { error: String(error.message ?? error) };
    }
  };
  const out = opts.out ?? join(RESULTS_DIR, `${results.date.replace(/[:.]/g, '-')}.json`);
  mkdirSync(dirname(out), { recursive: true });

  for (const w of workloads) {
    log(`\n== ${w.id}: ${w.label}: ${w.files.length} files, ${w.totalLines} lines`);
    const wr = {
      id: w.id,
      label: w.label,
      root: w.root,
      files: w.files.length,
      lines: w.totalLines,
      includeDirs: w.includeDirs,
      vmlinux: w.vmlinux.origin,
      clangdFlags: w.clangd.flags,
      clangdConfig: w.clangd.how,
      focus: [],
      loadAverage: { start: loadavg()[0] },
    };
    results.workloads.push(wr);
    const specs = serverSpecs({ clangd, workload: w, withClangd: Boolean(clangd), nodeFlags: opts.serverNodeFlags });
    for (const group of w.focus) {
      const fr = { label: group.label, files: group.files.length, lines: group.lines, servers: {} };
      wr.focus.push(fr);
      for (const spec of specs) {
        log(`   ${group.label} (${group.lines} lines) · ${spec.label}`);
        fr.servers[spec.id] = await guarded(`${group.label} · ${spec.label}`, () => measureFocus(spec, w, group, opts, state));
      }
    }
    if (w.directory) {
      wr.directory = { servers: {} };
      for (const spec of specs) {
        // A handful of files (the examples) gets at most 1,000 edits: the growth figure is about directories.
        const asked = spec.id === 'clangd' ? opts.clangdGrowthEdits : opts.growthEdits;
        const edits = w.files.length >= 20 ? asked : Math.min(asked, 1000);
        log(`   directory: ${w.files.length} files open, ${edits} edits · ${spec.label}`);
        wr.directory.servers[spec.id] = await guarded(`directory · ${spec.label}`, () =>
          directory(spec, w, {
            edits,
            debounceMs: spec.id === 'bpf-kptr' && state.debounceHook ? 0 : undefined,
            ...(opts.smoke ? { soonMs: 100, restMs: 100, sampleEvery: 10 } : {}),
          }),
        );
      }
      log(`   bpf-kptr-lint over ${w.root}`);
      wr.directory.lint = await guarded('bpf-kptr-lint', () => lintThroughput(w, { runs: opts.lintRuns, warmup: opts.smoke ? 0 : 1 }));
      if (clangd && opts.clangdCheckFiles > 0) {
        log(`   clangd --check over ${Math.min(opts.clangdCheckFiles, w.files.length)} files`);
        wr.directory.clangdCheck = await guarded('clangd --check', () => clangdCheckThroughput(clangd, w, { maxFiles: opts.clangdCheckFiles }));
      }
    }
    if (opts.profile) wr.profile = await guarded('profile', () => profileWorkload(w));
    wr.loadAverage.end = loadavg()[0];
    // What is measured so far, in case a later workload fails or the run is stopped.
    writeFileSync(out, JSON.stringify({ ...results, partial: true }, null, 2) + '\n');
  }
  results.machine.referenceMs.after = measureMachineSpeed();
  results.targets = checkTargets(results);
  results.elapsedSeconds = Math.round((Date.now() - started) / 1000);

  delete results.partial;
  writeFileSync(out, JSON.stringify(results, null, 2) + '\n');
  const md = out.replace(/\.json$/, '') + '.md';
  writeFileSync(md, formatMarkdown(results));
  process.stdout.write(formatReport(results));
  process.stdout.write(`\nResults: ${out}\n          ${md}\nScratch: ${SCRATCH}\n`);
  if (state.failures > 0) {
    log(`${state.failures} measurement(s) failed: see "error" in ${out}`);
    process.exitCode = 1;
  }
}

/** Where the library's time goes on this workload: the edits of its first focus file and opening every file. */
async function profileWorkload(w) {
  const file = w.focus[0].files[0];
  const text = readFileSync(file, 'utf8');
  const lines = editLines(text, 205);
  const { bundleFile } = await loadLibrary();
  log(`   profiling the library: 200 edits of ${basename(file)}, then opening ${w.files.length} files`);
  const edits = await libraryEditTimes(file, lines, { includePaths: w.includeDirs, warmup: 5, profile: true });
  const opens = await libraryOpenTimes(w.files, { includePaths: w.includeDirs, profile: true });
  const targets = findTargets(text);
  const hoverOffsets = Object.values(targets).flatMap((list) => spread(list, 50).map((t) => t.offset + (t.length >> 1)));
  const hovers = await libraryHoverTimes(file, hoverOffsets, { includePaths: w.includeDirs, profile: true });
  mkdirSync(RESULTS_DIR, { recursive: true });
  const base = join(RESULTS_DIR, `profile-${w.id.replace(/[^\w.-]+/g, '_')}`);
  writeFileSync(`${base}-edits.cpuprofile`, JSON.stringify(edits.cpuProfile));
  writeFileSync(`${base}-opens.cpuprofile`, JSON.stringify(opens.cpuProfile));
  writeFileSync(`${base}-hovers.cpuprofile`, JSON.stringify(hovers.cpuProfile));
  const phase = (list, k) => summarize(list.map((e) => e[k]));
  return {
    edits: {
      file: basename(file),
      count: edits.edits.length,
      phases: { update: phase(edits.edits, 'update'), ownership: phase(edits.edits, 'ownership'), diagnostics: phase(edits.edits, 'diagnostics'), total: phase(edits.edits, 'total') },
      profile: summarizeProfile(edits.cpuProfile, { bundleFile }),
      cpuprofile: `${base}-edits.cpuprofile`,
    },
    opens: {
      files: opens.opens.length,
      phases: { update: phase(opens.opens, 'update'), ownership: phase(opens.opens, 'ownership'), diagnostics: phase(opens.opens, 'diagnostics'), total: phase(opens.opens, 'total') },
      sumMs: Math.round(opens.opens.reduce((a, o) => a + o.total, 0)),
      profile: summarizeProfile(opens.cpuProfile, { bundleFile }),
      cpuprofile: `${base}-opens.cpuprofile`,
    },
    hovers: {
      file: basename(file),
      count: hovers.hovers.length,
      ms: summarize(hovers.hovers.map((h) => h.ms)),
      slowest: [...hovers.hovers].sort((a, b) => b.ms - a.ms).slice(0, 5).map((h) => ({ ...h, ms: Math.round(h.ms * 100) / 100, at: lineOf(text, h.offset) })),
      profile: summarizeProfile(hovers.cpuProfile, { bundleFile }),
      cpuprofile: `${base}-hovers.cpuprofile`,
    },
  };
}

function lineOf(text, offset) {
  const before = text.slice(0, offset);
  const line = before.split('\n').length;
  return `${line}:${offset - before.lastIndexOf('\n')} ${text.slice(offset - 10, offset + 20).replace(/\s+/g, ' ')}`;
}

main().catch((error) => {
  process.stderr.write(`bench failed: ${error.stack ?? error}\n`);
  process.exitCode = 1;
});
