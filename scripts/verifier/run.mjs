// Ground truth from the real verifier: compiles BPF C fixtures with clang for
// the BPF target, loads each program on its own into the running kernel
// (scripts/verifier/loader.c) and compares the kernel's verdict with what the
// fixture's comments expect (test/fixtures/README.md).
//
//   node scripts/verifier/run.mjs [options] [FILE.bpf.c | DIR ...]
//
//   (no paths)     every fixture under ROOTS below
//   --load-all     no expectations needed: load every program of the files and
//                  print each verdict with the log lines that explain it
//   --verbose      print the whole verifier log of every program that did not agree
//   --no-setup     skip scripts/verifier/setup.sh (packages, vmlinux.h, loader)
//
// Exit status: 0 when every checkable program agrees and at least one was
// checked; 1 on any disagreement or broken fixture, or when nothing could be
// checked; 3 when this process may not use bpf().
import { spawnSync } from 'child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'fs';
import { createRequire } from 'module';
import { release } from 'os';
import { dirname, join, relative, resolve } from 'path';
import { fileURLToPath } from 'url';
import { kernelInRange, logHasVerifierText, readExpectations } from './expectations.mjs';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const cache = join(root, '.cache', 'verifier');

// Where fixtures with expectations live. Add a root here to check more files.
export const ROOTS = [
  { dir: 'test/fixtures/ownership', recursive: true },
  { dir: 'examples', recursive: false },
  { dir: 'test/fixtures/differential', recursive: false },
];
const FIXTURE = /\.bpf\.c$/;

const CLANG = process.env.BPF_CLANG || 'clang-19';
const KERNEL = release();

// ---- command line ------------------------------------------------------------

const args = process.argv.slice(2);
const flag = (name) => {
  const at = args.indexOf(name);
  if (at >= 0) args.splice(at, 1);
  return at >= 0;
};
const loadAll = flag('--load-all');
const verbose = flag('--verbose');
const noSetup = flag('--no-setup');
const unknown = args.filter((a) => a.startsWith('--'));
if (unknown.length) {
  console.error(`unknown option ${unknown.join(' ')}; see the comment at the top of ${relative(process.cwd(), fileURLToPath(import.meta.url))}`);
  process.exit(2);
}

// ---- helpers -----------------------------------------------------------------

function findFixtures(dir, recursive) {
  if (!existsSync(dir)) return [];
  const found = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory() && recursive) found.push(...findFixtures(path, true));
    else if (entry.isFile() && FIXTURE.test(entry.name)) found.push(path);
  }
  return found.sort();
}

function filesFromArgs() {
  if (args.length === 0) return ROOTS.flatMap((r) => findFixtures(join(root, r.dir), r.recursive));
  return args.flatMap((a) => {
    const path = resolve(a);
    if (!existsSync(path)) {
      console.error(`no such file or directory: ${a}`);
      process.exit(2);
    }
    return statSync(path).isDirectory() ? findFixtures(path, true) : [path];
  });
}

/** The rule catalog, from the compiled TypeScript (compiled here when missing or stale). */
function loadCatalog() {
  const compiled = join(root, 'out', 'server', 'src', 'rules', 'catalog.js');
  const source = join(root, 'server', 'src', 'rules', 'catalog.ts');
  if (!existsSync(compiled) || statSync(compiled).mtimeMs < statSync(source).mtimeMs) {
    console.log('compiling the rule catalog (tsc -p .)');
    const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc');
    const result = spawnSync(process.execPath, [tsc, '-p', root], { cwd: root, stdio: 'inherit' });
    if (result.status !== 0 || !existsSync(compiled)) {
      console.error(`could not compile ${relative(root, source)}; run "npx tsc -p ." and look at the errors`);
      process.exit(1);
    }
  }
  return createRequire(import.meta.url)(compiled).RULE_BY_CODE;
}

/** Compiles one file; returns { object } or { error }. */
function compile(file) {
  const object = join(cache, 'obj', relative(root, file).replace(/[\\/]/g, '__').replace(/\.c$/, '.o'));
  mkdirSync(dirname(object), { recursive: true });
  const flags = [
    '-target', 'bpf', '-O2', '-g', '-D__TARGET_ARCH_x86',
    '-I', cache, '-I', dirname(file),
    '-idirafter', join(cache, 'include'), '-idirafter', '/usr/include/x86_64-linux-gnu',
    ...(process.env.BPF_CFLAGS ? process.env.BPF_CFLAGS.split(/\s+/).filter(Boolean) : []),
    '-c', file, '-o', object,
  ];
  const result = spawnSync(CLANG, flags, { encoding: 'utf8' });
  if (result.error) return { error: `${CLANG} did not run: ${result.error.message}` };
  if (result.status !== 0) return { error: result.stderr.trim() || `${CLANG} exited with ${result.status}` };
  return { object };
}

