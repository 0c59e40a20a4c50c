import * as assert from 'assert';
import * as path from 'path';
import { ownershipDiagnostics } from '../../server/src/features/diagnostics';
import { DEFAULT_SETTINGS } from '../../server/src/settings';
import { FIXTURES, sharedAnalyzer } from '../helpers';

// Four branches lead to the leaking return, and only one path reaches it, so the report's path is known.
const PROGRAM = `#include "common.bpf.h"

SEC("tp_btf/task_newtask")
int BPF_PROG(leak_four_branches_deep, struct task_struct *task, u64 clone_flags)
{
	struct bpf_cpumask *mask;

	if (task->pid > 100) {
		mask = bpf_cpumask_create();
		if (mask) {
			if (task->prio > 5) {
				if (clone_flags & 4)
					return 1;
			}
			bpf_cpumask_release(mask);
		}
	}
	return 0;
}
`;

function lineOf(text: string, needle: string): number {
  const at = text.indexOf(needle);
  assert.ok(at >= 0, needle);
  return text.slice(0, at).split('\n').length - 1;
}

describe('the path a leak report shows', () => {
  it('names the acquisition, then the last three branches the leaking path took, oldest first', async () => {
    const analyzer = await sharedAnalyzer();
    // Beside the ownership fixtures, so that their common.bpf.h is found.
    const file = path.join(FIXTURES, 'ownership', 'leak_path_probe.bpf.c');
    try {
      const analysis = analyzer.update(file, PROGRAM);
      const ownership = analyzer.ownership(file, DEFAULT_SETTINGS.kernelVersion)!;
      const diagnostics = ownershipDiagnostics(analysis, ownership, {
        severities: {},
        disabled: new Set(),
        uriOf: () => 'file:///probe.bpf.c',
        textOf: (f) => analyzer.textOf(f),
      });
      assert.deepStrictEqual(
        diagnostics.map((d) => [d.code, d.range.start.line]),
        [['kptr-leak', lineOf(PROGRAM, 'return 1')]],
      );
      const related = diagnostics[0].relatedInformation!.map((r) => [r.location.range.start.line, r.message]);
      assert.deepStrictEqual(related, [
        [lineOf(PROGRAM, 'mask = bpf_cpumask_create'), 'the reference is acquired here by bpf_cpumask_create'],
        [lineOf(PROGRAM, 'if (mask)'), 'on this path `mask` is not NULL'],
        [lineOf(PROGRAM, 'if (task->prio'), 'on this path this condition is true'],
        [lineOf(PROGRAM, 'if (clone_flags'), 'on this path this condition is true'],
      ]);
    } finally {
      analyzer.close(file);
    }
  });
});
