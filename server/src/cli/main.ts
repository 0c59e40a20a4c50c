import * as fs from 'fs';
import * as path from 'path';
import { pathToFileURL } from 'url';
import { parseArgs } from 'util';
import { Analyzer } from '../analyzer';
import { includePathsFromCompileDatabase } from '../config/compileFlags';
import { findProjectConfig, ProjectConfig, readProjectConfig } from '../config/projectConfig';
import { ownershipDiagnostics, packagedRuleHref } from '../features/diagnostics';
import { tryParseKernelVersion } from '../knowledge/kernelVersion';
import { ParserSetupError } from '../parsing/cParser';
import { RULE_BY_CODE, Severity } from '../rules/catalog';
import { BpfKptrSettings, CONFIGURABLE_CODES, readSettings } from '../settings';
import { collectFiles } from './files';
import { FileResult, formatJson, formatSarif, formatText } from './formats';

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
  --no-color              no colour even on a terminal (NO_COLOR is honoured too)
  --explain CODE          print the page of a rule and exit
  --version, --help

Exit status: 0 nothing at or above the threshold, 1 findings, 2 usage or input error.`;

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
  let overrides: { kernel?: ReturnType<typeof tryParseKernelVersion>; disable: string[]; enable: string[]; severity: Record<string, Severity>; maxWarnings?: number };
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
    overrides = {
      kernel,
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

  let analyzer: Analyzer;
  try {
    analyzer = await Analyzer.create();
  } catch (error) {
    io.stderr(`bpf-kptr-lint: ${error instanceof ParserSetupError ? error.message : String(error)}\n`);
    return 2;
  }

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

  const results: FileResult[] = [];
  const progress = io.stderrIsTTY && format === 'text' && collected.files.length > 1;
  let checked = 0;
  let failedInputs = collected.problems.length;
  collected.files.forEach((shown, i) => {
    const file = path.resolve(io.cwd, shown);
    if (progress) io.stderr(`\r\x1b[K[${i + 1}/${collected.files.length}] ${shown}`);
    let text: string;
    try {
      const buffer = fs.readFileSync(file);
      if (buffer.subarray(0, 8192).includes(0)) {
        warnOnce(`${shown}: binary file, not checked`);
        failedInputs++;
        return;
      }
      text = buffer.toString('utf8');
    } catch (error) {
      warnOnce(`${shown}: cannot read: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
      failedInputs++;
      return;
    }
    const settings = settingsFor(file);
    if (text.length > settings.maxFileChars) {
      warnOnce(`${shown}: ${text.length} characters, more than the limit of ${settings.maxFileChars} (maxFileSize); not checked`);
      failedInputs++;
      return;
    }
    analyzer.configure({ includePaths: settings.includePaths, maxFileChars: settings.maxFileChars });
    try {
      const analysis = analyzer.update(file, text);
      if (analysis.skipped === 'parse-timeout') {
        warnOnce(`${shown}: parsing took too long; not checked`);
        failedInputs++;
        return;
      }
      const ownership = analyzer.ownership(file, settings.kernelVersion)!;
      const diagnostics = ownershipDiagnostics(analysis, ownership, {
        severities: settings.severities,
        disabled: settings.disabled,
        uriOf: (f) => pathToFileURL(f ?? file).toString(),
        textOf: (f) => analyzer.textOf(f),
        ruleHref: packagedRuleHref(__dirname),
      });
      diagnostics.sort((a, b) => a.range.start.line - b.range.start.line || a.range.start.character - b.range.start.character);
      results.push({ path: shown, text, diagnostics });
      checked++;
    } finally {
      analyzer.close(file);
    }
  });
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
  const code = await run(argv, {
    stdout: (t) => process.stdout.write(t),
    stderr: (t) => process.stderr.write(t),
    stdoutIsTTY: Boolean(process.stdout.isTTY),
    stderrIsTTY: Boolean(process.stderr.isTTY),
    env: process.env,
    cwd: process.cwd(),
  });
  process.exitCode = code;
}

if (require.main === module) void main(process.argv.slice(2));
