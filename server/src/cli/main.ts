import * as fs from 'fs';
import * as path from 'path';
import { pathToFileURL } from 'url';
import { parseArgs } from 'util';
import { isMainThread } from 'worker_threads';
import { includePathsFromCompileDatabase } from '../config/compileFlags';
import { findProjectConfig, ProjectConfig, readProjectConfig } from '../config/projectConfig';
import { tryParseKernelVersion } from '../knowledge/kernelVersion';
import { RULE_BY_CODE, Severity } from '../rules/catalog';
import { BpfKptrSettings, CONFIGURABLE_CODES, readSettings } from '../settings';
import type { CheckJob } from './check';
import { collectFiles } from './files';
import { FileResult, formatJson, formatSarif, formatText } from './formats';
import { checkAll, SetupFailed } from './parallel';

declare const BPF_KPTR_VERSION: string | undefined;
const version = typeof BPF_KPTR_VERSION === 'string' ? BPF_KPTR_VERSION : 'development';

const USAGE = `Usage: bpf-kptr-lint [options] PATH...

Checks kernel-pointer ownership in eBPF C, as the kernel verifier will at load time.
PATH is a file, a directory (searched for *.bpf.c, honouring .gitignore) or a glob.

Options:
  -I DIR                  add an include directory for quoted #include (as a compiler takes it);
                          without -I, include paths come from .bpf-kptr.json and the nearest
                          compile_commands.json or compile_flags.txt
  --kernel-version X.Y    the kernel the programs load on (default: the newest the data knows)
  --disable CODE          do not report CODE (repeatable)
  --enable CODE           report CODE even if the config file disables it (repeatable)
  --severity CODE=LEVEL   error, warning, information or hint for CODE (repeatable)
  --max-warnings N        exit 1 when there are more than N warnings (errors always fail)
  --format FORMAT         text (default), json or sarif
  --config FILE           read settings from FILE instead of the nearest .bpf-kptr.json
  -j, --jobs N            check files on N threads (default 1: on the main thread); worth it
                          on a machine with cores to spare, see the README
  --no-color              no colour even on a terminal (NO_COLOR is honoured too)
  --explain CODE          print the page of a rule and exit
  --version, --help

Exit status: 0 nothing at or above the threshold, 1 findings, 2 usage or input error, or the
report could not be written.`;

class UsageError extends Error {}

interface Output {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  stdoutIsTTY: boolean;
  stderrIsTTY: boolean;
  env: NodeJS.ProcessEnv;
  cwd: string;
}

const RULES_DIR = path.join(__dirname, '..', 'docs', 'rules');

