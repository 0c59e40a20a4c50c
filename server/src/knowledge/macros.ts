import { KernelVersion, parseKernelVersion as v } from './kernelVersion';
import { KERNEL_DOCS } from './typeTags';

/**
 * The annotation and definition macros of BPF C, other than the kptr type
 * tags (typeTags.ts). `expandsTo` is the definition as found in the cited
 * header (a fact); the explanations are ours.
 */
export interface MacroInfo {
  name: string;
  /** How it is written, with its arguments. */
  usage: string;
  expandsTo: string;
  meaning: string;
  ownership: string;
  since: KernelVersion;
  sinceNote: string;
  source: string;
  docUrl: string;
  example: string;
}

const HELPERS_H = 'tools/lib/bpf/bpf_helpers.h (libbpf)';
const TRACING_H = 'tools/lib/bpf/bpf_tracing.h (libbpf)';

export const MACROS: readonly MacroInfo[] = [
  {
    name: '__ksym',
    usage: 'extern TYPE name(...) __ksym;',
    expandsTo: '__attribute__((section(".ksyms")))',
    meaning: 'Declares a kernel symbol the program uses: a kfunc, or a kernel variable. libbpf resolves it against the running kernel\'s BTF when the object is loaded.',
    ownership: 'A kfunc declared this way keeps the contract the kernel registered for it (acquire, release, may return NULL...); bpf-kptr applies its own table of those contracts to the calls.',
    since: v('5.11'),
    sinceNote: 'typed ksyms from kernel 5.11 (libbpf 0.3); kfunc calls from 5.13',
    source: HELPERS_H,
    docUrl: KERNEL_DOCS.kfuncs,
    example: 'struct bpf_cpumask *bpf_cpumask_create(void) __ksym;',
  },
  {
    name: '__kconfig',
    usage: 'extern TYPE CONFIG_NAME __kconfig;',
    expandsTo: '__attribute__((section(".kconfig")))',
    meaning: 'Declares a kernel configuration value (or LINUX_KERNEL_VERSION) that libbpf fills in at load time from the running kernel.',
    ownership: 'None: a scalar.',
    since: v('5.6'),
    sinceNote: 'libbpf 0.0.7',
    source: HELPERS_H,
    docUrl: KERNEL_DOCS.libbpfProgramTypes,
    example: 'extern int LINUX_KERNEL_VERSION __kconfig;',
  },
  {
    name: '__weak',
    usage: 'extern ... __ksym __weak;  /  __weak int global_fn(...)',
    expandsTo: '__attribute__((weak))',
    meaning: 'On a __ksym declaration, lets the object load on kernels that lack the symbol (test it with bpf_ksym_exists()). On a function definition, marks a global function the verifier checks on its own.',
    ownership: 'A non-static function is verified separately: it can borrow references but never take or hand back ownership.',
    since: v('5.2'),
    sinceNote: 'weak ksyms from libbpf 0.6 (kernel 5.15)',
    source: HELPERS_H,
    docUrl: KERNEL_DOCS.kfuncs,
    example: 'struct task_struct *bpf_task_from_vpid(s32 vpid) __ksym __weak;',
  },
  {
    name: '__hidden',
    usage: '__hidden int helper(...)',
    expandsTo: '__attribute__((visibility("hidden")))',
    meaning: 'Gives a non-static function hidden visibility: the verifier then treats it like a static function, verified inline at each call.',
    ownership: 'Like a static function, it may take, release and return references on behalf of its caller.',
    since: v('5.13'),
    sinceNote: 'libbpf 0.4',
    source: HELPERS_H,
    docUrl: KERNEL_DOCS.verifier,
    example: '__hidden int stash_task(struct task_struct *p) { ... }',
  },
  {
    name: '__always_inline',
    usage: 'static __always_inline int helper(...)',
    expandsTo: 'inline __attribute__((always_inline))',
    meaning: 'Asks clang to inline the function into every caller.',
    ownership: 'Static functions are analysed at each call either way, as the verifier does; inlining changes nothing for ownership.',
    since: v('4.1'),
    sinceNote: 'long-standing',
    source: HELPERS_H,
    docUrl: KERNEL_DOCS.verifier,
    example: 'static __always_inline struct slot *lookup(u32 key) { ... }',
  },
  {
    name: '__noinline',
    usage: '__noinline int helper(...)',
    expandsTo: '__attribute__((noinline))',
    meaning: 'Keeps the function a separate BPF subprogram.',
    ownership: 'A static __noinline function is still verified in the caller\'s context; a non-static one is a global function, checked on its own.',
    since: v('4.1'),
    sinceNote: 'long-standing',
    source: HELPERS_H,
    docUrl: KERNEL_DOCS.verifier,
    example: '__noinline int count_running(struct task_struct *t __arg_trusted) { ... }',
  },
  ...(
    [
      ['__arg_ctx', 'arg:ctx', 'the argument is the program context', 'None: the context is not a reference.', '6.8'],
      ['__arg_nonnull', 'arg:nonnull', 'a pointer argument of a global function is never NULL', 'The caller must pass a checked pointer.', '6.8'],
      ['__arg_nullable', 'arg:nullable', 'an __arg_trusted argument may be NULL', 'The function must check the argument before use; callers may pass pointers that may be NULL.', '6.9'],
      ['__arg_trusted', 'arg:trusted', 'a pointer argument of a global function is a trusted kernel pointer', 'The function can use it with kfuncs and acquire its own reference, but it does not own the argument: releasing it is refused. Callers must pass a trusted, non-NULL pointer.', '6.9'],
      ['__arg_untrusted', 'arg:untrusted', 'a pointer argument of a global function is untrusted', 'Only probe-style reads are allowed through it.', '6.17'],
      ['__arg_arena', 'arg:arena', 'a pointer argument points into a BPF arena', 'None: arena memory is not reference counted.', '6.9'],
    ] as const
  ).map(
    ([name, tag, what, ownership, since]): MacroInfo => ({
      name,
      usage: `int fn(TYPE *arg ${name})`,
      expandsTo: `__attribute((btf_decl_tag("${tag}")))`,
      meaning: `Tells the verifier, which checks global functions on their own, that ${what}.`,
      ownership,
      since: v(since),
      sinceNote: `kernel ${since}`,
      source: HELPERS_H,
      docUrl: KERNEL_DOCS.verifier,
      example: `__noinline int fn(struct task_struct *task ${name}) { ... }`,
    }),
  ),
  {
    name: '__contains',
    usage: 'struct bpf_list_head head __contains(TYPE, FIELD);',
    expandsTo: '__attribute__((btf_decl_tag("contains:" #name ":" #node)))',
    meaning: 'Names the struct and its node field that a bpf_list_head or bpf_rb_root holds.',
    ownership: 'Objects pushed into the collection are owned by it until popped or removed; the protecting bpf_spin_lock must be held around every list or rbtree kfunc.',
    since: v('6.2'),
    sinceNote: 'kernel 6.2 (selftests bpf_experimental.h)',
    source: 'tools/testing/selftests/bpf/bpf_experimental.h',
    docUrl: KERNEL_DOCS.graphs,
    example: 'private(A) struct bpf_list_head head __contains(node_data, node);',
  },
  {
    name: 'private',
    usage: 'private(NAME) TYPE variable;',
    expandsTo: 'SEC(".data." #name) __hidden __attribute__((aligned(8)))',
    meaning: 'Puts a global variable in its own data section, which libbpf turns into its own array map. sched_ext and the kernel selftests define it; it is not part of libbpf.',
    ownership: 'A __kptr global declared this way owns its reference like a map field: write it with bpf_kptr_xchg.',
    since: v('6.2'),
    sinceNote: 'selftests and sched_ext headers',
    source: 'tools/sched_ext/include/scx/common.bpf.h, tools/testing/selftests/bpf/progs/cpumask_common.h',
    docUrl: KERNEL_DOCS.cpumasks,
    example: 'private(MASKS) struct bpf_cpumask __kptr *idle_mask;',
  },
  {
    name: 'SEC',
    usage: 'SEC("section")',
    expandsTo: '__attribute__((section(name), used))',
    meaning: 'Places a function or variable in an ELF section. For a function the section name tells libbpf the program type and attach point (tp_btf/..., kprobe/..., struct_ops/...); ".maps" marks map definitions; "license" the license string.',
    ownership: 'The program type decides which kfuncs may be called and whether the program may sleep (".s" sections).',
    since: v('4.1'),
    sinceNote: 'long-standing',
    source: HELPERS_H,
    docUrl: KERNEL_DOCS.libbpfProgramTypes,
    example: 'SEC("tp_btf/task_newtask")\nint BPF_PROG(on_new_task, struct task_struct *task, u64 clone_flags)',
  },
  {
    name: 'BPF_PROG',
    usage: 'int BPF_PROG(name, TYPE arg1, TYPE arg2...)',
    expandsTo: 'a function `int name(unsigned long long *ctx)` that reads each argument from ctx and calls a static `____name(...)` with them',
    meaning: 'Writes a BTF-typed program (tp_btf, fentry, fexit, lsm, iter, struct_ops) with named, typed arguments instead of raw context slots.',
    ownership: 'The arguments of BTF programs are trusted pointers: usable with kfuncs, never owned (releasing one is refused).',
    since: v('5.5'),
    sinceNote: 'libbpf 0.0.6',
    source: TRACING_H,
    docUrl: KERNEL_DOCS.libbpfProgramTypes,
    example: 'SEC("tp_btf/task_newtask")\nint BPF_PROG(on_new_task, struct task_struct *task, u64 clone_flags)',
  },
  {
    name: 'BPF_STRUCT_OPS',
    usage: 'RET BPF_STRUCT_OPS(name, args...)',
    expandsTo: 'SEC("struct_ops/" #name) BPF_PROG(name, ##args)',
    meaning: 'Writes a struct_ops callback (for example a sched_ext operation). sched_ext headers define it; BPF_STRUCT_OPS_SLEEPABLE uses the struct_ops.s section.',
    ownership: 'struct_ops callbacks may hand a referenced pointer back to the kernel by returning it.',
    since: v('6.12'),
    sinceNote: 'sched_ext (kernel 6.12)',
    source: 'tools/sched_ext/include/scx/common.bpf.h',
    docUrl: KERNEL_DOCS.libbpfProgramTypes,
    example: 's32 BPF_STRUCT_OPS_SLEEPABLE(sched_init)\n{\n\treturn 0;\n}',
  },
  {
    name: '__uint',
    usage: '__uint(name, value);',
    expandsTo: 'int (*name)[val]',
    meaning: 'An integer attribute of a map definition: type, max_entries, map_flags, pinning...',
    ownership: 'The map type decides whether values may hold kptr fields (hash, array, their variants and local storage maps do).',
    since: v('5.3'),
    sinceNote: 'BTF-defined maps, libbpf 0.0.4',
    source: HELPERS_H,
    docUrl: KERNEL_DOCS.maps,
    example: '__uint(type, BPF_MAP_TYPE_HASH);',
  },
  {
    name: '__type',
    usage: '__type(name, TYPE);',
    expandsTo: 'typeof(val) *name',
    meaning: 'The key or value type of a map definition.',
    ownership: 'kptr fields in the value type are owned by the map: bpf-kptr reads them from here.',
    since: v('5.3'),
    sinceNote: 'BTF-defined maps, libbpf 0.0.4',
    source: HELPERS_H,
    docUrl: KERNEL_DOCS.maps,
    example: '__type(value, struct task_ctx);',
  },
  {
    name: '__array',
    usage: '__array(name, TYPE);',
    expandsTo: 'typeof(val) *name[]',
    meaning: 'The inner map (map-in-map) or program (prog array) type of a map definition.',
    ownership: 'Inner maps of kptr-capable types can hold kptrs too.',
    since: v('5.6'),
    sinceNote: 'libbpf 0.0.7',
    source: HELPERS_H,
    docUrl: KERNEL_DOCS.maps,
    example: '__array(values, struct inner_map);',
  },
  {
    name: 'bpf_for',
    usage: 'bpf_for(i, start, end) { ... }',
    expandsTo: 'a loop over a bpf_iter_num iterator (bpf_iter_num_new/next/destroy)',
    meaning: 'A bounded loop the verifier checks once for any number of iterations.',
    ownership: 'A reference acquired in one iteration must be released or stored in that iteration: the next one overwrites the variable.',
    since: v('6.4'),
    sinceNote: 'open-coded iterators, kernel 6.4',
    source: 'tools/testing/selftests/bpf/bpf_experimental.h, libbpf bpf_helpers.h',
    docUrl: KERNEL_DOCS.kfuncs,
    example: 'bpf_for(i, 0, nr_cpus) {\n\t/* ... */\n}',
  },
];

export const MACRO_BY_NAME: ReadonlyMap<string, MacroInfo> = new Map(MACROS.map((m) => [m.name, m]));

/** Wrappers documented under BPF_PROG's or BPF_STRUCT_OPS's entry. */
export function macroInfoFor(name: string): MacroInfo | undefined {
  if (MACRO_BY_NAME.has(name)) return MACRO_BY_NAME.get(name);
  if (name === 'BPF_STRUCT_OPS_SLEEPABLE') return MACRO_BY_NAME.get('BPF_STRUCT_OPS');
  if (/^BPF_(PROG2|KPROBE|KRETPROBE|UPROBE|URETPROBE|KSYSCALL|KPROBE_SYSCALL|USDT)$/.test(name)) return MACRO_BY_NAME.get('BPF_PROG');
  if (name === '__ulong') return MACRO_BY_NAME.get('__uint');
  if (name === 'bpf_repeat' || name === 'bpf_for_each') return MACRO_BY_NAME.get('bpf_for');
  return undefined;
}
