// Writes large, realistic, deterministic BPF C workloads for the benchmark, so that its
// figures depend on nothing downloaded.
//
//   node scripts/bench/generate.mjs --lines 5000 [--seed 1] [--out FILE]     one file
//   node scripts/bench/generate.mjs --dir DIR --files 150 --total 70000       a project directory
//
// What a file holds is what sched_ext schedulers and tracing programs hold: value structs with
// `__kptr` fields (cpumasks, tasks, objects from bpf_obj_new), hash / array / task-storage maps,
// `private(NAME)` kptr globals, static `__always_inline` helpers that acquire, stash, exchange and
// release references, bounded loops and `bpf_for`, RCU read sections, `switch`, `goto` unwinding,
// and BPF_PROG programs on tp_btf / lsm / syscall sections. About one program in twenty carries
// an ownership mistake (a leak on an early return, a missing NULL check, a discarded
// bpf_kptr_xchg result), as code being edited does. Every file compiles as BPF C against a
// vmlinux.h and libbpf's headers: `bench_common.bpf.h` (written beside the files) declares the
// kfuncs and the few macros libbpf does not provide.
import { mkdirSync, writeFileSync } from 'fs';
import { join } from 'path';
import { fileURLToPath } from 'url';
import { parseArgs } from 'util';

/** mulberry32: a small seeded PRNG, so the same seed always writes the same bytes. */
export function rng(seed) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    next,
    int: (lo, hi) => lo + Math.floor(next() * (hi - lo + 1)),
    pick: (list) => list[Math.floor(next() * list.length)],
    chance: (p) => next() < p,
  };
}

export const COMMON_HEADER_NAME = 'bench_common.bpf.h';
export const SHARED_HEADER_NAME = 'sched_shared.bpf.h';

export const COMMON_HEADER = `/* SPDX-License-Identifier: GPL-2.0 */
/* Written by scripts/bench/generate.mjs: the kfuncs and macros the generated programs use. */
#ifndef BENCH_COMMON_BPF_H
#define BENCH_COMMON_BPF_H

#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>

#ifndef ENOMEM
#define ENOMEM 12
#endif
#ifndef ENOENT
#define ENOENT 2
#endif
#ifndef EINVAL
#define EINVAL 22
#endif
#define NR_SLOTS 1024
#define MAX_CPUS 64

struct bpf_cpumask *bpf_cpumask_create(void) __ksym;
void bpf_cpumask_release(struct bpf_cpumask *cpumask) __ksym;
struct bpf_cpumask *bpf_cpumask_acquire(struct bpf_cpumask *cpumask) __ksym;
void bpf_cpumask_set_cpu(u32 cpu, struct bpf_cpumask *cpumask) __ksym;
void bpf_cpumask_clear_cpu(u32 cpu, struct bpf_cpumask *cpumask) __ksym;
void bpf_cpumask_setall(struct bpf_cpumask *cpumask) __ksym;
void bpf_cpumask_clear(struct bpf_cpumask *cpumask) __ksym;
bool bpf_cpumask_test_cpu(u32 cpu, const struct cpumask *cpumask) __ksym;
bool bpf_cpumask_empty(const struct cpumask *cpumask) __ksym;
u32 bpf_cpumask_first(const struct cpumask *cpumask) __ksym;
u32 bpf_cpumask_weight(const struct cpumask *cpumask) __ksym;
bool bpf_cpumask_and(struct bpf_cpumask *dst, const struct cpumask *src1, const struct cpumask *src2) __ksym;
void bpf_cpumask_or(struct bpf_cpumask *dst, const struct cpumask *src1, const struct cpumask *src2) __ksym;
void bpf_cpumask_copy(struct bpf_cpumask *dst, const struct cpumask *src) __ksym;

struct task_struct *bpf_task_acquire(struct task_struct *p) __ksym;
void bpf_task_release(struct task_struct *p) __ksym;
struct task_struct *bpf_task_from_pid(s32 pid) __ksym;
struct cgroup *bpf_cgroup_acquire(struct cgroup *cgrp) __ksym;
void bpf_cgroup_release(struct cgroup *cgrp) __ksym;

void bpf_rcu_read_lock(void) __ksym;
void bpf_rcu_read_unlock(void) __ksym;

void *bpf_obj_new_impl(__u64 local_type_id, void *meta) __ksym;
void bpf_obj_drop_impl(void *kptr, void *meta) __ksym;
#define bpf_obj_new(type) ((type *)bpf_obj_new_impl(bpf_core_type_id_local(type), NULL))
#define bpf_obj_drop(kptr) bpf_obj_drop_impl(kptr, NULL)

extern int bpf_iter_num_new(struct bpf_iter_num *it, int start, int end) __weak __ksym;
extern int *bpf_iter_num_next(struct bpf_iter_num *it) __weak __ksym;
extern void bpf_iter_num_destroy(struct bpf_iter_num *it) __weak __ksym;
#ifndef bpf_for
#define bpf_for(i, start, end)								\\
	for (struct bpf_iter_num ___it __attribute__((aligned(8),			\\
						      cleanup(bpf_iter_num_destroy))),	\\
	     *___p __attribute__((unused)) = (						\\
		     bpf_iter_num_new(&___it, (start), (end)), (void *)0);		\\
	     ({ int *___t = bpf_iter_num_next(&___it); (___t && ((i) = *___t, 1)); });)
#endif

#define private(name) SEC(".data." #name) __hidden __attribute__((aligned(8)))

#endif
`;

