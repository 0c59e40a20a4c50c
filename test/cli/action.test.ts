// The composite action at the top of the repository (action.yml), run step by step the way
// the Actions runner runs a composite action: expressions evaluated, `run` steps in
// `bash --noprofile --norc -eo pipefail`, outputs through $GITHUB_OUTPUT, later steps skipped
// after a failure. Steps that use other actions (setup-node, upload-sarif) are recorded with
// their evaluated inputs instead of being run.
import * as assert from 'assert';
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { childEnv, fixture, fixtureProject, REPO_ROOT, tempDir } from './harness';

// js-yaml comes with mocha.
const yaml = require('js-yaml') as { load(text: string): unknown };

const ACTION_FILE = path.join(REPO_ROOT, 'action.yml');

interface Step {
  name?: string;
  id?: string;
  if?: string;
  uses?: string;
  with?: Record<string, string>;
  run?: string;
  shell?: string;
  env?: Record<string, string>;
  'working-directory'?: string;
}

interface Action {
  name: string;
  description: string;
  inputs: Record<string, { description: string; required?: boolean; default?: string }>;
  outputs: Record<string, { description: string; value: string }>;
  runs: { using: string; steps: Step[] };
}

function loadAction(): Action {
  return yaml.load(fs.readFileSync(ACTION_FILE, 'utf8')) as Action;
}

interface Invocation {
  inputs?: Record<string, string>;
  /** The `github` context. */
  github: Record<string, string>;
  /** Variables the runner sets for every step. */
  runnerEnv: Record<string, string>;
}

interface StepResult {
  step: Step;
  outcome: 'success' | 'failure' | 'skipped';
  stdout?: string;
  stderr?: string;
  /** For `uses` steps: the evaluated `with`. */
  with?: Record<string, string>;
}

interface ActionRun {
  steps: StepResult[];
  outputs: Record<string, string>;
  failed: boolean;
}

