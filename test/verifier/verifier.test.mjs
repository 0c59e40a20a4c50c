// Tests of the verifier harness itself: the expectation parser always, and
// the loader's three verdicts on this machine's kernel (root, clang-19 and
// libbpf set up by scripts/verifier/setup.sh; without them the tests fail).
//
//   node node_modules/mocha/bin/mocha.js --timeout 120000 test/verifier/*.test.mjs
import assert from 'assert';
import { spawnSync } from 'child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { dirname, join, resolve } from 'path';
import { fileURLToPath } from 'url';
import { kernelInRange, logHasVerifierText, readExpectations } from '../../scripts/verifier/expectations.mjs';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const cache = join(root, '.cache', 'verifier');

describe('verifier harness: expectation comments', () => {
  const source = [
    '// expect: ok',
    'SEC("tp_btf/task_newtask")',
    'int BPF_PROG(fine, struct task_struct *task, u64 clone_flags)',
    '{',
    '',
    '// some words about the mistake',
    '// expect: kptr-leak, kptr-rcu',
    '// verifier: "Unreleased reference"',
    '// kernel: >=6.12 <6.18',
    'SEC("?tp_btf/task_newtask")',
    'int BPF_PROG(leaky, struct task_struct *task)',
    '',
    '// expect: ok',
    'SEC("syscall")',
    'int plain_function(void *ctx)',
    '',
    '// expect: kptr-maybe-null',
    'void BPF_STRUCT_OPS(sched_enqueue, struct task_struct *p, u64 enq_flags)',
    '',
    'SEC("tp_btf/sched_switch")',
    'int BPF_PROG(no_comment)',
    '',
    'struct { __uint(type, BPF_MAP_TYPE_ARRAY); } m SEC(".maps");',
    'char LICENSE[] SEC("license") = "GPL";',
  ].join('\n');
  const programs = readExpectations(source);
  const byName = new Map(programs.map((p) => [p.name, p]));

  it('finds every program and nothing else', () => {
    assert.deepStrictEqual(programs.map((p) => p.name), ['fine', 'leaky', 'plain_function', 'sched_enqueue', 'no_comment']);
  });

  it('reads ok, rule codes, verifier substrings and kernel ranges', () => {
    assert.strictEqual(byName.get('fine').expect, 'ok');
    assert.strictEqual(byName.get('fine').line, 2);
    const leaky = byName.get('leaky');
    assert.deepStrictEqual(leaky.expect, ['kptr-leak', 'kptr-rcu']);
    assert.deepStrictEqual(leaky.verifier, ['Unreleased reference']);
    assert.strictEqual(leaky.section, '?tp_btf/task_newtask');
    assert.strictEqual(kernelInRange(leaky.kernel, '6.12.3-amd64'), true);
    assert.strictEqual(kernelInRange(leaky.kernel, '6.18.44-fc'), false);
    assert.strictEqual(kernelInRange(leaky.kernel, '6.6.0'), false);
  });

  it('takes the comment above the function for BPF_STRUCT_OPS programs', () => {
    assert.deepStrictEqual(byName.get('sched_enqueue').expect, ['kptr-maybe-null']);
    assert.strictEqual(byName.get('sched_enqueue').section, null);
  });

  it('matches verifier text literally, and {{ }} parts as regular expressions', () => {
    const log = '5: (bf) r1 = r6 ; R1=scalar(id=3)\n6: (85) call bpf_cpumask_release#63152\nR1 must be referenced or trusted\n';
    assert.strictEqual(logHasVerifierText(log, 'R1=scalar(id=3)'), true);
    assert.strictEqual(logHasVerifierText(log, 'R1=scalar(id=4)'), false);
    assert.strictEqual(logHasVerifierText(log, '{{type=scalar expected=|R1 must be referenced or trusted}}'), true);
    assert.strictEqual(logHasVerifierText(log, '{{type=scalar expected=|R2 must be referenced}}'), false);
    assert.strictEqual(logHasVerifierText(log, 'call bpf_cpumask_release#{{[0-9]+}}'), true);
    assert.strictEqual(logHasVerifierText(log, 'call bpf_cpumask_release#{{[a-f]+}}'), false);
    // Outside the braces, regular expression characters are plain text.
    assert.strictEqual(logHasVerifierText(log, '(bf) r1 = r6'), true);
    assert.strictEqual(logHasVerifierText(log, 'scalar(id=.)'), false);
  });

  it('reports a {{ }} part that is not a regular expression', () => {
    const [program] = readExpectations(['// expect: kptr-leak', '// verifier: "{{(unclosed}}"', 'SEC("syscall")', 'int broken(void *ctx)'].join('\n'));
    assert.deepStrictEqual(program.verifier, []);
    assert.match(program.problems.join(), /line 2: "verifier:" has a bad \{\{regular expression\}\}/);
  });

  it('leaves programs without a comment without an expectation', () => {
    assert.strictEqual(byName.get('no_comment').expect, null);
    assert.strictEqual(byName.get('plain_function').expect, 'ok');
  });
});