/** A project header shared by the files of a generated directory: kptr structs and static helpers. */
export const SHARED_HEADER = `/* SPDX-License-Identifier: GPL-2.0 */
/* Written by scripts/bench/generate.mjs: what the files of one generated scheduler share. */
#ifndef SCHED_SHARED_BPF_H
#define SCHED_SHARED_BPF_H

#include "${COMMON_HEADER_NAME}"

struct shared_node {
	u64 key;
	u64 weight;
	u32 cpu;
};

struct shared_cpu_ctx {
	struct bpf_cpumask __kptr *affinity;
	struct bpf_cpumask __kptr *idle;
	struct task_struct __kptr *curr;
	struct shared_node __kptr *node;
	u64 last_switch;
	u32 nr_switches;
};

struct shared_task_ctx {
	struct bpf_cpumask __kptr *allowed;
	u64 runtime;
	u64 vtime;
	u32 last_cpu;
};

static __always_inline struct bpf_cpumask *shared_mask_of_cpu(u32 cpu)
{
	struct bpf_cpumask *mask = bpf_cpumask_create();

	if (!mask)
		return NULL;
	bpf_cpumask_set_cpu(cpu, mask);
	return mask;
}

static __always_inline int shared_store_mask(struct bpf_cpumask __kptr **slot, struct bpf_cpumask *mask)
{
	struct bpf_cpumask *old;

	old = bpf_kptr_xchg(slot, mask);
	if (old)
		bpf_cpumask_release(old);
	return 0;
}

static __always_inline u32 shared_weight(const struct cpumask *mask)
{
	u32 i, n = 0;

	for (i = 0; i < MAX_CPUS; i++) {
		if (bpf_cpumask_test_cpu(i, mask))
			n++;
	}
	return n;
}

#endif
`;

const TP_PROGRAMS = [
  { sec: 'tp_btf/task_newtask', params: 'struct task_struct *task, u64 clone_flags', task: 'task' },
  { sec: 'tp_btf/sched_process_exit', params: 'struct task_struct *task', task: 'task' },
  { sec: 'tp_btf/sched_switch', params: 'bool preempt, struct task_struct *prev, struct task_struct *next', task: 'next' },
  { sec: 'tp_btf/sched_wakeup', params: 'struct task_struct *p', task: 'p' },
  { sec: 'tp_btf/sched_wakeup_new', params: 'struct task_struct *p', task: 'p' },
  { sec: 'tp_btf/sched_process_exec', params: 'struct task_struct *p, pid_t old_pid, struct linux_binprm *bprm', task: 'p' },
  { sec: 'lsm/task_alloc', params: 'struct task_struct *task, unsigned long clone_flags', task: 'task' },
];

const WORDS = ['cpu', 'llc', 'node', 'dom', 'layer', 'cell', 'core', 'tier', 'queue', 'pool', 'group', 'zone'];
const VERBS = ['refresh', 'update', 'account', 'track', 'sample', 'balance', 'promote', 'steer', 'place', 'note'];

/**
 * One generated file. Names carry a per-file prefix and a per-unit number, so the files of a
 * directory can be opened (and compiled) together.
 */
