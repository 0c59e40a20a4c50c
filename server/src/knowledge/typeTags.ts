import type { KptrTag } from '../model/documentModel';
import { KernelVersion, parseKernelVersion } from './kernelVersion';

/**
 * The kptr type tags. Facts: what each expands to (libbpf bpf_helpers.h),
 * how the kernel classifies it (kernel/bpf/btf.c btf_find_kptr), how loads
 * and stores are checked (kernel/bpf/verifier.c check_map_kptr_access,
 * btf_ld_kptr_type), which maps take it (kernel/bpf/syscall.c
 * map_check_btf). The explanations are ours.
 */

export type KptrKind = 'referenced' | 'unreferenced' | 'percpu' | 'uptr';

export interface TypeTagInfo {
  name: KptrTag;
  btfTag: string;
  kind: KptrKind;
  since: KernelVersion;
  /** The kernel stopped recognising the tag at this version. */
  removedIn?: KernelVersion;
  renamedTo?: KptrTag;
  /** What the same spelling meant on older kernels. */
  earlierMeaning?: { until: KernelVersion; kind: KptrKind; note: string };
  summary: string;
  write: string;
  read: string;
  release: string;
  mapTypes: string;
  docUrl: string;
  example: string;
  source: string;
}

export const KERNEL_DOCS = {
  kfuncs: 'https://docs.kernel.org/bpf/kfuncs.html',
  cpumasks: 'https://docs.kernel.org/bpf/cpumasks.html',
  graphs: 'https://docs.kernel.org/bpf/graph_ds_impl.html',
  maps: 'https://docs.kernel.org/bpf/maps.html',
  verifier: 'https://docs.kernel.org/bpf/verifier.html',
  helpers: 'https://man7.org/linux/man-pages/man7/bpf-helpers.7.html',
  libbpfProgramTypes: 'https://docs.kernel.org/bpf/libbpf/program_types.html',
} as const;

const KPTR_MAPS =
  'hash, percpu hash, LRU hash, LRU percpu hash, array, percpu array, and the sk, inode, task and cgroup storage maps; global variables (.bss, .data, private(...)) count as array maps.';

