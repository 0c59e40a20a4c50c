import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { pathToFileURL } from 'url';
import { REPO_ROOT } from '../helpers';

/**
 * Typed access to the fuzzer's modules (scripts/fuzz/*.mjs), which the
 * robustness tests share: the engine host (the analysis library in a child
 * process, with a time limit per input) and the LSP session (the real server
 * over stdio, with a mirror of every document).
 */

export const FUZZ_DIR = path.join(REPO_ROOT, 'scripts', 'fuzz');
export const ROBUSTNESS_FIXTURES = path.join(REPO_ROOT, 'test', 'fixtures', 'robustness');

export interface EngineReply {
  id: number;
  ok: boolean;
  hang?: boolean;
  died?: boolean;
  ms?: number;
  phase?: string;
  error?: { name: string; message: string; stack: string };
  diagnostics?: number;
  codes?: string[];
  /** `code@line` of each diagnostic (0-based LSP lines), sorted. */
  lines?: string[];
  skipped?: string;
  skippedFunctions?: number;
  drift?: { incremental: string[]; fresh: string[] };
  rss?: number;
  heapUsed?: number;
  timings?: Record<string, number>;
}

export interface EngineCheck {
  file: string;
  versions: string[];
  kernel?: string;
  probes?: number;
  /** Hover, completion and signature help inside every identifier (up to 2,000). */
  probeAll?: boolean;
  drift?: boolean;
  seed?: number;
  resetCaches?: boolean;
}

export interface EngineHost {
  check(input: EngineCheck, timeoutMs?: number): Promise<EngineReply>;
  stop(): Promise<void>;
  peakRss: number;
}

export interface Published {
  uri: string;
  version?: number;
  diagnostics: Array<{ range: { start: { line: number; character: number }; end: { line: number; character: number } }; code?: string | number; severity?: number; message: string }>;
}

export interface Settled<T = unknown> {
  result?: T;
  error?: { code?: number | string; message: string };
}

export interface LspSession {
  pid: number;
  alive: boolean;
  stderr: string;
  exit: Promise<{ code: number | null; signal: string | null }>;
  exitStatus?: { code: number | null; signal: string | null };
  settings: unknown;
  published: Published[];
  messages: Array<{ type: number; message: string }>;
  serverCapabilities: Record<string, unknown>;
  connection: { sendRequest(method: string, params?: unknown, token?: unknown): Promise<unknown>; sendNotification(method: string, params?: unknown): Promise<void> };
  initialize(capabilities?: unknown, initializationOptions?: unknown): Promise<{ capabilities: Record<string, unknown> }>;
  notify(method: string, params?: unknown): void;
  request<T = unknown>(method: string, params?: unknown, timeoutMs?: number, token?: unknown): Promise<T>;
  settle<T = unknown>(method: string, params?: unknown, timeoutMs?: number, token?: unknown): Promise<Settled<T>>;
  open(uri: string, text: string, version?: number): void;
  edit(uri: string, start: number, end: number, insert: string): void;
  change(uri: string, changes: unknown[]): number;
  editTo(uri: string, next: string): number;
  close(uri: string): void;
  text(uri: string): string | undefined;
  version(uri: string): number | undefined;
  waitForDiagnostics(uri: string, accept?: (p: Published) => boolean, timeoutMs?: number, past?: boolean): Promise<Published>;
  diagnosticsOfCurrent(uri: string, timeoutMs?: number): Promise<Published>;
  responsive(timeoutMs?: number): Promise<boolean>;
  memory(): { rss?: number; peak?: number } | undefined;
  shutdown(timeoutMs?: number): Promise<{ code: number | null; signal: string | null } | undefined>;
  kill(): void;
}

interface CancellationSource {
  token: unknown;
  cancel(): void;
  dispose(): void;
}