/** Loads every program of an object; returns a Map name -> loader record, or { error }. */
function loadObject(object) {
  const loader = join(cache, 'loader');
  const result = spawnSync(loader, [object], { encoding: 'utf8', maxBuffer: 1 << 30 });
  if (result.status === 3) {
    console.error(result.stderr.trim());
    process.exit(3);
  }
  if (result.error || result.status !== 0) {
    return { error: (result.stderr || result.error?.message || `loader exited with ${result.status}`).trim() };
  }
  const records = new Map();
  for (const line of result.stdout.split('\n')) {
    if (line.trim()) {
      const record = JSON.parse(line);
      records.set(record.name, record);
    }
  }
  return { records };
}

const STATS = /^(processed \d+ insns|verification time|stack depth|max_states_per_insn)/;

/** The lines that explain a rejection: the last few before the statistics. */
function explainingLines(log, count = 6) {
  const lines = log.split('\n').filter((l) => l.trim() && !STATS.test(l));
  return lines.slice(-count);
}

/** Which of `needles` occur in `text`. */
const found = (text, needles) => needles.filter((n) => text.includes(n));

// ---- judging -----------------------------------------------------------------

/**
 * Compares one loader record with one program's expectation.
 * Returns { status: 'agree' | 'DISAGREE' | 'not checkable' | 'ERROR', detail }.
 */
function judge(program, record, rules) {
  if (program.problems.length) return { status: 'ERROR', detail: `bad expectation: ${program.problems.join('; ')}` };
  const codes = program.expect === 'ok' ? [] : program.expect;
  const unknownCodes = codes.filter((c) => !rules.has(c));
  if (unknownCodes.length) return { status: 'ERROR', detail: `unknown rule code ${unknownCodes.join(', ')}` };
  if (program.kernel.length && !kernelInRange(program.kernel, KERNEL)) {
    const range = program.kernel.map((b) => `${b.op}${b.major}.${b.minor}`).join(' ');
    return { status: 'not checkable', detail: `the fixture is for kernels ${range}, this is ${KERNEL}` };
  }
  if (!record) return { status: 'ERROR', detail: `the compiled object has no program named ${program.name}` };

  const { verdict, stage, reason, log, libbpf } = record;
  if (program.expect === 'ok') {
    if (verdict === 'loaded') return { status: 'agree', detail: 'loaded' };
    if (verdict === 'rejected') return { status: 'DISAGREE', detail: `expected to load, rejected: ${reason}` };
    return { status: 'not checkable', detail: reason };
  }

  const rule = rules.get(codes[0]);
  const wanted = rule.verifierMessages;
  const check = (text, what) => {
    const hits = found(text, wanted);
    const missing = program.verifier.filter((s) => !logHasVerifierText(text, s));
    if (hits.length && !missing.length) return { status: 'agree', detail: `${what}: "${hits[0]}"` };
    const why = [];
    if (!hits.length) why.push(`none of ${rule.code}'s messages (${wanted.map((w) => `"${w}"`).join(', ')})`);
    if (missing.length) why.push(`not ${missing.map((s) => `"${s}"`).join(', ')}`);
    return { status: 'DISAGREE', detail: `${what} (${reason}), but the log has ${why.join(' and ')}` };
  };

  if (verdict === 'loaded') return { status: 'DISAGREE', detail: `expected ${codes.join(', ')}, but it loaded` };
  if (verdict === 'rejected') return check(log, 'rejected');
  // Two rules are about failures before the verifier: those are the kernel's answer too.
  if (rule.code === 'kptr-kernel-version' && ['kfunc', 'extern', 'attach'].includes(stage)) {
    return { status: 'agree', detail: `not available on ${KERNEL}: ${reason}` };
  }
  if (rule.code === 'kptr-bad-field' && ['map', 'btf'].includes(stage)) {
    return check(`${log}\n${libbpf}`, 'the object was refused');
  }
  return { status: 'not checkable', detail: reason };
}

// ---- output ------------------------------------------------------------------

function printTable(rows) {
  const columns = ['status', 'where', 'program', 'expect', 'detail'];
  const width = {};
  for (const c of columns.slice(0, -1)) width[c] = Math.max(c.length, ...rows.map((r) => String(r[c]).length));
  const line = (r) => columns.map((c) => (c === 'detail' ? r[c] : String(r[c]).padEnd(width[c]))).join('  ');
  console.log(line(Object.fromEntries(columns.map((c) => [c, c]))));
  for (const r of rows) console.log(line(r));
}

/** The versions a verdict depends on besides the kernel's. */
function toolchain() {
  const first = (cmd, argv) => (spawnSync(cmd, argv, { encoding: 'utf8' }).stdout || '').split('\n')[0].trim() || null;
  return { clang: first(CLANG, ['--version']), libbpf: first('dpkg-query', ['-W', '-f=${Version}', 'libbpf-dev']) };
}

