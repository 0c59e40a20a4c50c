/**
 * How each BPF macro that plain C grammars cannot parse is turned into text
 * the C grammar accepts, keeping every offset. Facts about what the macros
 * expand to come from libbpf's bpf_helpers.h and bpf_tracing.h and from the
 * kernel selftests' bpf_misc.h / bpf_experimental.h.
 */

export type MacroSyntax =
  /** A bare word that expands to an attribute: blanked. */
  | 'attribute'
  /** NAME(...) that expands to an attribute or section: blanked with its arguments. */
  | 'attributeCall'
  /** __uint(name, value) and friends inside a map definition: kept as a plain `int name` field. */
  | 'mapField'
  /** bpf_for(i, start, end) style loops: rewritten as a `for` header with the same extent. */
  | 'forLoop'
  /** bpf_repeat(n): rewritten as a `while` header. */
  | 'whileLoop'
  /** `__attribute__((cleanup(fn)))` after a declarator, which the C grammar refuses there: blanked, fn recorded. */
  | 'cleanupAttribute'
  /** A bare `struct name` passed to a macro (bpf_obj_new(struct foo)): the keyword is blanked, the type recorded. */
  | 'typeArgument'
  /** `scoped_guard(kind) { ... }`: rewritten as `if(1) { ... }`, the guard's kind recorded. */
  | 'scopedGuard'
  /** A macro argument that names a member, `M(base, [i])` or `M(ops, .field = x)`: the `[ ]` or `.` is blanked. */
  | 'memberArgument';

export interface MacroSyntaxEntry {
  name: string;
  syntax: MacroSyntax;
  /** For loop macros: which argument the macro assigns on each iteration. */
  loopVariableArg?: number;
}

export const MACRO_SYNTAX: readonly MacroSyntaxEntry[] = [
  { name: '__kptr', syntax: 'attribute' },
  { name: '__kptr_untrusted', syntax: 'attribute' },
  { name: '__kptr_ref', syntax: 'attribute' },
  { name: '__percpu_kptr', syntax: 'attribute' },
  { name: '__uptr', syntax: 'attribute' },
  { name: '__ksym', syntax: 'attribute' },
  { name: '__kconfig', syntax: 'attribute' },
  { name: '__weak', syntax: 'attribute' },
  { name: '__hidden', syntax: 'attribute' },
  { name: '__always_inline', syntax: 'attribute' },
  { name: '__noinline', syntax: 'attribute' },
  { name: '__arg_ctx', syntax: 'attribute' },
  { name: '__arg_nonnull', syntax: 'attribute' },
  { name: '__arg_nullable', syntax: 'attribute' },
  { name: '__arg_trusted', syntax: 'attribute' },
  { name: '__arg_untrusted', syntax: 'attribute' },
  { name: '__arg_arena', syntax: 'attribute' },
  { name: '__rcu', syntax: 'attribute' },
  // address_space(1) and its data section: scx and selftests bpf_arena_common.h.
  { name: '__arena', syntax: 'attribute' },
  { name: '__arena_global', syntax: 'attribute' },
  // __attribute__((__unused__)) in the kernel's compiler_attributes.h, copied by BPF projects.
  { name: '__maybe_unused', syntax: 'attribute' },
  { name: '__always_unused', syntax: 'attribute' },
  // no_sanitize("address"): sched-ext/scx lib/alloc/asan.h.
  { name: '__noasan', syntax: 'attribute' },
  { name: '__percpu', syntax: 'attribute' },
  { name: '__success', syntax: 'attribute' },
  { name: '__failure', syntax: 'attribute' },
  { name: 'SEC', syntax: 'attributeCall' },
  { name: 'private', syntax: 'attributeCall' },
  { name: '__contains', syntax: 'attributeCall' },
  { name: '__free', syntax: 'attributeCall' },
  { name: '__msg', syntax: 'attributeCall' },
  { name: '__description', syntax: 'attributeCall' },
  { name: '__log_level', syntax: 'attributeCall' },
  { name: '__retval', syntax: 'attributeCall' },
  { name: '__uint', syntax: 'mapField' },
  { name: '__type', syntax: 'mapField' },
  { name: '__array', syntax: 'mapField' },
  { name: '__ulong', syntax: 'mapField' },
  { name: 'bpf_for', syntax: 'forLoop', loopVariableArg: 0 },
  { name: 'bpf_for_each', syntax: 'forLoop', loopVariableArg: 1 },
  { name: 'bpf_repeat', syntax: 'whileLoop' },
  { name: '__attribute__', syntax: 'cleanupAttribute' },
  { name: 'scoped_guard', syntax: 'scopedGuard' },
];

/** Guards (cleanup.h style) whose kind the engine understands: what entering and leaving the scope calls. */
export const GUARD_CALLS: ReadonlyMap<string, { enter: string; exit: string }> = new Map([['rcu', { enter: 'bpf_rcu_read_lock', exit: 'bpf_rcu_read_unlock' }]]);

/** Calls that take a type the C grammar already understands: their type arguments are left alone. */
export const TYPE_OPERATORS: ReadonlySet<string> = new Set([
  'sizeof',
  'typeof',
  '__typeof__',
  '__typeof',
  '_Alignof',
  'alignof',
  '__alignof__',
  'offsetof',
  '__builtin_offsetof',
  '_Generic',
]);

export const MACRO_SYNTAX_BY_NAME: ReadonlyMap<string, MacroSyntaxEntry> = new Map(
  MACRO_SYNTAX.map((entry) => [entry.name, entry]),
);

/**
 * Function-like wrappers whose first argument is the real program or
 * function name: `int BPF_PROG(name, struct task_struct *p)`. The C grammar
 * parses them as a function named after the macro; the model reads the
 * first parameter as the name and the rest as the real parameters.
 * Source: libbpf bpf_tracing.h, tools/sched_ext/include/scx/common.bpf.h.
 */
export interface ProgramWrapper {
  name: string;
  /** The wrapper makes the arguments typed views of the program context (trusted for BTF-typed hooks). */
  argumentsFrom: 'btf' | 'registers' | 'syscall';
  sleepable?: boolean;
  /** The wrapper also places the function in a section: `BPF_STRUCT_OPS(name)` means `SEC("struct_ops/name")`. */
  impliedSectionPrefix?: string;
}

export const PROGRAM_WRAPPERS: readonly ProgramWrapper[] = [
  { name: 'BPF_PROG', argumentsFrom: 'btf' },
  { name: 'BPF_PROG2', argumentsFrom: 'btf' },
  { name: 'BPF_STRUCT_OPS', argumentsFrom: 'btf', impliedSectionPrefix: 'struct_ops/' },
  { name: 'BPF_STRUCT_OPS_SLEEPABLE', argumentsFrom: 'btf', sleepable: true, impliedSectionPrefix: 'struct_ops.s/' },
  { name: 'BPF_KPROBE', argumentsFrom: 'registers' },
  { name: 'BPF_KRETPROBE', argumentsFrom: 'registers' },
  { name: 'BPF_UPROBE', argumentsFrom: 'registers' },
  { name: 'BPF_URETPROBE', argumentsFrom: 'registers' },
  { name: 'BPF_KSYSCALL', argumentsFrom: 'syscall' },
  { name: 'BPF_KPROBE_SYSCALL', argumentsFrom: 'syscall' },
  { name: 'BPF_USDT', argumentsFrom: 'registers' },
];

export const PROGRAM_WRAPPER_BY_NAME: ReadonlyMap<string, ProgramWrapper> = new Map(
  PROGRAM_WRAPPERS.map((w) => [w.name, w]),
);
