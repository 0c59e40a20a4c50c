// Runs the real bpf-kptr-lint (bin/bpf-kptr-lint.js, which loads dist/lint.js) as a child
// process, the way a shell or a CI job does, and builds throwaway projects for it to check.
import { spawn, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import type { Diagnostic } from 'vscode-languageserver-types';

export const REPO_ROOT = path.resolve(__dirname, '..', '..', '..');
export const LINT = path.join(REPO_ROOT, 'bin', 'bpf-kptr-lint.js');
export const BUNDLE = path.join(REPO_ROOT, 'dist', 'lint.js');
/** test/cli/fixtures in the source tree (fixtures are not compiled, so never under out/). */
export const CLI_FIXTURES = path.join(REPO_ROOT, 'test', 'cli', 'fixtures');
export const RULES_DIR = path.join(REPO_ROOT, 'docs', 'rules');

export interface Run {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  cwd?: string;
  /** Added to (or, when undefined, removed from) the child's environment. */
  env?: Record<string, string | undefined>;
  uid?: number;
  gid?: number;
}

/** Variables that change the output; the tests set them explicitly when they mean to. */
const OUTPUT_VARIABLES = ['NO_COLOR', 'FORCE_COLOR', 'CLICOLOR_FORCE', 'BPF_KPTR_RULE_BASE_URL'];

export function childEnv(extra: Record<string, string | undefined> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const name of OUTPUT_VARIABLES) delete env[name];
  for (const [name, value] of Object.entries(extra)) {
    if (value === undefined) delete env[name];
    else env[name] = value;
  }
  return env;
}

let bundleChecked = false;

function newestMtime(dir: string): number {
  let newest = 0;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(full) : fs.statSync(full).mtimeMs);
  }
  return newest;
}

/** The tests run the bundle; a missing or stale one would test something else than the source. */
export function assertBuilt(): void {
  if (bundleChecked) return;
  if (!fs.existsSync(BUNDLE)) throw new Error(`${BUNDLE} is missing: run \`node scripts/build.mjs\` (npm test does) before the CLI tests`);
  if (fs.statSync(BUNDLE).mtimeMs < newestMtime(path.join(REPO_ROOT, 'server', 'src'))) {
    throw new Error(`${BUNDLE} is older than server/src: run \`node scripts/build.mjs\` (npm test does) before the CLI tests`);
  }
  bundleChecked = true;
}

function collect(command: string, args: string[], options: RunOptions & { cwd: string }): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      cwd: options.cwd,
      env: childEnv(options.env),
      stdio: ['ignore', 'pipe', 'pipe'],
      uid: options.uid,
      gid: options.gid,
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    const timer = setTimeout(() => child.kill('SIGKILL'), 30000);
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

/** `bpf-kptr-lint ARGS` with stdout and stderr piped (not a terminal), in `cwd` (default: the fixtures). */
export function lint(args: string[], options: RunOptions = {}): Promise<Run> {
  assertBuilt();
  return collect(process.execPath, [LINT, ...args], { ...options, cwd: options.cwd ?? CLI_FIXTURES });
}

/** `bpf-kptr-lint ARGS` bound to one core (taskset), where it checks in a second process whatever the machine. */
export function lintOnOneCore(args: string[], options: RunOptions = {}): Promise<Run> {
  assertBuilt();
  return collect('taskset', ['-c', '0', process.execPath, LINT, ...args], { ...options, cwd: options.cwd ?? CLI_FIXTURES });
}

export interface JsonReport {
  version: number;
  files: Array<{ path: string; diagnostics: Diagnostic[] }>;
}

/** `bpf-kptr-lint --format json ARGS`, parsed; fails with the command's stderr when stdout is not JSON. */
export async function lintJson(args: string[], options: RunOptions = {}): Promise<Run & { report: JsonReport }> {
  const run = await lint(['--format', 'json', ...args], options);
  let report: JsonReport;
  try {
    report = JSON.parse(run.stdout) as JsonReport;
  } catch (error) {
    throw new Error(`stdout of bpf-kptr-lint --format json ${args.join(' ')} is not JSON (${(error as Error).message}); exit ${run.code}; stderr:\n${run.stderr}\nstdout:\n${run.stdout}`);
  }
  return { ...run, report };
}

/** The codes reported for one file of a JSON report, in order. */
export function codesOf(report: JsonReport, file: string): string[] {
  const entry = report.files.find((f) => f.path === file);
  if (!entry) throw new Error(`${file} is not in the report; files: ${report.files.map((f) => f.path).join(', ')}`);
  return entry.diagnostics.map((d) => String(d.code));
}

