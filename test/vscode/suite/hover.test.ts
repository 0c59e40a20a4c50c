import * as assert from 'assert';
import { hoverMarkdown, hoversAt, kptrHoversAt, openAndWaitForServer, positionOf, rangeOf, waitFor } from './helpers';

describe('hover', () => {
  it('explains __kptr on a map-value field', async () => {
    const document = await openAndWaitForServer('cpumask_per_task.bpf.c');
    const needle = '__kptr *birth_cpu';
    const hovers = await kptrHoversAt(document, positionOf(document, needle, 2));
    const text = hoverMarkdown(hovers);
    assert.match(text, /`__kptr`\*\*: referenced kptr/);
    assert.match(text, /bpf_kptr_xchg/);
    assert.match(text, /On field `birth_cpu` of `struct task_cpus`/);
    const ours = hovers.find((h) => hoverMarkdown([h]).includes('referenced kptr'));
    assert.ok(ours?.range?.isEqual(rangeOf(document, needle, '__kptr')), 'the hover range is exactly the tag');
  });

  it('answers on the first and last character of the tag; the field name gets the field\'s hover, not the tag\'s', async () => {
    const document = await openAndWaitForServer('cpumask_per_task.bpf.c');
    const needle = '__kptr *birth_cpu';
    await kptrHoversAt(document, positionOf(document, needle, 0));
    assert.match(hoverMarkdown(await hoversAt(document, positionOf(document, needle, 5))), /`__kptr`\*\*: referenced kptr/);
    const field = hoverMarkdown(await hoversAt(document, positionOf(document, needle, needle.indexOf('birth_cpu') + 1)));
    assert.match(field, /\*\*`task_cpus\.birth_cpu`\*\*: `struct bpf_cpumask \*`, a referenced kptr/);
    assert.doesNotMatch(field, /`__kptr`\*\*: referenced kptr/, 'the tag\'s own explanation is not repeated on the field name');
  });

  it('explains a cpumask kfunc at its call: signature, ownership, flags, kernel version', async () => {
    const document = await openAndWaitForServer('cpumask_per_task.bpf.c');
    const needle = 'mask = bpf_cpumask_create();';
    const at = positionOf(document, needle, needle.indexOf('bpf_cpumask_create') + 4);
    const hovers = await waitFor('a kfunc hover on bpf_cpumask_create', async () => {
      const found = await hoversAt(document, at);
      return hoverMarkdown(found).includes('bpf_cpumask_create(void)') ? found : undefined;
    });
    const text = hoverMarkdown(hovers);
    assert.match(text, /```c\nstruct bpf_cpumask \*bpf_cpumask_create\(void\)\n```/);
    assert.match(text, /\*\*Ownership:\*\* Returns an owned reference that may be NULL: check it, then release it with `bpf_cpumask_release`/);
    assert.match(text, /`KF_ACQUIRE` `KF_RET_NULL`/);
    assert.match(text, /since 6\.3/);
    const ours = hovers.find((h) => hoverMarkdown([h]).includes('bpf_cpumask_create(void)'));
    assert.ok(ours?.range?.isEqual(rangeOf(document, needle, 'bpf_cpumask_create')), 'the hover range is exactly the call\'s name');
  });
});