export const TYPE_TAGS: readonly TypeTagInfo[] = [
  {
    name: '__kptr',
    btfTag: 'kptr',
    kind: 'referenced',
    since: parseKernelVersion('5.19'),
    earlierMeaning: {
      until: parseKernelVersion('6.4'),
      kind: 'unreferenced',
      note: 'On kernels 5.19 to 6.3 this spelling meant an unreferenced kptr (today\'s `__kptr_untrusted`), and referenced fields were written `__kptr_ref`.',
    },
    summary:
      'A referenced kptr: the field owns one reference to the object it points to. The map keeps that object alive until the value is deleted or the field is swapped out.',
    write:
      'Only with `bpf_kptr_xchg(&v->field, p)`, where `p` is an owned (acquired) pointer of exactly the pointee type, or NULL. The call moves the reference from `p` into the field and hands back the previous one, which you must release or store again. A plain assignment, even of NULL, is refused: `store to referenced kptr disallowed`.',
    read:
      'A plain load gives a pointer that may be NULL and that you do not own. Inside an RCU read section (any non-sleepable program, or between `bpf_rcu_read_lock()` and `bpf_rcu_read_unlock()`) it is RCU-protected, so it can be passed to kfuncs that accept RCU pointers after a NULL check; to keep it beyond the section, acquire your own reference (for example `bpf_task_acquire`). To take the reference out, use `bpf_kptr_xchg(&v->field, NULL)`.',
    release:
      'The reference stored in the field is dropped by the map when the element is deleted or the map is freed, so leaving it there is not a leak. A value taken out with `bpf_kptr_xchg` is released with the pointee type\'s release kfunc (`bpf_cpumask_release`, `bpf_task_release`, `bpf_cgroup_release`, `bpf_obj_drop` for your own types).',
    mapTypes: KPTR_MAPS,
    docUrl: KERNEL_DOCS.kfuncs,
    example: [
      'struct task_ctx {',
      '\tstruct bpf_cpumask __kptr *mask;',
      '};',
      '',
      'old = bpf_kptr_xchg(&ctx->mask, mask);',
      'if (old)',
      '\tbpf_cpumask_release(old);',
    ].join('\n'),
    source: 'kernel/bpf/btf.c btf_find_kptr; kernel/bpf/verifier.c check_map_kptr_access; tools/lib/bpf/bpf_helpers.h',
  },
  {
    name: '__kptr_untrusted',
    btfTag: 'kptr_untrusted',
    kind: 'unreferenced',
    since: parseKernelVersion('6.4'),
    summary:
      'An unreferenced kptr: the field stores a kernel pointer without owning it. Nothing keeps the object alive, so whatever is read back is untrusted.',
    write:
      'Plain assignment of a pointer of exactly the pointee type, or NULL. Ownership does not move: if you store an acquired pointer you still have to release it yourself. `bpf_kptr_xchg` is refused on this field (`kptr isn\'t referenced kptr`).',
    read:
      'A load gives an untrusted pointer that may be NULL. You can read its fields with probe-style loads, but kfuncs that need trusted or RCU arguments refuse it.',
    release: 'Nothing to release: the field never held a reference.',
    mapTypes: KPTR_MAPS,
    docUrl: KERNEL_DOCS.kfuncs,
    example: ['struct value {', '\tstruct task_struct __kptr_untrusted *last_seen;', '};', '', 'v->last_seen = task;'].join('\n'),
    source: 'kernel/bpf/btf.c btf_find_kptr; kernel/bpf/verifier.c check_map_kptr_access',
  },
  {
    name: '__kptr_ref',
    btfTag: 'kptr_ref',
    kind: 'referenced',
    since: parseKernelVersion('5.19'),
    removedIn: parseKernelVersion('6.4'),
    renamedTo: '__kptr',
    summary:
      'The old spelling of a referenced kptr (kernels 5.19 to 6.3). In 6.4 it was renamed to `__kptr`, and the old `__kptr` became `__kptr_untrusted`; kernels from 6.4 on refuse the `kptr_ref` BTF tag when the map is created.',
    write: 'As for `__kptr`: only with `bpf_kptr_xchg`.',
    read: 'As for `__kptr`.',
    release: 'As for `__kptr`.',
    mapTypes: KPTR_MAPS,
    docUrl: KERNEL_DOCS.kfuncs,
    example: ['/* kernels before 6.4 only; write __kptr today */', 'struct value {', '\tstruct task_struct __kptr_ref *task;', '};'].join('\n'),
    source: 'kernel commit 03b77e17aeb2 (rename of __kptr_ref to __kptr, 6.4); kernel/bpf/btf.c btf_find_kptr',
  },
  {
    name: '__percpu_kptr',
    btfTag: 'percpu_kptr',
    kind: 'percpu',
    since: parseKernelVersion('6.6'),
    summary:
      'A referenced kptr to a per-CPU object of your own type, allocated with `bpf_percpu_obj_new`. The field owns the object.',
    write: 'Only with `bpf_kptr_xchg`, moving in an owned per-CPU object (or NULL). Plain stores are refused.',
    read:
      'A load gives a per-CPU pointer that may be NULL; reach this CPU\'s copy with `bpf_this_cpu_ptr` or another CPU\'s with `bpf_per_cpu_ptr` after a NULL check.',
    release: 'A value taken out with `bpf_kptr_xchg` is released with `bpf_percpu_obj_drop`.',
    mapTypes: KPTR_MAPS,
    docUrl: KERNEL_DOCS.kfuncs,
    example: [
      'struct val_t { long counter; };',
      'struct elem { struct val_t __percpu_kptr *pc; };',
      '',
      'p = bpf_percpu_obj_new(struct val_t);',
      'if (p) {',
      '\tp = bpf_kptr_xchg(&e->pc, p);',
      '\tif (p)',
      '\t\tbpf_percpu_obj_drop(p);',
      '}',
    ].join('\n'),
    source: 'kernel/bpf/btf.c btf_find_kptr (BPF_KPTR_PERCPU); kernel/bpf/helpers.c bpf_percpu_obj_new_impl',
  },
  {
    name: '__uptr',
    btfTag: 'uptr',
    kind: 'uptr',
    since: parseKernelVersion('6.13'),
    summary:
      'A pointer into user memory that user space sets through a task storage map; the kernel pins the page while it is stored. Only task storage maps accept it.',
    write: 'From user space, through the task storage map update; BPF programs do not store into it.',
    read: 'A load gives a pointer to user memory that may be NULL; check it, then read or write the memory directly.',
    release: 'The kernel unpins the memory when the storage element goes away.',
    mapTypes: 'task storage only.',
    docUrl: KERNEL_DOCS.maps,
    example: ['struct user_data { int a; };', 'struct value_type {', '\tstruct user_data __uptr *udata;', '};'].join('\n'),
    source: 'kernel/bpf/btf.c btf_find_kptr (BPF_UPTR); kernel/bpf/syscall.c map_check_btf',
  },
];

export const TYPE_TAG_BY_NAME: ReadonlyMap<string, TypeTagInfo> = new Map(TYPE_TAGS.map((t) => [t.name, t]));

export function isKptrTag(name: string): name is KptrTag {
  return TYPE_TAG_BY_NAME.has(name);
}