function runAction(action: Action, invocation: Invocation): ActionRun {
  const outputs: Record<string, Record<string, string>> = {};
  const inputValue = (name: string): string => {
    const declared = action.inputs[name];
    if (!declared) throw new Error(`action.yml uses inputs.${name}, which it does not declare`);
    return invocation.inputs?.[name] ?? substitute(declared.default ?? '');
  };
  const lookup = (reference: string): string => {
    let match: RegExpExecArray | null;
    if ((match = /^inputs\.([\w-]+)$/.exec(reference))) return inputValue(match[1]);
    if ((match = /^github\.(\w+)$/.exec(reference))) {
      if (!(match[1] in invocation.github)) throw new Error(`the test gives no github.${match[1]}`);
      return invocation.github[match[1]];
    }
    if ((match = /^steps\.([\w-]+)\.outputs\.([\w-]+)$/.exec(reference))) return outputs[match[1]]?.[match[2]] ?? '';
    throw new Error(`an expression this test cannot evaluate: ${reference}`);
  };
  // A small evaluator for the expression syntax action.yml uses: literals, context paths,
  // ! == != && || and parentheses, with the runner's semantics (`a || b` is a value).
  type Value = string | boolean;
  const truthy = (value: Value) => value !== '' && value !== false;
  const evaluate = (source: string): Value => {
    const tokens = source.match(/\|\||&&|==|!=|!|\(|\)|'(?:[^']|'')*'|[A-Za-z_][\w.-]*|\S/g) ?? [];
    let at = 0;
    const next = () => tokens[at++];
    const peek = () => tokens[at];
    const primary = (): Value => {
      const token = next();
      if (token === '!') return !truthy(primary());
      if (token === '(') {
        const value = or();
        assert.strictEqual(next(), ')', `a closing parenthesis in ${source}`);
        return value;
      }
      if (token === 'true' || token === 'false') return token === 'true';
      if (token?.startsWith("'")) return token.slice(1, -1).replace(/''/g, "'");
      if (token && /^[A-Za-z_]/.test(token)) return lookup(token);
      throw new Error(`an expression this test cannot evaluate: ${source}`);
    };
    const comparison = (): Value => {
      const left = primary();
      if (peek() !== '==' && peek() !== '!=') return left;
      const equal = next() === '==';
      const right = primary();
      return (String(left).toLowerCase() === String(right).toLowerCase()) === equal;
    };
    const and = (): Value => {
      let value = comparison();
      while (peek() === '&&') {
        next();
        const right = comparison();
        value = truthy(value) ? right : value;
      }
      return value;
    };
    function or(): Value {
      let value = and();
      while (peek() === '||') {
        next();
        const right = and();
        value = truthy(value) ? value : right;
      }
      return value;
    }
    const value = or();
    assert.strictEqual(at, tokens.length, `the whole expression is read: ${source}`);
    return value;
  };
  function substitute(text: string): string {
    return text.replace(/\$\{\{(.*?)\}\}/g, (_, expression: string) => String(evaluate(expression)));
  }

  const results: StepResult[] = [];
  let failed = false;
  for (const [index, step] of action.runs.steps.entries()) {
    const condition = step.if?.replace(/^\$\{\{(.*)\}\}$/s, '$1');
    if (failed || (condition !== undefined && !truthy(evaluate(condition)))) {
      results.push({ step, outcome: 'skipped' });
      continue;
    }
    if (step.uses) {
      const evaluated = Object.fromEntries(Object.entries(step.with ?? {}).map(([k, v]) => [k, substitute(String(v))]));
      results.push({ step, outcome: 'success', with: evaluated });
      continue;
    }
    assert.strictEqual(step.shell, 'bash', `step ${index} names its shell (composite actions require it)`);
    const scratch = tempDir('action-step');
    const script = path.join(scratch, 'step.sh');
    const outputFile = path.join(scratch, 'output');
    fs.writeFileSync(script, step.run!);
    fs.writeFileSync(outputFile, '');
    const env = childEnv({
      ...invocation.runnerEnv,
      GITHUB_OUTPUT: outputFile,
      ...Object.fromEntries(Object.entries(step.env ?? {}).map(([k, v]) => [k, substitute(String(v))])),
    });
    const cwd = step['working-directory'] ? substitute(step['working-directory']) : invocation.runnerEnv.GITHUB_WORKSPACE;
    const run = spawnSync('bash', ['--noprofile', '--norc', '-eo', 'pipefail', script], { cwd, env, encoding: 'utf8', timeout: 60000 });
    const outcome = run.status === 0 ? 'success' : 'failure';
    if (step.id) {
      outputs[step.id] = {};
      for (const line of fs.readFileSync(outputFile, 'utf8').split('\n')) {
        const eq = line.indexOf('=');
        if (eq > 0) outputs[step.id][line.slice(0, eq)] = line.slice(eq + 1);
      }
    }
    results.push({ step, outcome, stdout: run.stdout, stderr: run.stderr });
    if (outcome === 'failure') failed = true;
  }
  const actionOutputs = Object.fromEntries(Object.entries(action.outputs).map(([name, output]) => [name, substitute(output.value)]));
  return { steps: results, outputs: actionOutputs, failed };
}

function stepNamed(run: ActionRun, pattern: RegExp): StepResult {
  const found = run.steps.find((s) => pattern.test(s.step.name ?? s.step.uses ?? ''));
  if (!found) throw new Error(`no step matches ${pattern}`);
  return found;
}

interface SarifLog {
  runs: Array<{ tool: { driver: { rules: Array<{ id: string; helpUri: string }> } }; results: Array<{ ruleId: string; locations: Array<{ physicalLocation: { artifactLocation: { uri: string } } }> }> }>;
}