class FileWriter {
  constructor(seed, prefix, { shared = false } = {}) {
    this.r = rng(seed);
    this.prefix = prefix;
    this.shared = shared;
    this.lines = [];
    this.unit = 0;
    /** The kptr value structs and maps defined so far: helpers and programs use them. */
    this.ctxs = [];
    this.taskMaps = [];
    this.globals = [];
    this.helpers = [];
  }

  emit(text) {
    for (const line of text.split('\n')) this.lines.push(line);
  }

  get lineCount() {
    return this.lines.length;
  }

  name(kind) {
    const r = this.r;
    return `${this.prefix}_${r.pick(VERBS)}_${r.pick(WORDS)}_${kind}${this.unit}`;
  }

  header(seed, target) {
    this.emit(`// SPDX-License-Identifier: GPL-2.0
/*
 * Synthetic BPF object written by scripts/bench/generate.mjs (seed ${seed}, about ${target} lines).
 * Kernel pointers in map values, task storage and private globals, with the helpers and
 * programs that acquire, exchange and release them.
 */
#include "${this.shared ? SHARED_HEADER_NAME : COMMON_HEADER_NAME}"
`);
    if (!this.shared) this.emit('char LICENSE[] SEC("license") = "GPL";\n');
  }

  /** A value struct with kptr fields, its local object type and a map holding it. */
  types() {
    const u = ++this.unit;
    const r = this.r;
    const p = this.prefix;
    const ctx = { struct: `${p}_ctx${u}`, node: `${p}_obj${u}`, map: `${p}_ctx_map${u}`, array: r.chance(0.4) };
    this.emit(`struct ${ctx.node} {
	u64 key;
	u64 value;
	u32 cpu;
	u32 flags;
};

/* Per-${r.pick(WORDS)} state: the masks and task it holds are owned by the map. */
struct ${ctx.struct} {
	struct bpf_cpumask __kptr *mask;
	struct bpf_cpumask __kptr *spare;
	struct task_struct __kptr *owner;
	struct ${ctx.node} __kptr *obj;
	u64 stamp;
	u64 runtime;
	u32 hits;
	u32 misses;
};

struct {
	__uint(type, ${ctx.array ? 'BPF_MAP_TYPE_ARRAY' : 'BPF_MAP_TYPE_HASH'});
	__uint(max_entries, ${r.pick([64, 256, 1024, 4096])});
	__type(key, u32);
	__type(value, struct ${ctx.struct});
} ${ctx.map} SEC(".maps");
`);
    this.ctxs.push(ctx);
    if (r.chance(0.5)) {
      const tm = { struct: `${p}_task_ctx${u}`, map: `${p}_task_map${u}` };
      this.emit(`struct ${tm.struct} {
	struct bpf_cpumask __kptr *cpus;
	u64 enq_at;
	u64 slice;
	u32 prio;
};

struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct ${tm.struct});
} ${tm.map} SEC(".maps");
`);
      this.taskMaps.push(tm);
    }
    if (r.chance(0.35)) {
      const g = `${p}_global_mask${u}`;
      this.emit(`private(${p.toUpperCase()}${u}) struct bpf_cpumask __kptr *${g};
`);
      this.globals.push(g);
    }
  }

  ctx() {
    return this.r.pick(this.ctxs);
  }

