// Differential testing of the ownership engine against the kernel verifier:
// generates random BPF C programs over the ownership vocabulary
// (scripts/verifier/generator.mjs), asks both the engine and the running
// kernel about each one, and reports how often they agree.
//
//   npm run fuzz:verifier -- [--count N] [--seed S] [options]
//
//   --count N        programs to generate (default 1000)
//   --seed S         the run's seed (default: from the clock; printed, so a run can be repeated)
//   --batch B        programs per object file (default 250)
//   --jobs J         object files compiled and loaded at the same time (default 2)
//   --no-shrink      do not minimise the disagreements
//   --shrink-max M   minimise at most M disagreements of each kind (default 2; `all` for every one;
//                    the rest are listed in the report and can be regenerated with --only / --print)
//   --no-fixtures    do not write test/fixtures/differential/
//   --keep           keep the generated batch files (.cache/verifier/fuzz/)
//   --only I,J,...   only these program indexes of the seed (to look at one again)
//   --print I        print program I of the seed as C and exit
//   --no-setup       skip scripts/verifier/setup.sh
//   --vm-kernel F    judge in a VM instead of the running kernel: F is a vmlinuz (for example Debian
//                    trixie's linux-image 6.12, from apt-get download + dpkg -x), booted with
//                    qemu-system-x86_64 (TCG, no KVM) on a busybox initramfs that runs our loader;
//                    the engine is then asked about that kernel's version. Needs qemu-system-x86
//                    and busybox-static. --vm-memory MB (default 2048), --vm-cpus N (default 2)
//
// Verdicts. The engine's: the rule codes of the findings whose roots are the
// program (or a global function it calls), none when there are none. The
// kernel's: loaded, or rejected with the verifier's error, which is matched
// against the verifier messages of the rule catalog
// (server/src/rules/catalog.ts). Each program is one of:
//   agree            none and loaded, or codes and rejected with a message of one of those codes
//   false-positive   the engine reports, the kernel loads it
//   false-negative   the engine is silent, the kernel rejects it with a message of our rules
//   wrong-code       both reject, but the kernel's message belongs to none of the engine's codes
//   outside          the kernel rejects it with a message no rule of ours names (not ownership,
//                    or a generator mistake)
//   not-checkable    the kernel never got to verify it (see loader.c)
//   broken           clang compiled it to nothing (undefined behaviour; shrinking can get there)
// The agreement rate is agree / (all but not-checkable and broken).
//
// Disagreements are grouped into kinds (class, engine codes and what the engine
// said, kernel codes); up to --shrink-max of each kind are minimised
// (scripts/verifier/shrink.mjs: the smallest program that still shows the same
// kind of disagreement) and written to test/fixtures/differential/ with the
// kernel's verdict as their `// expect:` and the kernel version as `// kernel:`
// (`outside` ones with no expectation). The report goes to
// .cache/verifier/fuzz-report-seed<S>-n<N>[-vm<X.Y>].json; fuzz-report.json is a copy
// of the latest full run on this machine's kernel.
//
// Exit status: 0 when the run finished (disagreements are results, not failures),
// 1 when nothing could be judged, 2 for bad usage, 3 when this process may not use bpf().
import { spawn, spawnSync } from 'child_process';
import { createHash } from 'crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'fs';
import { createRequire } from 'module';
import { cpus, release } from 'os';
import { gzipSync } from 'zlib';
import { dirname, join, relative, resolve } from 'path';
import { fileURLToPath } from 'url';
import { generateProgram, headerText, HEADER_NAME, renderFile, renderProgram } from './generator.mjs';
import { candidates, renameProgram, size } from './shrink.mjs';

/** CPU seconds used so far by this process and the children it waited for (Linux /proc). */
function cpuSeconds() {
  const fields = readFileSync('/proc/self/stat', 'utf8').replace(/^.*\) /, '').split(' ');
  const tick = 100;
  // utime, stime, cutime, cstime are fields 14-17 of stat; after the name they are at 11-14.
  return fields.slice(11, 15).reduce((sum, f) => sum + Number(f), 0) / tick;
}

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const cache = join(root, '.cache', 'verifier');
const CLANG = process.env.BPF_CLANG || 'clang-19';
// The kernel that judges: this machine's, or the VM's (its release from the vmlinuz name, checked at boot).
let KERNEL = release();
const FIXTURE_DIR = join(root, 'test', 'fixtures', 'differential');

// ---- command line ------------------------------------------------------------

const argv = process.argv.slice(2);
const options = { vmKernel: null, vmMemory: 2048, vmCpus: 2, count: 1000, seed: undefined, batch: 250, jobs: 2, shrink: true, shrinkMax: 2, fixtures: true, keep: false, only: null, print: null, setup: true };
for (let i = 0; i < argv.length; i++) {
  const a = argv[i];
  const value = () => {
    const v = argv[++i];
    if (v === undefined) usage(`${a} wants a value`);
    return v;
  };
  const int = () => {
    const v = Number(value());
    if (!Number.isInteger(v) || v < 0) usage(`${a} wants a whole number`);
    return v;
  };
  if (a === '--count') options.count = int();
  else if (a === '--seed') options.seed = int();
  else if (a === '--batch') options.batch = Math.max(1, int());
  else if (a === '--jobs') options.jobs = Math.max(1, int());
  else if (a === '--no-shrink') options.shrink = false;
  else if (a === '--shrink-max') options.shrinkMax = argv[i + 1] === 'all' ? (i++, Infinity) : int();
  else if (a === '--no-fixtures') options.fixtures = false;
  else if (a === '--keep') options.keep = true;
  else if (a === '--only') options.only = value().split(',').map(Number);
  else if (a === '--print') options.print = int();
  else if (a === '--no-setup') options.setup = false;
  else if (a === '--vm-kernel') options.vmKernel = resolve(value());
  else if (a === '--vm-memory') options.vmMemory = int();
  else if (a === '--vm-cpus') options.vmCpus = Math.max(1, int());
  else usage(`unknown option ${a}`);
}
if (options.seed === undefined) options.seed = Date.now() % 1000000;

