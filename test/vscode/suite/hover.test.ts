import * as assert from 'assert';
import { hoverMarkdown, hoversAt, kptrHoversAt, openAndWaitForServer, positionOf, rangeOf } from './helpers';

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

  it('answers on the first and last character of the tag, and not on the field name', async () => {
    const document = await openAndWaitForServer('cpumask_per_task.bpf.c');
    const needle = '__kptr *birth_cpu';
    await kptrHoversAt(document, positionOf(document, needle, 0));
    assert.match(hoverMarkdown(await hoversAt(document, positionOf(document, needle, 5))), /referenced kptr/);
    assert.doesNotMatch(hoverMarkdown(await hoversAt(document, positionOf(document, needle, needle.indexOf('birth_cpu') + 1))), /kptr/);
  });
});