  /** A static helper; `kind` chooses among the shapes real schedulers use. */
  helper() {
    const r = this.r;
    const c = this.ctx();
    const u = ++this.unit;
    const kind = r.pick(['newMask', 'stash', 'weight', 'owner', 'obj', 'rcuPeek', 'forScan', 'switchy']);
    let name;
    switch (kind) {
      case 'newMask':
        name = this.name('mask');
        this.emit(`static __always_inline struct bpf_cpumask *${name}(u32 first, u32 nr)
{
	struct bpf_cpumask *mask;
	u32 i;

	mask = bpf_cpumask_create();
	if (!mask)
		return NULL;
	for (i = 0; i < ${r.pick([8, 16, 32, 64])}; i++) {
		if (i < first || i >= first + nr)
			continue;
		bpf_cpumask_set_cpu(i, mask);
	}
	return mask;
}
`);
        this.helpers.push({ name, kind, returnsMask: true });
        return;
      case 'stash':
        name = this.name('stash');
        this.emit(`/* Consumes \`mask\` on every path: stored in the map, or released. */
static __always_inline int ${name}(u32 key, struct bpf_cpumask *mask)
{
	struct ${c.struct} *v;
	struct bpf_cpumask *old;

	v = bpf_map_lookup_elem(&${c.map}, &key);
	if (!v) {
		bpf_cpumask_release(mask);
		return -ENOENT;
	}
	old = bpf_kptr_xchg(&v->mask, mask);
	if (old)
		bpf_cpumask_release(old);
	v->hits++;
	return 0;
}
`);
        this.helpers.push({ name, kind, consumesMask: true });
        return;
      case 'weight':
        name = this.name('weight');
        this.emit(`static __always_inline u32 ${name}(const struct cpumask *mask)
{
	u32 cpu, n = 0;

	for (cpu = 0; cpu < MAX_CPUS; cpu++) {
		if (!bpf_cpumask_test_cpu(cpu, mask))
			continue;
		n += ${r.int(1, 3)};
	}
	return n;
}
`);
        this.helpers.push({ name, kind });
        return;
      case 'owner':
        name = this.name('owner');
        this.emit(`/* Makes \`p\` the owner of slot \`key\`, dropping the previous owner. */
static __always_inline int ${name}(u32 key, struct task_struct *p)
{
	struct ${c.struct} *v;
	struct task_struct *held, *old;

	v = bpf_map_lookup_elem(&${c.map}, &key);
	if (!v)
		return -ENOENT;
	held = bpf_task_acquire(p);
	if (!held)
		return -EINVAL;
	old = bpf_kptr_xchg(&v->owner, held);
	if (old)
		bpf_task_release(old);
	v->stamp = bpf_ktime_get_ns();
	return 0;
}
`);
        this.helpers.push({ name, kind, takesTask: true });
        return;
      case 'obj':
        name = this.name('obj');
        this.emit(`static __always_inline int ${name}(u32 key, u64 value)
{
	struct ${c.node} *n, *old;
	struct ${c.struct} *v;

	v = bpf_map_lookup_elem(&${c.map}, &key);
	if (!v)
		return -ENOENT;
	n = bpf_obj_new(typeof(*n));
	if (!n)
		return -ENOMEM;
	n->key = key;
	n->value = value;
	n->cpu = bpf_get_smp_processor_id();
	old = bpf_kptr_xchg(&v->obj, n);
	if (old)
		bpf_obj_drop(old);
	return 0;
}
`);
        this.helpers.push({ name, kind, keyValue: true });
        return;
      case 'rcuPeek':
        name = this.name('peek');
        this.emit(`/* Reads the stored mask under RCU, without taking a reference. */
static __always_inline bool ${name}(u32 key, u32 cpu)
{
	struct ${c.struct} *v;
	struct bpf_cpumask *mask;
	bool hit = false;

	v = bpf_map_lookup_elem(&${c.map}, &key);
	if (!v)
		return false;
	bpf_rcu_read_lock();
	mask = v->mask;
	if (mask)
		hit = bpf_cpumask_test_cpu(cpu, (const struct cpumask *)mask);
	bpf_rcu_read_unlock();
	if (hit)
		v->hits++;
	else
		v->misses++;
	return hit;
}
`);
        this.helpers.push({ name, kind, keyCpu: true });
        return;
      case 'forScan':
        name = this.name('scan');
        this.emit(`static __always_inline int ${name}(u32 nr)
{
	struct ${c.struct} *v;
	int i, found = 0;

	bpf_for(i, 0, ${r.pick([16, 32, 64, 128])}) {
		u32 key = i;

		if (i >= nr)
			break;
		v = bpf_map_lookup_elem(&${c.map}, &key);
		if (!v)
			continue;
		if (v->stamp && v->hits > v->misses)
			found++;
	}
	return found;
}
`);
        this.helpers.push({ name, kind, takesNr: true });
        return;
      default:
        name = this.name('classify');
        this.emit(`static __always_inline u32 ${name}(u64 runtime, u32 prio)
{
	u32 weight;

	switch (prio) {
	case 0:
		weight = 1024;
		break;
	case 1:
	case 2:
		weight = 820 - prio * ${r.int(10, 90)};
		break;
	case 3:
		weight = 335;
		/* fall through */
	default:
		weight = runtime > ${r.int(1, 9)}000000ULL ? 110 : 215;
		break;
	}
	return weight;
}
`);
        this.helpers.push({ name, kind, classify: true });
    }
  }

