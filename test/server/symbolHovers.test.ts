import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { Hover } from 'vscode-languageserver-protocol';
import { EXAMPLES, FIXTURES } from '../helpers';
import { TestClient } from '../lspClient';

function position(text: string, needle: string, delta = 1, occurrence = 1) {
  let offset = -1;
  for (let i = 0; i < occurrence; i++) offset = text.indexOf(needle, offset + 1);
  assert.ok(offset >= 0, `${needle} not found`);
  offset += delta;
  const before = text.slice(0, offset);
  return { line: before.split('\n').length - 1, character: offset - (before.lastIndexOf('\n') + 1) };
}

describe('hovers on the user\'s own symbols and on pointer state', function () {
  this.timeout(30000);
  let client: TestClient;
  before(async () => {
    client = TestClient.start();
    await client.initialize();
  });
  after(async () => client.shutdown());

  async function hover(file: string, needle: string, delta = 1, occurrence = 1): Promise<string> {
    const text = fs.readFileSync(file, 'utf8');
    const uri = await client.open(file, text);
    const result = await client.request<Hover | null>('textDocument/hover', { textDocument: { uri }, position: position(text, needle, delta, occurrence) });
    await client.close(uri);
    return result ? (result.contents as { value: string }).value : '';
  }

  it('describes a map: type, key, value, max entries and the kptr fields of its value', async () => {
    const text = await hover(path.join(EXAMPLES, 'task_stash.bpf.c'), 'stash SEC');
    assert.match(text, /BPF_MAP_TYPE_HASH/);
    assert.match(text, /max entries: `4096`/);
    assert.match(text, /`task` \(`__kptr` to `task_struct`\)/);
  });

  it('describes a program: section, program type, sleepability and the kfunc families it may call', async () => {
    const text = await hover(path.join(EXAMPLES, 'cpumask_per_task.bpf.c'), 'remember_birth_cpu');
    assert.match(text, /section `tp_btf\/task_newtask`/);
    assert.match(text, /BPF_PROG_TYPE_TRACING/);
    assert.match(text, /not sleepable/);
    assert.match(text, /may call on 6\.18: cpumask/);
  });

  it('describes a kptr field where it is used: how to write, read and take it out', async () => {
    const text = await hover(path.join(EXAMPLES, 'cpumask_per_task.bpf.c'), 'slot->birth_cpu', 7);
    assert.match(text, /`task_cpus\.birth_cpu`/);
    assert.match(text, /bpf_kptr_xchg\(&v->birth_cpu, p\)/);
    assert.match(text, /bpf_cpumask_release\(p\)/);
  });

  it('tells apart kptr fields of the same name in two structs by the type of the base', async () => {
    const file = path.join(FIXTURES, 'ownership', 'same_field_name_in_two_structs.bpf.c');
    const task = await hover(file, 'cur->held', 'cur->'.length + 1);
    assert.match(task, /`task_holder\.held`/);
    assert.match(task, /bpf_task_release/);
    const mask = await hover(file, 'masks->held', 'masks->'.length + 1);
    assert.match(mask, /`mask_holder\.held`/);
    assert.match(mask, /bpf_cpumask_release/);
  });

  it('summarises what a static function does with ownership', async () => {
    const consumes = await hover(path.join(EXAMPLES, 'task_stash.bpf.c'), 'stash_task(held)');
    assert.match(consumes, /takes ownership of `task`: releases or stores it on every path/);
    const returns = await hover(path.join(FIXTURES, 'ownership', 'static_helpers.bpf.c'), 'new_mask_with_cpu(0)');
    assert.match(returns, /returns an owned reference \(from bpf_cpumask_create\) that may be NULL/);
  });

  it('shows a pointer\'s ownership state at the point hovered', async () => {
    const file = path.join(EXAMPLES, 'mistakes.bpf.c');
    const maybe = await hover(file, 'bpf_cpumask_set_cpu(0, mask)', 'bpf_cpumask_set_cpu(0, '.length + 1);
    assert.match(maybe, /`mask`\*\* here: owned, may be NULL: acquired by bpf_cpumask_create on line \d+/);
    const checked = await hover(file, 'mask = bpf_kptr_xchg(&slot->mask, mask)', 'mask = bpf_kptr_xchg(&slot->mask, '.length + 1);
    assert.match(checked, /owned, not NULL/);
  });
});
