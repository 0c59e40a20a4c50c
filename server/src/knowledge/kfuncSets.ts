import { atLeast, KernelVersion, parseKernelVersion as v } from './kernelVersion';
import type { KfuncSet } from './kfuncTypes';
import type { ProgramType } from './sections';

/**
 * Which program types may call which kfuncs, version by version.
 *
 * Kfunc sets are registered per "hook", and kernel/bpf/btf.c
 * bpf_prog_type_to_kfunc_hook maps each program type to a hook (or to none,
 * in which case only the common set is callable). Facts read from the
 * kernel trees of 6.1 to 6.18: kernel/bpf/btf.c, kernel/bpf/helpers.c
 * kfunc_init, kernel/bpf/cpumask.c cpumask_kfunc_init, fs/bpf_fs_kfuncs.c,
 * kernel/bpf/crypto.c crypto_kfunc_init, kernel/trace/bpf_trace.c. Where the
 * trees we read leave a gap (6.7, 6.15, 6.16), the boundary is marked
 * uncertain and the engine does not judge kernels inside it.
 */

export type Hook = 'XDP' | 'TC' | 'STRUCT_OPS' | 'TRACING' | 'SYSCALL' | 'CGROUP' | 'SCHED_ACT' | 'SK_SKB' | 'SOCKET_FILTER' | 'LWT' | 'NETFILTER' | 'KPROBE';

interface Dated<T> {
  value: T;
  since: KernelVersion;
  /** Kernels from here up to `since` were not read: not judged. */
  uncertainFrom?: KernelVersion;
}

const dated = <T>(value: T, since: string, uncertainFrom?: string): Dated<T> => ({
  value,
  since: v(since),
  uncertainFrom: uncertainFrom ? v(uncertainFrom) : undefined,
});

/** Program type → hook, with the version each mapping appeared in. */
const HOOK_OF: Partial<Record<ProgramType, Dated<Hook>>> = {
  XDP: dated('XDP', '6.1'),
  SCHED_CLS: dated('TC', '6.1'),
  STRUCT_OPS: dated('STRUCT_OPS', '6.1'),
  TRACING: dated('TRACING', '6.1'),
  LSM: dated('TRACING', '6.1'),
  SYSCALL: dated('SYSCALL', '6.1'),
  TRACEPOINT: dated('TRACING', '6.12'),
  PERF_EVENT: dated('TRACING', '6.12'),
  CGROUP_SKB: dated('CGROUP', '6.4'),
  CGROUP_SOCK_ADDR: dated('CGROUP', '6.8', '6.7'),
  CGROUP_SOCK: dated('CGROUP', '6.12'),
  CGROUP_DEVICE: dated('CGROUP', '6.12'),
  CGROUP_SOCKOPT: dated('CGROUP', '6.12'),
  CGROUP_SYSCTL: dated('CGROUP', '6.12'),
  SOCK_OPS: dated('CGROUP', '6.17', '6.15'),
  SCHED_ACT: dated('SCHED_ACT', '6.4'),
  SK_SKB: dated('SK_SKB', '6.4'),
  SOCKET_FILTER: dated('SOCKET_FILTER', '6.4'),
  LWT_IN: dated('LWT', '6.4'),
  LWT_OUT: dated('LWT', '6.4'),
  LWT_XMIT: dated('LWT', '6.4'),
  LWT_SEG6LOCAL: dated('LWT', '6.4'),
  NETFILTER: dated('NETFILTER', '6.4'),
  KPROBE: dated('KPROBE', '6.10'),
};

export interface SetRegistration {
  /** Hooks the set is registered for, each since a version. */
  hooks: Array<Dated<Hook>>;
  /** Registered for every program type (the common set). */
  everywhere?: boolean;
  /** A filter narrows the set to these program types (fs kfuncs: LSM only). */
  onlyProgramTypes?: ProgramType[];
  source: string;
}

export const KFUNC_SETS: Readonly<Record<KfuncSet, SetRegistration>> = {
  helper: { hooks: [], everywhere: true, source: 'helpers are checked per helper prototype (include/uapi/linux/bpf.h), not per kfunc set' },
  common: { hooks: [], everywhere: true, source: 'kernel/bpf/helpers.c kfunc_init: common_kfunc_set for BPF_PROG_TYPE_UNSPEC (every program type), 6.2+' },
  generic: {
    hooks: [dated('TRACING', '6.2'), dated('TC', '6.2'), dated('STRUCT_OPS', '6.2'), dated('XDP', '6.8', '6.7'), dated('SYSCALL', '6.10'), dated('CGROUP', '6.12')],
    source: 'kernel/bpf/helpers.c kfunc_init: generic_kfunc_set for TRACING, SCHED_CLS, STRUCT_OPS (6.2), XDP (6.8), SYSCALL (6.10), CGROUP_SKB (6.12)',
  },
  cpumask: {
    hooks: [dated('TRACING', '6.3'), dated('STRUCT_OPS', '6.3'), dated('SYSCALL', '6.10')],
    source: 'kernel/bpf/cpumask.c cpumask_kfunc_init: TRACING, STRUCT_OPS (6.3), SYSCALL (6.10)',
  },
  fs: {
    hooks: [dated('TRACING', '6.12')],
    onlyProgramTypes: ['LSM'],
    source: 'fs/bpf_fs_kfuncs.c bpf_fs_kfuncs_init: registered for LSM with a filter that refuses every other program type',
  },
  crypto: { hooks: [dated('SYSCALL', '6.10')], source: 'kernel/bpf/crypto.c crypto_kfunc_init: the context kfuncs are registered for SYSCALL only' },
  keys: {
    hooks: [dated('TRACING', '6.1')],
    source: 'kernel/trace/bpf_trace.c key_sig_kfunc_set (TRACING) up to 6.17; kernel/bpf/helpers.c generic set from 6.18',
  },
  conntrack: { hooks: [dated('XDP', '5.18'), dated('TC', '5.18')], source: 'net/netfilter/nf_conntrack_bpf.c register_nf_conntrack_bpf' },
};

