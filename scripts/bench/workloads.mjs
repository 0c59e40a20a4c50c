// The benchmark's workloads: the repository's examples, generated files and directories, and any
// directory given on the command line, each with the include directories both servers see and
// the compile flags clangd gets.
import { execFileSync } from 'child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, realpathSync, statSync, writeFileSync } from 'fs';
import { basename, dirname, join, relative, resolve } from 'path';
import { writeDirectory, writeFile } from './generate.mjs';
import { REPO_ROOT, SCRATCH } from './paths.mjs';

const SKIP_DIRS = new Set(['.git', 'node_modules', 'target', 'build', 'out', 'dist']);

export function countLines(file) {
  const text = readFileSync(file, 'utf8');
  let n = 0;
  for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) n++;
  return text.length > 0 && !text.endsWith('\n') ? n + 1 : n;
}

/** Calls `visit(entry, fullPath, level)` for every entry below `root`; unreadable directories are skipped. */
function walkTree(root, visit) {
  const walk = (d, level) => {
    let entries;
    try {
      entries = readdirSync(d, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) visit(e, join(d, e.name), level, () => walk(join(d, e.name), level + 1));
  };
  walk(root, 0);
}

/** Files under `dir` whose name matches `pattern`, sorted, skipping build and VCS directories. */
export function listFiles(dir, pattern, depth = 12) {
  const out = [];
  walkTree(dir, (e, full, level, descend) => {
    if (e.isDirectory()) {
      if (!SKIP_DIRS.has(e.name) && level < depth) descend();
    } else if (pattern.test(e.name)) out.push(full);
  });
  return out.sort();
}

/**
 * A vmlinux.h for clangd: the directory's own when it has one (an x86 one preferred, as the
 * scx repository ships per architecture), else one dumped from this kernel's BTF with bpftool
 * into the scratch directory. Returns { dir, file, origin } or undefined with a reason.
 */
export function vmlinuxFor(root) {
  if (root) {
    const found = listFiles(root, /^vmlinux\.h$/).filter((f) => {
      try {
        return statSync(f).size > 100000;
      } catch {
        return false;
      }
    });
    const pick = found.find((f) => /\/x86(_64)?\//.test(f)) ?? found.find((f) => !/\/arch\//.test(f)) ?? found[0];
    if (pick) return { dir: dirname(pick), file: pick, origin: `the directory's own (${relative(root, pick)} -> ${basename(realpathSync(pick))})` };
  }
  const dir = join(SCRATCH, 'vmlinux');
  const file = join(dir, 'vmlinux.h');
  if (!existsSync(file) || statSync(file).size === 0) {
    mkdirSync(dir, { recursive: true });
    try {
      const text = execFileSync('bpftool', ['btf', 'dump', 'file', '/sys/kernel/btf/vmlinux', 'format', 'c'], { maxBuffer: 1 << 30 });
      writeFileSync(file, text);
    } catch (error) {
      return { dir, file: undefined, origin: `none: bpftool btf dump failed (${String(error.message).split('\n')[0]})` };
    }
  }
  return { dir, file, origin: 'bpftool btf dump file /sys/kernel/btf/vmlinux format c' };
}

/** Include directories a BPF project keeps: every `include` directory, its `lib` and `bpf-compat`. */
function detectIncludeDirs(root) {
  const out = [];
  walkTree(root, (e, full, level, descend) => {
    if (!e.isDirectory() || SKIP_DIRS.has(e.name)) return;
    if (e.name === 'include') {
      out.push(full);
      // sched_ext's layout: <scx/...> from include/, <alloc/...> from include/lib, compat headers
      for (const sub of ['lib', 'bpf-compat']) if (existsSync(join(full, sub))) out.push(join(full, sub));
    } else if (level < 6) descend();
  });
  return out;
}

const MULTIARCH = ['/usr/include/x86_64-linux-gnu', '/usr/include/aarch64-linux-gnu'].filter((d) => existsSync(d));

/** The compiler flags clangd gets for a workload: BPF target, arch, include directories. */
export function clangFlags(includeDirs, vmlinux, extra = []) {
  const flags = ['-xc', '-target', 'bpf', '-D__TARGET_ARCH_x86'];
  if (vmlinux?.dir) flags.push(`-I${vmlinux.dir}`);
  for (const d of includeDirs) flags.push(`-I${d}`);
  // What BPF builds add for the host's glibc headers (scx, libbpf-bootstrap): searched last.
  for (const d of MULTIARCH) flags.push('-idirafter', d);
  flags.push(...extra);
  return flags;
}

/**
 * How clangd is told the flags. A generated directory gets a compile_flags.txt beside its files;
 * a directory that is not ours (the examples, a user's project) is left untouched: its own
 * compile_commands.json or compile_flags.txt is used when it has one, else a
 * compile_commands.json written into the scratch directory and passed with
 * --compile-commands-dir.
 */
function clangdSetup(id, root, files, flags, { owned }) {
  if (owned) {
    writeFileSync(join(root, 'compile_flags.txt'), flags.join('\n') + '\n');
    return { args: [], how: `compile_flags.txt in ${root}` };
  }
  for (let d = root; ; d = dirname(d)) {
    for (const name of ['compile_commands.json', 'compile_flags.txt']) {
      if (existsSync(join(d, name))) return { args: [], how: `the project's own ${join(d, name)}` };
    }
    if (dirname(d) === d || d === REPO_ROOT) break;
  }
  const dbDir = join(SCRATCH, 'clangd-db', id.replace(/[^\w.-]+/g, '_'));
  mkdirSync(dbDir, { recursive: true });
  const entries = files.map((file) => ({ directory: dirname(file), file, arguments: ['clang', ...flags, '-c', file] }));
  writeFileSync(join(dbDir, 'compile_commands.json'), JSON.stringify(entries, null, 1));
  return { args: [`--compile-commands-dir=${dbDir}`], how: `compile_commands.json in ${dbDir} (same flags)` };
}

let clangdWanted = true;

/** Whether the workloads made from now on prepare clangd (vmlinux.h, compile flags); run.mjs turns it off without clangd. */
export function prepareForClangd(on) {
  clangdWanted = on;
}

function workload({ id, label, root, files, focus, includeDirs = [], owned = false, extraFlags = [], directory = true }) {
  const vmlinux = clangdWanted ? vmlinuxFor(owned ? undefined : root) : { dir: undefined, file: undefined, origin: 'not needed: clangd does not run' };
  const flags = clangdWanted ? clangFlags(includeDirs, vmlinux, extraFlags) : [];
  const clangd = clangdWanted ? clangdSetup(id, root, files, flags, { owned }) : { args: [], how: 'clangd does not run' };
  const lines = new Map(files.map((f) => [f, countLines(f)]));
  for (const g of focus) for (const f of g.files) if (!lines.has(f)) lines.set(f, countLines(f));
  return {
    id,
    label,
    root,
    files,
    focus: focus.map((g) => ({ ...g, lines: g.files.reduce((a, f) => a + lines.get(f), 0) })),
    totalLines: files.reduce((a, f) => a + lines.get(f), 0),
    lines,
    includeDirs,
    vmlinux,
    clangd: { ...clangd, flags },
    directory,
  };
}

export function examplesWorkload() {
  const root = join(REPO_ROOT, 'examples');
  const files = listFiles(root, /\.bpf\.c$/);
  return workload({
    id: 'examples',
    label: 'examples/ (the repository\'s examples)',
    root,
    files,
    focus: [{ label: `examples/*.bpf.c (${files.length} files)`, files }],
  });
}

/** A generated single file of `lines` lines (its own directory, so it can be opened alone). */
export function generatedFileWorkload(lines, seed = 1) {
  const root = join(SCRATCH, 'workloads', `gen-${lines}`);
  const file = writeFile(root, { lines, seed, name: `gen_${lines}.bpf.c` });
  const k = lines >= 1000 ? `${lines / 1000}k` : String(lines);
  return workload({
    id: `gen-${k}`,
    label: `generated file, ${lines} lines (seed ${seed})`,
    root,
    files: [file],
    focus: [{ label: `gen_${lines}.bpf.c`, files: [file] }],
    owned: true,
    directory: false,
  });
}

/** A generated project directory: `files` files, about `total` lines, a shared header. */
export function generatedDirWorkload(files = 150, total = 70000, seed = 1) {
  const root = join(SCRATCH, 'workloads', `gen-dir${files}`);
  const paths = writeDirectory(root, { files, total, seed });
  const bySize = [...paths].sort((a, b) => countLines(b) - countLines(a));
  return workload({
    id: `gen-dir${files}`,
    label: `generated directory, ${files} files (seed ${seed})`,
    root,
    files: paths,
    focus: [{ label: `largest file ${basename(bySize[0])}`, files: [bySize[0]] }],
    owned: true,
  });
}

/**
 * A directory from the command line: every *.bpf.c under it; per-file figures on its largest
 * files (`focusCount`), on one of median size and on the files named in `focus`.
 */
export function directoryWorkload(dir, { includeDirs = [], extraFlags = [], focusCount = 3, focus = [], label } = {}) {
  const root = resolve(dir);
  const files = listFiles(root, /\.bpf\.c$/);
  if (files.length === 0) throw new Error(`${dir}: no *.bpf.c files`);
  const sizes = new Map(files.map((f) => [f, countLines(f)]));
  const bySize = [...files].sort((a, b) => sizes.get(b) - sizes.get(a));
  const focusFiles = bySize.slice(0, focusCount);
  const medianFile = bySize[Math.floor(bySize.length / 2)];
  if (!focusFiles.includes(medianFile)) focusFiles.push(medianFile);
  for (const wanted of focus) {
    const match = files.find((f) => f.endsWith(wanted) || relative(root, f) === wanted);
    if (!match) throw new Error(`--focus ${wanted}: no such *.bpf.c under ${root}`);
    if (!focusFiles.includes(match)) focusFiles.push(match);
  }
  const detected = detectIncludeDirs(root);
  return workload({
    id: `dir:${basename(root)}`,
    label: label ?? `${root} (${files.length} *.bpf.c files)`,
    root,
    files,
    focus: focusFiles.map((f) => ({ label: relative(root, f), files: [f] })),
    includeDirs: [...includeDirs.map((d) => resolve(d)), ...detected],
    extraFlags,
  });
}

/** clangd on the PATH: clangd-19 preferred, then clangd. Returns { command, version } or undefined. */
export function findClangd(explicit) {
  for (const command of explicit ? [explicit] : ['clangd-19', 'clangd']) {
    try {
      const version = execFileSync(command, ['--version'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
      return { command, version: (/clangd version (\S+)/.exec(version)?.[1] ?? version.split('\n')[0]).trim() };
    } catch {
      // not this one
    }
  }
  return undefined;
}