interface FuzzModules {
  EngineHost: new (options?: { timeoutMs?: number; maxOldSpaceMb?: number }) => EngineHost;
  LspSession: new (options?: { nodeArgs?: string[]; env?: NodeJS.ProcessEnv; settings?: unknown }) => LspSession;
  CancellationTokenSource: new () => CancellationSource;
  normalizeDiagnostics(diagnostics: Published['diagnostics'], uri: string): string[];
  processMemory(pid: number): { rss?: number; peak?: number } | undefined;
  BOMBS: Record<string, (n: number, rng?: unknown) => string>;
  Rng: new (seed: number | string) => { next(): number; int(n: number): number; pick<T>(list: T[]): T; chance(p: number): boolean; range(lo: number, hi: number): number; logInt(n: number): number };
  mutate(rng: unknown, text: string, context: { corpus: Array<{ file: string; text: string }> }, count?: number): { text: string; applied: string[] };
  loadCorpus(root: string): Array<{ file: string; text: string }>;
}

let modules: Promise<FuzzModules> | undefined;

/** The fuzzer's modules, loaded once. */
export function fuzz(): Promise<FuzzModules> {
  modules ??= (async () => {
    const load = (name: string) => import(pathToFileURL(path.join(FUZZ_DIR, name)).href) as Promise<Record<string, unknown>>;
    const [host, lsp, common, mutate, random] = await Promise.all([load('engine-host.mjs'), load('lsp.mjs'), load('common.mjs'), load('mutate.mjs'), load('random.mjs')]);
    return { ...host, ...lsp, ...common, ...mutate, ...random } as unknown as FuzzModules;
  })();
  return modules;
}

/** A language server over stdio, initialized with diagnostics versions and related information. */
export async function startServer(options: { nodeArgs?: string[]; settings?: unknown; capabilities?: unknown; initializationOptions?: unknown } = {}): Promise<LspSession> {
  const { LspSession } = await fuzz();
  const session = new LspSession({ nodeArgs: options.nodeArgs, settings: options.settings });
  await session.initialize(
    options.capabilities ?? { textDocument: { publishDiagnostics: { relatedInformation: true, versionSupport: true } } },
    options.initializationOptions,
  );
  return session;
}

export function uriOf(file: string): string {
  return pathToFileURL(file).toString();
}

/** A temporary directory removed by the returned function. */
export function tempDir(prefix = 'bpf-kptr-robustness-'): { dir: string; remove: () => void } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  return { dir, remove: () => fs.rmSync(dir, { recursive: true, force: true }) };
}

/** Diagnostics as `code@line` (0-based LSP lines), sorted: what the tests compare across encodings. */
export function codesAtLines(diagnostics: Published['diagnostics']): string[] {
  return diagnostics.map((d) => `${String(d.code)}@${d.range.start.line}`).sort();
}

export const EXAMPLE_MISTAKES = path.join(REPO_ROOT, 'examples', 'mistakes.bpf.c');

/** A program that leaks a reference around `middle`: whatever `middle` is, the engine must report the leak or say it skipped the program. */
export function leakAround(middle: string, name = 'deep'): string {
  return [
    '#include "kptr_common.bpf.h"',
    '',
    'SEC("tp_btf/task_newtask")',
    `int BPF_PROG(${name}, struct task_struct *task, u64 clone_flags)`,
    '{',
    '\tstruct bpf_cpumask *mask = bpf_cpumask_create();',
    '\tint x = 0;',
    '',
    '\tif (!mask)',
    '\t\treturn 0;',
    middle,
    '\treturn x;',
    '}',
    '',
  ].join('\n');
}

/** The outcome the issue allows for a program bpf-kptr cannot fully check: the real finding, or an information note saying it was skipped. */
export function reportedOrSkipped(codes: string[] | undefined, expected: string): boolean {
  return Boolean(codes && (codes.includes(expected) || codes.includes('analysis-skipped')));
}

/** The error lines of a crashed server's stderr, without the minified source line Node prints above them. */
export function errorLines(stderr: string): string {
  const lines = stderr.split('\n').filter((l) => l.length < 300 && /(Error|error|at |Exception|FATAL)/.test(l));
  return lines.slice(0, 8).join(' | ') || '(nothing on stderr)';
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