describe('verifier harness: loader verdicts on this kernel', function () {
  let dir;
  let records;

  before(function () {
    const setup = spawnSync('sh', [join(root, 'scripts', 'verifier', 'setup.sh')], { encoding: 'utf8' });
    if (setup.status !== 0) throw new Error(`the verifier set-up failed; these tests need root and Debian's clang-19, bpftool and libbpf-dev:\n${setup.stdout}${setup.stderr}`);
    dir = mkdtempSync(join(tmpdir(), 'bpf-kptr-verifier-'));
    const file = join(dir, 'three.bpf.c');
    writeFileSync(file, [
      '#include "vmlinux.h"',
      '#include <bpf/bpf_helpers.h>',
      '#include <bpf/bpf_tracing.h>',
      'char LICENSE[] SEC("license") = "GPL";',
      'struct bpf_cpumask *bpf_cpumask_create(void) __ksym;',
      'void bpf_cpumask_release(struct bpf_cpumask *cpumask) __ksym;',
      'void bpf_kptr_harness_no_such_kfunc(void) __ksym;',
      'SEC("tp_btf/task_newtask")',
      'int BPF_PROG(balanced, struct task_struct *task, u64 clone_flags)',
      '{ struct bpf_cpumask *m = bpf_cpumask_create(); if (m) bpf_cpumask_release(m); return 0; }',
      'SEC("?tp_btf/task_newtask")',
      'int BPF_PROG(leaks, struct task_struct *task, u64 clone_flags)',
      '{ bpf_cpumask_create(); return 0; }',
      'SEC("tp_btf/task_newtask")',
      'int BPF_PROG(calls_missing_kfunc, struct task_struct *task, u64 clone_flags)',
      '{ bpf_kptr_harness_no_such_kfunc(); return 0; }',
    ].join('\n'));
    const object = join(dir, 'three.o');
    const cc = spawnSync('clang-19', ['-target', 'bpf', '-O2', '-g', '-I', cache, '-c', file, '-o', object], { encoding: 'utf8' });
    assert.strictEqual(cc.status, 0, cc.stderr);
    const run = spawnSync(join(cache, 'loader'), [object], { encoding: 'utf8', maxBuffer: 1 << 28 });
    assert.strictEqual(run.status, 0, run.stderr);
    records = new Map(run.stdout.trim().split('\n').map((l) => JSON.parse(l)).map((r) => [r.name, r]));
  });

  after(() => dir && rmSync(dir, { recursive: true, force: true }));

  it('loads a correct program', () => {
    assert.strictEqual(records.get('balanced').verdict, 'loaded');
  });

  it('judges a SEC("?...") program and keeps the verifier log of a rejection', () => {
    const leaks = records.get('leaks');
    assert.strictEqual(leaks.verdict, 'rejected');
    assert.match(leaks.log, /Unreleased reference/);
  });

  it('calls a program that needs a missing kfunc not checkable, without failing the others', () => {
    const missing = records.get('calls_missing_kfunc');
    assert.strictEqual(missing.verdict, 'not-checkable');
    assert.strictEqual(missing.stage, 'kfunc');
    assert.match(missing.reason, /bpf_kptr_harness_no_such_kfunc/);
  });
});
