import { parseKernelVersion as v } from './kernelVersion';
import type { Family, FlagHistory, KfuncEntry, KfuncFlag, KfuncSet, ParamSpec } from './kfuncTypes';
import { KERNEL_DOCS } from './typeTags';

/**
 * Every kfunc and helper that takes part in pointer ownership. Facts
 * (signatures, flags, versions) come from the kernel files named in
 * `source`; summaries and examples are ours. Helpers have no kfunc flags;
 * theirs here describe the same contract in kfunc terms (a helper returning
 * a referenced `*_OR_NULL` pointer is KF_ACQUIRE | KF_RET_NULL, an
 * OBJ_RELEASE argument is KF_RELEASE), as include/uapi/linux/bpf.h and the
 * helper prototypes in kernel/bpf/ define them.
 */

function p(name: string, type: string, extra: Partial<ParamSpec> = {}): ParamSpec {
  const struct = /^(?:const\s+)?struct\s+(\w+)\s*\*$/.exec(type)?.[1];
  return { name, type, struct, nullable: /__(nullable|opt)$/.test(name) || undefined, ...extra };
}

interface Def {
  returns: string;
  params: ParamSpec[];
  flags?: KfuncFlag[];
  since: string;
  sinceUncertain?: boolean;
  removedIn?: string;
  history?: Array<{ until: string; flags: KfuncFlag[]; note: string }>;
  releasedBy?: string[];
  releasesParam?: number;
  consumesParams?: number[];
  acquiresIntoParam?: number;
  returnsTypeOfParam?: number;
  noReturn?: boolean;
  symbol?: string;
  summary: string;
  example: string;
}

function entry(name: string, kind: 'kfunc' | 'helper', family: Family, set: KfuncSet, source: string, docUrl: string, def: Def): KfuncEntry {
  const returnStruct = /^(?:const\s+)?struct\s+(\w+)\s*\*$/.exec(def.returns)?.[1];
  const history: FlagHistory[] | undefined = def.history?.map((h) => ({ until: v(h.until), flags: h.flags, note: h.note }));
  return {
    name,
    symbol: def.symbol,
    kind,
    family,
    set,
    returns: def.returns,
    returnStruct,
    params: def.params,
    flags: def.flags ?? [],
    history,
    since: v(def.since),
    sinceUncertain: def.sinceUncertain,
    removedIn: def.removedIn ? v(def.removedIn) : undefined,
    releasedBy: def.releasedBy,
    releasesParam: def.releasesParam ?? (def.flags?.includes('KF_RELEASE') ? 0 : undefined),
    consumesParams: def.consumesParams,
    acquiresIntoParam: def.acquiresIntoParam,
    returnsTypeOfParam: def.returnsTypeOfParam,
    noReturn: def.noReturn,
    summary: def.summary,
    example: def.example,
    source,
    docUrl,
  };
}

const CPUMASK_C = 'kernel/bpf/cpumask.c';
const HELPERS_C = 'kernel/bpf/helpers.c';
const UAPI = 'include/uapi/linux/bpf.h';
const cpumask = (name: string, def: Def) => entry(name, 'kfunc', 'cpumask', 'cpumask', CPUMASK_C, KERNEL_DOCS.cpumasks, def);
const generic = (name: string, family: Family, def: Def) => entry(name, 'kfunc', family, 'generic', HELPERS_C, KERNEL_DOCS.kfuncs, def);
const helper = (name: string, family: Family, def: Def) => entry(name, 'helper', family, 'helper', UAPI, KERNEL_DOCS.helpers, def);

const M = 'const struct cpumask *';
const BM = 'struct bpf_cpumask *';
const CPUMASK_63: Def['history'] = [{ until: '6.4', flags: ['KF_TRUSTED_ARGS'], note: 'On 6.3 the argument had to be trusted or referenced; RCU pointers are accepted from 6.4.' }];
const readOnly = (name: string, returns: string, params: ParamSpec[], summary: string, since = '6.3', sinceUncertain?: boolean) =>
  cpumask(name, {
    returns,
    params,
    flags: ['KF_RCU'],
    history: CPUMASK_63,
    since,
    sinceUncertain,
    summary: `${summary} Reads only: a \`struct bpf_cpumask *\` can be passed cast to \`const struct cpumask *\`, and so can a kernel mask such as \`p->cpus_ptr\`.`,
    example: `if (${name}(${params.map((x) => (x.struct ? 'mask' : 'cpu')).join(', ')}))\n\t/* ... */;`,
  });
const mutating = (name: string, returns: string, params: ParamSpec[], summary: string, since = '6.3') =>
  cpumask(name, {
    returns,
    params,
    flags: ['KF_RCU'],
    history: CPUMASK_63,
    since,
    summary: `${summary} Writes the mask, so the destination must be a \`struct bpf_cpumask *\` you own or reach under RCU, never a kernel mask like \`p->cpus_ptr\`.`,
    example: `${name}(${params.map((x) => (x.struct ? 'mask' : 'cpu')).join(', ')});`,
  });

const RET_NULL_ACQUIRE_NOTE = 'Before 6.4 the acquire could not fail and its argument had to be trusted; from 6.4 it takes RCU pointers too and may return NULL.';