function inUncertainGap(d: Dated<unknown>, kernel: KernelVersion): boolean {
  return d.uncertainFrom !== undefined && atLeast(kernel, d.uncertainFrom) && !atLeast(kernel, d.since);
}

/** true: the program type may call the set on this kernel; false: refused at load; undefined: not judged. */
export function setAllowsProgramType(set: KfuncSet, programType: ProgramType | undefined, kernel: KernelVersion): boolean | undefined {
  if (!programType) return undefined;
  const registration = KFUNC_SETS[set];
  if (registration.everywhere) return true;
  if (registration.onlyProgramTypes) return registration.onlyProgramTypes.includes(programType);
  if (set === 'keys' && atLeast(kernel, v('6.18'))) return setAllowsProgramType('generic', programType, kernel);
  const hook = HOOK_OF[programType];
  if (hook && inUncertainGap(hook, kernel)) return undefined;
  if (!hook || !atLeast(kernel, hook.since)) return false;
  const registered = registration.hooks.find((h) => h.value === hook.value);
  if (!registered) return false;
  if (inUncertainGap(registered, kernel)) return undefined;
  return atLeast(kernel, registered.since);
}

/**
 * Kernel types whose __kptr loads are RCU-protected inside an RCU section
 * (kernel/bpf/verifier.c rcu_protected_types). Program-local types count
 * too from 6.8 (rcu_protected_object), not on 6.4 to 6.6.
 */
export const RCU_PROTECTED_TYPES: ReadonlySet<string> = new Set(['task_struct', 'cgroup', 'bpf_cpumask', 'bpf_crypto_ctx', 'prog_test_ref_kfunc']);
export const LOCAL_TYPES_RCU_PROTECTED_SINCE = v('6.8');

/**
 * Kernel types a referenced kptr may point to: those with a registered destructor
 * (register_btf_id_dtor_kfuncs; btf_parse_kptr refuses the rest).
 */
export const TYPES_WITH_DESTRUCTOR: ReadonlyMap<string, { release: string; since: KernelVersion; source: string }> = new Map([
  ['task_struct', { release: 'bpf_task_release', since: v('6.2'), source: 'kernel/bpf/helpers.c generic_dtor_ids' }],
  ['cgroup', { release: 'bpf_cgroup_release', since: v('6.2'), source: 'kernel/bpf/helpers.c generic_dtor_ids' }],
  ['bpf_cpumask', { release: 'bpf_cpumask_release', since: v('6.3'), source: 'kernel/bpf/cpumask.c cpumask_dtor_ids' }],
  ['bpf_crypto_ctx', { release: 'bpf_crypto_ctx_release', since: v('6.10'), source: 'kernel/bpf/crypto.c bpf_crypto_dtor_ids' }],
  ['sk_buff', { release: 'bpf_kfree_skb', since: v('6.16'), source: 'net/sched/bpf_qdisc.c bpf_qdisc_kfunc_init' }],
]);

/**
 * Helpers that only read through these pointer arguments (the map key and value arguments,
 * ARG_PTR_TO_MAP_KEY / ARG_PTR_TO_MAP_VALUE in kernel/bpf/helpers.c): `&key` given to them
 * does not change `key`.
 */
export const READ_ONLY_POINTER_ARGS: Readonly<Record<string, readonly number[]>> = {
  bpf_map_lookup_elem: [1],
  bpf_map_lookup_percpu_elem: [1],
  bpf_map_update_elem: [1, 2],
  bpf_map_delete_elem: [1],
  bpf_map_push_elem: [1],
};

/** A struct whose first member is another struct: a pointer to it also matches the member's type (non-strict arguments). */
export const FIRST_MEMBER: ReadonlyMap<string, string> = new Map([['bpf_cpumask', 'cpumask']]);

/**
 * Pointer fields the verifier trusts when walked from a trusted pointer
 * (kernel/bpf/verifier.c BTF_TYPE_SAFE_RCU, _RCU_OR_NULL, _TRUSTED,
 * _TRUSTED_OR_NULL; 6.4+). `rcu` kinds are trusted only inside an RCU section.
 */
export interface SafeField {
  kind: 'rcu' | 'rcu-or-null' | 'trusted' | 'trusted-or-null';
  pointee: string;
}

export const SAFE_FIELDS: ReadonlyMap<string, SafeField> = new Map([
  ['task_struct.cpus_ptr', { kind: 'rcu', pointee: 'cpumask' }],
  ['task_struct.cgroups', { kind: 'rcu', pointee: 'css_set' }],
  ['task_struct.real_parent', { kind: 'rcu', pointee: 'task_struct' }],
  ['task_struct.group_leader', { kind: 'rcu', pointee: 'task_struct' }],
  ['cgroup.kn', { kind: 'rcu', pointee: 'kernfs_node' }],
  ['css_set.dfl_cgrp', { kind: 'rcu', pointee: 'cgroup' }],
  ['mm_struct.exe_file', { kind: 'rcu-or-null', pointee: 'file' }],
  ['sk_buff.sk', { kind: 'rcu-or-null', pointee: 'sock' }],
  ['linux_binprm.file', { kind: 'trusted', pointee: 'file' }],
  ['file.f_inode', { kind: 'trusted', pointee: 'inode' }],
]);
export const SAFE_FIELDS_SINCE = v('6.4');
