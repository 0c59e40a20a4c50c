import * as assert from 'assert';
import { maskBpfMacros, sectionName } from '../../server/src/parsing/bpfMask';

describe('BPF macro masking', () => {
  it('keeps every offset and newline while blanking macros', () => {
    const text = 'SEC("tp_btf/task_newtask")\nint f(void) { return 0; }\nstruct v { struct bpf_cpumask __kptr *m; };\n';
    const masked = maskBpfMacros(text);
    assert.strictEqual(masked.text.length, text.length);
    assert.deepStrictEqual(
      [...masked.text].map((c, i) => (c === '\n') === (text[i] === '\n')).every(Boolean),
      true,
    );
    assert.ok(!masked.text.includes('SEC'));
    assert.ok(!masked.text.includes('__kptr'));
    const tag = masked.macros.find((m) => m.name === '__kptr')!;
    assert.strictEqual(text.slice(tag.start, tag.end), '__kptr');
  });

  it('turns map-definition macros into plain fields', () => {
    const text = 'struct {\n\t__uint(type, BPF_MAP_TYPE_HASH);\n\t__type(value, struct foo);\n} m SEC(".maps");';
    const masked = maskBpfMacros(text);
    assert.match(masked.text, /int {4}type\s+;/);
    assert.match(masked.text, /int {4}value\s+;/);
    const value = masked.macros.find((m) => m.name === '__type')!;
    assert.deepStrictEqual(value.args.map((a) => a.text), ['value', 'struct foo']);
  });

  it('reads `struct x` given to a call as a type argument, but not to sizeof or outside a call', () => {
    const text = [
      'n = bpf_obj_new(struct node_data);',
      'm = pick(a, struct mask_slot, b);',
      'size = sizeof(struct node_data);',
      'p = (struct node_data) q;',
      'g(a; struct lost, b);',
    ].join('\n');
    const masked = maskBpfMacros(text);
    const typeArguments = masked.macros.filter((m) => m.syntax === 'typeArgument').map((m) => m.args[0].text);
    assert.deepStrictEqual(typeArguments, ['struct node_data', 'struct mask_slot']);
    const lines = masked.text.split('\n');
    assert.strictEqual(lines[0], 'n = bpf_obj_new(       node_data);');
    assert.strictEqual(lines[1], 'm = pick(a,        mask_slot, b);');
    assert.deepStrictEqual(lines.slice(2), text.split('\n').slice(2));
  });

  it('leaves comments, strings and preprocessor lines alone', () => {
    const text = '// SEC("x") __kptr\n/* __ksym */\n#define private(n) SEC(".data." #n)\nchar *s = "__kptr";\n';
    const masked = maskBpfMacros(text);
    assert.strictEqual(masked.text, text);
    assert.strictEqual(masked.macros.length, 0);
  });

  it('rewrites bpf_for and bpf_repeat as loops of the same extent', () => {
    const text = 'bpf_for(i, 0, nr) { } bpf_repeat(8) { } bpf_for_each(task_vma, vma, task, 0) { }';
    const masked = maskBpfMacros(text).text;
    assert.strictEqual(masked.length, text.length);
    assert.ok(masked.startsWith('    for(i; 0; nr)'));
    assert.ok(masked.includes('     while(8)'));
    assert.ok(masked.includes('         for(task_vma; vma; task, 0)'));
  });

  it('reads a member given to a macro as an expression: M(base, [i]), M(base, .f[i]), OPS(name, .op = fn)', () => {
    const text = [
      'p = MEMBER_VPTR(cpu_llc, [cpu]);',
      'q = MEMBER_VPTR(*cpuc, .lstats[layer->id][id]);',
      'r = ELEM(tbl, [i][j].mask);',
      'OPS_DEFINE(sched, .enqueue = (void *)sched_enqueue, .flags = A | B, .name = "sched");',
    ].join('\n');
    const masked = maskBpfMacros(text);
    assert.deepStrictEqual(masked.text.split('\n'), [
      'p = MEMBER_VPTR(cpu_llc,  cpu );',
      'q = MEMBER_VPTR(*cpuc,  lstats[layer->id][id]);',
      'r = ELEM(tbl,  i [j].mask);',
      'OPS_DEFINE(sched,  enqueue = (void *)sched_enqueue,  flags = A | B,  name = "sched");',
    ]);
    const members = masked.macros.filter((m) => m.syntax === 'memberArgument').map((m) => text.slice(m.start, m.end));
    assert.deepStrictEqual(members, ['[cpu]', '.', '[i]', '.', '.', '.']);
  });

  it('leaves designated initializers, variadic parameters, numbers and C23 attributes as they are', () => {
    const text = [
      'f((struct s){ .a = 1, .b = { [0] = 2 } }, x);',
      'int g(const char *fmt, ...);',
      'h(.5, 1.5);',
      'void k([[maybe_unused]] int x);',
      'v = a.b[c];',
    ].join('\n');
    const masked = maskBpfMacros(text);
    assert.strictEqual(masked.text, text);
    assert.deepStrictEqual(masked.macros, []);
  });

  it('blanks attributes after a declarator, where the grammar takes none, and keeps cleanup functions', () => {
    const text = [
      'const bool stats __attribute__((used)) = false;',
      'struct st totals[8] SEC(".bss") __attribute__((aligned(64)));',
      'struct bpf_cpumask *m __attribute__((cleanup(drop_mask))) = NULL;',
      '__attribute__((always_inline)) static int f(void);',
    ].join('\n');
    const masked = maskBpfMacros(text);
    const lines = masked.text.split('\n');
    const blanked = (attribute: string) => ' '.repeat(attribute.length);
    assert.strictEqual(lines[0], `const bool stats ${blanked('__attribute__((used))')} = false;`);
    assert.match(lines[1], /^struct st totals\[8\] +;$/);
    assert.strictEqual(lines[2], `struct bpf_cpumask *m ${blanked('__attribute__((cleanup(drop_mask)))')} = NULL;`);
    assert.strictEqual(lines[3], text.split('\n')[3]);
    const cleanups = masked.macros.filter((m) => m.syntax === 'cleanupAttribute').map((m) => m.args[0].text);
    assert.deepStrictEqual(cleanups, ['drop_mask']);
  });

  it('blanks the names the file defines as nothing or as attributes, and the `...` of named variadic macros', () => {
    const text = [
      '#define FN_ATTRS inline __attribute__((unused, always_inline))',
      '#define __fancy',
      '#define NOT_AN_ATTRIBUTE 42',
      '#define CONTINUED __attribute__((unused)) \\',
      '\t__attribute__((cold))',
      '#define dbg(fmt, args...) bpf_printk(fmt, ##args)',
      'static FN_ATTRS int f(int __fancy *p) { return NOT_AN_ATTRIBUTE + CONTINUED; }',
    ].join('\n');
    const masked = maskBpfMacros(text);
    const lines = masked.text.split('\n');
    assert.strictEqual(lines[5], '#define dbg(fmt, args   ) bpf_printk(fmt, ##args)');
    assert.strictEqual(lines[6], 'static          int f(int         *p) { return NOT_AN_ATTRIBUTE + CONTINUED; }');
    assert.deepStrictEqual(masked.macros.map((m) => m.name), ['FN_ATTRS', '__fancy']);
    assert.deepStrictEqual(lines.slice(0, 5), text.split('\n').slice(0, 5));
  });

  it('does not guess when a macro call is not closed', () => {
    const text = 'SEC("tp_btf/x"\nint f(void) {}';
    const masked = maskBpfMacros(text);
    assert.strictEqual(masked.text, text);
  });

  it('reads section names, including concatenated literals', () => {
    const masked = maskBpfMacros('SEC("?fentry.s/" SYS_PREFIX "sys_getpgid") int f(void) { return 0; }');
    const sec = masked.macros.find((m) => m.name === 'SEC')!;
    assert.deepStrictEqual(sectionName(sec.args[0]), { name: '?fentry.s/sys_getpgid', complete: false });
    const plain = maskBpfMacros('SEC("tp_btf/task_newtask") int f(void) { return 0; }').macros[0];
    assert.deepStrictEqual(sectionName(plain.args[0]), { name: 'tp_btf/task_newtask', complete: true });
  });
});

describe('BPF macro masking while typing', () => {
  it('does not let a half-typed SEC(" swallow the function after it', () => {
    const text = 'SEC("tp_\nint BPF_PROG(p, struct task_struct *task)\n{\n\treturn 0;\n}\n';
    const masked = maskBpfMacros(text);
    assert.ok(masked.text.includes('int BPF_PROG(p, struct task_struct *task)'));
  });
});