export const KFUNCS: readonly KfuncEntry[] = [
  helper('bpf_kptr_xchg', 'kptr', {
    returns: 'void *',
    params: [p('dst', 'void *'), p('ptr', 'void *')],
    since: '5.19',
    summary:
      'Swaps the reference stored in a referenced kptr field (`&v->field`) with `ptr` and returns the previous one. `ptr` must be NULL or an owned pointer of exactly the field\'s type; its reference moves into the field. The returned pointer is an owned reference that may be NULL: check it, then release it or store it again.',
    example: 'old = bpf_kptr_xchg(&v->mask, mask);\nif (old)\n\tbpf_cpumask_release(old);',
  }),
  helper('bpf_sk_lookup_tcp', 'socket', {
    returns: 'struct bpf_sock *',
    params: [p('ctx', 'void *'), p('tuple', 'struct bpf_sock_tuple *'), p('tuple_size', 'u32'), p('netns', 'u64'), p('flags', 'u64')],
    flags: ['KF_ACQUIRE', 'KF_RET_NULL'],
    since: '4.20',
    releasedBy: ['bpf_sk_release'],
    summary: 'Finds a full TCP socket matching the tuple. The result is a referenced socket that may be NULL; release it with `bpf_sk_release`.',
    example: 'sk = bpf_sk_lookup_tcp(skb, &tuple, sizeof(tuple.ipv4), BPF_F_CURRENT_NETNS, 0);\nif (sk)\n\tbpf_sk_release(sk);',
  }),
  helper('bpf_sk_lookup_udp', 'socket', {
    returns: 'struct bpf_sock *',
    params: [p('ctx', 'void *'), p('tuple', 'struct bpf_sock_tuple *'), p('tuple_size', 'u32'), p('netns', 'u64'), p('flags', 'u64')],
    flags: ['KF_ACQUIRE', 'KF_RET_NULL'],
    since: '4.20',
    releasedBy: ['bpf_sk_release'],
    summary: 'Finds a UDP socket matching the tuple. The result is a referenced socket that may be NULL; release it with `bpf_sk_release`.',
    example: 'sk = bpf_sk_lookup_udp(skb, &tuple, sizeof(tuple.ipv4), BPF_F_CURRENT_NETNS, 0);\nif (sk)\n\tbpf_sk_release(sk);',
  }),
  helper('bpf_skc_lookup_tcp', 'socket', {
    returns: 'struct bpf_sock *',
    params: [p('ctx', 'void *'), p('tuple', 'struct bpf_sock_tuple *'), p('tuple_size', 'u32'), p('netns', 'u64'), p('flags', 'u64')],
    flags: ['KF_ACQUIRE', 'KF_RET_NULL'],
    since: '5.2',
    releasedBy: ['bpf_sk_release'],
    summary: 'Like `bpf_sk_lookup_tcp`, but also finds request and time-wait sockets. The result is referenced and may be NULL; release it with `bpf_sk_release`.',
    example: 'sk = bpf_skc_lookup_tcp(skb, &tuple, sizeof(tuple.ipv4), BPF_F_CURRENT_NETNS, 0);\nif (sk)\n\tbpf_sk_release(sk);',
  }),
  helper('bpf_sk_release', 'socket', {
    returns: 'long',
    params: [p('sock', 'void *')],
    flags: ['KF_RELEASE'],
    since: '4.20',
    summary: 'Gives back a socket reference taken by a `bpf_sk_lookup_*` or `bpf_skc_lookup_tcp` call. A socket you did not look up yourself (such as `skb->sk`) holds no reference and cannot be released.',
    example: 'if (sk)\n\tbpf_sk_release(sk);',
  }),
  helper('bpf_ringbuf_reserve', 'ringbuf', {
    returns: 'void *',
    params: [p('ringbuf', 'void *'), p('size', 'u64'), p('flags', 'u64')],
    flags: ['KF_ACQUIRE', 'KF_RET_NULL'],
    since: '5.8',
    releasedBy: ['bpf_ringbuf_submit', 'bpf_ringbuf_discard'],
    summary: 'Reserves space for a record in a ring buffer map. The record is a reference that may be NULL: fill it, then hand it back with `bpf_ringbuf_submit` or `bpf_ringbuf_discard` on every path.',
    example: 'e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);\nif (!e)\n\treturn 0;\ne->pid = pid;\nbpf_ringbuf_submit(e, 0);',
  }),
  helper('bpf_ringbuf_submit', 'ringbuf', {
    returns: 'void',
    params: [p('data', 'void *'), p('flags', 'u64')],
    flags: ['KF_RELEASE'],
    since: '5.8',
    summary: 'Publishes a record reserved with `bpf_ringbuf_reserve`; the reservation is consumed.',
    example: 'bpf_ringbuf_submit(e, 0);',
  }),
  helper('bpf_ringbuf_discard', 'ringbuf', {
    returns: 'void',
    params: [p('data', 'void *'), p('flags', 'u64')],
    flags: ['KF_RELEASE'],
    since: '5.8',
    summary: 'Drops a record reserved with `bpf_ringbuf_reserve` without publishing it; the reservation is consumed.',
    example: 'bpf_ringbuf_discard(e, 0);',
  }),
  helper('bpf_ringbuf_reserve_dynptr', 'ringbuf', {
    returns: 'long',
    params: [p('ringbuf', 'void *'), p('size', 'u32'), p('flags', 'u64'), p('ptr', 'struct bpf_dynptr *')],
    since: '5.19',
    acquiresIntoParam: 3,
    releasedBy: ['bpf_ringbuf_submit_dynptr', 'bpf_ringbuf_discard_dynptr'],
    summary: 'Reserves a ring buffer record behind a dynptr. The dynptr holds a reference even when the reservation fails: submit or discard it on every path.',
    example: 'bpf_ringbuf_reserve_dynptr(&events, sizeof(*e), 0, &ptr);\n/* ... */\nbpf_ringbuf_submit_dynptr(&ptr, 0);',
  }),
  helper('bpf_ringbuf_submit_dynptr', 'ringbuf', {
    returns: 'void',
    params: [p('ptr', 'struct bpf_dynptr *'), p('flags', 'u64')],
    flags: ['KF_RELEASE'],
    since: '5.19',
    summary: 'Publishes the record behind a dynptr from `bpf_ringbuf_reserve_dynptr`; the dynptr is consumed.',
    example: 'bpf_ringbuf_submit_dynptr(&ptr, 0);',
  }),
  helper('bpf_ringbuf_discard_dynptr', 'ringbuf', {
    returns: 'void',
    params: [p('ptr', 'struct bpf_dynptr *'), p('flags', 'u64')],
    flags: ['KF_RELEASE'],
    since: '5.19',
    summary: 'Drops the record behind a dynptr from `bpf_ringbuf_reserve_dynptr`; the dynptr is consumed.',
    example: 'bpf_ringbuf_discard_dynptr(&ptr, 0);',
  }),

  cpumask('bpf_cpumask_create', {
    returns: 'struct bpf_cpumask *',
    params: [],
    flags: ['KF_ACQUIRE', 'KF_RET_NULL'],
    since: '6.3',
    releasedBy: ['bpf_cpumask_release', 'bpf_kptr_xchg'],
    summary: 'Allocates an empty cpumask you own. The result may be NULL (allocation can fail): check it, then release it with `bpf_cpumask_release` or store it in a `__kptr` field with `bpf_kptr_xchg`.',
    example: 'mask = bpf_cpumask_create();\nif (!mask)\n\treturn 0;\nbpf_cpumask_set_cpu(cpu, mask);\nbpf_cpumask_release(mask);',
  }),
  cpumask('bpf_cpumask_release', {
    returns: 'void',
    params: [p('cpumask', BM)],
    flags: ['KF_RELEASE'],
    history: [{ until: '6.4', flags: ['KF_RELEASE', 'KF_TRUSTED_ARGS'], note: 'Registered with KF_TRUSTED_ARGS on 6.3; release arguments are checked as trusted on every version.' }],
    since: '6.3',
    summary: 'Drops a cpumask reference you own (from `bpf_cpumask_create`, `bpf_cpumask_acquire` or `bpf_kptr_xchg`). After the call every copy of the pointer is dead.',
    example: 'bpf_cpumask_release(mask);',
  }),
  cpumask('bpf_cpumask_acquire', {
    returns: 'struct bpf_cpumask *',
    params: [p('cpumask', BM)],
    flags: ['KF_ACQUIRE', 'KF_TRUSTED_ARGS'],
    since: '6.3',
    releasedBy: ['bpf_cpumask_release'],
    summary: 'Takes another reference to a cpumask you already hold a trusted pointer to. It cannot fail, but its argument must be referenced or trusted: a mask loaded from a `__kptr` field is neither.',
    example: 'extra = bpf_cpumask_acquire(mask);\n/* ... */\nbpf_cpumask_release(extra);',
  }),
  cpumask('bpf_cpumask_kptr_get', {
    returns: 'struct bpf_cpumask *',
    params: [p('cpumaskp', 'struct bpf_cpumask **')],
    flags: ['KF_ACQUIRE', 'KF_KPTR_GET', 'KF_RET_NULL'],
    since: '6.3',
    removedIn: '6.4',
    releasedBy: ['bpf_cpumask_release'],
    summary: 'Kernel 6.3 only: acquired the cpumask stored in a `__kptr` field. From 6.4 load the field under RCU instead and call `bpf_cpumask_acquire` if you need your own reference.',
    example: 'mask = bpf_cpumask_kptr_get(&v->mask);',
  }),
  readOnly('bpf_cpumask_first', 'u32', [p('cpumask', M)], 'Index of the first set CPU (or a value at least `nr_cpu_ids` if none).'),
  readOnly('bpf_cpumask_first_zero', 'u32', [p('cpumask', M)], 'Index of the first clear CPU.'),
  readOnly('bpf_cpumask_first_and', 'u32', [p('src1', M), p('src2', M)], 'Index of the first CPU set in both masks.', '6.5'),
  mutating('bpf_cpumask_set_cpu', 'void', [p('cpu', 'u32'), p('cpumask', BM)], 'Sets one CPU.'),
  mutating('bpf_cpumask_clear_cpu', 'void', [p('cpu', 'u32'), p('cpumask', BM)], 'Clears one CPU.'),
  readOnly('bpf_cpumask_test_cpu', 'bool', [p('cpu', 'u32'), p('cpumask', M)], 'Whether one CPU is set.'),
  mutating('bpf_cpumask_test_and_set_cpu', 'bool', [p('cpu', 'u32'), p('cpumask', BM)], 'Sets one CPU and returns whether it was set before.'),
  mutating('bpf_cpumask_test_and_clear_cpu', 'bool', [p('cpu', 'u32'), p('cpumask', BM)], 'Clears one CPU and returns whether it was set before.'),
  mutating('bpf_cpumask_setall', 'void', [p('cpumask', BM)], 'Sets every CPU.'),
  mutating('bpf_cpumask_clear', 'void', [p('cpumask', BM)], 'Clears every CPU.'),
  mutating('bpf_cpumask_and', 'bool', [p('dst', BM), p('src1', M), p('src2', M)], 'Stores the intersection of two masks in `dst`; returns whether it is non-empty.'),
  mutating('bpf_cpumask_or', 'void', [p('dst', BM), p('src1', M), p('src2', M)], 'Stores the union of two masks in `dst`.'),
  mutating('bpf_cpumask_xor', 'void', [p('dst', BM), p('src1', M), p('src2', M)], 'Stores the symmetric difference of two masks in `dst`.'),
  readOnly('bpf_cpumask_equal', 'bool', [p('src1', M), p('src2', M)], 'Whether two masks are equal.'),
  readOnly('bpf_cpumask_intersects', 'bool', [p('src1', M), p('src2', M)], 'Whether two masks share a CPU.'),
  readOnly('bpf_cpumask_subset', 'bool', [p('src1', M), p('src2', M)], 'Whether every CPU of `src1` is in `src2`.'),
  readOnly('bpf_cpumask_empty', 'bool', [p('cpumask', M)], 'Whether no CPU is set.'),
  readOnly('bpf_cpumask_full', 'bool', [p('cpumask', M)], 'Whether every CPU is set.'),
  mutating('bpf_cpumask_copy', 'void', [p('dst', BM), p('src', M)], 'Copies `src` into `dst`.'),
  readOnly('bpf_cpumask_any_distribute', 'u32', [p('cpumask', M)], 'A set CPU, chosen to spread callers over the mask.', '6.5'),
  readOnly('bpf_cpumask_any_and_distribute', 'u32', [p('src1', M), p('src2', M)], 'A CPU set in both masks, chosen to spread callers.', '6.5'),
  readOnly('bpf_cpumask_weight', 'u32', [p('cpumask', M)], 'How many CPUs are set.', '6.8', true),
  mutating('bpf_cpumask_populate', 'int', [p('cpumask', 'struct cpumask *', { struct: 'bpf_cpumask' }), p('src', 'void *'), p('src__sz', 'size_t')], 'Fills a mask from a bitmap in program memory.', '6.15'),

  generic('bpf_task_acquire', 'task', {
    returns: 'struct task_struct *',
    params: [p('p', 'struct task_struct *')],
    flags: ['KF_ACQUIRE', 'KF_RCU', 'KF_RET_NULL'],
    history: [{ until: '6.4', flags: ['KF_ACQUIRE', 'KF_TRUSTED_ARGS'], note: RET_NULL_ACQUIRE_NOTE }],
    since: '6.2',
    releasedBy: ['bpf_task_release', 'bpf_kptr_xchg'],
    summary: 'Takes a reference to a task you hold a trusted or RCU pointer to (a tracing argument, `bpf_get_current_task_btf()`, a `__kptr` field loaded under RCU and checked). It may return NULL if the task is being freed: check it, then release it with `bpf_task_release` or store it with `bpf_kptr_xchg`.',
    example: 'acquired = bpf_task_acquire(task);\nif (!acquired)\n\treturn 0;\n/* ... */\nbpf_task_release(acquired);',
  }),
  generic('bpf_task_release', 'task', {
    returns: 'void',
    params: [p('p', 'struct task_struct *')],
    flags: ['KF_RELEASE'],
    since: '6.2',
    summary: 'Drops a task reference you own (from `bpf_task_acquire`, `bpf_task_from_pid`, `bpf_task_from_vpid` or `bpf_kptr_xchg`).',
    example: 'bpf_task_release(acquired);',
  }),
  generic('bpf_task_kptr_get', 'task', {
    returns: 'struct task_struct *',
    params: [p('pp', 'struct task_struct **')],
    flags: ['KF_ACQUIRE', 'KF_KPTR_GET', 'KF_RET_NULL'],
    since: '6.2',
    removedIn: '6.4',
    releasedBy: ['bpf_task_release'],
    summary: 'Kernels 6.2 and 6.3 only: acquired the task stored in a `__kptr` field. From 6.4 load the field under RCU and call `bpf_task_acquire`.',
    example: 'task = bpf_task_kptr_get(&v->task);',
  }),
  generic('bpf_task_from_pid', 'task', {
    returns: 'struct task_struct *',
    params: [p('pid', 's32')],
    flags: ['KF_ACQUIRE', 'KF_RET_NULL'],
    since: '6.2',
    releasedBy: ['bpf_task_release', 'bpf_kptr_xchg'],
    summary: 'Looks up a task by pid in the root pid namespace and returns a reference to it, or NULL if there is none. Release it with `bpf_task_release`.',
    example: 'task = bpf_task_from_pid(pid);\nif (!task)\n\treturn 0;\nbpf_task_release(task);',
  }),
  generic('bpf_task_from_vpid', 'task', {
    returns: 'struct task_struct *',
    params: [p('vpid', 's32')],
    flags: ['KF_ACQUIRE', 'KF_RET_NULL'],
    since: '6.13',
    releasedBy: ['bpf_task_release', 'bpf_kptr_xchg'],
    summary: 'Looks up a task by pid in the current task\'s pid namespace; a reference or NULL. Release it with `bpf_task_release`.',
    example: 'task = bpf_task_from_vpid(vpid);\nif (task)\n\tbpf_task_release(task);',
  }),
  generic('bpf_task_get_cgroup1', 'cgroup', {
    returns: 'struct cgroup *',
    params: [p('task', 'struct task_struct *'), p('hierarchy_id', 'int')],
    flags: ['KF_ACQUIRE', 'KF_RCU', 'KF_RET_NULL'],
    since: '6.8',
    sinceUncertain: true,
    releasedBy: ['bpf_cgroup_release', 'bpf_kptr_xchg'],
    summary: 'Returns a reference to the task\'s cgroup in a cgroup v1 hierarchy, or NULL. Release it with `bpf_cgroup_release`.',
    example: 'cgrp = bpf_task_get_cgroup1(task, hierarchy_id);\nif (cgrp)\n\tbpf_cgroup_release(cgrp);',
  }),
  generic('bpf_task_under_cgroup', 'cgroup', {
    returns: 'long',
    params: [p('task', 'struct task_struct *'), p('ancestor', 'struct cgroup *')],
    flags: ['KF_RCU'],
    since: '6.5',
    summary: 'Whether the task belongs to `ancestor` or one of its descendants. Both pointers must be trusted or RCU and non-NULL; nothing is acquired.',
    example: 'if (bpf_task_under_cgroup(task, cgrp))\n\t/* ... */;',
  }),
  generic('bpf_cgroup_acquire', 'cgroup', {
    returns: 'struct cgroup *',
    params: [p('cgrp', 'struct cgroup *')],
    flags: ['KF_ACQUIRE', 'KF_RCU', 'KF_RET_NULL'],
    history: [{ until: '6.4', flags: ['KF_ACQUIRE', 'KF_TRUSTED_ARGS'], note: RET_NULL_ACQUIRE_NOTE }],
    since: '6.2',
    releasedBy: ['bpf_cgroup_release', 'bpf_kptr_xchg'],
    summary: 'Takes a reference to a cgroup you hold a trusted or RCU pointer to. It may return NULL if the cgroup is going away: check it, then release it with `bpf_cgroup_release` or store it with `bpf_kptr_xchg`.',
    example: 'cgrp = bpf_cgroup_acquire(task->cgroups->dfl_cgrp);\nif (cgrp)\n\tbpf_cgroup_release(cgrp);',
  }),
  generic('bpf_cgroup_release', 'cgroup', {
    returns: 'void',
    params: [p('cgrp', 'struct cgroup *')],
    flags: ['KF_RELEASE'],
    since: '6.2',
    summary: 'Drops a cgroup reference you own.',
    example: 'bpf_cgroup_release(cgrp);',
  }),
  generic('bpf_cgroup_ancestor', 'cgroup', {
    returns: 'struct cgroup *',
    params: [p('cgrp', 'struct cgroup *'), p('level', 'int')],
    flags: ['KF_ACQUIRE', 'KF_RCU', 'KF_RET_NULL'],
    history: [{ until: '6.4', flags: ['KF_ACQUIRE', 'KF_TRUSTED_ARGS', 'KF_RET_NULL'], note: 'Before 6.4 the argument had to be trusted; RCU pointers are accepted from 6.4.' }],
    since: '6.2',
    releasedBy: ['bpf_cgroup_release', 'bpf_kptr_xchg'],
    summary: 'Returns a reference to the ancestor of `cgrp` at `level`, or NULL. Release it with `bpf_cgroup_release`.',
    example: 'anc = bpf_cgroup_ancestor(cgrp, 1);\nif (anc)\n\tbpf_cgroup_release(anc);',
  }),
  generic('bpf_cgroup_from_id', 'cgroup', {
    returns: 'struct cgroup *',
    params: [p('cgid', 'u64')],
    flags: ['KF_ACQUIRE', 'KF_RET_NULL'],
    since: '6.4',
    releasedBy: ['bpf_cgroup_release', 'bpf_kptr_xchg'],
    summary: 'Looks up a cgroup by id and returns a reference to it, or NULL. Release it with `bpf_cgroup_release`.',
    example: 'cgrp = bpf_cgroup_from_id(id);\nif (cgrp)\n\tbpf_cgroup_release(cgrp);',
  }),
  generic('bpf_cgroup_kptr_get', 'cgroup', {
    returns: 'struct cgroup *',
    params: [p('cgrpp', 'struct cgroup **')],
    flags: ['KF_ACQUIRE', 'KF_KPTR_GET', 'KF_RET_NULL'],
    since: '6.2',
    removedIn: '6.4',
    releasedBy: ['bpf_cgroup_release'],
    summary: 'Kernels 6.2 and 6.3 only: acquired the cgroup stored in a `__kptr` field. From 6.4 load the field under RCU and call `bpf_cgroup_acquire`.',
    example: 'cgrp = bpf_cgroup_kptr_get(&v->cgrp);',
  }),

  generic('bpf_obj_new', 'object', {
    symbol: 'bpf_obj_new_impl',
    returns: 'void *',
    params: [p('type', 'type', { isType: true }), p('meta__ign', 'void *', { hidden: true })],
    flags: ['KF_ACQUIRE', 'KF_RET_NULL'],
    since: '6.2',
    returnsTypeOfParam: 0,
    releasedBy: ['bpf_obj_drop', 'bpf_kptr_xchg', 'bpf_list_push_front', 'bpf_list_push_back', 'bpf_rbtree_add'],
    summary: 'Allocates a zeroed object of a struct type defined in your program. You own it and it may be NULL: check it, then drop it with `bpf_obj_drop`, store it in a `__kptr` field with `bpf_kptr_xchg`, or hand it to a list or rbtree.',
    example: 'n = bpf_obj_new(struct node_data);\nif (!n)\n\treturn 0;\nbpf_obj_drop(n);',
  }),
  generic('bpf_obj_drop', 'object', {
    symbol: 'bpf_obj_drop_impl',
    returns: 'void',
    params: [p('kptr', 'void *'), p('meta__ign', 'void *', { hidden: true })],
    flags: ['KF_RELEASE'],
    since: '6.2',
    summary: 'Frees an object from `bpf_obj_new` that you own. Pass the object itself, not a pointer to one of its members.',
    example: 'bpf_obj_drop(n);',
  }),
  generic('bpf_percpu_obj_new', 'percpu-object', {
    symbol: 'bpf_percpu_obj_new_impl',
    returns: 'void *',
    params: [p('type', 'type', { isType: true }), p('meta__ign', 'void *', { hidden: true })],
    flags: ['KF_ACQUIRE', 'KF_RET_NULL'],
    since: '6.8',
    sinceUncertain: true,
    returnsTypeOfParam: 0,
    releasedBy: ['bpf_percpu_obj_drop', 'bpf_kptr_xchg'],
    summary: 'Allocates a per-CPU object of a struct type of your program (scalars only, at most 512 bytes). You own it and it may be NULL: check it, then drop it with `bpf_percpu_obj_drop` or store it in a `__percpu_kptr` field.',
    example: 'pc = bpf_percpu_obj_new(struct val_t);\nif (!pc)\n\treturn 0;\npc = bpf_kptr_xchg(&e->pc, pc);\nif (pc)\n\tbpf_percpu_obj_drop(pc);',
  }),
  generic('bpf_percpu_obj_drop', 'percpu-object', {
    symbol: 'bpf_percpu_obj_drop_impl',
    returns: 'void',
    params: [p('kptr', 'void *'), p('meta__ign', 'void *', { hidden: true })],
    flags: ['KF_RELEASE'],
    since: '6.8',
    sinceUncertain: true,
    summary: 'Frees a per-CPU object from `bpf_percpu_obj_new` that you own. `bpf_obj_drop` is the wrong release for it.',
    example: 'bpf_percpu_obj_drop(pc);',
  }),
  generic('bpf_refcount_acquire', 'refcount', {
    symbol: 'bpf_refcount_acquire_impl',
    returns: 'void *',
    params: [p('kptr', 'void *'), p('meta__ign', 'void *', { hidden: true })],
    flags: ['KF_ACQUIRE', 'KF_RET_NULL', 'KF_RCU'],
    history: [{ until: '6.8', flags: ['KF_ACQUIRE', 'KF_RET_NULL'], note: 'KF_RCU arrived in 6.8; KF_RET_NULL was added in the 6.5 cycle and backported to 6.4 stable.' }],
    since: '6.4',
    releasedBy: ['bpf_obj_drop', 'bpf_kptr_xchg', 'bpf_list_push_front', 'bpf_list_push_back', 'bpf_rbtree_add'],
    summary: 'Takes another owning reference to an object whose type has a `struct bpf_refcount` field, from an owning or non-owning pointer. From a non-owning pointer the result may be NULL (the verifier knows it cannot be when you pass an owning one); both references must be accounted for.',
    example: 'm = bpf_refcount_acquire(n);\nif (m)\n\tbpf_obj_drop(m);',
  }),
  generic('bpf_list_push_front', 'list', {
    symbol: 'bpf_list_push_front_impl',
    returns: 'int',
    params: [p('head', 'struct bpf_list_head *'), p('node', 'struct bpf_list_node *'), p('meta__ign', 'void *', { hidden: true }), p('off', 'u64', { hidden: true })],
    since: '6.4',
    sinceUncertain: true,
    consumesParams: [1],
    summary: 'Inserts an object you own at the head of a list (pass `&obj->node`). Your reference moves into the list; with the lock held you keep a non-owning pointer until `bpf_spin_unlock`.',
    example: 'bpf_spin_lock(&glock);\nbpf_list_push_front(&ghead, &n->node);\nbpf_spin_unlock(&glock);',
  }),
  generic('bpf_list_push_back', 'list', {
    symbol: 'bpf_list_push_back_impl',
    returns: 'int',
    params: [p('head', 'struct bpf_list_head *'), p('node', 'struct bpf_list_node *'), p('meta__ign', 'void *', { hidden: true }), p('off', 'u64', { hidden: true })],
    since: '6.4',
    sinceUncertain: true,
    consumesParams: [1],
    summary: 'Inserts an object you own at the tail of a list (pass `&obj->node`). Your reference moves into the list.',
    example: 'bpf_spin_lock(&glock);\nbpf_list_push_back(&ghead, &n->node);\nbpf_spin_unlock(&glock);',
  }),
  generic('bpf_list_pop_front', 'list', {
    returns: 'struct bpf_list_node *',
    params: [p('head', 'struct bpf_list_head *')],
    flags: ['KF_ACQUIRE', 'KF_RET_NULL'],
    since: '6.2',
    releasedBy: ['bpf_obj_drop', 'bpf_list_push_front', 'bpf_list_push_back'],
    summary: 'Removes the first node of a list and gives you ownership of its object (use `container_of`), or NULL if the list is empty. Drop it or insert it again.',
    example: 'bpf_spin_lock(&glock);\nnode = bpf_list_pop_front(&ghead);\nbpf_spin_unlock(&glock);\nif (node)\n\tbpf_obj_drop(container_of(node, struct node_data, node));',
  }),
  generic('bpf_list_pop_back', 'list', {
    returns: 'struct bpf_list_node *',
    params: [p('head', 'struct bpf_list_head *')],
    flags: ['KF_ACQUIRE', 'KF_RET_NULL'],
    since: '6.2',
    releasedBy: ['bpf_obj_drop', 'bpf_list_push_front', 'bpf_list_push_back'],
    summary: 'Removes the last node of a list and gives you ownership of its object, or NULL if the list is empty.',
    example: 'node = bpf_list_pop_back(&ghead);',
  }),
  generic('bpf_list_front', 'list', {
    returns: 'struct bpf_list_node *',
    params: [p('head', 'struct bpf_list_head *')],
    flags: ['KF_RET_NULL'],
    since: '6.16',
    sinceUncertain: true,
    summary: 'Peeks at the first node of a list without removing it: a non-owning pointer, valid while the lock is held, or NULL.',
    example: 'node = bpf_list_front(&ghead);',
  }),
  generic('bpf_list_back', 'list', {
    returns: 'struct bpf_list_node *',
    params: [p('head', 'struct bpf_list_head *')],
    flags: ['KF_RET_NULL'],
    since: '6.16',
    sinceUncertain: true,
    summary: 'Peeks at the last node of a list without removing it: a non-owning pointer, valid while the lock is held, or NULL.',
    example: 'node = bpf_list_back(&ghead);',
  }),
  generic('bpf_rbtree_add', 'rbtree', {
    symbol: 'bpf_rbtree_add_impl',
    returns: 'int',
    params: [p('root', 'struct bpf_rb_root *'), p('node', 'struct bpf_rb_node *'), p('less', 'bool (*)(struct bpf_rb_node *, const struct bpf_rb_node *)'), p('meta__ign', 'void *', { hidden: true }), p('off', 'u64', { hidden: true })],
    since: '6.4',
    sinceUncertain: true,
    consumesParams: [1],
    summary: 'Inserts an object you own into an rbtree (pass `&obj->node`), ordered by `less`. Your reference moves into the tree.',
    example: 'bpf_spin_lock(&glock);\nbpf_rbtree_add(&groot, &n->node, less);\nbpf_spin_unlock(&glock);',
  }),
  generic('bpf_rbtree_remove', 'rbtree', {
    returns: 'struct bpf_rb_node *',
    params: [p('root', 'struct bpf_rb_root *'), p('node', 'struct bpf_rb_node *')],
    flags: ['KF_ACQUIRE', 'KF_RET_NULL'],
    history: [{ until: '6.4', flags: ['KF_ACQUIRE'], note: 'On 6.3 the removed node could not be NULL; KF_RET_NULL was added in 6.4.' }],
    since: '6.3',
    releasedBy: ['bpf_obj_drop', 'bpf_rbtree_add'],
    summary: 'Removes a node from an rbtree and gives you ownership of its object, or NULL. Drop it or insert it again.',
    example: 'res = bpf_rbtree_remove(&groot, node);\nbpf_spin_unlock(&glock);\nif (res)\n\tbpf_obj_drop(container_of(res, struct node_data, node));',
  }),
  generic('bpf_rbtree_first', 'rbtree', {
    returns: 'struct bpf_rb_node *',
    params: [p('root', 'struct bpf_rb_root *')],
    flags: ['KF_RET_NULL'],
    since: '6.3',
    summary: 'The leftmost node of an rbtree as a non-owning pointer (valid while the lock is held), or NULL.',
    example: 'node = bpf_rbtree_first(&groot);',
  }),
  entry('bpf_rcu_read_lock', 'kfunc', 'rcu', 'common', HELPERS_C, KERNEL_DOCS.kfuncs, {
    returns: 'void',
    params: [],
    since: '6.2',
    summary: 'Opens an RCU read section. Pointers loaded from `__kptr` fields inside it are RCU-protected until the matching `bpf_rcu_read_unlock`; sleepable programs need it to use such pointers at all.',
    example: 'bpf_rcu_read_lock();\nmask = v->mask;\nif (mask)\n\tbpf_cpumask_set_cpu(cpu, mask);\nbpf_rcu_read_unlock();',
  }),
  entry('bpf_rcu_read_unlock', 'kfunc', 'rcu', 'common', HELPERS_C, KERNEL_DOCS.kfuncs, {
    returns: 'void',
    params: [],
    since: '6.2',
    summary: 'Closes the RCU read section. Every RCU pointer obtained inside it becomes untrusted; the program must not exit with the section open.',
    example: 'bpf_rcu_read_unlock();',
  }),
  entry('bpf_get_task_exe_file', 'kfunc', 'fs', 'fs', 'fs/bpf_fs_kfuncs.c', KERNEL_DOCS.kfuncs, {
    returns: 'struct file *',
    params: [p('task', 'struct task_struct *')],
    flags: ['KF_ACQUIRE', 'KF_TRUSTED_ARGS', 'KF_RET_NULL'],
    since: '6.12',
    releasedBy: ['bpf_put_file'],
    summary: 'Returns a reference to the file of the task\'s executable, or NULL. LSM programs only. Release it with `bpf_put_file`.',
    example: 'file = bpf_get_task_exe_file(task);\nif (!file)\n\treturn 0;\nbpf_put_file(file);',
  }),
  entry('bpf_put_file', 'kfunc', 'fs', 'fs', 'fs/bpf_fs_kfuncs.c', KERNEL_DOCS.kfuncs, {
    returns: 'void',
    params: [p('file', 'struct file *')],
    flags: ['KF_RELEASE'],
    since: '6.12',
    summary: 'Drops a file reference from `bpf_get_task_exe_file`.',
    example: 'bpf_put_file(file);',
  }),
  entry('bpf_path_d_path', 'kfunc', 'fs', 'fs', 'fs/bpf_fs_kfuncs.c', KERNEL_DOCS.kfuncs, {
    returns: 'int',
    params: [p('path', 'struct path *'), p('buf', 'char *'), p('buf__sz', 'size_t')],
    flags: ['KF_TRUSTED_ARGS'],
    since: '6.12',
    summary: 'Writes the full path of a trusted `struct path` into a buffer. LSM programs only; the path must be trusted (for example `&file->f_path` of a referenced file).',
    example: 'bpf_path_d_path(&file->f_path, buf, sizeof(buf));',
  }),
  entry('bpf_crypto_ctx_create', 'kfunc', 'crypto', 'crypto', 'kernel/bpf/crypto.c', KERNEL_DOCS.kfuncs, {
    returns: 'struct bpf_crypto_ctx *',
    params: [p('params', 'const struct bpf_crypto_params *'), p('params__sz', 'u32'), p('err', 'int *')],
    flags: ['KF_ACQUIRE', 'KF_RET_NULL', 'KF_SLEEPABLE'],
    since: '6.10',
    releasedBy: ['bpf_crypto_ctx_release', 'bpf_kptr_xchg'],
    summary: 'Creates a crypto context (sleepable SYSCALL programs only). The result is owned and may be NULL; store it with `bpf_kptr_xchg` or release it with `bpf_crypto_ctx_release`.',
    example: 'ctx = bpf_crypto_ctx_create(&params, sizeof(params), &err);\nif (!ctx)\n\treturn err;',
  }),
  entry('bpf_crypto_ctx_acquire', 'kfunc', 'crypto', 'crypto', 'kernel/bpf/crypto.c', KERNEL_DOCS.kfuncs, {
    returns: 'struct bpf_crypto_ctx *',
    params: [p('ctx', 'struct bpf_crypto_ctx *')],
    flags: ['KF_ACQUIRE', 'KF_RCU', 'KF_RET_NULL'],
    since: '6.10',
    releasedBy: ['bpf_crypto_ctx_release'],
    summary: 'Takes another reference to a crypto context you hold a trusted or RCU pointer to; may return NULL.',
    example: 'ctx = bpf_crypto_ctx_acquire(v->ctx);\nif (ctx)\n\tbpf_crypto_ctx_release(ctx);',
  }),
  entry('bpf_crypto_ctx_release', 'kfunc', 'crypto', 'crypto', 'kernel/bpf/crypto.c', KERNEL_DOCS.kfuncs, {
    returns: 'void',
    params: [p('ctx', 'struct bpf_crypto_ctx *')],
    flags: ['KF_RELEASE'],
    since: '6.10',
    summary: 'Drops a crypto context reference you own.',
    example: 'bpf_crypto_ctx_release(ctx);',
  }),
  entry('bpf_lookup_user_key', 'kfunc', 'keys', 'keys', 'kernel/trace/bpf_trace.c', KERNEL_DOCS.kfuncs, {
    returns: 'struct bpf_key *',
    params: [p('serial', 'u32'), p('flags', 'u64')],
    flags: ['KF_ACQUIRE', 'KF_RET_NULL', 'KF_SLEEPABLE'],
    since: '6.1',
    releasedBy: ['bpf_key_put'],
    summary: 'Looks up a user keyring key by serial (sleepable programs only); a reference or NULL, released with `bpf_key_put`.',
    example: 'key = bpf_lookup_user_key(serial, 0);\nif (key)\n\tbpf_key_put(key);',
  }),
  entry('bpf_lookup_system_key', 'kfunc', 'keys', 'keys', 'kernel/trace/bpf_trace.c', KERNEL_DOCS.kfuncs, {
    returns: 'struct bpf_key *',
    params: [p('id', 'u64')],
    flags: ['KF_ACQUIRE', 'KF_RET_NULL'],
    since: '6.1',
    releasedBy: ['bpf_key_put'],
    summary: 'Looks up a system keyring by id; a reference or NULL, released with `bpf_key_put`.',
    example: 'key = bpf_lookup_system_key(1);\nif (key)\n\tbpf_key_put(key);',
  }),
  entry('bpf_key_put', 'kfunc', 'keys', 'keys', 'kernel/trace/bpf_trace.c', KERNEL_DOCS.kfuncs, {
    returns: 'void',
    params: [p('bkey', 'struct bpf_key *')],
    flags: ['KF_RELEASE'],
    since: '6.1',
    summary: 'Drops a key reference from `bpf_lookup_user_key` or `bpf_lookup_system_key`.',
    example: 'bpf_key_put(key);',
  }),
  entry('bpf_xdp_ct_lookup', 'kfunc', 'conntrack', 'conntrack', 'net/netfilter/nf_conntrack_bpf.c', KERNEL_DOCS.kfuncs, {
    returns: 'struct nf_conn *',
    params: [p('xdp_ctx', 'struct xdp_md *'), p('bpf_tuple', 'struct bpf_sock_tuple *'), p('tuple__sz', 'u32'), p('opts', 'struct bpf_ct_opts *'), p('opts__sz', 'u32')],
    flags: ['KF_ACQUIRE', 'KF_RET_NULL'],
    since: '5.18',
    releasedBy: ['bpf_ct_release'],
    summary: 'Looks up a conntrack entry from XDP; a reference or NULL, released with `bpf_ct_release`.',
    example: 'ct = bpf_xdp_ct_lookup(ctx, &tup, sizeof(tup.ipv4), &opts, sizeof(opts));\nif (ct)\n\tbpf_ct_release(ct);',
  }),
  entry('bpf_skb_ct_lookup', 'kfunc', 'conntrack', 'conntrack', 'net/netfilter/nf_conntrack_bpf.c', KERNEL_DOCS.kfuncs, {
    returns: 'struct nf_conn *',
    params: [p('skb_ctx', 'struct __sk_buff *'), p('bpf_tuple', 'struct bpf_sock_tuple *'), p('tuple__sz', 'u32'), p('opts', 'struct bpf_ct_opts *'), p('opts__sz', 'u32')],
    flags: ['KF_ACQUIRE', 'KF_RET_NULL'],
    since: '5.18',
    releasedBy: ['bpf_ct_release'],
    summary: 'Looks up a conntrack entry from TC; a reference or NULL, released with `bpf_ct_release`.',
    example: 'ct = bpf_skb_ct_lookup(skb, &tup, sizeof(tup.ipv4), &opts, sizeof(opts));\nif (ct)\n\tbpf_ct_release(ct);',
  }),
  entry('bpf_xdp_ct_alloc', 'kfunc', 'conntrack', 'conntrack', 'net/netfilter/nf_conntrack_bpf.c', KERNEL_DOCS.kfuncs, {
    returns: 'struct nf_conn___init *',
    params: [p('xdp_ctx', 'struct xdp_md *'), p('bpf_tuple', 'struct bpf_sock_tuple *'), p('tuple__sz', 'u32'), p('opts', 'struct bpf_ct_opts *'), p('opts__sz', 'u32')],
    flags: ['KF_ACQUIRE', 'KF_RET_NULL'],
    since: '6.1',
    releasedBy: ['bpf_ct_insert_entry', 'bpf_ct_release'],
    summary: 'Allocates a new conntrack entry from XDP; owned and maybe NULL. Insert it with `bpf_ct_insert_entry` or release it.',
    example: 'ct = bpf_xdp_ct_alloc(ctx, &tup, sizeof(tup.ipv4), &opts, sizeof(opts));',
  }),
  entry('bpf_skb_ct_alloc', 'kfunc', 'conntrack', 'conntrack', 'net/netfilter/nf_conntrack_bpf.c', KERNEL_DOCS.kfuncs, {
    returns: 'struct nf_conn___init *',
    params: [p('skb_ctx', 'struct __sk_buff *'), p('bpf_tuple', 'struct bpf_sock_tuple *'), p('tuple__sz', 'u32'), p('opts', 'struct bpf_ct_opts *'), p('opts__sz', 'u32')],
    flags: ['KF_ACQUIRE', 'KF_RET_NULL'],
    since: '6.1',
    releasedBy: ['bpf_ct_insert_entry', 'bpf_ct_release'],
    summary: 'Allocates a new conntrack entry from TC; owned and maybe NULL.',
    example: 'ct = bpf_skb_ct_alloc(skb, &tup, sizeof(tup.ipv4), &opts, sizeof(opts));',
  }),
  entry('bpf_ct_insert_entry', 'kfunc', 'conntrack', 'conntrack', 'net/netfilter/nf_conntrack_bpf.c', KERNEL_DOCS.kfuncs, {
    returns: 'struct nf_conn *',
    params: [p('nfct_i', 'struct nf_conn___init *')],
    flags: ['KF_ACQUIRE', 'KF_RET_NULL', 'KF_RELEASE'],
    since: '6.1',
    releasedBy: ['bpf_ct_release'],
    summary: 'Inserts an allocated entry into the conntrack table: consumes the allocation and returns a reference to the inserted entry, or NULL.',
    example: 'ct = bpf_ct_insert_entry(ct_new);\nif (ct)\n\tbpf_ct_release(ct);',
  }),
  entry('bpf_ct_release', 'kfunc', 'conntrack', 'conntrack', 'net/netfilter/nf_conntrack_bpf.c', KERNEL_DOCS.kfuncs, {
    returns: 'void',
    params: [p('nfct', 'struct nf_conn *')],
    flags: ['KF_RELEASE'],
    since: '5.18',
    summary: 'Drops a conntrack reference you own.',
    example: 'bpf_ct_release(ct);',
  }),
  helper('bpf_get_current_task_btf', 'context', {
    returns: 'struct task_struct *',
    params: [],
    since: '5.11',
    summary: 'The current task as a trusted pointer: usable with task kfuncs, never NULL, and not a reference (do not release it).',
    example: 'task = bpf_get_current_task_btf();\nacquired = bpf_task_acquire(task);',
  }),
  entry('bpf_throw', 'kfunc', 'context', 'generic', HELPERS_C, KERNEL_DOCS.kfuncs, {
    returns: 'void',
    params: [p('cookie', 'u64')],
    since: '6.7',
    sinceUncertain: true,
    noReturn: true,
    summary: 'Ends the program at once with an exception. The verifier checks at the throw that no reference, lock or RCU section is still held.',
    example: 'if (!mask)\n\tbpf_throw(0);',
  }),
];

const BY_NAME = new Map<string, KfuncEntry>();
for (const kfunc of KFUNCS) {
  BY_NAME.set(kfunc.name, kfunc);
  if (kfunc.symbol) BY_NAME.set(kfunc.symbol, kfunc);
}

/** The entry for a called name; both `bpf_obj_new` and `bpf_obj_new_impl` find the same entry. */
export function lookupKfunc(name: string): KfuncEntry | undefined {
  return BY_NAME.get(name);
}