  /** A call to a random earlier helper, as a statement in a program body. */
  helperCall(task) {
    const r = this.r;
    if (this.helpers.length === 0) return '';
    const h = r.pick(this.helpers);
    if (h.returnsMask) {
      const stash = this.helpers.find((x) => x.consumesMask);
      return stash
        ? `	{
		struct bpf_cpumask *m = ${h.name}(${r.int(0, 7)}, ${r.int(1, 8)});

		if (m)
			${stash.name}(key, m);
	}
`
        : `	{
		struct bpf_cpumask *m = ${h.name}(${r.int(0, 7)}, ${r.int(1, 8)});

		if (m)
			bpf_cpumask_release(m);
	}
`;
    }
    if (h.consumesMask) return `	{
		struct bpf_cpumask *m = bpf_cpumask_create();

		if (m) {
			bpf_cpumask_setall(m);
			${h.name}(key, m);
		}
	}
`;
    if (h.takesTask) return `	${h.name}(key, ${task});\n`;
    if (h.keyValue) return `	${h.name}(key, bpf_ktime_get_ns());\n`;
    if (h.keyCpu) return `	if (${h.name}(key, bpf_get_smp_processor_id()))\n		ret++;\n`;
    if (h.takesNr) return `	ret += ${h.name}(${r.int(4, 64)});\n`;
    if (h.classify) return `	ret += ${h.name}(bpf_ktime_get_ns(), key & 3);\n`;
    return '';
  }

  program() {
    const r = this.r;
    const c = this.ctx();
    const u = ++this.unit;
    const mistake = r.chance(0.05) ? r.pick(['leak', 'nullcheck', 'discard']) : undefined;
    if (r.chance(0.15)) return this.syscallProgram(c, u, mistake && 'leak');
    const tp = r.pick(TP_PROGRAMS);
    const name = `${this.prefix}_on_${tp.sec.split('/')[1]}${u}`;
    const task = tp.task;
    const body = [];
    body.push(`	u32 key = ${task}->pid % NR_SLOTS;
	struct ${c.struct} *v;
	struct bpf_cpumask *mask, *old;
	int ret = 0;
`);
    const tm = this.taskMaps.length > 0 && r.chance(0.5) ? r.pick(this.taskMaps) : undefined;
    if (tm) body.push(`	struct ${tm.struct} *tctx;

	tctx = bpf_task_storage_get(&${tm.map}, ${task}, NULL, BPF_LOCAL_STORAGE_GET_F_CREATE);
	if (!tctx)
		return 0;
	tctx->enq_at = bpf_ktime_get_ns();
	tctx->prio = ${task}->prio;
`);
    body.push(`
	v = bpf_map_lookup_elem(&${c.map}, &key);
	if (!v)
		return 0;
`);
    const steps = r.int(2, 5);
    for (let i = 0; i < steps; i++) {
      const step = mistake && i === 0 ? 'newMask' : r.pick(['newMask', 'newMask', 'rcu', 'helper', 'helper', 'owner', 'loop', 'branch', 'spare']);
      switch (step) {
        case 'newMask':
          if (mistake === 'nullcheck' && i === 0) {
            body.push(`
	mask = bpf_cpumask_create();
	bpf_cpumask_set_cpu(bpf_get_smp_processor_id(), mask);
	old = bpf_kptr_xchg(&v->mask, mask);
	if (old)
		bpf_cpumask_release(old);
`);
          } else if (mistake === 'leak' && i === 0) {
            body.push(`
	mask = bpf_cpumask_create();
	if (!mask)
		return 0;
	bpf_cpumask_set_cpu(bpf_get_smp_processor_id(), mask);
	if (v->hits > ${r.int(10, 1000)})
		return 1;
	old = bpf_kptr_xchg(&v->mask, mask);
	if (old)
		bpf_cpumask_release(old);
`);
          } else if (mistake === 'discard' && i === 0) {
            body.push(`
	mask = bpf_cpumask_create();
	if (!mask)
		return 0;
	bpf_kptr_xchg(&v->mask, mask);
`);
          } else {
            body.push(`
	mask = bpf_cpumask_create();
	if (!mask)
		return 0;
	bpf_cpumask_set_cpu(${r.pick(['bpf_get_smp_processor_id()', `${task}->wake_cpu`, `key % MAX_CPUS`])}, mask);
	old = bpf_kptr_xchg(&v->mask, mask);
	if (old)
		bpf_cpumask_release(old);
`);
          }
          break;
        case 'rcu':
          body.push(`
	bpf_rcu_read_lock();
	mask = v->mask;
	if (mask && bpf_cpumask_test_cpu(${r.int(0, 63)}, (const struct cpumask *)mask))
		ret++;
	bpf_rcu_read_unlock();
`);
          break;
        case 'helper':
          body.push(this.helperCall(task));
          break;
        case 'owner':
          body.push(`
	{
		struct task_struct *held = bpf_task_acquire(${task});

		if (held) {
			struct task_struct *prev = bpf_kptr_xchg(&v->owner, held);

			if (prev)
				bpf_task_release(prev);
		}
	}
`);
          break;
        case 'loop':
          body.push(`
	for (int i = 0; i < ${r.pick([4, 8, 16])}; i++) {
		u32 k = (key + i) % NR_SLOTS;
		struct ${c.struct} *w = bpf_map_lookup_elem(&${c.map}, &k);

		if (!w)
			break;
		w->runtime += ${task}->se.sum_exec_runtime >> ${r.int(1, 10)};
	}
`);
          break;
        case 'branch':
          body.push(`
	if (v->hits ${r.pick(['>', '<', '>='])} ${r.int(1, 500)}) {
		v->misses = 0;
		ret += ${r.int(1, 4)};
	} else if (${task}->prio ${r.pick(['<', '>'])} ${r.int(100, 139)}) {
		v->runtime = 0;
	} else {
		v->stamp = bpf_ktime_get_ns();
	}
`);
          break;
        default:
          body.push(`
	mask = bpf_kptr_xchg(&v->spare, NULL);
	if (mask) {
		bpf_cpumask_clear(mask);
		bpf_cpumask_set_cpu(${r.int(0, 63)}, mask);
		old = bpf_kptr_xchg(&v->spare, mask);
		if (old)
			bpf_cpumask_release(old);
	}
`);
      }
    }
    if (this.globals.length > 0 && r.chance(0.3)) {
      const g = r.pick(this.globals);
      body.push(`
	mask = bpf_cpumask_create();
	if (!mask)
		return ret;
	bpf_cpumask_setall(mask);
	old = bpf_kptr_xchg(&${g}, mask);
	if (old)
		bpf_cpumask_release(old);
`);
    }
    body.push(`	return ret;\n`);
    this.emit(`${mistake ? `/* bench: this program has a ${mistake} mistake. */\n` : ''}SEC("${tp.sec}")
int BPF_PROG(${name}, ${tp.params})
{
${body.join('')}}
`);
  }

