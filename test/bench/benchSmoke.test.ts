import * as assert from 'assert';
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { REPO_ROOT } from '../helpers';

/**
 * Keeps `npm run bench` working end to end. The smoke mode drives the whole harness (a real LSP
 * client over stdio against the built server, the workload generator, the in-process library
 * timing, the CLI run, the report) on the examples and a 300-line generated file, and writes its
 * JSON. Only the shape of the results is checked, never a time: a loaded CI machine must not
 * fail this test, and the targets are for `npm run bench` to judge.
 */
const RUN = path.join(REPO_ROOT, 'scripts', 'bench', 'run.mjs');

/** A median / p95 summary of at least one finite sample, ordered as a summary is. */
function assertSummary(s: any, what: string): void {
  assert.ok(s && typeof s === 'object', `${what}: a summary`);
  assert.ok(Number.isInteger(s.n) && s.n > 0, `${what}: samples counted (n = ${s?.n})`);
  for (const k of ['median', 'p95', 'min', 'max', 'mean']) assert.ok(Number.isFinite(s[k]), `${what}: ${k} is a number (${s[k]})`);
  assert.ok(s.min <= s.median && s.median <= s.p95 && s.p95 <= s.max, `${what}: min <= median <= p95 <= max`);
}

const positive = (x: any, what: string) => assert.ok(Number.isFinite(x) && x > 0, `${what}: a positive number (${x})`);

/** A clangd to compare with: on the PATH, or Debian's clangd-19 installed when running as root. */
function provideClangd(): string {
  const found = () => ['clangd-19', 'clangd'].find((c) => spawnSync(c, ['--version'], { encoding: 'utf8' }).status === 0);
  if (found()) return found()!;
  if (process.getuid?.() !== 0) throw new Error('clangd is not installed: run `sudo apt-get install -y clangd-19` once.');
  const aptEnv = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  spawnSync('apt-get', ['update'], { stdio: 'ignore', env: aptEnv });
  spawnSync('apt-get', ['install', '-y', 'clangd-19'], { stdio: 'ignore', env: aptEnv });
  const installed = found();
  if (!installed) throw new Error('clangd-19 could not be installed with apt-get.');
  return installed;
}

