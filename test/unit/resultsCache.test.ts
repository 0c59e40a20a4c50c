import * as assert from 'assert';
import * as path from 'path';
import { Analyzer } from '../../server/src/analyzer';
import { DEFAULT_SETTINGS } from '../../server/src/settings';
import { EXAMPLES } from '../helpers';

const kernel = DEFAULT_SETTINGS.kernelVersion;

/**
 * A program's findings are kept across edits while its functions and the declarations it sees
 * are unchanged. A declaration change that leaves every function body as it was must still
 * analyse the program again: the findings after the edit are those of a fresh open.
 */
describe('findings kept across edits', () => {
  let analyzer: Analyzer;
  let reference: Analyzer;
  before(async () => {
    [analyzer, reference] = await Promise.all([Analyzer.create(), Analyzer.create()]);
  });
  after(() => {
    analyzer.dispose();
    reference.dispose();
  });

  const swapSlot = (declaration: string) =>
    [
      '#include "kptr_common.bpf.h"',
      declaration,
      '',
      'SEC("tp_btf/task_newtask")',
      'int BPF_PROG(swap_slot, struct task_struct *task, u64 clone_flags)',
      '{',
      '\tstruct bpf_cpumask *old;',
      '',
      '\told = bpf_kptr_xchg(&grid[1], NULL);',
      '\tif (old)',
      '\t\tbpf_cpumask_release(old);',
      '\treturn 0;',
      '}',
      '',
    ].join('\n');

  const findingsOf = (subject: Analyzer, file: string, text: string, version: number) => {
    subject.update(file, text, version);
    return subject.ownership(file, kernel)!.findings.map((f) => `${f.code}@${f.site.fn}+${f.site.span.start}`);
  };

  /** Edits `before` into `after` and compares with a fresh open of `after`; returns both findings. */
  const editAndCompare = (before: string, after: string) => {
    const file = path.join(EXAMPLES, `cache-${process.pid}.bpf.c`);
    try {
      const first = findingsOf(analyzer, file, before, 1);
      const edited = findingsOf(analyzer, file, after, 2);
      assert.deepStrictEqual(edited, findingsOf(reference, file, after, 1), 'the findings after the edit are a fresh open\'s');
      return { first, edited };
    } finally {
      analyzer.close(file);
      reference.close(file);
    }
  };

  it('a global that stops being an array (its written type unchanged)', () => {
    const { first, edited } = editAndCompare(
      swapSlot('private(SLOTS) struct bpf_cpumask __kptr *grid[2];'),
      swapSlot('private(SLOTS) struct bpf_cpumask __kptr *grid;'),
    );
    assert.deepStrictEqual(first, [], 'exchanging an array slot is fine');
    assert.deepStrictEqual(edited.map((f) => f.split('@')[0]), ['kptr-maybe-null'], 'indexing the loaded kptr is not');
  });

  it('and back: a global that becomes an array', () => {
    const { first, edited } = editAndCompare(
      swapSlot('private(SLOTS) struct bpf_cpumask __kptr *grid;'),
      swapSlot('private(SLOTS) struct bpf_cpumask __kptr *grid[2];'),
    );
    assert.deepStrictEqual([first.length, edited.length], [1, 0]);
  });
});
