import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { lookupSection } from '../../server/src/knowledge/sections';
import { EXAMPLES, FIXTURES, listFiles, sharedAnalyzer } from '../helpers';

const IDIOMS = path.join(FIXTURES, 'parsing', 'bpf_idioms.bpf.c');

describe('BPF document model', () => {
  it('parses every example and parsing fixture with zero syntax errors', async () => {
    const analyzer = await sharedAnalyzer();
    const files = [...listFiles(EXAMPLES, /\.bpf\.[ch]$/), ...listFiles(path.join(FIXTURES, 'parsing'), /\.bpf\.[ch]$/)];
    assert.ok(files.length >= 8, `found ${files.length} files`);
    for (const file of files) {
      const analysis = analyzer.update(file, fs.readFileSync(file, 'utf8'));
      const errors = analysis.model.syntaxErrors.map((s) => JSON.stringify(analysis.text.slice(s.start, s.end + 20)));
      assert.deepStrictEqual(errors, [], `${path.basename(file)} has syntax errors`);
      analyzer.close(file);
    }
  });

  describe('on the idioms fixture', () => {
    let analysis: Awaited<ReturnType<Awaited<ReturnType<typeof sharedAnalyzer>>['update']>>;
    before(async () => {
      const analyzer = await sharedAnalyzer();
      analysis = analyzer.update(IDIOMS, fs.readFileSync(IDIOMS, 'utf8'));
    });
    after(async () => (await sharedAnalyzer()).close(IDIOMS));

    const text = () => analysis.text;
    const at = (span: { start: number; end: number }) => text().slice(span.start, span.end);

    it('reads every kptr tag on struct fields, with exact ranges', () => {
      const kinds = analysis.model.structs.find((s) => s.name === 'kinds')!;
      const tagged = kinds.fields.filter((f) => f.tag).map((f) => [f.name, f.tag!.name, f.type.struct]);
      assert.deepStrictEqual(tagged, [
        ['owned_task', '__kptr', 'task_struct'],
        ['seen_task', '__kptr_untrusted', 'task_struct'],
        ['old_style', '__kptr_ref', 'cgroup'],
        ['per_cpu', '__percpu_kptr', 'node_data'],
        ['udata', '__uptr', 'user_data'],
        ['inner_mask', '__kptr', 'bpf_cpumask'],
      ]);
      for (const field of kinds.fields.filter((f) => f.tag)) {
        assert.strictEqual(at(field.tag!.span), field.tag!.name);
        assert.strictEqual(at(field.nameSpan), field.name);
      }
      assert.strictEqual(kinds.fields.find((f) => f.name === 'plain')!.tag, undefined);
    });

    it('reads map definitions: type, key, value, max entries', () => {
      const byId = analysis.model.maps.find((m) => m.name === 'by_id')!;
      assert.strictEqual(byId.section, '.maps');
      assert.strictEqual(byId.attributes.type.value, 'BPF_MAP_TYPE_LRU_HASH');
      assert.strictEqual(byId.attributes.max_entries.value, '1 << 10');
      assert.strictEqual(byId.attributes.key.value, 'u64');
      assert.strictEqual(byId.valueStruct, 'kinds', 'the typedef resolves to its struct');
      assert.strictEqual(at(byId.nameSpan), 'by_id');
      const inner = analysis.model.maps.find((m) => m.name === 'inner')!;
      assert.strictEqual(inner.valueStruct, 'kinds');
      const outer = analysis.model.maps.find((m) => m.name === 'outer')!;
      assert.strictEqual(outer.attributes.values.value, 'struct inner_map');
    });

    it('reads programs behind every wrapper with their real name, section and type', () => {
      const programs = analysis.model.functions
        .filter((f) => f.section)
        .map((f) => [f.name, f.wrapper ?? '', f.section, lookupSection(f.section!)?.def.programType, lookupSection(f.section!)?.def.sleepable]);
      assert.deepStrictEqual(programs, [
        ['on_new_task', 'BPF_PROG', 'tp_btf/task_newtask', 'TRACING', false],
        ['on_exit', 'BPF_KPROBE', 'kprobe/do_exit', 'KPROBE', false],
        ['on_exit_ret', 'BPF_KRETPROBE', 'kretprobe/do_exit', 'KPROBE', false],
        ['sleepy', 'BPF_PROG', 'fentry.s/bpf_fentry_test1', 'TRACING', true],
        ['idioms_enqueue', 'BPF_STRUCT_OPS', 'struct_ops/idioms_enqueue', 'STRUCT_OPS', false],
        ['idioms_init', 'BPF_STRUCT_OPS_SLEEPABLE', 'struct_ops.s/idioms_init', 'STRUCT_OPS', true],
        ['plain_program', '', 'syscall', 'SYSCALL', true],
      ]);
      const onNewTask = analysis.model.functions.find((f) => f.name === 'on_new_task')!;
      assert.strictEqual(at(onNewTask.nameSpan), 'on_new_task');
      assert.deepStrictEqual(onNewTask.params.map((p) => [p.name, p.type.text]), [
        ['task', 'struct task_struct *'],
        ['clone_flags', 'u64'],
      ]);
    });

    it('reads function attributes and argument tags', () => {
      const fn = (name: string) => analysis.model.functions.find((f) => f.name === name)!;
      assert.deepStrictEqual(fn('add_one').attributes, ['__always_inline']);
      assert.strictEqual(fn('add_one').isStatic, true);
      assert.deepStrictEqual(fn('global_helper').attributes, ['__weak']);
      assert.strictEqual(fn('global_helper').isStatic, false);
      assert.deepStrictEqual(fn('global_helper').params.map((p) => p.argTags), [['__arg_trusted'], ['__arg_trusted', '__arg_nullable']]);
      assert.deepStrictEqual(fn('hidden_helper').attributes, ['__hidden']);
      assert.deepStrictEqual(fn('not_inlined').attributes, ['__noinline']);
    });

    it('reads __ksym externs, __kconfig and private() globals', () => {
      const create = analysis.model.functions.find((f) => f.name === 'bpf_cpumask_create')!;
      assert.ok(create.isKsym && create.isPrototype);
      assert.strictEqual(create.returnType.text, 'struct bpf_cpumask *');
      const release = analysis.model.functions.find((f) => f.name === 'bpf_cpumask_release')!;
      assert.ok(release.isKsym);
      const active = analysis.model.globals.find((g) => g.name === 'bpf_prog_active')!;
      assert.ok(active.isKsym && active.isExtern);
      assert.ok(analysis.model.globals.find((g) => g.name === 'LINUX_KERNEL_VERSION')!.isKconfig);
      const mask = analysis.model.globals.find((g) => g.name === 'global_mask')!;
      assert.strictEqual(mask.privateName, 'MASKS');
      assert.strictEqual(mask.section, '.data.MASKS');
      assert.strictEqual(mask.tag?.name, '__kptr');
      assert.strictEqual(mask.type.struct, 'bpf_cpumask');
      assert.strictEqual(analysis.model.globals.find((g) => g.name === 'glock')!.section, '.data.A');
      const license = analysis.model.globals.find((g) => g.name === '_license')!;
      assert.strictEqual(license.section, 'license');
    });

    it('resolves quoted includes so header declarations are visible', () => {
      assert.deepStrictEqual(
        analysis.model.includes.map((i) => [i.path, i.system]),
        [
          ['vmlinux.h', false],
          ['bpf/bpf_helpers.h', true],
          ['idioms_helpers.bpf.h', false],
        ],
      );
      const header = analysis.visible.struct('header_value');
      assert.ok(header, 'struct header_value from the header is visible');
      assert.strictEqual(path.basename(header.file!), 'idioms_helpers.bpf.h');
      assert.strictEqual(header.item.fields[0].tag?.name, '__kptr');
      assert.strictEqual(analysis.visible.function('header_helper')?.item.isStatic, true);
      assert.strictEqual(analysis.visible.headers.length, 1, 'vmlinux.h and system headers are never parsed');
    });
  });

  it('resolves <...> includes through the include paths only', async () => {
    const analyzer = await sharedAnalyzer();
    const file = path.join(FIXTURES, 'parsing', 'angle.bpf.c');
    const text = '#include <idioms_helpers.bpf.h>\nint x;\n';
    try {
      assert.strictEqual(analyzer.update(file, text).visible.headers.length, 0, 'not beside the file, as a compiler would not');
      analyzer.configure({ includePaths: [path.join(FIXTURES, 'parsing')] });
      const analysis = analyzer.update(file, text, 1);
      assert.ok(analysis.visible.struct('header_value'), 'found through the include path');
    } finally {
      analyzer.configure({ includePaths: [] });
      analyzer.close(file);
    }
  });

  it('keeps positions in UTF-16 code units across non-ASCII text', async () => {
    const analyzer = await sharedAnalyzer();
    const text = '/* größe 😀 */ struct v { struct bpf_cpumask __kptr *m; };';
    const analysis = analyzer.update('/virtual/utf16.bpf.c', text);
    const field = analysis.model.structs[0].fields[0];
    assert.strictEqual(text.slice(field.tag!.span.start, field.tag!.span.end), '__kptr');
    assert.strictEqual(text.slice(field.nameSpan.start, field.nameSpan.end), 'm');
    analyzer.close('/virtual/utf16.bpf.c');
  });
});
