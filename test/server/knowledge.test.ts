import * as assert from 'assert';
import * as path from 'path';
import { CompletionItem, CompletionList, Hover, SignatureHelp } from 'vscode-languageserver-protocol';
import { KFUNCS } from '../../server/src/knowledge/kfuncTable';
import { visibleParams } from '../../server/src/knowledge/kfuncTypes';
import { MACROS } from '../../server/src/knowledge/macros';
import { TYPE_TAGS } from '../../server/src/knowledge/typeTags';
import { EXAMPLES, sharedAnalyzer } from '../helpers';
import { TestClient } from '../lspClient';

function position(text: string, offset: number) {
  const before = text.slice(0, offset);
  return { line: before.split('\n').length - 1, character: offset - (before.lastIndexOf('\n') + 1) };
}

function hoverText(hover: Hover | null): string {
  return hover ? (hover.contents as { value: string }).value : '';
}

/** What a user gets by accepting a completion snippet's defaults. */
function expand(snippet: string): string {
  return snippet.replace(/\$\{\d+:([^}]*)\}/g, '$1').replace(/\$\d+/g, '');
}

describe('knowledge base through the real server', function () {
  this.timeout(60000);
  let client: TestClient;
  const file = path.join(EXAMPLES, 'knowledge_probe.bpf.c');

  before(async () => {
    client = TestClient.start();
    await client.initialize({ textDocument: { completion: { completionItem: { snippetSupport: true } } } });
  });
  after(async () => client.shutdown());

  it('answers a hover for every kfunc and helper of the table, with its signature and ownership', async () => {
    const calls = KFUNCS.map((k) => `\t${k.name}();`).join('\n');
    const text = `void probe(void)\n{\n${calls}\n}\n`;
    const uri = await client.open(file, text);
    const missing: string[] = [];
    for (const entry of KFUNCS) {
      const offset = text.indexOf(`\t${entry.name}(`) + 2;
      const value = hoverText(await client.request<Hover | null>('textDocument/hover', { textDocument: { uri }, position: position(text, offset) }));
      if (!value.includes(`${entry.name}(`) || !value.includes('**Ownership:**') || !value.includes(entry.source)) missing.push(entry.name);
    }
    await client.close(uri);
    assert.deepStrictEqual(missing, []);
  });

  it('offers every kfunc in completion with a snippet that parses as a call, and its page on resolve', async () => {
    const text = 'void probe(void)\n{\n\tbpf_\n}\n';
    const uri = await client.open(file, text);
    const at = position(text, text.indexOf('bpf_') + 4);
    const list = await client.request<CompletionList>('textDocument/completion', { textDocument: { uri }, position: at });
    await client.close(uri);
    const byLabel = new Map(list.items.map((i) => [i.label, i]));
    const analyzer = await sharedAnalyzer();
    const problems: string[] = [];
    for (const entry of KFUNCS.filter((k) => k.name.startsWith('bpf_'))) {
      const item: CompletionItem | undefined = byLabel.get(entry.name);
      if (!item) {
        problems.push(`${entry.name}: not offered`);
        continue;
      }
      const inserted = expand((item.textEdit as { newText: string }).newText);
      const args = inserted.slice(inserted.indexOf('(') + 1, -1);
      if ((args ? args.split(',').length : 0) !== visibleParams(entry).length) problems.push(`${entry.name}: snippet ${inserted}`);
      const probe = analyzer.update('/virtual/snippet.bpf.c', `void f(void)\n{\n\tx = ${inserted.replace('struct type', 'struct t')};\n}\n`);
      if (probe.model.syntaxErrors.length) problems.push(`${entry.name}: "${inserted}" does not parse`);
      // The list leaves the pages out (they made it 77 KB); the client asks for the one it shows.
      if (item.documentation) problems.push(`${entry.name}: documentation sent with the list`);
      const resolved = await client.request<CompletionItem>('completionItem/resolve', item);
      if (!(resolved.documentation as { value: string })?.value.includes('**Ownership:**')) problems.push(`${entry.name}: no documentation on resolve`);
      if (resolved.label !== item.label || (resolved.textEdit as { newText: string }).newText !== (item.textEdit as { newText: string }).newText) problems.push(`${entry.name}: resolve changed the item`);
    }
    analyzer.close('/virtual/snippet.bpf.c');
    assert.deepStrictEqual(problems, []);
  });

  it('sends plain names, never tab-stop syntax, to a client that cannot expand snippets', async () => {
    const plain = TestClient.start();
    try {
      await plain.initialize({ textDocument: { completion: { completionItem: { snippetSupport: false } } } });
      const text = 'void probe(void)\n{\n\tbpf_cpumask_set\n}\n';
      const uri = await plain.open(file, text);
      const list = await plain.request<CompletionList>('textDocument/completion', { textDocument: { uri }, position: position(text, text.indexOf('set') + 3) });
      const setCpu = list.items.find((i) => i.label === 'bpf_cpumask_set_cpu');
      assert.ok(setCpu, 'bpf_cpumask_set_cpu offered');
      assert.strictEqual((setCpu.textEdit as { newText: string }).newText, 'bpf_cpumask_set_cpu');
      assert.deepStrictEqual(list.items.filter((i) => i.insertTextFormat === 2 || /\$\{?\d/.test((i.textEdit as { newText: string }).newText)).map((i) => i.label), []);
    } finally {
      await plain.shutdown();
    }
  });

  it('answers hovers on every kptr tag and annotation macro', async () => {
    const lines = [
      'struct v {',
      ...TYPE_TAGS.map((t, i) => `\tstruct task_struct ${t.name} *f${i};`),
      '};',
      'extern int x __ksym;',
      'extern int LINUX_KERNEL_VERSION __kconfig;',
      'struct { __uint(type, BPF_MAP_TYPE_HASH); __type(key, u32); __array(values, struct v); } m SEC(".maps");',
      'private(A) struct bpf_list_head head __contains(v, node);',
      '__weak __hidden __noinline int g(struct task_struct *t __arg_ctx __arg_nonnull __arg_nullable __arg_trusted __arg_untrusted __arg_arena) { return 0; }',
      'static __always_inline int h(void) { return 0; }',
      'SEC("syscall") int BPF_PROG(p, int a) { int i; bpf_for(i, 0, 3) { } return 0; }',
      'void BPF_STRUCT_OPS(s_op, int b) { }',
    ];
    const text = lines.join('\n') + '\n';
    const uri = await client.open(file, text);
    const names = [...TYPE_TAGS.map((t) => t.name), ...MACROS.map((m) => m.name)];
    const missing: string[] = [];
    for (const name of names) {
      const offset = text.search(new RegExp(`\\b${name}\\b`));
      if (offset < 0) {
        missing.push(`${name}: not in the probe text`);
        continue;
      }
      const value = hoverText(await client.request<Hover | null>('textDocument/hover', { textDocument: { uri }, position: position(text, offset + 1) }));
      if (!value.includes(name)) missing.push(name);
    }
    await client.close(uri);
    assert.deepStrictEqual(missing, []);
  });

  it('completes section names inside SEC(" and the kptr fields in reach as bpf_kptr_xchg\'s destination', async () => {
    const text = [
      'struct slot { struct bpf_cpumask __kptr *mask; struct task_struct __kptr_untrusted *seen; int n; };',
      'private(G) struct bpf_cpumask __kptr *global_mask;',
      'SEC("tp_',
      'int BPF_PROG(p, struct task_struct *task)',
      '{',
      '\tstruct slot *v = lookup();',
      '\tstruct bpf_cpumask *old;',
      '\told = bpf_kptr_xchg(',
      '}',
    ].join('\n');
    const uri = await client.open(file, text);
    const sections = await client.request<CompletionList>('textDocument/completion', { textDocument: { uri }, position: position(text, text.indexOf('SEC("tp_') + 8) });
    assert.ok(sections.items.some((i) => i.label === 'tp_btf/'), 'tp_btf/ offered');
    assert.ok(sections.items.some((i) => i.label === 'struct_ops.s/' && /sleepable/.test(String(i.detail))), 'struct_ops.s/ offered, marked sleepable');
    const fields = await client.request<CompletionList>('textDocument/completion', { textDocument: { uri }, position: position(text, text.indexOf('bpf_kptr_xchg(') + 14) });
    assert.deepStrictEqual(fields.items.map((i) => i.label).sort(), ['&global_mask', '&v->mask']);
    await client.close(uri);
  });

  it('offers the kptr tags in a field type, and the matching release first after an acquire', async () => {
    const text = ['struct slot {', '\tstruct bpf_cpumask ', '};', 'int f(void)', '{', '\tstruct task_struct *t = bpf_task_from_pid(1);', '\tbpf_', '}'].join('\n');
    const uri = await client.open(file, text);
    const tags = await client.request<CompletionList>('textDocument/completion', { textDocument: { uri }, position: position(text, text.indexOf('bpf_cpumask ') + 12) });
    assert.deepStrictEqual(tags.items.map((i) => i.label).sort(), TYPE_TAGS.map((t) => t.name).sort());
    const calls = await client.request<CompletionList>('textDocument/completion', { textDocument: { uri }, position: position(text, text.lastIndexOf('bpf_') + 4) });
    const sorted = [...calls.items].sort((a, b) => String(a.sortText).localeCompare(String(b.sortText)));
    assert.strictEqual(sorted[0].label, 'bpf_task_release');
    await client.close(uri);
  });

  it('offers nothing for plain C identifiers', async () => {
    const text = 'int f(void)\n{\n\tint counter = 0;\n\tcou\n}\n';
    const uri = await client.open(file, text);
    const list = await client.request<CompletionList>('textDocument/completion', { textDocument: { uri }, position: position(text, text.indexOf('\tcou') + 4) });
    assert.deepStrictEqual(list.items, []);
    await client.close(uri);
  });

  it('marks entries newer than the configured kernel', async () => {
    const other = TestClient.start();
    other.settings = { kernelVersion: '6.8' };
    try {
      await other.initialize({ workspace: { configuration: true } });
      const text = 'void f(void)\n{\n\tbpf_task_from\n}\n';
      const uri = await other.open(file, text);
      await other.waitForDiagnostics(uri);
      const list = await other.request<CompletionList>('textDocument/completion', { textDocument: { uri }, position: position(text, text.indexOf('bpf_task_from') + 13) });
      const vpid = list.items.find((i) => i.label === 'bpf_task_from_vpid')!;
      assert.match(String(vpid.detail), /6\.13\+, newer than 6\.8/);
      const pid = list.items.find((i) => i.label === 'bpf_task_from_pid')!;
      assert.ok(String(pid.sortText) < String(vpid.sortText), 'available entries sort first');
    } finally {
      await other.shutdown();
    }
  });

  it('gives signature help with the active parameter and what each argument must be', async () => {
    const text = 'void f(void)\n{\n\tbpf_cpumask_and(dst, a, \n}\n';
    const uri = await client.open(file, text);
    const help = await client.request<SignatureHelp | null>('textDocument/signatureHelp', { textDocument: { uri }, position: position(text, text.indexOf('a, ') + 3) });
    await client.close(uri);
    assert.ok(help);
    assert.strictEqual(help.activeParameter, 2);
    const signature = help.signatures[0];
    assert.match(signature.label, /bpf_cpumask_and\(struct bpf_cpumask \*dst, const struct cpumask \*src1, const struct cpumask \*src2\)/);
    const [start, end] = signature.parameters![2].label as [number, number];
    assert.strictEqual(signature.label.slice(start, end), 'const struct cpumask *src2');
    assert.match((signature.parameters![0].documentation as { value: string }).value, /RCU/);
  });
});