function parse(argv: string[]) {
  try {
    return parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        include: { type: 'string', short: 'I', multiple: true },
        'kernel-version': { type: 'string' },
        disable: { type: 'string', multiple: true },
        enable: { type: 'string', multiple: true },
        severity: { type: 'string', multiple: true },
        'max-warnings': { type: 'string' },
        format: { type: 'string' },
        config: { type: 'string' },
        jobs: { type: 'string', short: 'j' },
        'no-color': { type: 'boolean' },
        explain: { type: 'string' },
        version: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
}

function checkCode(code: string, option: string): string {
  if (!CONFIGURABLE_CODES.includes(code)) throw new UsageError(`${option}: unknown rule code "${code}"; known codes: ${CONFIGURABLE_CODES.join(', ')}`);
  return code;
}

export async function run(argv: string[], io: Output): Promise<number> {
  let args: ReturnType<typeof parse>;
  try {
    args = parse(argv);
  } catch (error) {
    io.stderr(`bpf-kptr-lint: ${(error as Error).message}\n\n${USAGE}\n`);
    return 2;
  }
  const { values, positionals } = args;
  if (values.help) {
    io.stdout(USAGE + '\n');
    return 0;
  }
  if (values.version) {
    io.stdout(`bpf-kptr-lint ${version}\n`);
    return 0;
  }
  if (values.explain !== undefined) {
    const code = values.explain;
    const page = path.join(RULES_DIR, `${code}.md`);
    if (!RULE_BY_CODE.has(code) || !fs.existsSync(page)) {
      io.stderr(`bpf-kptr-lint: no rule "${code}"; rules: ${[...RULE_BY_CODE.keys()].join(', ')}\n`);
      return 2;
    }
    io.stdout(fs.readFileSync(page, 'utf8'));
    return 0;
  }

  let format: 'text' | 'json' | 'sarif';
  let overrides: { kernel?: ReturnType<typeof tryParseKernelVersion>; disable: string[]; enable: string[]; severity: Record<string, Severity>; maxWarnings?: number; jobs?: number };
  let explicitConfig: ProjectConfig | undefined;
  try {
    format = (values.format ?? 'text') as typeof format;
    if (!['text', 'json', 'sarif'].includes(format)) throw new UsageError(`--format must be text, json or sarif, not "${values.format}"`);
    if (positionals.length === 0) throw new UsageError('no path given');
    const kernel = values['kernel-version'] !== undefined ? tryParseKernelVersion(values['kernel-version']) : undefined;
    if (values['kernel-version'] !== undefined && !kernel) throw new UsageError(`--kernel-version: "${values['kernel-version']}" is not a kernel version like 6.12`);
    const severity: Record<string, Severity> = {};
    for (const item of values.severity ?? []) {
      const match = /^([\w-]+)=(error|warning|information|hint)$/.exec(item);
      if (!match) throw new UsageError(`--severity takes CODE=error|warning|information|hint, not "${item}"`);
      severity[checkCode(match[1], '--severity')] = match[2] as Severity;
    }
    let maxWarnings: number | undefined;
    if (values['max-warnings'] !== undefined) {
      maxWarnings = Number(values['max-warnings']);
      if (!Number.isInteger(maxWarnings) || maxWarnings < 0) throw new UsageError(`--max-warnings takes a whole number, not "${values['max-warnings']}"`);
    }
    let jobs: number | undefined;
    if (values.jobs !== undefined) {
      jobs = Number(values.jobs);
      if (!Number.isInteger(jobs) || jobs < 1 || jobs > 64) throw new UsageError(`--jobs takes a whole number from 1 to 64, not "${values.jobs}"`);
    }
    overrides = {
      kernel,
      jobs,
      disable: (values.disable ?? []).map((c) => checkCode(c, '--disable')),
      enable: (values.enable ?? []).map((c) => checkCode(c, '--enable')),
      severity,
      maxWarnings,
    };
    if (values.config !== undefined) {
      explicitConfig = readProjectConfig(path.resolve(io.cwd, values.config));
      if (explicitConfig.error) throw new UsageError(explicitConfig.error);
    }
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    io.stderr(`bpf-kptr-lint: ${error.message}\n\n${USAGE}\n`);
    return 2;
  }

  const collected = collectFiles(positionals, io.cwd);
  for (const problem of collected.problems) io.stderr(`bpf-kptr-lint: ${problem.path}: ${problem.message}\n`);

  const reported = new Set<string>();
  const warnOnce = (message: string) => {
    if (!reported.has(message)) {
      reported.add(message);
      io.stderr(`bpf-kptr-lint: ${message}\n`);
    }
  };
  const configs = new Map<string, ProjectConfig | undefined>();
  const settingsFor = (file: string): BpfKptrSettings => {
    const dir = path.dirname(file);
    let config = explicitConfig;
    if (!config) {
      if (!configs.has(dir)) configs.set(dir, findProjectConfig(dir));
      config = configs.get(dir);
    }
    if (config?.error) warnOnce(config.error);
    const { settings, problems } = readSettings(config?.raw);
    for (const p of problems) warnOnce(`${config?.file ?? 'settings'}: ${p}`);
    if (overrides.kernel) settings.kernelVersion = overrides.kernel;
    for (const code of overrides.disable) settings.disabled.add(code);
    for (const code of overrides.enable) settings.disabled.delete(code);
    Object.assign(settings.severities, overrides.severity);
    const cliIncludes = (values.include ?? []).map((d) => path.resolve(io.cwd, d));
    settings.includePaths = cliIncludes.length > 0 ? cliIncludes : [...settings.includePaths, ...includePathsFromCompileDatabase(file)];
    return settings;
  };

  const jobs: CheckJob[] = collected.files.map((shown) => {
    const file = path.resolve(io.cwd, shown);
    return { file, shown, settings: settingsFor(file) };
  });
  const results: FileResult[] = [];
  const progress = io.stderrIsTTY && format === 'text' && jobs.length > 1;
  let checked = 0;
  let failedInputs = collected.problems.length;
  try {
    await checkAll(jobs, overrides.jobs ?? 1, (i, outcome) => {
      if (progress) io.stderr(`\r\x1b[K[${i + 1}/${jobs.length}] ${jobs[i].shown}`);
      if ('notChecked' in outcome) {
        warnOnce(outcome.notChecked);
        failedInputs++;
        return;
      }
      results.push(outcome.result);
      checked++;
    });
  } catch (error) {
    if (progress) io.stderr('\r\x1b[K');
    // A bug stops the run with exit 2 rather than passing over a file that was not checked.
    const message = error instanceof SetupFailed ? error.message : `internal error, please report it: ${error instanceof Error ? error.stack ?? error.message : String(error)}`;
    io.stderr(`bpf-kptr-lint: ${message}\n`);
    return 2;
  }
  if (progress) io.stderr('\r\x1b[K');

  const color = io.stdoutIsTTY && !values['no-color'] && !('NO_COLOR' in io.env && io.env.NO_COLOR !== '');
  if (format === 'json') io.stdout(formatJson(results));
  else if (format === 'sarif') io.stdout(formatSarif(results, { version, ruleBaseUri: ruleBaseUri(io.env), rulesDir: RULES_DIR, cwd: io.cwd }));
  else io.stdout(formatText(results, { color }, io.cwd));

  const all = results.flatMap((r) => r.diagnostics);
  const errors = all.filter((d) => d.severity === 1).length;
  const warnings = all.filter((d) => d.severity === 2).length;
  if (format === 'text' && io.stderrIsTTY) {
    io.stderr(`${checked} file${checked === 1 ? '' : 's'} checked: ${errors} error${errors === 1 ? '' : 's'}, ${warnings} warning${warnings === 1 ? '' : 's'}\n`);
  }
  if (checked === 0 && failedInputs > 0) return 2;
  if (errors > 0) return 1;
  if (overrides.maxWarnings !== undefined && warnings > overrides.maxWarnings) return 1;
  return 0;
}

/** Rule pages: BPF_KPTR_RULE_BASE_URL when set (a repository URL for CI), else the copies installed with the tool. */
function ruleBaseUri(env: NodeJS.ProcessEnv): string {
  const base = env.BPF_KPTR_RULE_BASE_URL;
  if (base) return base.endsWith('/') ? base : base + '/';
  return pathToFileURL(RULES_DIR + path.sep).toString();
}

export async function main(argv: string[]): Promise<void> {
  let unwritable: NodeJS.ErrnoException | undefined;
  process.stdout.on('error', (error: NodeJS.ErrnoException) => (unwritable ??= error));
  // Messages and progress that cannot be shown are lost, but the report and the status still stand.
  process.stderr.on('error', () => undefined);
  const code = await run(argv, {
    stdout: (t) => process.stdout.write(t),
    stderr: (t) => process.stderr.write(t),
    stdoutIsTTY: Boolean(process.stdout.isTTY),
    stderrIsTTY: Boolean(process.stderr.isTTY),
    env: process.env,
    cwd: process.cwd(),
  });
  await Promise.all([handedOver(process.stdout), handedOver(process.stderr)]);
  // A reader that stops early (`| head`) closes the pipe: the rest of the report was not wanted.
  // Any other failure to write means the report is incomplete, which must not pass for a result.
  if (unwritable && unwritable.code !== 'EPIPE') {
    process.stderr.write(`bpf-kptr-lint: cannot write the report: ${unwritable.message}\n`, () => process.exit(2));
    return;
  }
  // Exiting now rather than when the event loop empties: Node would first wait for V8 to finish
  // compiling the parser's WebAssembly in the background, 50 ms that a one-file run does not need.
  process.exit(code);
}

/** Resolves once everything written to `stream` so far has been handed to the system (or the stream failed). */
function handedOver(stream: NodeJS.WriteStream): Promise<void> {
  return new Promise((resolve) => {
    if (stream.destroyed) resolve();
    else stream.write('', () => resolve());
  });
}

// The same file is the entry of the checking threads (cli/parallel.ts), which must not run the command again.
if (require.main === module && isMainThread) void main(process.argv.slice(2));