function writeReport(name, data) {
  mkdirSync(cache, { recursive: true });
  const path = join(cache, name);
  const header = { kernel: KERNEL, date: new Date().toISOString(), toolchain: toolchain() };
  writeFileSync(path, JSON.stringify({ ...header, ...data }, null, 2) + '\n');
  return relative(process.cwd(), path) || path;
}

// ---- main --------------------------------------------------------------------

if (!noSetup) {
  const setup = spawnSync('sh', [join(root, 'scripts', 'verifier', 'setup.sh')], { stdio: 'inherit' });
  if (setup.status !== 0) process.exit(setup.status || 1);
}

const files = filesFromArgs();
console.log(`kernel ${KERNEL}, ${files.length} file(s)`);

if (loadAll) {
  // Every program of every file: verdict, reason, and the log lines behind it.
  const results = [];
  let broken = 0;
  for (const file of files) {
    const where = relative(root, file);
    const expectations = new Map(readExpectations(readFileSync(file, 'utf8')).map((p) => [p.name, p]));
    const built = compile(file);
    const loaded = built.error ? built : loadObject(built.object);
    console.log(`\n== ${where}`);
    if (loaded.error) {
      broken++;
      console.log(`   ${built.error ? 'does not compile' : 'loader failed'}:\n${loaded.error.replace(/^/gm, '   | ')}`);
      results.push({ file: where, error: loaded.error });
      continue;
    }
    for (const record of loaded.records.values()) {
      const p = expectations.get(record.name);
      const line = p ? `${where}:${p.line}` : where;
      console.log(`${record.verdict.padEnd(13)} ${record.name} (${record.section})  ${line}`);
      if (p?.expect) console.log(`   fixture expects: ${p.expect === 'ok' ? 'ok' : p.expect.join(', ')}`);
      if (record.verdict === 'rejected') {
        const lines = verbose ? record.log.split('\n') : explainingLines(record.log);
        for (const l of lines) console.log(`   | ${l}`);
      } else if (record.verdict === 'not-checkable') {
        console.log(`   ${record.stage}: ${record.reason}`);
      }
      results.push({ file: where, line: p?.line ?? null, expect: p?.expect ?? null, ...record });
    }
  }
  const count = (v) => results.filter((r) => r.verdict === v).length;
  console.log(`\n${count('loaded')} loaded, ${count('rejected')} rejected, ${count('not-checkable')} not checkable` +
    `${broken ? `, ${broken} file(s) failed to build or load` : ''}`);
  console.log(`report: ${writeReport('load-all.json', { mode: 'load-all', results })}`);
  process.exit(broken ? 1 : 0);
}

const rules = loadCatalog();
const rows = [];
const results = [];
for (const file of files) {
  const where = relative(root, file);
  const programs = readExpectations(readFileSync(file, 'utf8')).filter((p) => p.expect !== null || p.problems.length);
  if (programs.length === 0) continue;
  const built = compile(file);
  const loaded = built.error ? built : loadObject(built.object);
  for (const program of programs) {
    const record = loaded.records?.get(program.name);
    const outcome = loaded.error
      ? { status: 'ERROR', detail: `${built.error ? 'does not compile' : 'loader failed'}: ${loaded.error.split('\n')[0]}` }
      : judge(program, record, rules);
    const expect = program.expect === 'ok' ? 'ok' : (program.expect ?? []).join(', ');
    rows.push({ status: outcome.status, where: `${where}:${program.line}`, program: program.name, expect, detail: outcome.detail });
    results.push({ file: where, line: program.line, program: program.name, expect: program.expect,
      verifierSubstrings: program.verifier, kernelRange: program.kernel, ...outcome,
      verdict: record?.verdict ?? null, stage: record?.stage ?? null, reason: record?.reason ?? null, log: record?.log ?? null });
    if (verbose && record?.log && outcome.status !== 'agree') {
      console.log(`\n-- verifier log of ${program.name} (${where}) --\n${record.log}`);
    }
  }
  if (loaded.error && verbose) console.log(`\n-- ${where} --\n${loaded.error}`);
}

if (rows.length === 0) {
  console.error('no program states an expectation ("// expect: ..."), so nothing was checked');
  console.log(`report: ${writeReport('report.json', { mode: 'check', results })}`);
  process.exit(1);
}
printTable(rows);
const tally = (s) => rows.filter((r) => r.status === s).length;
const [agree, disagree, unchecked, errors] = ['agree', 'DISAGREE', 'not checkable', 'ERROR'].map(tally);
console.log(`\n${agree} agree, ${disagree} disagree, ${unchecked} not checkable, ${errors} broken fixture(s) on kernel ${KERNEL}`);
console.log(`report: ${writeReport('report.json', { mode: 'check', summary: { agree, disagree, unchecked, errors }, results })}`);
if (agree + disagree === 0) console.error('nothing could be checked on this machine');
process.exit(disagree || errors || agree + disagree === 0 ? 1 : 0);