describe('benchmark harness (npm run bench -- --smoke)', function () {
  this.timeout(180000);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bpf-kptr-bench-test-'));
  const out = path.join(dir, 'results.json');
  const env = { ...process.env, BPF_KPTR_BENCH_SCRATCH: path.join(dir, 'scratch') };
  let results: any;
  let stdout = '';

  before(() => {
    const run = spawnSync(process.execPath, [RUN, '--smoke', '--no-build', '--out', out], { cwd: REPO_ROOT, encoding: 'utf8', env });
    assert.strictEqual(run.status, 0, `bench --smoke failed:\n${run.stderr}\n${run.stdout}`);
    stdout = run.stdout;
    results = JSON.parse(fs.readFileSync(out, 'utf8'));
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('writes complete results: machine, command, servers, every workload', () => {
    assert.strictEqual(results.partial, undefined, 'the run finished');
    assert.ok(!Number.isNaN(Date.parse(results.date)));
    assert.match(results.command, /^npm run bench -- .*--smoke/);
    assert.ok(results.machine.cores >= 1 && results.machine.node.startsWith('v'));
    assertSummary(results.machine.referenceMs.before, 'machine reference before the run');
    assertSummary(results.machine.referenceMs.after, 'machine reference after the run');
    assert.ok(results.servers['bpf-kptr'].debounceMs > 0);
    assert.ok(Number.isFinite(results.elapsedSeconds));
    assert.deepStrictEqual(results.workloads.map((w: any) => w.id), ['examples', 'gen-300']);
    for (const w of results.workloads) {
      assert.ok(w.files > 0 && w.lines > 0, `${w.id}: files and lines counted`);
      assert.ok(Number.isFinite(w.loadAverage.start) && Number.isFinite(w.loadAverage.end), `${w.id}: load average recorded`);
    }
  });

  it('measures every per-file figure of the language server', () => {
    for (const w of results.workloads) {
      const ours = w.focus[0].servers['bpf-kptr'];
      assert.strictEqual(ours.error, undefined, `${w.id}: ${ours.error}`);
      for (const figure of ['spawnToInit', 'openCold', 'openWarm', 'edit', 'editMinusDebounce', 'libraryCompute', 'rssIdleMiB', 'rssAfterOpenMiB']) {
        assertSummary(ours[figure], `${w.id}: ${figure}`);
      }
      for (const phase of ['update', 'ownership', 'diagnostics']) assertSummary(ours.libraryCompute.phases[phase], `${w.id}: library ${phase}`);
      assert.ok(ours.edit.median >= results.servers['bpf-kptr'].debounceMs, `${w.id}: an edit's diagnostics come after the debounce`);
      assertSummary(ours.hover.all, `${w.id}: hover`);
      assert.ok(Object.keys(ours.hover.byKind).length >= 2, `${w.id}: hovers of several kinds`);
      for (const [kind, s] of Object.entries<any>(ours.hover.byKind)) assert.strictEqual(s.errors, 0, `${w.id}: hover on ${kind} answered without error`);
      assertSummary(ours.completion.all, `${w.id}: completion`);
      positive(ours.rssSessionMiB, `${w.id}: RSS of the session`);
      assert.ok(Number.isInteger(ours.diagnostics) && Number.isInteger(ours.errors));
    }
  });

  it('measures a directory: memory with every file open, growth over edits, CLI throughput', () => {
    const d = results.workloads[0].directory;
    const ours = d.servers['bpf-kptr'];
    assert.strictEqual(ours.error, undefined, ours.error);
    assert.strictEqual(ours.files, 5);
    for (const k of ['openAllMs', 'rssStartMiB', 'rssOpenMiB', 'rssAfterMiB', 'maxSampleMiB', 'editsWallMs']) positive(ours[k], `directory ${k}`);
    assert.ok(Number.isFinite(ours.growthPct), 'growth in %');
    assert.ok(ours.edits >= 20, 'the edits were made');
    assertSummary(ours.editLatency, 'directory edit latency');
    assert.ok(ours.samples.length >= 2 && ours.samples[0].edits === 0, 'RSS sampled along the edits');
    assert.strictEqual(d.lint.error, undefined, d.lint.error);
    assert.strictEqual(d.lint.files, 5);
    assert.ok(d.lint.lines > 300);
    assertSummary(d.lint.wallMs, 'bpf-kptr-lint wall time');
    positive(d.lint.linesPerSec, 'bpf-kptr-lint lines per second');
  });

  it('checks every target and prints the table', () => {
    assert.strictEqual(results.targets.length, 8);
    for (const t of results.targets) {
      assert.ok(typeof t.what === 'string' && Number.isFinite(t.limit) && typeof t.shown === 'string', JSON.stringify(t));
      assert.ok([true, false, null].includes(t.met));
    }
    assert.match(stdout, /spawn → initialize answered/);
    assert.match(stdout, /\nTargets /);
    assert.match(stdout, /machine speed: the reference workload took [\d.]+ ms \([\d.]+–[\d.]+\) before the run/);
    assert.ok(fs.readFileSync(out.replace(/\.json$/, '.md'), 'utf8').includes('| figure | bpf-kptr |'));
  });

  it('prints an earlier results file again with --report', () => {
    fs.rmSync(out.replace(/\.json$/, '.md'));
    const run = spawnSync(process.execPath, [RUN, '--report', out], { cwd: REPO_ROOT, encoding: 'utf8', env });
    assert.strictEqual(run.status, 0, run.stderr);
    assert.match(run.stdout, /didOpen → diagnostics, fresh server/);
    assert.ok(fs.existsSync(out.replace(/\.json$/, '.md')));
  });

  it('measures bpf-kptr alone, and says so, when the clangd asked for is not there', () => {
    const alone = path.join(dir, 'alone.json');
    const run = spawnSync(process.execPath, [RUN, '--smoke', '--no-build', '--clangd', 'no-such-clangd', '--workloads', 'gen-300', '--out', alone], { cwd: REPO_ROOT, encoding: 'utf8', env });
    assert.strictEqual(run.status, 0, `bench without clangd failed:\n${run.stderr}\n${run.stdout}`);
    assert.match(run.stdout + run.stderr, /clangd is not on the PATH .*measuring bpf-kptr alone/);
    assert.deepStrictEqual(Object.keys(JSON.parse(fs.readFileSync(alone, 'utf8')).servers), ['bpf-kptr']);
  });

  it('runs clangd on the same file, with the ratio for every figure (Debian\'s clangd-19, installed when missing)', function () {
    this.timeout(600000);
    const clangd = provideClangd();
    const withClangd = path.join(dir, 'clangd.json');
    const run = spawnSync(process.execPath, [RUN, '--smoke', '--no-build', '--clangd', clangd, '--workloads', 'gen-300', '--out', withClangd], { cwd: REPO_ROOT, encoding: 'utf8', env });
    assert.strictEqual(run.status, 0, `bench --smoke --clangd failed:\n${run.stderr}\n${run.stdout}`);
    const r = JSON.parse(fs.readFileSync(withClangd, 'utf8'));
    assert.ok(r.servers.clangd.version, 'clangd version recorded');
    const theirs = r.workloads[0].focus[0].servers.clangd;
    assert.strictEqual(theirs.error, undefined, theirs.error);
    for (const figure of ['spawnToInit', 'openCold', 'openWarm', 'edit', 'rssIdleMiB', 'rssAfterOpenMiB']) assertSummary(theirs[figure], `clangd: ${figure}`);
    assertSummary(theirs.hover.all, 'clangd: hover');
    assertSummary(theirs.completion.all, 'clangd: completion');
    assert.match(run.stdout, /bpf-kptr ahead by/);
    assert.match(run.stdout, /didOpen → diagnostics, warm server .*×/);
  });

  it('documents every option in --help', () => {
    const run = spawnSync(process.execPath, [RUN, '--help'], { cwd: REPO_ROOT, encoding: 'utf8' });
    assert.strictEqual(run.status, 0, run.stderr);
    for (const option of ['--smoke', '--workloads', '--no-clangd', '--clangd', '--runs', '--edits', '--hovers', '--completions', '--growth-edits', '--lint-runs', '--server-node-flag', '--out', '--no-build', '--report', '--profile']) {
      assert.ok(run.stdout.includes(option), `--help mentions ${option}`);
    }
  });
});