  /** A syscall program with goto unwinding over two acquired references. */
  syscallProgram(c, u, mistake) {
    const r = this.r;
    const name = `${this.prefix}_setup${u}`;
    this.emit(`${mistake ? `/* bench: this program has a ${mistake} mistake. */\n` : ''}SEC("syscall")
int ${name}(void *ctx)
{
	struct bpf_cpumask *a, *b, *old;
	struct ${c.struct} *v;
	u32 key = ${r.int(0, 63)};
	int err = 0;

	a = bpf_cpumask_create();
	if (!a)
		return -ENOMEM;
	b = bpf_cpumask_create();
	if (!b) {
		err = -ENOMEM;
		goto out_a;
	}
	bpf_cpumask_set_cpu(${r.int(0, 63)}, a);
	bpf_cpumask_or(b, (const struct cpumask *)a, (const struct cpumask *)b);
	v = bpf_map_lookup_elem(&${c.map}, &key);
	if (!v) {
		err = -ENOENT;
		goto out_b;
	}
	old = bpf_kptr_xchg(&v->mask, a);
	if (old)
		bpf_cpumask_release(old);
	old = bpf_kptr_xchg(&v->spare, b);
	if (old)
		bpf_cpumask_release(old);
	return 0;
out_b:
${mistake === 'leak' ? '' : '	bpf_cpumask_release(b);\n'}out_a:
	bpf_cpumask_release(a);
	return err;
}
`);
  }