describe('the composite action (action.yml)', function () {
  this.timeout(60000);
  const action = loadAction();

  /** A workspace with the fixtures in it, as actions/checkout would leave a repository. */
  function invocation(workspace: string, inputs: Record<string, string>, github: Record<string, string> = {}, runnerEnv: Record<string, string> = {}): Invocation {
    const runnerTemp = tempDir('runner-temp');
    return {
      inputs,
      github: { workspace, action_path: REPO_ROOT, action_repository: 'acme/bpf-kptr', action_ref: 'v1', ...github },
      runnerEnv: {
        GITHUB_WORKSPACE: workspace,
        GITHUB_ACTION_PATH: REPO_ROOT,
        GITHUB_SERVER_URL: 'https://github.com',
        GITHUB_REPOSITORY: 'acme/scheduler',
        GITHUB_SHA: '0123456789abcdef0123456789abcdef01234567',
        RUNNER_TEMP: runnerTemp,
        ...runnerEnv,
      },
    };
  }

  it('is a composite action whose steps only reach inputs through the environment', () => {
    assert.strictEqual(action.runs.using, 'composite');
    assert.ok(action.name && action.description);
    for (const [name, input] of Object.entries(action.inputs)) assert.ok(input.description, `input ${name} is described`);
    const text = fs.readFileSync(ACTION_FILE, 'utf8');
    for (const match of text.matchAll(/inputs\.([\w-]+)/g)) assert.ok(match[1] in action.inputs, `inputs.${match[1]} is declared`);
    for (const step of action.runs.steps) {
      if (step.run) assert.ok(!step.run.includes('${{'), `no expression inside the script of "${step.name}" (no script injection)`);
    }
    const upload = action.runs.steps.find((s) => s.uses?.startsWith('github/codeql-action/upload-sarif@'));
    assert.ok(upload, 'uploads with github/codeql-action/upload-sarif');
    assert.strictEqual(upload.uses, 'github/codeql-action/upload-sarif@v4');
    assert.strictEqual(upload.with!.sarif_file, '${{ steps.lint.outputs.sarif-file }}');
    assert.strictEqual(action.outputs['exit-code'].value, '${{ steps.lint.outputs.exit-code }}');
  });

  it('with findings: prints them, writes SARIF with the rule links, uploads it, then fails', () => {
    const workspace = fixtureProject('action-findings');
    const given = invocation(workspace, { paths: 'src/findings.bpf.c src/clean.bpf.c', include: 'include' });
    const run = runAction(action, given);
    assert.deepStrictEqual(
      run.steps.map((s) => [s.step.name, s.outcome]),
      [
        ['Check Node.js', 'success'],
        ['Set up Node.js', 'skipped'],
        ['Build bpf-kptr-lint', 'success'],
        ['Run bpf-kptr-lint', 'success'],
        ['Upload to code scanning', 'success'],
        ['Fail on findings', 'failure'],
      ],
      JSON.stringify(run.steps.map((s) => s.stderr)),
    );
    assert.ok(run.failed);
    const lint = stepNamed(run, /^Run bpf-kptr-lint$/);
    assert.match(lint.stdout!, /^src\/findings\.bpf\.c:\d+:3: error: .*\[kptr-leak\]$/m, 'the findings are in the log, compiler style');
    assert.strictEqual(run.outputs['exit-code'], '1');
    const sarifFile = run.outputs['sarif-file'];
    assert.strictEqual(sarifFile, path.join(given.runnerEnv.RUNNER_TEMP, 'bpf-kptr.sarif'), 'in the runner temporary directory');
    const log = JSON.parse(fs.readFileSync(sarifFile, 'utf8')) as SarifLog;
    assert.deepStrictEqual(
      log.runs[0].results.map((r) => [r.ruleId, r.locations[0].physicalLocation.artifactLocation.uri]),
      [
        ['kptr-leak', 'src/findings.bpf.c'],
        ['kptr-direct-store', 'src/findings.bpf.c'],
      ],
      'paths relative to the repository root, as code scanning wants them; the include input was passed (kptr-direct-store)',
    );
    const leak = log.runs[0].tool.driver.rules.find((r) => r.id === 'kptr-leak')!;
    assert.strictEqual(leak.helpUri, 'https://github.com/acme/bpf-kptr/blob/v1/docs/rules/kptr-leak.md');
    assert.deepStrictEqual(stepNamed(run, /^Upload/).with, { sarif_file: sarifFile, category: 'bpf-kptr', checkout_path: workspace });
    assert.strictEqual(stepNamed(run, /^Set up Node/).outcome, 'skipped', 'the Node.js on the runner (20 or newer) is kept');
  });

  it('finds the rule links from the action path when github.action_repository is empty (composite actions), or from the repository when used as ./', () => {
    const workspace = fixtureProject('action-links');
    const fromPath = runAction(
      action,
      invocation(workspace, { paths: 'src/clean.bpf.c', 'fail-on-findings': 'false' }, { action_repository: '', action_ref: '' }, { GITHUB_ACTION_PATH: '/home/runner/work/_actions/acme/bpf-kptr/v1.2.0' }),
    );
    const local = runAction(action, invocation(workspace, { paths: 'src/clean.bpf.c' }, { action_repository: '', action_ref: '' }, { GITHUB_ACTION_PATH: workspace }));
    const explicit = runAction(action, invocation(workspace, { paths: 'src/clean.bpf.c', 'rule-base-url': 'https://example.com/rules/' }));
    const helpUri = (run: ActionRun) => (JSON.parse(fs.readFileSync(run.outputs['sarif-file'], 'utf8')) as SarifLog).runs[0].tool.driver.rules.find((r) => r.id === 'kptr-leak')!.helpUri;
    assert.strictEqual(helpUri(fromPath), 'https://github.com/acme/bpf-kptr/blob/v1.2.0/docs/rules/kptr-leak.md');
    assert.strictEqual(helpUri(local), 'https://github.com/acme/scheduler/blob/0123456789abcdef0123456789abcdef01234567/docs/rules/kptr-leak.md');
    assert.strictEqual(helpUri(explicit), 'https://example.com/rules/kptr-leak.md');
  });

  it('a clean check succeeds and still uploads (an empty upload closes old alerts); node-version sets up that Node.js', () => {
    const workspace = fixtureProject('action-clean');
    const run = runAction(action, invocation(workspace, { paths: 'src/clean.bpf.c', 'node-version': '22' }));
    assert.ok(!run.failed);
    assert.strictEqual(run.outputs['exit-code'], '0');
    assert.deepStrictEqual(stepNamed(run, /^Set up Node/).with, { 'node-version': '22' }, 'a Node.js version asked for is set up');
    assert.strictEqual(stepNamed(run, /^Upload/).outcome, 'success');
    assert.strictEqual(stepNamed(run, /^Fail on findings/).outcome, 'skipped');
  });

  it('passes kernel-version, args and globs through; fail-on-findings and upload can be turned off', () => {
    // `**` reaches lib/bpf/ only when bpf-kptr-lint expands the glob (bash would read it as `*`).
    const workspace = fixtureProject('action-options', { 'lib/bpf/wdeep.bpf.c': fixture('src/warnings.bpf.c') });
    const run = runAction(action, invocation(workspace, { paths: '**/w*.bpf.c\nsrc/clean.bpf.c', 'kernel-version': '6.12', args: '--max-warnings 1', 'fail-on-findings': 'false', upload: 'false' }));
    assert.ok(!run.failed);
    assert.strictEqual(run.outputs['exit-code'], '1', 'two warnings in each warnings file on 6.12, one allowed');
    const lint = stepNamed(run, /^Run bpf-kptr-lint$/);
    assert.match(lint.stdout!, /^src\/warnings\.bpf\.c:\d+:\d+: warning: bpf_task_from_vpid appeared in kernel 6\.13/m);
    const log = JSON.parse(fs.readFileSync(run.outputs['sarif-file'], 'utf8')) as SarifLog;
    assert.deepStrictEqual(
      log.runs[0].results.map((r) => [r.ruleId, r.locations[0].physicalLocation.artifactLocation.uri]),
      [
        ['kptr-kernel-version', 'lib/bpf/wdeep.bpf.c'],
        ['unused-suppression', 'lib/bpf/wdeep.bpf.c'],
        ['kptr-kernel-version', 'src/warnings.bpf.c'],
        ['unused-suppression', 'src/warnings.bpf.c'],
      ],
    );
    assert.strictEqual(stepNamed(run, /^Upload/).outcome, 'skipped');
    assert.strictEqual(stepNamed(run, /^Fail on findings/).outcome, 'skipped');
  });

  it('nothing to check fails the step with exit status 2 and an annotation, before any upload', () => {
    const workspace = fixtureProject('action-nothing');
    const sarifFile = path.join(tempDir('action-sarif'), 'out.sarif');
    const run = runAction(action, invocation(workspace, { paths: 'no-such-dir', 'sarif-file': sarifFile }));
    assert.ok(run.failed);
    const lint = stepNamed(run, /^Run bpf-kptr-lint$/);
    assert.strictEqual(lint.outcome, 'failure');
    assert.match(lint.stderr!, /bpf-kptr-lint: no-such-dir: no such file or directory/);
    assert.match(lint.stdout!, /^::error title=bpf-kptr-lint::bpf-kptr-lint could not check no-such-dir \(exit status 2\)/m);
    assert.strictEqual(run.outputs['exit-code'], '2');
    assert.strictEqual(run.outputs['sarif-file'], sarifFile);
    assert.strictEqual(stepNamed(run, /^Upload/).outcome, 'skipped');
  });
});