function usage(message) {
  console.error(`${message}; see the comment at the top of ${relative(process.cwd(), fileURLToPath(import.meta.url))}`);
  process.exit(2);
}

if (options.print !== null) {
  const p = generateProgram(options.seed, options.print);
  console.log(`// seed ${options.seed}, program ${options.print}: ${p.intent}; ${p.features.join(' ')}`);
  console.log(renderFile([p], { minimal: true }));
  process.exit(0);
}

// ---- the engine ----------------------------------------------------------------

/** Newest modification time under a directory. */
function newest(dir) {
  let t = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    t = Math.max(t, e.isDirectory() ? newest(p) : statSync(p).mtimeMs);
  }
  return t;
}

function loadEngine() {
  const out = join(root, 'out', 'server', 'src');
  const analyzerJs = join(out, 'analyzer.js');
  if (!existsSync(analyzerJs) || statSync(analyzerJs).mtimeMs < newest(join(root, 'server', 'src'))) {
    console.log('compiling the engine (tsc -p .)');
    const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc');
    const before = Date.now();
    const r = spawnSync(process.execPath, [tsc, '-p', root], { cwd: root, encoding: 'utf8' });
    // Type errors elsewhere (tests) do not stop tsc from emitting the engine: only a missing or stale engine does.
    if (!existsSync(analyzerJs) || statSync(analyzerJs).mtimeMs < before - 1000) {
      console.error(`${r.stdout}${r.stderr}could not compile the engine; run "npx tsc -p ." and look at the errors`);
      process.exit(1);
    }
    if (r.status !== 0) console.log(`   (tsc reported type errors, but emitted the engine:)\n${r.stdout.trim().split('\n').slice(0, 5).map((l) => `   | ${l}`).join('\n')}`);
  }
  const require = createRequire(import.meta.url);
  return {
    Analyzer: require(analyzerJs).Analyzer,
    functionKey: require(join(out, 'engine', 'analyze.js')).functionKey,
    rules: require(join(out, 'rules', 'catalog.js')).RULES,
  };
}

if (options.vmKernel) {
  if (!existsSync(options.vmKernel)) usage(`no such kernel image: ${options.vmKernel}`);
  KERNEL = /vmlinuz-(.+)$/.exec(options.vmKernel)?.[1] ?? 'unknown (VM)';
}
const m = /^(\d+)\.(\d+)/.exec(KERNEL);
const ENGINE_KERNEL = m ? { major: Number(m[1]), minor: Number(m[2]) } : { major: 6, minor: 18 };

/** The engine's verdict on every program of one file: Map name -> { codes, findings, skipped }. */
function engineVerdicts(engine, analyzer, file, text, names) {
  const verdicts = new Map();
  const analysis = analyzer.update(file, text);
  try {
    const ownership = analyzer.ownership(file, ENGINE_KERNEL);
    const skippedKeys = new Map(ownership.skipped.map((s) => [s.fn, s.reason]));
    for (const name of names) {
      const fn = analysis.model.functions.find((f) => f.name === name && !f.isPrototype);
      if (!fn) {
        verdicts.set(name, { codes: [], findings: [], problem: 'not in the model' });
        continue;
      }
      const key = engine.functionKey(undefined, fn);
      const reach = new Set([key, ...(ownership.globalCalls[key] ?? [])]);
      const findings = ownership.findings.filter((f) => (f.roots ?? []).some((r) => reach.has(r)));
      verdicts.set(name, {
        codes: [...new Set(findings.map((f) => f.code))].sort(),
        findings: findings.map((f) => ({ code: f.code, message: f.message, line: lineOf(text, fn.span.start, f.site) })),
        problem: !fn.ir ? `not analysed: ${fn.irMissingReason ?? 'no IR'}` : skippedKeys.get(key),
      });
    }
  } finally {
    analyzer.close(file);
  }
  return verdicts;
}

/** The 1-based line of a finding's site (a span relative to its function); only for the program's own function. */
function lineOf(text, fnStart, site) {
  const offset = fnStart + (site.via?.length ? site.via[0].span.start : site.span.start);
  return text.slice(0, offset).split('\n').length;
}

// ---- the kernel --------------------------------------------------------------------