  /** Uses of the shared header's types and helpers (directory workloads only). */
  sharedUse() {
    const r = this.r;
    const u = ++this.unit;
    const map = `${this.prefix}_cpu_ctx${u}`;
    this.emit(`struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, MAX_CPUS);
	__type(key, u32);
	__type(value, struct shared_cpu_ctx);
} ${map} SEC(".maps");

SEC("tp_btf/sched_switch")
int BPF_PROG(${this.prefix}_shared_switch${u}, bool preempt, struct task_struct *prev, struct task_struct *next)
{
	u32 cpu = bpf_get_smp_processor_id();
	struct shared_cpu_ctx *cctx;
	struct bpf_cpumask *mask;
	struct task_struct *held, *old;

	cctx = bpf_map_lookup_elem(&${map}, &cpu);
	if (!cctx)
		return 0;
	cctx->nr_switches++;
	mask = shared_mask_of_cpu(cpu);
	if (mask)
		shared_store_mask(&cctx->affinity, mask);
	held = bpf_task_acquire(next);
	if (!held)
		return 0;
	old = bpf_kptr_xchg(&cctx->curr, held);
	if (old)
		bpf_task_release(old);
	if (cctx->nr_switches % ${r.int(8, 128)} == 0) {
		bpf_rcu_read_lock();
		mask = cctx->affinity;
		if (mask)
			cctx->last_switch = shared_weight((const struct cpumask *)mask);
		bpf_rcu_read_unlock();
	}
	return 0;
}
`);
  }
}

/**
 * Generates one file of about `lines` lines. `prefix` keeps its names apart from other files';
 * `shared` makes it include the directory's shared header (and not define LICENSE).
 */
export function generateFile({ lines, seed = 1, prefix = 'b', shared = false }) {
  const w = new FileWriter(seed * 7919 + lines, prefix, { shared });
  w.header(seed, lines);
  w.types();
  if (shared) w.sharedUse();
  while (w.lineCount < lines) {
    const roll = w.r.next();
    if (roll < 0.1 || w.ctxs.length === 0) w.types();
    else if (roll < 0.45) w.helper();
    else w.program();
  }
  return w.lines.join('\n') + '\n';
}

/** Writes the common header into `dir` (once per directory). */
export function writeCommonHeaders(dir, { shared = false } = {}) {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, COMMON_HEADER_NAME), COMMON_HEADER);
  if (shared) writeFileSync(join(dir, SHARED_HEADER_NAME), SHARED_HEADER);
}

/** Writes one file of about `lines` lines into `dir`; returns its path. */
export function writeFile(dir, { lines, seed = 1, name }) {
  writeCommonHeaders(dir);
  const file = join(dir, name ?? `gen_${lines}.bpf.c`);
  writeFileSync(file, generateFile({ lines, seed }));
  return file;
}

/**
 * Writes a project directory of `files` files totalling about `total` lines, sizes spread as
 * in a real repository (many small files, a few large ones), a third of them including a
 * shared project header. Returns the file paths.
 */
export function writeDirectory(dir, { files = 150, total = 70000, seed = 1 }) {
  writeCommonHeaders(dir, { shared: true });
  const r = rng(seed);
  const weights = Array.from({ length: files }, () => Math.pow(r.next(), 3) + 0.15);
  let weightLeft = weights.reduce((a, b) => a + b, 0);
  let linesLeft = total;
  const paths = [];
  for (let i = 0; i < files; i++) {
    // each file's share of what is left, so that the files' overshoots do not add up
    const lines = Math.max(60, Math.round((weights[i] / weightLeft) * linesLeft));
    const shared = i % 3 === 0;
    const name = `sched_${String(i).padStart(3, '0')}.bpf.c`;
    const file = join(dir, name);
    const text = generateFile({ lines, seed: seed * 1000 + i, prefix: `s${i}`, shared });
    writeFileSync(file, text);
    paths.push(file);
    weightLeft -= weights[i];
    linesLeft -= text.split('\n').length - 1;
  }
  return paths;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { values } = parseArgs({
    options: {
      lines: { type: 'string' },
      seed: { type: 'string', default: '1' },
      out: { type: 'string' },
      dir: { type: 'string' },
      files: { type: 'string', default: '150' },
      total: { type: 'string', default: '70000' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  const seed = Number(values.seed);
  if (values.help || (!values.lines && !values.dir)) {
    process.stdout.write(
      'Usage: node scripts/bench/generate.mjs --lines N [--seed S] [--out FILE]\n' +
        '       node scripts/bench/generate.mjs --dir DIR [--files 150] [--total 70000] [--seed S]\n',
    );
  } else if (values.dir) {
    const paths = writeDirectory(values.dir, { files: Number(values.files), total: Number(values.total), seed });
    process.stderr.write(`${paths.length} files written to ${values.dir}\n`);
  } else {
    const text = generateFile({ lines: Number(values.lines), seed });
    if (values.out) {
      writeCommonHeaders(join(values.out, '..'));
      writeFileSync(values.out, text);
    } else process.stdout.write(text);
  }
}