export function shellQuote(word: string): string {
  return `'${word.replace(/'/g, `'\\''`)}'`;
}

let scriptChecked = false;

/**
 * `bpf-kptr-lint ARGS` on a pseudo-terminal, through script(1) from util-linux: stdout and
 * stderr are both the terminal, so they arrive merged in `stdout` (CRLF turned back into LF).
 * `stdoutTo` redirects only stdout to a file, leaving stderr on the terminal.
 */
export async function lintInTerminal(args: string[], options: RunOptions & { stdoutTo?: string } = {}): Promise<Run> {
  assertBuilt();
  if (!scriptChecked) {
    const probe = spawnSync('script', ['--version'], { encoding: 'utf8' });
    if (probe.status !== 0) throw new Error('script(1) from util-linux is needed to give bpf-kptr-lint a terminal (apt-get install bsdutils)');
    scriptChecked = true;
  }
  let command = [process.execPath, LINT, ...args].map(shellQuote).join(' ');
  if (options.stdoutTo) command += ` > ${shellQuote(options.stdoutTo)}`;
  const run = await collect('script', ['-qec', command, '/dev/null'], { ...options, cwd: options.cwd ?? CLI_FIXTURES, env: { TERM: 'xterm', ...options.env } });
  return { ...run, stdout: run.stdout.replace(/\r\n/g, '\n') };
}

/** SGR (colour and style) escape sequences. */
export const SGR = /\x1b\[[0-9;]*m/;

const temporary: string[] = [];

/** A fresh directory, removed when the test process exits; readable by every user (for the uid tests). */
export function tempDir(label: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `bpf-kptr-cli-${label}-`));
  fs.chmodSync(dir, 0o755);
  temporary.push(dir);
  return dir;
}

function restoreModes(dir: string): void {
  try {
    fs.chmodSync(dir, 0o755);
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) restoreModes(full);
      else if (entry.isFile()) fs.chmodSync(full, 0o644);
    }
  } catch {
    // Best effort: removal below reports nothing either.
  }
}

process.on('exit', () => {
  for (const dir of temporary) {
    restoreModes(dir);
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

/** Writes `files` (relative path → content) under `root`, making directories as needed. */
export function writeTree(root: string, files: Record<string, string | Buffer>): void {
  for (const [relative, content] of Object.entries(files)) {
    const full = path.join(root, relative);
    fs.mkdirSync(path.dirname(full), { recursive: true });
    fs.writeFileSync(full, content);
  }
}

/** The text of a fixture, by its path under test/cli/fixtures. */
export function fixture(relative: string): string {
  return fs.readFileSync(path.join(CLI_FIXTURES, relative), 'utf8');
}

/** A temporary copy of the fixtures (include/, include-plain/, src/), plus `extra` files. */
export function fixtureProject(label: string, extra: Record<string, string | Buffer> = {}): string {
  const root = tempDir(label);
  fs.cpSync(CLI_FIXTURES, root, { recursive: true });
  writeTree(root, extra);
  return root;
}

/** 0-based line of the first line of `text` containing `needle`. */
export function lineOf(text: string, needle: string, occurrence = 1): number {
  const lines = text.split('\n');
  let seen = 0;
  for (let i = 0; i < lines.length; i++) {
    if (lines[i].includes(needle) && ++seen === occurrence) return i;
  }
  throw new Error(`"${needle}" (occurrence ${occurrence}) is not in the text`);
}

function everyoneCanRun(file: string): boolean {
  let current = fs.realpathSync(file);
  if ((fs.statSync(current).mode & 0o005) !== 0o005) return false;
  while (path.dirname(current) !== current) {
    current = path.dirname(current);
    if ((fs.statSync(current).mode & 0o001) === 0) return false;
  }
  return true;
}

let sharedInstall: { node: string; lint: string } | undefined;

/** The built command (bin/, dist/ and the rule pages) copied where any user can run it. */
function installForEveryone(): { node: string; lint: string } {
  if (sharedInstall) return sharedInstall;
  const root = tempDir('install');
  fs.mkdirSync(path.join(root, 'bin'));
  fs.copyFileSync(LINT, path.join(root, 'bin', 'bpf-kptr-lint.js'));
  fs.mkdirSync(path.join(root, 'dist'));
  for (const file of fs.readdirSync(path.dirname(BUNDLE))) {
    if (file === 'lint.js' || file === 'relaunch.js' || file.endsWith('.wasm')) fs.copyFileSync(path.join(path.dirname(BUNDLE), file), path.join(root, 'dist', file));
  }
  fs.cpSync(RULES_DIR, path.join(root, 'docs', 'rules'), { recursive: true });
  let node = process.execPath;
  if (!everyoneCanRun(node)) {
    node = path.join(root, 'node');
    fs.copyFileSync(process.execPath, node);
    fs.chmodSync(node, 0o755);
  }
  sharedInstall = { node, lint: path.join(root, 'bin', 'bpf-kptr-lint.js') };
  return sharedInstall;
}

/**
 * `bpf-kptr-lint ARGS` as a user that file permissions apply to: as is when the tests do not
 * run as root; as nobody (65534) otherwise, from a copy of the built command that nobody can read.
 */
export function lintUnprivileged(args: string[], options: RunOptions = {}): Promise<Run> {
  if (!process.getuid || process.getuid() !== 0) return lint(args, options);
  assertBuilt();
  const install = installForEveryone();
  return collect(install.node, [install.lint, ...args], { ...options, cwd: options.cwd ?? CLI_FIXTURES, uid: 65534, gid: 65534 });
}