function run(cmd, args, opts = {}) {
  return new Promise((resolvePromise) => {
    const child = spawn(cmd, args, { ...opts, stdio: ['ignore', 'pipe', 'pipe'] });
    const out = [];
    const err = [];
    child.stdout.on('data', (d) => out.push(d));
    child.stderr.on('data', (d) => err.push(d));
    child.on('error', (e) => resolvePromise({ status: -1, stdout: '', stderr: e.message }));
    child.on('close', (status) => resolvePromise({ status, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8') }));
  });
}

/**
 * Functions of a BPF object that clang compiled to nothing (it does that when a
 * path has undefined behaviour, such as reading a variable never written; a
 * shrunk program can get there). libbpf refuses the whole object for one of
 * them ("corrupted program"), so they are taken out before loading.
 */
function emptyFunctions(object) {
  const b = readFileSync(object);
  const shoff = Number(b.readBigUInt64LE(0x28));
  const shnum = b.readUInt16LE(0x3c);
  const empty = [];
  for (let i = 0; i < shnum; i++) {
    const sh = shoff + i * 64;
    if (b.readUInt32LE(sh + 4) !== 2) continue; // SHT_SYMTAB
    const off = Number(b.readBigUInt64LE(sh + 24));
    const size = Number(b.readBigUInt64LE(sh + 32));
    const strtab = shoff + b.readUInt32LE(sh + 40) * 64;
    const strOff = Number(b.readBigUInt64LE(strtab + 24));
    for (let at = off; at + 24 <= off + size; at += 24) {
      const type = b[at + 4] & 0xf;
      if (type !== 2 || b.readBigUInt64LE(at + 16) !== 0n || b.readUInt16LE(at + 6) === 0) continue; // STT_FUNC, size 0, defined
      const nameAt = strOff + b.readUInt32LE(at);
      empty.push(b.toString('latin1', nameAt, b.indexOf(0, nameAt)));
    }
  }
  return empty;
}

async function compile(file) {
  const object = file.replace(/\.c$/, '.o');
  const flags = [
    '-target', 'bpf', '-O2', '-g', '-D__TARGET_ARCH_x86',
    '-I', cache, '-I', dirname(file),
    '-idirafter', join(cache, 'include'), '-idirafter', '/usr/include/x86_64-linux-gnu',
    '-Wno-unused-value', '-Wno-unused-variable',
    ...(process.env.BPF_CFLAGS ? process.env.BPF_CFLAGS.split(/\s+/).filter(Boolean) : []),
    '-c', file, '-o', object,
  ];
  const r = await run(CLANG, flags);
  if (r.status !== 0) return { error: r.stderr.trim() || `${CLANG} exited with ${r.status}` };
  return { object };
}

const STATS = /^(processed \d+ insns|verification time|stack depth|max_states_per_insn)/;
const TRACE = /^(\d+: |; |from \d+ to \d+|\d+: R\d|mark_precise|func#|last_idx|regs=|parent |propagating|\s*$|Validating |Func#|callee |caller |returning from|to caller at|frame\d|R\d+(_\w)?=)/;

/** The verifier's error: the lines after the last instruction of the log (statistics dropped). */
function errorBlock(log) {
  const lines = log.split('\n').filter((l) => l.trim() && !STATS.test(l));
  const block = [];
  for (let i = lines.length - 1; i >= 0 && block.length < 6; i--) {
    if (TRACE.test(lines[i])) {
      if (block.length) break;
      continue;
    }
    block.unshift(lines[i]);
  }
  return block;
}

async function loadAll(object) {
  const r = await run(join(cache, 'loader'), [object]);
  if (r.status === 3) {
    console.error(r.stderr.trim());
    process.exit(3);
  }
  if (r.status !== 0) return { error: r.stderr.trim() || `loader exited with ${r.status}` };
  return { records: parseLoaderOutput(r.stdout).get(object) ?? new Map() };
}

/** The loader's JSON lines, as Map object -> Map program name -> record. */
function parseLoaderOutput(stdout) {
  const byObject = new Map();
  for (const line of stdout.split('\n')) {
    if (!line.trim().startsWith('{')) continue;
    let rec;
    try {
      rec = JSON.parse(line);
    } catch {
      continue;
    }
    const block = rec.verdict === 'rejected' ? errorBlock(rec.log) : [];
    if (!byObject.has(rec.object)) byObject.set(rec.object, new Map());
    byObject.get(rec.object).set(rec.name, { verdict: rec.verdict, stage: rec.stage, reason: rec.reason, error: block, logTail: rec.verdict === 'rejected' ? rec.log.split('\n').slice(-40).join('\n') : '' });
  }
  return byObject;
}

// ---- another kernel, in a VM -------------------------------------------------------------

/** A newc cpio archive of [{ path, mode, data }] (what the kernel unpacks as its initramfs). */
function cpio(entries) {
  const parts = [];
  const pad = (n) => Buffer.alloc((4 - (n % 4)) % 4);
  let ino = 1;
  for (const e of [...entries, { path: 'TRAILER!!!', mode: 0, data: Buffer.alloc(0) }]) {
    const name = Buffer.from(`${e.path}\0`);
    const hex = (v) => v.toString(16).padStart(8, '0');
    const fields = [ino++, e.mode, 0, 0, 1, 0, e.data.length, 0, 0, 0, 0, name.length, 0];
    const header = Buffer.from(`070701${fields.map(hex).join('')}`);
    parts.push(header, name, pad(header.length + name.length), e.data, pad(e.data.length));
  }
  return Buffer.concat(parts);
}

/** Trims each loader line's verifier log to its last few thousand characters, in the guest (busybox awk). */
const TRIM_AWK = `{
  p = index($0, "\\"log\\":\\"");
  if (p == 0) { print; fflush(); next }
  head = substr($0, 1, p + 6);
  rest = substr($0, p + 7);
  q = index(rest, "\\",\\"libbpf\\":\\"");
  lg = substr(rest, 1, q - 1);
  if (length(lg) > 6000) {
    lg = substr(lg, length(lg) - 6000);
    k = index(lg, "\\\\n");
    lg = k > 0 ? substr(lg, k + 2) : "";
  }
  print head lg substr(rest, q);
  fflush();
}
`;

/**
 * Boots the VM kernel on an initramfs holding busybox, our loader with its
 * libraries, and the objects; the guest loads every program of every object
 * (vmCpus loaders at a time, one serial port each) and powers off. Returns
 * Map host object path -> Map program name -> record, like loadAll.
 */
async function runVm(objects) {
  const dir = join(cache, 'vm');
  mkdirSync(dir, { recursive: true });
  const entries = [];
  const dirs = new Set();
  const addDir = (path) => {
    const parts = path.split('/');
    for (let i = 1; i <= parts.length; i++) {
      const d = parts.slice(0, i).join('/');
      if (d && !dirs.has(d)) dirs.add(d), entries.push({ path: d, mode: 0o40755, data: Buffer.alloc(0) });
    }
  };
  const addFile = (path, data, mode = 0o100755) => {
    addDir(dirname(path));
    entries.push({ path, mode, data });
  };
  for (const d of ['proc', 'sys', 'dev', 'tmp', 'objs']) addDir(d);
  const busybox = ['/bin/busybox', '/usr/bin/busybox'].find((b) => existsSync(b));
  if (!busybox) throw new Error('no busybox (apt-get install busybox-static)');
  addFile('bin/busybox', readFileSync(busybox));
  const loader = join(cache, 'loader');
  addFile('loader', readFileSync(loader));
  // The loader's shared libraries, where the dynamic linker will look for them.
  const ldd = spawnSync('ldd', [loader], { encoding: 'utf8' }).stdout;
  for (const m of ldd.matchAll(/(\S+) => (\S+) \(|^\s*(\/\S+) \(/gm)) {
    const path = m[2] ?? m[3];
    addFile(path.replace(/^\//, ''), readFileSync(path));
  }
  const guestName = new Map();
  objects.forEach((o, i) => {
    const name = `/objs/${String(i).padStart(4, '0')}.o`;
    guestName.set(name, o);
    addFile(name.slice(1), readFileSync(o), 0o100644);
  });
  addFile('trim.awk', Buffer.from(TRIM_AWK), 0o100644);
  const workers = Array.from({ length: options.vmCpus }, (_, n) => `worker ${n} /dev/ttyS${n + 1} &`).join('\n');
  addFile('init', Buffer.from(`#!/bin/busybox sh
/bin/busybox --install -s /bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mkdir -p /sys/fs/bpf && mount -t bpf bpf /sys/fs/bpf
echo "VMKERNEL $(uname -r)"
worker() {
  i=0
  for o in /objs/*.o; do
    if [ $((i % ${options.vmCpus})) -eq $1 ]; then /loader "$o" | awk -f /trim.awk; fi
    i=$((i + 1))
  done > $2
}
${workers}
wait
echo VMDONE
poweroff -f
`));
  const initrd = join(dir, 'initrd.cpio.gz');
  writeFileSync(initrd, gzipSync(cpio(entries), { level: 1 }));
  const outs = Array.from({ length: options.vmCpus }, (_, n) => join(dir, `serial${n + 1}.jsonl`));
  for (const o of outs) rmSync(o, { force: true });
  const args = [
    '-kernel', options.vmKernel, '-initrd', initrd,
    '-m', String(options.vmMemory), '-smp', String(options.vmCpus),
    '-accel', 'tcg,thread=multi', '-cpu', 'max',
    '-display', 'none', '-monitor', 'none', '-no-reboot',
    '-append', 'console=ttyS0 quiet loglevel=3 panic=-1 rdinit=/init',
    '-serial', 'stdio', ...outs.flatMap((o) => ['-serial', `file:${o}`]),
  ];
  const started = performance.now();
  const child = spawn('qemu-system-x86_64', args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let console_ = '';
  child.stdout.on('data', (d) => (console_ += d));
  child.stderr.on('data', (d) => (console_ += d));
  const limit = setTimeout(() => child.kill('SIGKILL'), (120 + objects.length * options.batch * 2) * 1000);
  await new Promise((r) => child.on('close', r));
  clearTimeout(limit);
  const booted = /VMKERNEL (\S+)/.exec(console_);
  if (!booted) throw new Error(`the VM did not boot:\n${console_.slice(-3000)}`);
  KERNEL = booted[1];
  if (!console_.includes('VMDONE')) console.log(`   the VM stopped before it was done:\n${console_.slice(-1500)}`);
  console.log(`   VM ${KERNEL}: ${objects.length} object file(s) in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  const byGuest = parseLoaderOutput(outs.filter((o) => existsSync(o)).map((o) => readFileSync(o, 'utf8')).join('\n'));
  return new Map([...byGuest].map(([g, records]) => [guestName.get(g), records]));
}

// ---- judging ---------------------------------------------------------------------------

let RULES = [];

/** Which rule codes the kernel's error names, by the catalog's verifier messages. */
function kernelCodes(record) {
  if (record.verdict !== 'rejected') return [];
  const text = [...record.error, record.reason].join('\n');
  return RULES.filter((r) => r.verifierMessages.some((msg) => text.includes(msg))).map((r) => r.code);
}

/** The catalog message the kernel's error contains first (by catalog order), as a class name. */
function kernelMessage(record) {
  if (record.verdict !== 'rejected') return record.verdict;
  const text = [...record.error, record.reason].join('\n');
  for (const r of RULES) for (const msg of r.verifierMessages) if (text.includes(msg)) return msg;
  return 'other';
}

/** The kernel's error with numbers and names that vary taken out, to tell kinds of errors apart. */
function normalisedError(record) {
  return (record.error.length ? record.error : [record.reason])
    .join(' | ')
    .replace(/\b(id|alloc_insn|ref_obj_id|off|imm|insn|size|R\d+)=\S+/g, '$1=N')
    .replace(/fz\d+\w*/g, 'PROG')
    .replace(/\d+/g, 'N')
    .slice(0, 200);
}

function classify(engineVerdict, record) {
  if (record.verdict === 'not-checkable') return 'not-checkable';
  const e = engineVerdict.codes;
  if (record.verdict === 'loaded') return e.length ? 'false-positive' : 'agree';
  const k = kernelCodes(record);
  if (!k.length) return 'outside';
  if (!e.length) return 'false-negative';
  return e.some((c) => k.includes(c)) ? 'agree' : 'wrong-code';
}

/** What must stay the same while a disagreement is minimised. */
function signature(cls, engineVerdict, record) {
  const kernel = record.verdict === 'rejected' ? (cls === 'outside' ? normalisedError(record) : kernelCodes(record).join(',')) : record.verdict;
  const gaveUp = engineVerdict.problem ? ` (gave up: ${engineVerdict.problem.replace(/\d+/g, 'N')})` : '';
  // For engine reports, what it said (names taken out) tells causes apart better than the code alone.
  const said = cls === 'false-positive' || cls === 'wrong-code' ? ` "${engineGist(engineVerdict)}"` : '';
  return `${cls} | engine: ${engineVerdict.codes.join(',') || 'nothing'}${said}${gaveUp} | kernel: ${kernel}`;
}

/** The first finding's message without the names in it: what kind of mistake the engine saw. */
function engineGist(engineVerdict) {
  const f = engineVerdict.findings[0];
  if (!f) return '';
  return f.message
    .replace(/`[^`]*`/g, 'X')
    .replace(/\b(the result of|the value returned by) \w+/g, '$1 F')
    .replace(/\(".*$/, '')
    .replace(/\d+/g, 'N')
    .split(/[:;.]/)[0]
    .slice(0, 110);
}

// ---- batches ----------------------------------------------------------------------------

let workDir;
let batchNo = 0;

/** Writes programs to one file; returns { file, text }. */
function writeBatch(programs) {
  const file = join(workDir, `batch-${String(batchNo++).padStart(4, '0')}.bpf.c`);
  const text = renderFile(programs);
  writeFileSync(file, text);
  return { file, text };
}

/**
 * Compiles a batch file. Programs clang compiled to nothing are taken out and
 * the file compiled again; they come back as `owners`. Returns { object, owners } or { error }.
 */
async function buildChunk(chunk, file) {
  let built = await compile(file);
  if (built.error) return { error: `does not compile: ${built.error}` };
  const empty = emptyFunctions(built.object);
  if (!empty.length) return { object: built.object, owners: [] };
  const owners = chunk.filter((p) => empty.some((e) => e === p.name || e.startsWith(`${p.name}_`)));
  writeFileSync(file, renderFile(chunk.filter((p) => !owners.includes(p))));
  built = await compile(file);
  if (built.error) return { error: `does not compile: ${built.error}` };
  return { object: built.object, owners };
}

/**
 * Judges a list of programs: engine and kernel. Returns Map name -> { engine, kernel }.
 * Files are compiled and loaded `jobs` at a time while the engine works on the next one.
 */
async function judgeAll(engine, analyzer, programs, { onBatch } = {}) {
  const results = new Map();
  const chunks = [];
  for (let i = 0; i < programs.length; i += options.batch) chunks.push(programs.slice(i, i + options.batch));
  const inFlight = new Set();
  const broken = [];
  const deferred = [];
  const finish = (chunk, verdicts, file, records, owners) => {
    for (const p of owners) records.set(p.name, { verdict: 'broken', stage: 'build', reason: 'clang compiled it to nothing (undefined behaviour)', error: [] });
    for (const p of chunk) {
      const record = records.get(p.name) ?? { verdict: 'not-checkable', stage: 'missing', reason: 'the loader did not report it', error: [] };
      results.set(p.name, { program: p, engine: verdicts.get(p.name), kernel: record });
    }
    if (!options.keep) for (const f of [file, file.replace(/\.c$/, '.o')]) rmSync(f, { force: true });
    onBatch?.(chunk.length);
  };
  for (const chunk of chunks) {
    const { file, text } = writeBatch(chunk);
    const kernelJob = (async () => {
      const built = await buildChunk(chunk, file);
      if (built.error || options.vmKernel) return built;
      const loaded = await loadAll(built.object);
      return loaded.error ? { error: `loader: ${loaded.error}` } : { ...built, records: loaded.records };
    })();
    const verdicts = engineVerdicts(engine, analyzer, file, text, chunk.map((p) => p.name));
    const job = kernelJob.then((k) => {
      // One broken program spoils its file: its programs are judged again below, in halves.
      if (k.error) broken.push({ chunk, verdicts, error: k.error, file });
      else if (options.vmKernel) deferred.push({ chunk, verdicts, file, ...k });
      else finish(chunk, verdicts, file, k.records, k.owners);
    });
    inFlight.add(job);
    job.then(() => inFlight.delete(job));
    if (inFlight.size >= options.jobs) await Promise.race(inFlight);
  }
  await Promise.all([...inFlight]);
  if (deferred.length) {
    const byObject = await runVm(deferred.map((d) => d.object));
    for (const d of deferred) finish(d.chunk, d.verdicts, d.file, byObject.get(d.object) ?? new Map(), d.owners);
  }
  for (const b of broken) {
    if (b.chunk.length === 1) {
      const p = b.chunk[0];
      results.set(p.name, { program: p, engine: b.verdicts.get(p.name), kernel: { verdict: 'broken', stage: 'build', reason: b.error.split('\n').slice(0, 6).join('\n'), error: [] } });
      onBatch?.(1);
      continue;
    }
    // Halves until the broken program is alone.
    if (!options.quietBisect) console.log(`   ${relative(root, b.file)}: ${b.error.split('\n').find((l) => / error: /.test(l)) ?? b.error.split('\n')[0]}; bisecting`);
    const saved = options.batch;
    options.batch = Math.ceil(b.chunk.length / 2);
    const split = await judgeAll(engine, analyzer, b.chunk, { onBatch });
    options.batch = saved;
    for (const [k, v] of split) results.set(k, v);
  }
  return results;
}

// ---- minimising ---------------------------------------------------------------------------

/**
 * Minimises several disagreements at once. Each round, every program still
 * shrinking offers its next slice of candidates (smallest first: the biggest
 * cuts are tried first), all in the same batch files; a program takes its
 * smallest candidate that shows the same disagreement and starts over from
 * it, or offers its next slice when none did, and is done when it has none
 * left.
 */
const SLICE = 48;

async function shrinkAll(engine, analyzer, items) {
  const active = items.map((it) => ({ ...it, current: it.program, rounds: 0, tried: 0, queue: null }));
  let round = 0;
  while (active.some((a) => !a.done)) {
    round++;
    const pending = [];
    const owners = new Map();
    for (const a of active.filter((x) => !x.done)) {
      if (!a.queue) a.queue = candidates(a.current).map((c) => ({ c, size: size(c) })).sort((x, y) => x.size - y.size);
      const slice = a.queue.splice(0, SLICE);
      if (!slice.length) {
        a.done = true;
        continue;
      }
      slice.forEach(({ c }, i) => {
        const name = `${a.program.name}s${round}c${i}`;
        owners.set(name, { a, candidate: c });
        pending.push(renameProgram(c, name));
      });
      a.tried += slice.length;
    }
    if (!pending.length) break;
    const judged = await judgeAll(engine, analyzer, pending);
    const best = new Map();
    for (const [name, r] of judged) {
      const { a, candidate } = owners.get(name);
      if (!r.engine || r.kernel.verdict === 'broken') continue;
      const cls = classify(r.engine, r.kernel);
      if (signature(cls, r.engine, r.kernel) !== a.signature) continue;
      const s = size(candidate);
      if (!best.has(a) || s < best.get(a).size) best.set(a, { size: s, candidate, result: r });
    }
    for (const [a, b] of best) {
      a.current = b.candidate;
      a.result = b.result;
      a.queue = null;
      a.rounds++;
    }
    process.stdout.write(`   shrinking: round ${round}, ${pending.length} candidates, ${active.filter((x) => !x.done).length} still shrinking\n`);
  }
  return active;
}

// ---- fixtures -----------------------------------------------------------------------------------

/** When the kernel's message names several rules, the one a fixture expects: the most specific first. */
const CODE_PREFERENCE = ['kptr-leak', 'kptr-maybe-null', 'kptr-use-after-release', 'kptr-release-unowned', 'kptr-direct-store', 'kptr-type-mismatch', 'kptr-bad-xchg-target', 'kptr-rcu', 'kptr-untrusted-arg', 'kptr-prog-type', 'kptr-kernel-version', 'kptr-xchg-discarded', 'kptr-bad-field'];

/** The rule code each kind of injected mistake belongs to (generator.mjs BUG_KINDS). */
const INTENT_CODE = {
  leak: 'kptr-leak',
  null: 'kptr-maybe-null',
  'use-after-release': 'kptr-use-after-release',
  unowned: 'kptr-release-unowned',
  'direct-store': 'kptr-direct-store',
  'xchg-discarded': 'kptr-xchg-discarded',
  'type-mismatch': 'kptr-type-mismatch',
  rcu: 'kptr-rcu',
  untrusted: 'kptr-untrusted-arg',
};

/**
 * The `// expect:` a kernel verdict stands for: ok, or the rule code of its
 * message. When the message belongs to several rules ("invalid mem access
 * 'scalar'" is a NULL pointer or a released one), the mistake the generator
 * injected decides, if it is one of them; else CODE_PREFERENCE.
 */
function expectationOf(record, intent) {
  if (record.verdict === 'loaded') return { expect: 'ok', message: null };
  const codes = kernelCodes(record);
  const code = (codes.includes(INTENT_CODE[intent]) && INTENT_CODE[intent]) || CODE_PREFERENCE.find((c) => codes.includes(c));
  if (!code) return { expect: null, message: null };
  const text = [...record.error, record.reason].join('\n');
  const rule = RULES.find((r) => r.code === code);
  const message = rule.verifierMessages.find((msg) => text.includes(msg));
  return { expect: code, message };
}

function writeFixture(item, seed) {
  const { result, current, cls } = item;
  const program = renameProgram(current, `fz${item.program.index}`);
  const { expect, message } = expectationOf(result.kernel, item.program.intent);
  const slug = cls === 'false-positive' ? result.engine.codes.join('+') : cls === 'outside' ? 'not-ownership' : expect;
  const name = `${cls}-${slug}-s${seed}-${item.program.index}.bpf.c`;
  const engineSaid = result.engine.codes.length ? result.engine.findings.map((f) => `${f.code}: ${f.message}`) : ['nothing'];
  const kernelSaid = result.kernel.verdict === 'loaded' ? ['loaded'] : ['rejected:', ...result.kernel.error.map((l) => `  ${l}`)];
  const preamble = [
    '/*',
    ` * Found by scripts/verifier/fuzz.mjs (seed ${seed}, program ${item.program.index}, generated as ${item.program.intent}),`,
    ` * minimised; ${cls.replace('-', ' ')} of bpf-kptr on Linux ${KERNEL}.`,
    ' *',
    ' * bpf-kptr reported:',
    ...engineSaid.map((l) => ` *   ${l.replace(/\*\//g, '* /')}`),
    ' * The kernel verifier:',
    ...kernelSaid.map((l) => ` *   ${l.replace(/\*\//g, '* /')}`),
    ...(cls === 'wrong-code'
      ? [' *', ' * The verifier stops at its first error, so `expect:` names only that one; if what bpf-kptr', ' * reported is a real mistake on another path too, add its code.']
      : []),
    ' */',
  ];
  // wrong-code: the verifier stops at its first error, so only that one is certain; what the engine
  // reported besides may be a later, real mistake or a false alarm: the comment says what it was.
  const codes = [expect];
  // outside: no rule of ours names the kernel's error, so there is nothing to expect (run.mjs skips it).
  const comments = cls === 'outside' ? [`not an ownership error: ${result.kernel.error.join(' | ') || result.kernel.reason}`] : [`expect: ${codes.join(', ')}`, ...(message ? [`verifier: "${message.replace(/"/g, '\\"')}"`] : []), `kernel: >=${ENGINE_KERNEL.major}.${ENGINE_KERNEL.minor}, <${ENGINE_KERNEL.major}.${ENGINE_KERNEL.minor + 1}`];
  const text = renderFile([program], { minimal: true, preamble, commentsFor: () => comments });
  mkdirSync(FIXTURE_DIR, { recursive: true });
  writeFileSync(join(FIXTURE_DIR, HEADER_NAME), headerText());
  writeFileSync(join(FIXTURE_DIR, name), text);
  return relative(root, join(FIXTURE_DIR, name));
}

// ---- main ---------------------------------------------------------------------------------------

async function main() {
  if (options.setup) {
    const setup = spawnSync('sh', [join(root, 'scripts', 'verifier', 'setup.sh')], { stdio: 'inherit' });
    if (setup.status !== 0) process.exit(setup.status || 1);
  }
  const engine = loadEngine();
  RULES = engine.rules;
  const analyzer = await engine.Analyzer.create();
  workDir = join(cache, 'fuzz', `seed-${options.seed}`);
  rmSync(workDir, { recursive: true, force: true });
  mkdirSync(workDir, { recursive: true });
  writeFileSync(join(workDir, HEADER_NAME), headerText());

  const indexes = options.only ?? Array.from({ length: options.count }, (_, i) => i);
  console.log(`kernel ${KERNEL}, seed ${options.seed}, ${indexes.length} programs, ${options.batch} per object file, ${options.jobs} at a time (${cpus().length} CPUs)`);
  const started = performance.now();
  const cpuStarted = cpuSeconds();
  const programs = indexes.map((i) => generateProgram(options.seed, i));
  let judgedCount = 0;
  let lastPrint = 0;
  const results = await judgeAll(engine, analyzer, programs, {
    onBatch: (n) => {
      judgedCount += n;
      const now = performance.now();
      if (now - lastPrint > 5000 || judgedCount === programs.length) {
        lastPrint = now;
        const secs = (now - started) / 1000;
        console.log(`   ${judgedCount}/${programs.length} judged, ${secs.toFixed(0)} s, ${(judgedCount / secs).toFixed(1)} programs/s`);
      }
    },
  });
  const judgeSeconds = (performance.now() - started) / 1000;
  const judgeCpu = cpuSeconds() - cpuStarted;

  // ---- tallies
  const rows = programs.map((p) => {
    const r = results.get(p.name);
    const cls = r.kernel.verdict === 'broken' ? 'broken' : classify(r.engine, r.kernel);
    return { program: p, ...r, cls };
  });
  const count = (f) => rows.filter(f).length;
  const classes = ['agree', 'false-positive', 'false-negative', 'wrong-code', 'outside', 'not-checkable', 'broken'];
  const tally = Object.fromEntries(classes.map((c) => [c, count((r) => r.cls === c)]));
  const judged = rows.length - tally['not-checkable'] - tally.broken;
  const rate = (a, n) => (n ? `${((100 * a) / n).toFixed(1)}%` : '-');

  // Per kernel verdict class (loaded, or the catalog message the error contains).
  const byKernel = new Map();
  for (const r of rows.filter((x) => x.cls !== 'not-checkable' && x.cls !== 'broken')) {
    const k = kernelMessage(r.kernel);
    const e = byKernel.get(k) ?? { total: 0, agree: 0 };
    e.total++;
    if (r.cls === 'agree') e.agree++;
    byKernel.set(k, e);
  }
  // Per engine rule: how often its reports were confirmed, how often the kernel's errors of that rule were caught.
  const byRule = new Map();
  const ruleEntry = (c) => byRule.get(c) ?? byRule.set(c, { reported: 0, confirmed: 0, kernel: 0, caught: 0 }).get(c);
  for (const r of rows.filter((x) => x.cls !== 'not-checkable' && x.cls !== 'broken')) {
    const k = kernelCodes(r.kernel);
    for (const c of r.engine.codes) {
      const e = ruleEntry(c);
      e.reported++;
      if (k.includes(c)) e.confirmed++;
    }
    const primary = r.kernel.verdict === 'rejected' ? expectationOf(r.kernel, r.program.intent).expect : null;
    if (primary) {
      const e = ruleEntry(primary);
      e.kernel++;
      if (r.engine.codes.some((c) => k.includes(c))) e.caught++;
    }
  }
  const byIntent = new Map();
  for (const r of rows.filter((x) => x.cls !== 'not-checkable' && x.cls !== 'broken')) {
    const e = byIntent.get(r.program.intent) ?? { total: 0, loaded: 0, agree: 0 };
    e.total++;
    if (r.kernel.verdict === 'loaded') e.loaded++;
    if (r.cls === 'agree') e.agree++;
    byIntent.set(r.program.intent, e);
  }

  console.log(`\nkernel ${KERNEL}: ${judged} programs judged in ${judgeSeconds.toFixed(1)} s (${(rows.length / judgeSeconds).toFixed(1)} programs/s)`);
  console.log(`  CPU: ${judgeCpu.toFixed(1)} s in all (engine, clang, loader, kernel verifier), ${((1000 * judgeCpu) / rows.length).toFixed(1)} ms per program`);
  console.log(`agreement: ${tally.agree}/${judged} = ${rate(tally.agree, judged)}`);
  console.log(`  ${classes.map((c) => `${c} ${tally[c]}`).join(', ')}`);
  const loaded = count((r) => r.kernel.verdict === 'loaded');
  console.log(`  the kernel loaded ${loaded} (${rate(loaded, judged)}) and rejected ${count((r) => r.kernel.verdict === 'rejected')}`);
  console.log('\nby the kernel\'s verdict              programs  agree');
  for (const [k, e] of [...byKernel].sort((a, b) => b[1].total - a[1].total)) {
    console.log(`  ${(k === 'loaded' ? 'loaded' : `rejected: "${k}"`).padEnd(36)} ${String(e.total).padStart(7)}  ${rate(e.agree, e.total)}`);
  }
  console.log('\nby rule          engine reported  confirmed   kernel rejected  engine caught');
  for (const [c, e] of [...byRule].sort()) {
    console.log(`  ${c.padEnd(24)} ${String(e.reported).padStart(6)}  ${rate(e.confirmed, e.reported).padStart(7)}   ${String(e.kernel).padStart(8)}  ${rate(e.caught, e.kernel).padStart(7)}`);
  }
  console.log('\nby generated intent   programs  loaded  agree');
  for (const [k, e] of [...byIntent].sort()) console.log(`  ${k.padEnd(20)} ${String(e.total).padStart(7)}  ${rate(e.loaded, e.total).padStart(6)}  ${rate(e.agree, e.total)}`);

  // ---- disagreements
  const disagreements = rows.filter((r) => !['agree', 'not-checkable'].includes(r.cls));
  const kinds = new Map();
  for (const r of disagreements) {
    r.signature = r.cls === 'broken' ? `broken | ${r.kernel.reason.split('\n')[0].slice(0, 120)}` : signature(r.cls, r.engine, r.kernel);
    if (!kinds.has(r.signature)) kinds.set(r.signature, []);
    kinds.get(r.signature).push(r);
  }
  console.log(`\n${disagreements.length} disagreement(s) of ${kinds.size} kind(s):`);
  for (const [sig, list] of [...kinds].sort((a, b) => b[1].length - a[1].length)) {
    console.log(`  ${String(list.length).padStart(5)}  ${sig}   e.g. program ${list.slice(0, 3).map((r) => r.program.index).join(', ')}`);
  }

  let shrunk = [];
  const fixtures = [];
  const shrinkStarted = performance.now();
  if (options.shrink && disagreements.length) {
    const chosen = [];
    for (const [, list] of kinds) {
      if (list[0].cls === 'broken') continue;
      chosen.push(...list.slice(0, options.shrinkMax));
    }
    console.log(`\nminimising ${chosen.length} disagreement(s)`);
    shrunk = await shrinkAll(
      engine,
      analyzer,
      chosen.map((r) => ({ program: r.program, signature: r.signature, cls: r.cls, result: { engine: r.engine, kernel: r.kernel } })),
    );
    const seenText = new Set();
    for (const s of shrunk) {
      s.text = renderProgram(renameProgram(s.current, 'fz'));
      s.hash = createHash('sha1').update(s.signature + s.text).digest('hex').slice(0, 8);
      if (seenText.has(s.text)) {
        s.duplicate = true;
        continue;
      }
      seenText.add(s.text);
      if (options.fixtures) fixtures.push(writeFixture(s, options.seed));
    }
    console.log(`minimised in ${((performance.now() - shrinkStarted) / 1000).toFixed(1)} s`);
    for (const f of fixtures) console.log(`  ${f}`);
  }

  const report = {
    kernel: KERNEL,
    date: new Date().toISOString(),
    toolchain: {
      clang: (spawnSync(CLANG, ['--version'], { encoding: 'utf8' }).stdout || '').split('\n')[0],
      libbpf: spawnSync('dpkg-query', ['-W', '-f=${Version}', 'libbpf-dev'], { encoding: 'utf8' }).stdout || null,
    },
    command: `npm run fuzz:verifier -- --count ${options.count} --seed ${options.seed}${options.vmKernel ? ` --vm-kernel ${options.vmKernel}` : ''}`,
    engine: {
      commit: spawnSync('git', ['rev-parse', 'HEAD'], { cwd: root, encoding: 'utf8' }).stdout.trim() || null,
      serverChangesNotCommitted: spawnSync('git', ['status', '--porcelain', 'server'], { cwd: root, encoding: 'utf8' }).stdout.trim().split('\n').filter(Boolean),
      kernelVersion: `${ENGINE_KERNEL.major}.${ENGINE_KERNEL.minor}`,
    },
    seed: options.seed,
    count: rows.length,
    batch: options.batch,
    jobs: options.jobs,
    seconds: { judging: Number(judgeSeconds.toFixed(1)), minimising: Number(((performance.now() - shrinkStarted) / 1000).toFixed(1)) },
    programsPerSecond: Number((rows.length / judgeSeconds).toFixed(1)),
    cpuSeconds: Number(judgeCpu.toFixed(1)),
    cpuMsPerProgram: Number(((1000 * judgeCpu) / rows.length).toFixed(1)),
    loadAverage: readFileSync('/proc/loadavg', 'utf8').trim(),
    agreement: { agree: tally.agree, judged, rate: judged ? tally.agree / judged : null },
    classes: tally,
    kernelLoaded: loaded,
    byKernelVerdict: Object.fromEntries(byKernel),
    byRule: Object.fromEntries(byRule),
    byIntent: Object.fromEntries(byIntent),
    disagreementKinds: [...kinds].map(([sig, list]) => ({ signature: sig, count: list.length, programs: list.map((r) => r.program.index) })),
    disagreements: disagreements.map((r) => ({
      index: r.program.index,
      intent: r.program.intent,
      features: r.program.features,
      class: r.cls,
      signature: r.signature,
      engine: r.engine?.findings ?? [],
      kernel: { verdict: r.kernel.verdict, reason: r.kernel.reason, error: r.kernel.error },
    })),
    programs: rows.map((r) => ({
      index: r.program.index,
      intent: r.program.intent,
      type: r.program.sleepable ? 'syscall' : 'tp_btf',
      class: r.cls,
      engine: r.engine?.codes ?? [],
      kernel: r.kernel.verdict === 'rejected' ? r.kernel.error.join(' | ') || r.kernel.reason : r.kernel.verdict,
      features: r.program.features,
    })),
    minimised: shrunk.map((s) => ({ index: s.program.index, signature: s.signature, rounds: s.rounds, candidates: s.tried, duplicate: !!s.duplicate, text: s.text, kernelError: s.result.kernel.error, engine: s.result.engine.findings })),
    fixtures,
  };
  mkdirSync(cache, { recursive: true });
  const vmTag = options.vmKernel ? `-vm${ENGINE_KERNEL.major}.${ENGINE_KERNEL.minor}` : '';
  const reportPath = join(cache, options.only ? `fuzz-report-only${vmTag}.json` : `fuzz-report-seed${options.seed}-n${options.count}${vmTag}.json`);
  writeFileSync(reportPath, JSON.stringify(report, null, 2) + '\n');
  // fuzz-report.json is always the latest full run on this machine's kernel.
  if (!options.only && !options.vmKernel) writeFileSync(join(cache, 'fuzz-report.json'), JSON.stringify(report, null, 2) + '\n');
  console.log(`\nreport: ${relative(process.cwd(), reportPath) || reportPath}`);
  if (!options.keep) rmSync(workDir, { recursive: true, force: true });
  analyzer.dispose();
  process.exit(judged ? 0 : 1);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
