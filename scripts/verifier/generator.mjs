// Random but well-formed BPF C programs over the ownership vocabulary, for
// differential testing of the engine against the kernel verifier
// (scripts/verifier/fuzz.mjs).
//
// A program is generated from (seed, index) alone, so any one of them can be
// regenerated on its own. The generator keeps its own model of who owns what
// while it writes the program: a program meant to be correct releases or
// stores every reference on every path, checks every pointer that may be NULL
// before use, and leaves every RCU section it opens; a program meant to be
// wrong gets exactly one mistake injected (`intent` names it). The generator's
// model is only used to build programs and balance the mix: the verdicts that
// are compared are the engine's and the kernel's.
//
// Programs are trees (statements, ifs, loops, labels) rendered to C at the
// end, so scripts/verifier/shrink.mjs can delete and unwrap parts of them and
// still get C that compiles.
//
//   import { generateProgram, renderFile } from './generator.mjs';
//   const program = generateProgram(seed, index);
//   const text = renderFile([program]);

// ---- seeded randomness ---------------------------------------------------------

/** splitmix32: a small, good-enough hash of two integers into a 32-bit seed. */
function mix(a, b) {
  let h = (Math.imul(a ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul(b + 0x632be59b, 0xc2b2ae35)) >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b) >>> 0;
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35) >>> 0;
  return (h ^ (h >>> 16)) >>> 0;
}

export class Rng {
  constructor(seed) {
    this.s = seed >>> 0 || 1;
  }

  /** mulberry32 */
  next() {
    let t = (this.s = (this.s + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  int(n) {
    return Math.floor(this.next() * n);
  }

  chance(p) {
    return this.next() < p;
  }

  pick(items) {
    return items[this.int(items.length)];
  }

  /** [[weight, value], ...] */
  weighted(pairs) {
    const live = pairs.filter(([w]) => w > 0);
    const total = live.reduce((s, [w]) => s + w, 0);
    let r = this.next() * total;
    for (const [w, v] of live) {
      if ((r -= w) < 0) return v;
    }
    return live[live.length - 1][1];
  }
}

// ---- the shared header and the declarations programs may use -----------------

export const HEADER_NAME = 'fuzz.bpf.h';

/** Kfunc declarations and macros every generated file includes (written next to it). */
export function headerText() {
  return `/* SPDX-License-Identifier: MIT */
/* Shared by the programs scripts/verifier/fuzz.mjs generates: kfunc declarations and macros. */
#ifndef FUZZ_BPF_H
#define FUZZ_BPF_H

#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>

struct bpf_cpumask *bpf_cpumask_create(void) __ksym;
void bpf_cpumask_release(struct bpf_cpumask *cpumask) __ksym;
struct bpf_cpumask *bpf_cpumask_acquire(struct bpf_cpumask *cpumask) __ksym;
void bpf_cpumask_set_cpu(u32 cpu, struct bpf_cpumask *cpumask) __ksym;
void bpf_cpumask_clear_cpu(u32 cpu, struct bpf_cpumask *cpumask) __ksym;
void bpf_cpumask_setall(struct bpf_cpumask *cpumask) __ksym;
bool bpf_cpumask_test_cpu(u32 cpu, const struct cpumask *cpumask) __ksym;
bool bpf_cpumask_empty(const struct cpumask *cpumask) __ksym;
u32 bpf_cpumask_first(const struct cpumask *cpumask) __ksym;

struct task_struct *bpf_task_acquire(struct task_struct *p) __ksym;
void bpf_task_release(struct task_struct *p) __ksym;
struct task_struct *bpf_task_from_pid(s32 pid) __ksym;

void bpf_rcu_read_lock(void) __ksym;
void bpf_rcu_read_unlock(void) __ksym;

void *bpf_obj_new_impl(__u64 local_type_id, void *meta) __ksym;
void bpf_obj_drop_impl(void *kptr, void *meta) __ksym;
#define bpf_obj_new(type) ((type *)bpf_obj_new_impl(bpf_core_type_id_local(type), NULL))
#define bpf_obj_drop(kptr) bpf_obj_drop_impl(kptr, NULL)

#define private(name) SEC(".data." #name) __hidden __attribute__((aligned(8)))

char LICENSE[] SEC("license") = "GPL";

#endif
`;
}

/**
 * Declarations a program may use, in the order they are written. `uses` finds
 * them in a program's text; `needs` pulls in what they depend on.
 */
const DECLARATIONS = [
  { id: 'node_obj', uses: /\bstruct node_obj\b|\bg_obj\b/, text: 'struct node_obj {\n\tlong hits;\n\tlong seen;\n};' },
  { id: 'event', uses: /\bstruct event\b/, text: 'struct event {\n\tu32 pid;\n\tu32 val;\n};' },
  {
    id: 'slot',
    uses: /\bstruct slot\b|\bslots\b|\baslots\b|\btslots\b/,
    needs: ['node_obj'],
    text: 'struct slot {\n\tstruct bpf_cpumask __kptr *mask;\n\tstruct task_struct __kptr *task;\n\tstruct node_obj __kptr *obj;\n\tu64 plain;\n};',
  },
  {
    id: 'slots',
    uses: /\bslots\b/,
    needs: ['slot'],
    text: 'struct {\n\t__uint(type, BPF_MAP_TYPE_HASH);\n\t__uint(max_entries, 16);\n\t__type(key, u32);\n\t__type(value, struct slot);\n} slots SEC(".maps");',
  },
  {
    id: 'aslots',
    uses: /\baslots\b/,
    needs: ['slot'],
    text: 'struct {\n\t__uint(type, BPF_MAP_TYPE_ARRAY);\n\t__uint(max_entries, 4);\n\t__type(key, u32);\n\t__type(value, struct slot);\n} aslots SEC(".maps");',
  },
  {
    id: 'tslots',
    uses: /\btslots\b/,
    needs: ['slot'],
    text: 'struct {\n\t__uint(type, BPF_MAP_TYPE_TASK_STORAGE);\n\t__uint(map_flags, BPF_F_NO_PREALLOC);\n\t__type(key, int);\n\t__type(value, struct slot);\n} tslots SEC(".maps");',
  },
  {
    id: 'events',
    uses: /\bevents\b/,
    needs: ['event'],
    text: 'struct {\n\t__uint(type, BPF_MAP_TYPE_RINGBUF);\n\t__uint(max_entries, 4096);\n} events SEC(".maps");',
  },
  { id: 'g_mask', uses: /\bg_mask\b/, text: 'private(KPTRS) struct bpf_cpumask __kptr *g_mask;' },
  { id: 'g_task', uses: /\bg_task\b/, text: 'private(KPTRS) struct task_struct __kptr *g_task;' },
  { id: 'g_obj', uses: /\bg_obj\b/, needs: ['node_obj'], text: 'private(KPTRS) struct node_obj __kptr *g_obj;' },
  {
    // A kptr field whose type BTF only has as a forward declaration (a struct used through pointers
    // only) makes libbpf 1.4 fail to load the object's BTF when kfuncs are called too, and then maps
    // with kptr fields cannot be created. This function, called by nobody, has clang describe
    // task_struct and node_obj in full.
    id: 'anchor',
    uses: /\bstruct slot\b|\bslots\b|\baslots\b|\btslots\b|\bg_task\b|\bg_obj\b/,
    needs: ['node_obj'],
    text: '/* Called by nobody: makes BTF describe task_struct and node_obj in full, which the kptr fields need. */\n__hidden __noinline int btf_anchor(struct task_struct *t, struct node_obj *o)\n{\n\treturn t->pid + o->hits;\n}',
  },
];

/** The declarations `text` needs, as C. All of them when `text` is undefined. */
export function declarationsFor(text) {
  const wanted = new Set(text === undefined ? DECLARATIONS.map((d) => d.id) : DECLARATIONS.filter((d) => d.uses.test(text)).map((d) => d.id));
  for (let changed = true; changed; ) {
    changed = false;
    for (const d of DECLARATIONS) {
      if (!wanted.has(d.id)) continue;
      for (const n of d.needs ?? []) if (!wanted.has(n)) wanted.add(n), (changed = true);
    }
  }
  return DECLARATIONS.filter((d) => wanted.has(d.id)).map((d) => d.text).join('\n\n');
}

// ---- the ownership vocabulary ------------------------------------------------------

const CM = (x) => `(const struct cpumask *)${x}`;

/** Reference kinds: what acquires them, what uses them, what releases them, where they can be stored. */
const KINDS = {
  mask: {
    type: 'struct bpf_cpumask *',
    prefix: 'mask',
    field: 'mask',
    global: 'g_mask',
    release: (x) => `bpf_cpumask_release(${x});`,
    uses: [
      (x, c) => `bpf_cpumask_set_cpu(${c}, ${x});`,
      (x, c) => `bpf_cpumask_clear_cpu(${c}, ${x});`,
      (x) => `bpf_cpumask_setall(${x});`,
      (x, c) => `ret += bpf_cpumask_test_cpu(${c}, ${CM(x)});`,
      (x) => `ret += bpf_cpumask_first(${CM(x)});`,
    ],
    /** Uses that an RCU-protected (peeked) pointer allows. */
    peekUses: [(x, c) => `ret += bpf_cpumask_test_cpu(${c}, ${CM(x)});`, (x) => `ret += bpf_cpumask_empty(${CM(x)});`],
  },
  task: {
    type: 'struct task_struct *',
    prefix: 't',
    field: 'task',
    global: 'g_task',
    release: (x) => `bpf_task_release(${x});`,
    uses: [(x) => `ret += ${x}->pid;`, (x) => `ret ^= ${x}->tgid;`],
    peekUses: [(x) => `ret += ${x}->pid;`],
  },
  obj: {
    type: 'struct node_obj *',
    prefix: 'obj',
    field: 'obj',
    global: 'g_obj',
    release: (x) => `bpf_obj_drop(${x});`,
    // Never a no-op such as `+= 0`: clang would drop the access, and the verifier never see it.
    uses: [(x, c) => `${x}->hits += ${Number(c) + 1};`, (x) => `ret += ${x}->hits;`, (x) => `${x}->seen = ret;`],
    peekUses: [(x) => `ret += ${x}->hits;`],
  },
  ev: {
    type: 'struct event *',
    prefix: 'ev',
    release: (x, rng) => (rng && rng.chance(0.4) ? `bpf_ringbuf_discard(${x}, 0);` : `bpf_ringbuf_submit(${x}, 0);`),
    uses: [(x, c) => `${x}->pid = ${c};`, (x) => `${x}->val = ret;`],
    peekUses: [],
  },
};
const STORABLE = ['mask', 'task', 'obj'];

/** The spellings of "x is NULL" and "x is not NULL". */
/** The spellings of "x is NULL" and "x is not NULL", weighted roughly as often as BPF code uses them. */
const IS_NULL = [
  [4, (x) => `!${x}`],
  [3, (x) => `${x} == NULL`],
  [1, (x) => `NULL == ${x}`],
  [1, (x) => `!(${x})`],
  [0.5, (x) => `${x} == 0`],
  [0.5, (x) => `__builtin_expect(!${x}, 0)`],
];
const NOT_NULL = [
  [4, (x) => x],
  [3, (x) => `${x} != NULL`],
  [1, (x) => `NULL != ${x}`],
  [0.5, (x) => `!!${x}`],
  [0.5, (x) => `${x} != 0`],
  [0.5, (x) => `__builtin_expect(!!${x}, 1)`],
];

export const BUG_KINDS = ['leak', 'null', 'use-after-release', 'unowned', 'direct-store', 'xchg-discarded', 'type-mismatch', 'rcu', 'untrusted'];

// ---- program generation -----------------------------------------------------------

/**
 * state: what the generator knows at the current point of the program.
 *   held:   references owned here: { name, kind, nn } (nn: known not NULL)
 *   values: map value pointers checked not NULL: { name, map }
 *   rcu:    RCU read sections open
 *   done:   the block ended (return, continue, break, goto)
 * ctx: the block being written.
 *   consumable: names of held references this block may release or store
 *   loop:       inside a loop body; loopLocal: references acquired in this iteration
 *   rcuBase:    RCU depth at the start of the innermost loop body
 */
class ProgramGenerator {
  constructor(rng, name, sleepable, options) {
    this.rng = rng;
    this.name = name;
    this.tp = !sleepable;
    this.sleepable = sleepable;
    this.options = options;
    this.decls = new Map();
    this.counter = 0;
    this.helpers = [];
    this.conds = [];
    this.bug = null;
    this.features = new Set();
  }

  fresh(prefix, type, init) {
    const name = `${prefix}${this.counter++}`;
    this.decls.set(name, { type, init });
    return name;
  }

  decl(name, type, init) {
    if (!this.decls.has(name)) this.decls.set(name, { type, init });
    return name;
  }

  feature(f) {
    this.features.add(f);
  }

  /** A bug may be injected here when one is pending; returns true once. */
  wantBug(kind, p = 0.35) {
    if (!this.bug || this.bug.done || this.bug.kind !== kind) return false;
    if (!this.rng.chance(p)) return false;
    this.bug.done = true;
    this.feature(`bug:${kind}`);
    return true;
  }

  cpu() {
    return String(this.rng.int(4));
  }

  /** A condition on something the verifier cannot know; sometimes one already used (correlated branches). */
  cond() {
    const rng = this.rng;
    if (this.conds.length && rng.chance(0.15)) {
      this.feature('correlated-condition');
      return rng.pick(this.conds);
    }
    let c;
    if (this.tp && rng.chance(0.5)) {
      c = rng.pick([`clone_flags & ${1 << rng.int(4)}`, `(clone_flags & 3) == ${rng.int(4)}`, `task->pid > ${rng.int(2000)}`, `task->pid & 1`]);
    } else {
      this.decl('rnd', 'u32', 'bpf_get_prandom_u32()');
      c = rng.pick([`rnd & ${1 << rng.int(4)}`, `rnd > ${rng.int(1 << 30)}`, `(rnd & 6) == ${2 * rng.int(4)}`, `rnd % 3 == ${rng.int(3)}`]);
    }
    this.conds.push(c);
    return c;
  }

  isNull(x) {
    return this.rng.weighted(IS_NULL)(x);
  }

  notNull(x) {
    return this.rng.weighted(NOT_NULL)(x);
  }

  // ---- references -------------------------------------------------------------

  acquireExpr(kind, state) {
    const rng = this.rng;
    switch (kind) {
      case 'mask':
        return 'bpf_cpumask_create()';
      case 'task': {
        if (this.tp && rng.chance(0.15)) {
          this.feature('acquire-walked');
          return `bpf_task_acquire(task->${rng.pick(['group_leader', 'real_parent'])})`;
        }
        if (!this.tp && state && (state.rcu > 0 || this.wantBug('untrusted', 0.3)) && rng.chance(state.rcu > 0 ? 0.5 : 1)) {
          this.feature('acquire-walked');
          this.decl('cur', 'struct task_struct *', 'bpf_get_current_task_btf()');
          return `bpf_task_acquire(cur->${rng.pick(['group_leader', 'real_parent'])})`;
        }
        if (this.tp && rng.chance(0.6)) return 'bpf_task_acquire(task)';
        if (rng.chance(0.3)) {
          this.decl('cur', 'struct task_struct *', 'bpf_get_current_task_btf()');
          return 'bpf_task_acquire(cur)';
        }
        return `bpf_task_from_pid(${rng.pick(['1', '0', 'bpf_get_current_pid_tgid() >> 32'])})`;
      }
      case 'obj':
        return 'bpf_obj_new(struct node_obj)';
      case 'ev':
        return 'bpf_ringbuf_reserve(&events, sizeof(struct event), 0)';
    }
    throw new Error(kind);
  }

  pickKind(storableOnly = false) {
    return this.rng.weighted([
      [4, 'mask'],
      [3, 'task'],
      [2, 'obj'],
      [storableOnly ? 0 : 1.5, 'ev'],
    ]);
  }

  use(x, kind) {
    const k = KINDS[kind];
    return this.rng.pick(k.uses)(x, this.cpu());
  }

  release(x, kind) {
    return KINDS[kind].release(x, this.rng);
  }

  /** Statements that give up every reference held and close open RCU sections before leaving. */
  cleanup(state, scope = 'all', ctx = undefined, except = undefined) {
    const out = [];
    const held = scope === 'loop' ? state.held.filter((h) => ctx.loopLocal.has(h.name)) : state.held;
    let dropped = false;
    for (const h of held) {
      if (h.name === except) continue;
      if (!dropped && this.wantBug('leak', 0.4)) {
        dropped = true;
        continue;
      }
      out.push(h.nn ? { k: 's', text: this.release(h.name, h.kind) } : { k: 'if', cond: this.notNull(h.name), then: [{ k: 's', text: this.release(h.name, h.kind) }], else: null });
    }
    const depth = scope === 'loop' ? state.rcu - ctx.rcuBase : state.rcu;
    for (let i = 0; i < depth; i++) {
      if (this.wantBug('rcu', 0.5)) {
        this.feature('rcu:exit-inside');
        continue;
      }
      out.push({ k: 's', text: 'bpf_rcu_read_unlock();' });
    }
    return out;
  }

  /** An exit from the current point: return from the program, or continue/break in a loop. */
  exitStmts(state, ctx, except) {
    if (ctx.loop && this.rng.chance(0.6)) {
      // Inside a switch, `break` would leave the switch, not the loop.
      const jump = ctx.inSwitch || this.rng.chance(0.7) ? 'continue;' : 'break;';
      return [...this.cleanup(state, 'loop', ctx, except), { k: 's', text: jump }];
    }
    return [...this.cleanup(state, 'all', ctx, except), { k: 's', text: `return ${this.rng.pick(['0', '0', '-1', 'ret', '1'])};` }];
  }

  addHeld(state, ctx, name, kind, nn) {
    state.held.push({ name, kind, nn });
    ctx.consumable.add(name);
    if (ctx.loop) ctx.loopLocal.add(name);
  }

  dropHeld(state, name) {
    state.held = state.held.filter((h) => h.name !== name);
  }

  /** A new reference, and how its NULL case is handled. */
  actAcquire(state, ctx, budget) {
    const rng = this.rng;
    const kind = this.pickKind();
    const k = KINDS[kind];
    let expr = this.acquireExpr(kind, state);
    const x = this.fresh(k.prefix, k.type);
    const out = [];
    if (kind === 'mask' && rng.chance(0.1)) {
      // bpf_cpumask_acquire of an owned mask cannot fail.
      const src = state.held.find((h) => h.kind === 'mask' && h.nn);
      if (src) {
        expr = `bpf_cpumask_acquire(${src.name})`;
        out.push({ k: 's', text: `${x} = ${expr};` });
        this.addHeld(state, ctx, x, kind, true);
        this.feature('cpumask_acquire');
        return out;
      }
    }
    if (this.wantBug('null', 0.5)) {
      out.push({ k: 's', text: `${x} = ${expr};` });
      this.addHeld(state, ctx, x, kind, true);
      const how = rng.int(3);
      if (how === 0 || kind === 'ev') out.push({ k: 's', text: this.use(x, kind) });
      else if (how === 1) {
        out.push({ k: 's', text: this.release(x, kind) });
        this.dropHeld(state, x);
      } else if (kind === 'obj') {
        // Not bpf_kptr_xchg: an unchecked bpf_obj_new result there trips a verifier bug
        // ("invalid PTR_TO_BTF_ID register for type match", a kernel WARN) on 6.18.
        out.push({ k: 's', text: this.use(x, kind) });
      } else out.push(...this.storeInto(state, ctx, x, kind, { unchecked: true }));
      return out;
    }
    const style = rng.weighted([
      [4, 'return'],
      [1.2, 'in-condition'],
      [2, 'nested'],
      [1.5, 'later'],
      [0.8, 'alias'],
      [0.6, 'bool'],
      [kind === 'mask' ? 0.5 : 0, 'ternary'],
      [0.6, 'conditional'],
      [0.8, 'or-exit'],
    ]);
    this.feature(`check:${style}`);
    switch (style) {
      case 'return':
      case 'in-condition':
      case 'alias':
      case 'bool': {
        let cond;
        if (style === 'in-condition') {
          cond = rng.pick([`(${x} = ${expr}) == NULL`, `!(${x} = ${expr})`]);
        } else {
          out.push({ k: 's', text: `${x} = ${expr};` });
          if (style === 'alias') {
            const y = this.fresh('alias', k.type);
            out.push({ k: 's', text: `${y} = ${x};` });
            cond = this.isNull(y);
          } else if (style === 'bool') {
            const ok = this.fresh('ok', 'bool');
            out.push({ k: 's', text: `${ok} = ${x} != NULL;` });
            cond = `!${ok}`;
          } else cond = this.isNull(x);
        }
        out.push({ k: 'if', cond, then: this.exitStmts(state, ctx, undefined), else: null });
        this.addHeld(state, ctx, x, kind, true);
        return out;
      }
      case 'nested': {
        out.push({ k: 's', text: `${x} = ${expr};` });
        const inner = this.nested(state, ctx, budget, { extra: [{ name: x, kind, nn: true }], consume: [x] });
        out.push({ k: 'if', cond: this.notNull(x), then: inner, else: null });
        return out;
      }
      case 'later':
        out.push({ k: 's', text: `${x} = ${expr};` });
        this.addHeld(state, ctx, x, kind, false);
        return out;
      case 'conditional':
        // Acquired on some paths only; NULL on the others.
        out.push({ k: 's', text: `${x} = NULL;` }, { k: 'if', cond: this.cond(), then: [{ k: 's', text: `${x} = ${expr};` }], else: null });
        this.addHeld(state, ctx, x, kind, false);
        return out;
      case 'or-exit': {
        // if (!x || cond) { give x back if it is there; leave }
        out.push({ k: 's', text: `${x} = ${expr};` });
        const exit = this.exitStmts(state, ctx, x);
        out.push({ k: 'if', cond: `${this.isNull(x)} || ${this.cond()}`, then: [{ k: 'if', cond: this.notNull(x), then: [{ k: 's', text: this.release(x, kind) }], else: null }, ...exit], else: null });
        this.addHeld(state, ctx, x, kind, true);
        return out;
      }
      case 'ternary':
        out.push({ k: 's', text: `${x} = ${expr};` });
        out.push({ k: 's', text: `ret += ${x} ? bpf_cpumask_first(${CM(x)}) : 0;` });
        this.addHeld(state, ctx, x, kind, false);
        return out;
    }
    throw new Error(style);
  }

  /** Checks a reference that may be NULL. */
  actCheck(state, ctx) {
    const maybe = state.held.filter((h) => !h.nn);
    const h = this.rng.pick(maybe);
    if (this.rng.chance(0.15) && KINDS[h.kind].uses.length) {
      // if (x && cond) use(x): x may still be NULL afterwards.
      this.feature('check:and-condition');
      return [{ k: 'if', cond: `${this.notNull(h.name)} && ${this.cond()}`, then: [{ k: 's', text: this.use(h.name, h.kind) }], else: null }];
    }
    if (this.rng.chance(0.5) || !ctx.consumable.has(h.name)) {
      const out = [{ k: 'if', cond: this.isNull(h.name), then: this.exitStmts(state, ctx, h.name), else: null }];
      h.nn = true;
      return out;
    }
    // if (x) { ...; consume x }: x is gone after the if either way.
    const inner = this.nested(state, ctx, 2, { refine: [h.name], consume: [h.name] });
    this.dropHeld(state, h.name);
    return [{ k: 'if', cond: this.notNull(h.name), then: inner, else: null }];
  }

  /** Keeps a reference in a stack array slot: from then on it is named by the slot. */
  actStackStash(state, ctx) {
    // Not one the enclosing block owes: that block gives it up by its old name.
    const h = this.rng.pick(state.held.filter((x) => ctx.consumable.has(x.name) && !x.name.includes('[') && !ctx.fromOutside?.has(x.name)));
    if (!h) return [];
    const arr = this.decl(`stk_${h.kind}`, KINDS[h.kind].type, null);
    this.decls.get(arr).array = 2;
    const slot = `${arr}[${this.rng.int(2)}]`;
    if (state.held.some((x) => x.name === slot)) return [];
    this.feature('stack-slot');
    const out = [{ k: 's', text: `${slot} = ${h.name};` }];
    ctx.consumable.delete(h.name);
    ctx.consumable.add(slot);
    if (ctx.loop && ctx.loopLocal.has(h.name)) ctx.loopLocal.add(slot);
    h.name = slot;
    return out;
  }

  actUse(state) {
    const rng = this.rng;
    const nn = state.held.filter((h) => h.nn);
    if (this.tp && (nn.length === 0 || rng.chance(0.15))) return [{ k: 's', text: rng.pick(['ret += task->pid;', 'ret ^= task->tgid;']) }];
    const h = rng.pick(nn);
    return [{ k: 's', text: this.use(h.name, h.kind) }];
  }

  /** After `x` was released or moved, a use of it (the use-after-release bug). */
  afterConsume(x, kind) {
    if (!this.wantBug('use-after-release', 0.6)) return [];
    return [{ k: 's', text: this.rng.chance(0.3) ? this.release(x, kind) : this.use(x, kind) }];
  }

  actRelease(state, ctx) {
    const h = this.rng.pick(state.held.filter((x) => ctx.consumable.has(x.name)));
    this.dropHeld(state, h.name);
    if (this.wantBug('type-mismatch', 0.5)) {
      const wrong = { mask: '(struct task_struct *)', task: '(struct bpf_cpumask *)', obj: '', ev: '' }[h.kind];
      const fn = { mask: 'bpf_task_release', task: 'bpf_cpumask_release', obj: 'bpf_cpumask_release', ev: 'bpf_obj_drop' }[h.kind];
      const text = h.kind === 'ev' ? `bpf_obj_drop(${h.name});` : `${fn}(${wrong || '(struct bpf_cpumask *)'}${h.name});`;
      return [h.nn ? { k: 's', text } : { k: 'if', cond: this.notNull(h.name), then: [{ k: 's', text }], else: null }];
    }
    const rel = { k: 's', text: this.release(h.name, h.kind) };
    if (!h.nn) return [{ k: 'if', cond: this.notNull(h.name), then: [rel], else: null }];
    return [rel, ...this.afterConsume(h.name, h.kind)];
  }

  /** Where a reference of `kind` can be stored: a field of a checked map value, or a global. */
  destination(state, kind) {
    const k = KINDS[kind];
    const options = state.values.map((v) => `&${v.name}->${k.field}`);
    options.push(`&${k.global}`);
    return this.rng.pick(options);
  }

  /** Stores `x` with bpf_kptr_xchg and deals with the old value. */
  storeInto(state, ctx, x, kind, { unchecked = false } = {}) {
    const rng = this.rng;
    const k = KINDS[kind];
    this.dropHeld(state, x);
    if (!unchecked && this.wantBug('xchg-discarded', 0.6)) return [{ k: 's', text: `bpf_kptr_xchg(${this.destination(state, kind)}, ${x});` }];
    let dst = this.destination(state, kind);
    let value = x;
    let oldKind = kind;
    if (!unchecked && this.wantBug('type-mismatch', 0.4)) {
      oldKind = rng.pick(STORABLE.filter((s) => s !== kind));
      dst = this.destination(state, oldKind);
      value = `(${KINDS[oldKind].type})${x}`;
    }
    const old = this.fresh('old', KINDS[oldKind].type);
    const out = [{ k: 's', text: `${old} = bpf_kptr_xchg(${dst}, ${value});` }];
    if (rng.chance(0.75)) out.push({ k: 'if', cond: this.notNull(old), then: [{ k: 's', text: this.release(old, oldKind) }], else: null });
    else this.addHeld(state, ctx, old, oldKind, false);
    out.push(...this.afterConsume(x, kind));
    return out;
  }

  actStore(state, ctx) {
    const h = this.rng.pick(state.held.filter((x) => ctx.consumable.has(x.name) && x.nn && STORABLE.includes(x.kind)));
    this.feature('xchg-store');
    return this.storeInto(state, ctx, h.name, h.kind);
  }

  /** Takes the reference out of a kptr field. */
  actTake(state, ctx) {
    const kind = this.pickKind(true);
    const k = KINDS[kind];
    const dst = this.destination(state, kind);
    this.feature('xchg-take');
    if (this.wantBug('xchg-discarded', 0.5)) return [{ k: 's', text: `bpf_kptr_xchg(${dst}, NULL);` }];
    const y = this.fresh(k.prefix, k.type);
    this.addHeld(state, ctx, y, kind, false);
    return [{ k: 's', text: `${y} = bpf_kptr_xchg(${dst}, NULL);` }];
  }

  /** Looks up a map value; its NULL case returns or wraps the rest. */
  actLookup(state, ctx, budget) {
    const rng = this.rng;
    const where = rng.weighted([[6, 'hash'], [4, 'array'], [1.5, 'task']]);
    const v = this.fresh('v', 'struct slot *');
    let lookup;
    if (where === 'task') {
      const owner = this.tp ? 'task' : this.decl('cur', 'struct task_struct *', 'bpf_get_current_task_btf()');
      lookup = `bpf_task_storage_get(&tslots, ${owner}, NULL, BPF_LOCAL_STORAGE_GET_F_CREATE)`;
      this.feature('task-storage');
    } else {
      const array = where === 'array';
      const key = array ? this.decl(`akey${rng.pick([0, 0, 1, 3])}`, 'u32', null) : this.decl('key', 'u32', null);
      const keyValue = array ? key.slice(4) : '0';
      this.decls.get(key).init = keyValue;
      if (array) this.feature(`array-key-${keyValue}`);
      lookup = `bpf_map_lookup_elem(&${array ? 'aslots' : 'slots'}, &${key})`;
    }
    const out = [{ k: 's', text: `${v} = ${lookup};` }];
    if (this.wantBug('null', 0.25)) {
      state.values.push({ name: v });
      out.push({ k: 's', text: rng.chance(0.5) ? `${v}->plain++;` : `ret += ${v}->plain;` });
      return out;
    }
    if (rng.chance(0.65)) {
      out.push({ k: 'if', cond: this.isNull(v), then: this.exitStmts(state, ctx), else: null });
      state.values.push({ name: v });
      return out;
    }
    const inner = this.nested(state, ctx, budget, { values: [{ name: v }] });
    out.push({ k: 'if', cond: this.notNull(v), then: inner, else: null });
    return out;
  }

  /** Reads a __kptr field without taking it (an RCU-protected peek), under bpf_rcu_read_lock when needed. */
  actPeek(state, ctx) {
    const rng = this.rng;
    const kind = rng.pick(STORABLE);
    const k = KINDS[kind];
    const src = rng.chance(0.5) && state.values.length ? `${rng.pick(state.values).name}->${k.field}` : k.global;
    const p = this.fresh('peek', k.type);
    const out = [];
    let lock = state.rcu === 0 && (this.sleepable || rng.chance(0.5));
    if (lock && this.sleepable && this.wantBug('untrusted', 0.7)) lock = false;
    this.feature(lock ? 'peek:locked' : state.rcu ? 'peek:in-section' : 'peek:unlocked');
    if (lock) out.push({ k: 's', text: 'bpf_rcu_read_lock();' });
    out.push({ k: 's', text: `${p} = ${src};` });
    const inner = [];
    let acquired;
    // bpf_cpumask_acquire wants a trusted pointer, and an RCU one is not (6.18): that is the untrusted mistake.
    if ((kind === 'task' && rng.chance(0.4)) || (kind === 'mask' && this.wantBug('untrusted', 0.5))) {
      acquired = this.fresh(k.prefix, k.type);
      out.unshift({ k: 's', text: `${acquired} = NULL;` });
      inner.push({ k: 's', text: `${acquired} = ${kind === 'task' ? 'bpf_task_acquire' : 'bpf_cpumask_acquire'}(${p});` });
      this.feature(`acquire-from-peek:${kind}`);
    } else if (this.wantBug('unowned', 0.3) && kind !== 'obj') {
      inner.push({ k: 's', text: this.release(p, kind) });
    } else if (k.peekUses.length) {
      inner.push({ k: 's', text: rng.pick(k.peekUses)(p, this.cpu()) });
    }
    out.push({ k: 'if', cond: this.notNull(p), then: inner, else: null });
    if (lock) {
      // Not for node_obj: reading a local object after the unlock trips a verifier bug
      // ("ref_obj_id for allocated object must be non-zero", a kernel WARN) on 6.18.
      if (kind !== 'obj' && this.wantBug('rcu', 0.3)) {
        this.feature('rcu:use-after-unlock');
        out.push({ k: 's', text: 'bpf_rcu_read_unlock();' });
        const use = kind === 'task' ? `${p}->pid` : kind === 'mask' ? `bpf_cpumask_test_cpu(0, ${CM(p)})` : `${p}->hits`;
        if (kind === 'task') {
          const t = this.fresh('t', k.type);
          out.push({ k: 'if', cond: p, then: [{ k: 's', text: `${t} = bpf_task_acquire(${p});` }, { k: 'if', cond: t, then: [{ k: 's', text: `bpf_task_release(${t});` }], else: null }], else: null });
        }
        else out.push({ k: 'if', cond: p, then: [{ k: 's', text: `ret += ${use};` }], else: null });
      } else out.push({ k: 's', text: 'bpf_rcu_read_unlock();' });
    }
    if (acquired) this.addHeld(state, ctx, acquired, kind, false);
    return out;
  }

  /** if (cond) { A } else { B }: both arms give up the same references. */
  actBranch(state, ctx, budget) {
    const rng = this.rng;
    const cond = this.cond();
    const consume = state.held.filter((h) => ctx.consumable.has(h.name) && rng.chance(0.3)).map((h) => h.name);
    const forgetIn = consume.length && this.wantBug('leak', 0.3) ? rng.int(2) : -1;
    const thenArm = this.nested(state, ctx, Math.max(1, budget >> 1), { consume, mustConsume: forgetIn === 0 ? [] : consume });
    const hasElse = consume.length > 0 || rng.chance(0.4);
    const elseArm = hasElse ? this.nested(state, ctx, Math.max(1, budget >> 1), { consume, mustConsume: forgetIn === 1 ? [] : consume }) : null;
    for (const n of consume) this.dropHeld(state, n);
    this.feature('branch');
    return [{ k: 'if', cond, then: thenArm, else: elseArm }];
  }

  /** switch (x & 3) { case ...: } with fall-through: every way through gives up the same references. */
  actSwitch(state, ctx, budget) {
    const rng = this.rng;
    let value;
    if (this.tp && rng.chance(0.5)) value = 'clone_flags & 3';
    else {
      this.decl('rnd', 'u32', 'bpf_get_prandom_u32()');
      value = 'rnd & 3';
    }
    const consume = state.held.filter((h) => ctx.consumable.has(h.name) && rng.chance(0.4)).map((h) => h.name);
    const n = 2 + rng.int(2);
    const withDefault = consume.length > 0 || rng.chance(0.5);
    const labels = [...Array.from({ length: n }, (_, i) => `case ${i}:`), ...(withDefault ? ['default:'] : [])];
    const forget = consume.length && this.wantBug('leak', 0.3) ? rng.int(labels.length) : -1;
    const arms = ctx.loop ? { ...ctx, inSwitch: true } : ctx;
    const cases = labels.map((label, i) => {
      const last = i === labels.length - 1;
      if (!last && rng.chance(0.25)) {
        // Falls through into the next case, which gives up what must be given up.
        this.feature('switch-fallthrough');
        return { label, body: this.nested(state, arms, 1, { consume: [], mustConsume: [] }), fallthrough: true };
      }
      const body = this.nested(state, arms, Math.max(1, budget >> 1), { consume, mustConsume: forget === i ? [] : consume });
      if (!endsBlock(body)) body.push({ k: 's', text: 'break;' });
      return { label, body };
    });
    // Without a default, values 0..n-1 are not all values of x & 3 when n < 4: nothing may be owed then.
    for (const name of consume) this.dropHeld(state, name);
    this.feature('switch');
    return [{ k: 'switch', value, cases }];
  }

  /** if (cond) { cleanup; return; } */
  actEarlyExit(state, ctx) {
    this.feature('early-exit');
    return [{ k: 'if', cond: this.cond(), then: this.exitStmts(state, ctx), else: null }];
  }

  actLoop(state, ctx, budget) {
    const rng = this.rng;
    const depth = (ctx.loopDepth ?? 0) + 1;
    const i = this.decl(`i${depth}`, 'int', null);
    const n = 2 + rng.int(4);
    const head = rng.weighted([
      [5, `bpf_for(${i}, 0, ${n})`],
      [4, `for (${i} = 0; ${i} < ${n}; ${i}++)`],
      [1, `bpf_repeat(${n})`],
    ]);
    this.feature(head.replace(/\(.*/, ''));
    const saved = { held: state.held.map((h) => ({ ...h })), values: [...state.values], rcu: state.rcu };
    const inner = { consumable: new Set(), loop: true, loopLocal: new Set(), rcuBase: state.rcu, loopDepth: depth };
    const body = this.block(state, inner, Math.min(budget, 4));
    if (!state.done) {
      for (const h of state.held.filter((x) => inner.loopLocal.has(x.name))) {
        if (this.wantBug('leak', 0.5)) continue;
        body.push(h.nn ? { k: 's', text: this.release(h.name, h.kind) } : { k: 'if', cond: this.notNull(h.name), then: [{ k: 's', text: this.release(h.name, h.kind) }], else: null });
      }
    }
    Object.assign(state, saved, { done: false });
    return [{ k: 'loop', head, body }];
  }

  actRcuSection(state, ctx, budget) {
    const rng = this.rng;
    this.feature('rcu-section');
    const out = [{ k: 's', text: 'bpf_rcu_read_lock();' }];
    if (this.wantBug('rcu', 0.3)) {
      this.feature('rcu:nested');
      out.push({ k: 's', text: 'bpf_rcu_read_lock();' }, { k: 's', text: 'bpf_rcu_read_unlock();' });
    }
    state.rcu++;
    const saved = { values: [...state.values] };
    const body = this.block(state, ctx, Math.min(budget, 3), ['peek', 'use', 'acquire', 'check', 'release', 'early']);
    state.values = saved.values;
    state.rcu--;
    if (state.done) {
      state.done = false;
      return [...out, ...body];
    }
    out.push(...body, { k: 's', text: 'bpf_rcu_read_unlock();' });
    if (rng.chance(0.1) && this.wantBug('rcu', 1)) {
      this.feature('rcu:unmatched-unlock');
      out.push({ k: 's', text: 'bpf_rcu_read_unlock();' });
    }
    return out;
  }

  /** Mistakes that need no setup. */
  actStandaloneBug(state) {
    const rng = this.rng;
    const bug = this.bug;
    bug.done = true;
    this.feature(`bug:${bug.kind}`);
    const dstOf = (kind) => this.destination(state, kind);
    switch (bug.kind) {
      case 'direct-store': {
        const kind = rng.pick(STORABLE);
        const dst = dstOf(kind).slice(1);
        return [{ k: 's', text: `${dst} = ${kind === 'task' && this.tp && rng.chance(0.5) ? 'task' : 'NULL'};` }];
      }
      case 'unowned': {
        if (this.tp && rng.chance(0.5)) return [{ k: 's', text: rng.chance(0.5) ? 'bpf_task_release(task);' : `${this.fresh('old', 'struct task_struct *')} = bpf_kptr_xchg(${dstOf('task')}, task);` }];
        const cur = this.decl('cur', 'struct task_struct *', 'bpf_get_current_task_btf()');
        return [{ k: 's', text: `bpf_task_release(${cur});` }];
      }
      case 'rcu':
        this.feature('rcu:unmatched-unlock');
        return [{ k: 's', text: 'bpf_rcu_read_unlock();' }];
      case 'xchg-discarded':
        return [{ k: 's', text: `bpf_kptr_xchg(${dstOf(rng.pick(STORABLE))}, NULL);` }];
      case 'untrusted': {
        const p = this.fresh('peek', 'struct bpf_cpumask *');
        const src = `${p} = ${state.values.length ? state.values[0].name + '->mask' : 'g_mask'};`;
        if (this.sleepable) return [{ k: 's', text: src }, { k: 'if', cond: p, then: [{ k: 's', text: `ret += bpf_cpumask_test_cpu(0, ${CM(p)});` }], else: null }];
        // Non-sleepable: the peek is RCU-protected, but bpf_cpumask_acquire wants a trusted pointer.
        const m = this.fresh('mask', KINDS.mask.type);
        return [{ k: 's', text: src }, { k: 'if', cond: p, then: [{ k: 's', text: `${m} = bpf_cpumask_acquire(${p});` }, { k: 's', text: `bpf_cpumask_release(${m});` }], else: null }];
      }
      case 'type-mismatch':
        return [{ k: 's', text: `bpf_obj_drop(${this.acquireExpr('mask')});` }];
      case 'null': {
        const x = this.fresh('mask', KINDS.mask.type);
        return [{ k: 's', text: `${x} = bpf_cpumask_create();` }, { k: 's', text: `bpf_cpumask_set_cpu(0, ${x});` }, { k: 's', text: `bpf_cpumask_release(${x});` }];
      }
      case 'use-after-release': {
        const x = this.fresh('obj', KINDS.obj.type);
        return [{ k: 'if', cond: `(${x} = bpf_obj_new(struct node_obj)) != NULL`, then: [{ k: 's', text: `bpf_obj_drop(${x});` }, { k: 's', text: `${x}->hits = 1;` }], else: null }];
      }
      case 'leak':
      default: {
        const x = this.fresh('mask', KINDS.mask.type);
        return [{ k: 's', text: `${x} = bpf_cpumask_create();` }, { k: 'if', cond: x, then: [{ k: 's', text: `bpf_cpumask_set_cpu(1, ${x});` }], else: null }];
      }
    }
  }

  // ---- static helpers ---------------------------------------------------------------

  helper(kindOfHelper, kind) {
    const rng = this.rng;
    const name = `${this.name}_${kindOfHelper.replace(/-/g, '_')}${this.helpers.length}`;
    const noinline = rng.chance(0.35);
    const k = KINDS[kind];
    const fn = { name, noinline, decls: new Map(), body: [] };
    const decl = (n, t, i) => fn.decls.set(n, { type: t, init: i });
    switch (kindOfHelper) {
      case 'new': {
        fn.ret = k.type;
        fn.params = kind === 'task' && this.tp ? 'struct task_struct *src' : 'u32 cpu';
        decl('x', k.type, kind === 'task' ? (this.tp ? 'bpf_task_acquire(src)' : 'bpf_task_from_pid(cpu)') : this.acquireExpr(kind));
        const init = kind === 'mask' ? 'bpf_cpumask_set_cpu(cpu, x);' : kind === 'obj' ? 'x->hits = cpu;' : kind === 'ev' ? 'x->pid = cpu;' : 'x->pid;';
        if (kind !== 'task') fn.body.push({ k: 'if', cond: 'x', then: [{ k: 's', text: init }], else: null });
        fn.body.push({ k: 's', text: 'return x;' });
        break;
      }
      case 'consume': {
        fn.ret = 'int';
        fn.params = `${k.type}x`;
        if (STORABLE.includes(kind) && rng.chance(0.6)) {
          decl('key', 'u32', '0');
          decl('v', 'struct slot *', 'bpf_map_lookup_elem(&slots, &key)');
          decl('old', k.type, null);
          fn.body.push({ k: 'if', cond: '!v', then: [{ k: 's', text: k.release('x', rng) }, { k: 's', text: 'return -1;' }], else: null });
          fn.body.push({ k: 's', text: `old = bpf_kptr_xchg(&v->${k.field}, x);` });
          fn.body.push({ k: 'if', cond: 'old', then: [{ k: 's', text: k.release('old', rng) }], else: null });
          fn.body.push({ k: 's', text: 'return 0;' });
        } else {
          fn.body.push({ k: 's', text: k.release('x', rng) });
          fn.body.push({ k: 's', text: 'return 0;' });
        }
        break;
      }
      case 'try-stash': {
        fn.ret = 'int';
        fn.params = `u32 key, ${k.type}x`;
        decl('v', 'struct slot *', 'bpf_map_lookup_elem(&slots, &key)');
        decl('old', k.type, null);
        fn.body.push({ k: 'if', cond: '!v', then: [{ k: 's', text: 'return -1;' }], else: null });
        fn.body.push({ k: 's', text: `old = bpf_kptr_xchg(&v->${k.field}, x);` });
        fn.body.push({ k: 'if', cond: 'old', then: [{ k: 's', text: k.release('old', rng) }], else: null });
        fn.body.push({ k: 's', text: 'return 0;' });
        break;
      }
      case 'release-if': {
        fn.ret = 'void';
        fn.params = `${k.type}x`;
        fn.body.push({ k: 'if', cond: 'x', then: [{ k: 's', text: k.release('x', rng) }], else: null });
        break;
      }
      case 'global-borrow': {
        // A global function: verified on its own, it only borrows what it is given.
        fn.global = true;
        fn.noinline = true;
        fn.ret = 'int';
        fn.nullable = rng.chance(0.4);
        fn.params = `${k.type}x __arg_trusted${fn.nullable ? ' __arg_nullable' : ''}`;
        if (fn.nullable) fn.body.push({ k: 'if', cond: '!x', then: [{ k: 's', text: 'return 0;' }], else: null });
        fn.body.push({ k: 's', text: kind === 'task' ? 'return x->pid;' : `bpf_cpumask_set_cpu(${this.cpu()}, x);` });
        if (kind !== 'task') fn.body.push({ k: 's', text: 'return 1;' });
        break;
      }
      case 'peek': {
        // Its own RCU section around a peek.
        fn.ret = 'int';
        fn.params = 'void';
        decl('ret', 'int', '0');
        decl('p', k.type, null);
        fn.body.push({ k: 's', text: 'bpf_rcu_read_lock();' });
        fn.body.push({ k: 's', text: `p = ${k.global};` });
        fn.body.push({ k: 'if', cond: 'p', then: [{ k: 's', text: rng.pick(k.peekUses)('p', this.cpu()) }], else: null });
        fn.body.push({ k: 's', text: 'bpf_rcu_read_unlock();' });
        fn.body.push({ k: 's', text: 'return ret;' });
        break;
      }
      case 'borrow': {
        fn.ret = 'int';
        fn.params = `${k.type}x`;
        decl('ret', 'int', '0');
        fn.body.push({ k: 's', text: rng.pick(k.uses)('x', '1') });
        fn.body.push({ k: 's', text: 'return ret;' });
        break;
      }
    }
    const last = fn.body[fn.body.length - 1];
    if (last?.k === 's' && last.text.startsWith('return')) last.keep = true;
    this.helpers.push(fn);
    this.feature(`helper:${kindOfHelper}${fn.noinline ? ':noinline' : ''}`);
    return name;
  }

  actHelper(state, ctx) {
    const rng = this.rng;
    const consumable = state.held.filter((h) => ctx.consumable.has(h.name));
    const nnConsumable = consumable.filter((h) => h.nn);
    const choice = rng.weighted([
      [3, 'new'],
      [nnConsumable.length ? 2 : 0, 'consume'],
      [nnConsumable.some((h) => STORABLE.includes(h.kind)) ? 1.5 : 0, 'try-stash'],
      [consumable.some((h) => !h.nn) ? 1 : 0, 'release-if'],
      [state.held.some((h) => h.nn) ? 1.5 : 0, 'borrow'],
      [state.held.some((h) => h.kind === 'mask' || h.kind === 'task') ? 1 : 0, 'global-borrow'],
      [state.rcu === 0 ? 0.7 : 0, 'peek'],
    ]);
    switch (choice) {
      case 'new': {
        const kind = this.pickKind();
        const name = this.helper('new', kind);
        const x = this.fresh(KINDS[kind].prefix, KINDS[kind].type);
        const arg = kind === 'task' && this.tp ? 'task' : this.cpu();
        this.addHeld(state, ctx, x, kind, false);
        return [{ k: 's', text: `${x} = ${name}(${arg});` }];
      }
      case 'consume': {
        const h = rng.pick(nnConsumable);
        const name = this.helper('consume', h.kind);
        this.dropHeld(state, h.name);
        return [{ k: 's', text: `${name}(${h.name});` }, ...this.afterConsume(h.name, h.kind)];
      }
      case 'try-stash': {
        const h = rng.pick(nnConsumable.filter((x) => STORABLE.includes(x.kind)));
        const name = this.helper('try-stash', h.kind);
        this.dropHeld(state, h.name);
        const key = String(rng.int(4));
        if (rng.chance(0.5)) return [{ k: 'if', cond: `${name}(${key}, ${h.name})`, then: [{ k: 's', text: this.release(h.name, h.kind) }], else: null }];
        const err = this.fresh('err', 'int');
        return [{ k: 's', text: `${err} = ${name}(${key}, ${h.name});` }, { k: 'if', cond: `${err} != 0`, then: [{ k: 's', text: this.release(h.name, h.kind) }], else: null }];
      }
      case 'release-if': {
        const h = rng.pick(consumable.filter((x) => !x.nn));
        const name = this.helper('release-if', h.kind);
        this.dropHeld(state, h.name);
        return [{ k: 's', text: `${name}(${h.name});` }];
      }
      case 'global-borrow': {
        const h = rng.pick(state.held.filter((x) => x.kind === 'mask' || x.kind === 'task'));
        const name = this.helper('global-borrow', h.kind);
        const fn = this.helpers[this.helpers.length - 1];
        if (!h.nn && !fn.nullable) {
          // Not NULL-checked yet: only a nullable argument takes it, unless this is the NULL mistake.
          if (!this.wantBug('null', 0.8)) fn.params += ' __arg_nullable', fn.body.unshift({ k: 'if', cond: '!x', then: [{ k: 's', text: 'return 0;' }], else: null });
        }
        return [{ k: 's', text: `ret += ${name}(${h.name});` }];
      }
      case 'peek': {
        const kind = rng.pick(['mask', 'task', 'obj']);
        const name = this.helper('peek', kind);
        return [{ k: 's', text: `ret += ${name}();` }];
      }
      case 'borrow': {
        const h = rng.pick(state.held.filter((x) => x.nn));
        const name = this.helper('borrow', h.kind);
        return [{ k: 's', text: `ret += ${name}(${h.name});` }];
      }
    }
    return [];
  }

  // ---- blocks ---------------------------------------------------------------------

  /**
   * A nested block (an if arm). `extra` are references held only inside it,
   * `consume` those it may give up, `mustConsume` those it must give up by its
   * end, `values` map values valid inside it. The state after it is the state
   * before it minus `consume`.
   */
  nested(state, ctx, budget, { extra = [], refine = [], consume = [], mustConsume = consume, values = [] } = {}) {
    const before = { held: state.held.map((h) => ({ ...h })), values: [...state.values], rcu: state.rcu };
    state.held.push(...extra.map((h) => ({ ...h })));
    for (const h of state.held) if (refine.includes(h.name)) h.nn = true;
    state.values.push(...values);
    const inner = { ...ctx, consumable: new Set(consume), fromOutside: new Set(consume) };
    if (ctx.loop) inner.loopLocal = new Set([...ctx.loopLocal, ...extra.map((h) => h.name)]);
    const body = this.block(state, inner, budget);
    if (!state.done) {
      const owed = new Set([...mustConsume, ...[...inner.consumable].filter((n) => !consume.includes(n))]);
      for (const h of state.held.filter((x) => owed.has(x.name))) {
        body.push(h.nn ? { k: 's', text: this.release(h.name, h.kind) } : { k: 'if', cond: this.notNull(h.name), then: [{ k: 's', text: this.release(h.name, h.kind) }], else: null });
      }
    }
    state.held = before.held;
    state.values = before.values;
    state.rcu = before.rcu;
    state.done = false;
    return body;
  }

  block(state, ctx, budget, only) {
    const rng = this.rng;
    const out = [];
    const depth = ctx.depth ?? 0;
    const inner = { ...ctx, depth: depth + 1 };
    while (budget-- > 0 && !state.done) {
      const consumable = state.held.filter((h) => ctx.consumable.has(h.name));
      const allowed = (a) => !only || only.includes(a);
      const action = rng.weighted([
        [allowed('acquire') ? (state.held.length < 4 ? 4 : 1) : 0, 'acquire'],
        [allowed('check') && state.held.some((h) => !h.nn) ? 3 : 0, 'check'],
        [allowed('use') ? 2 : 0, 'use'],
        [allowed('release') && consumable.length ? 2.5 : 0, 'release'],
        [allowed('store') && consumable.some((h) => h.nn && STORABLE.includes(h.kind)) ? 2.5 : 0, 'store'],
        [allowed('take') ? 1 : 0, 'take'],
        [allowed('lookup') && state.values.length < 2 ? 1.5 : 0, 'lookup'],
        [allowed('peek') ? 1.5 : 0, 'peek'],
        [allowed('branch') && depth < 3 ? 2 : 0, 'branch'],
        [allowed('early') ? 0.8 : 0, 'early'],
        [allowed('switch') && depth < 2 ? 0.6 : 0, 'switch'],
        [allowed('loop') && depth < 2 && (ctx.loopDepth ?? 0) < 2 ? 1.2 : 0, 'loop'],
        [allowed('rcu') && depth < 3 && state.rcu === 0 ? 0.8 : 0, 'rcu'],
        [allowed('helper') ? 1.5 : 0, 'helper'],
        [allowed('stack') && consumable.some((h) => !h.name.includes('[') && !ctx.fromOutside?.has(h.name)) ? 0.5 : 0, 'stack'],
      ]);
      switch (action) {
        case 'acquire': out.push(...this.actAcquire(state, inner, budget)); break;
        case 'check': out.push(...this.actCheck(state, inner)); break;
        case 'use':
          if (state.held.some((h) => h.nn) || this.tp) out.push(...this.actUse(state));
          break;
        case 'release': out.push(...this.actRelease(state, ctx)); break;
        case 'store': out.push(...this.actStore(state, ctx)); break;
        case 'take': out.push(...this.actTake(state, ctx)); break;
        case 'lookup': out.push(...this.actLookup(state, ctx, budget)); break;
        case 'peek': out.push(...this.actPeek(state, ctx)); break;
        case 'branch': out.push(...this.actBranch(state, inner, budget)); break;
        case 'early': out.push(...this.actEarlyExit(state, ctx)); break;
        case 'switch': out.push(...this.actSwitch(state, inner, budget)); break;
        case 'loop': out.push(...this.actLoop(state, inner, budget)); break;
        case 'rcu': out.push(...this.actRcuSection(state, ctx, budget)); break;
        case 'helper': out.push(...this.actHelper(state, ctx)); break;
        case 'stack': out.push(...this.actStackStash(state, ctx)); break;
      }
      if (out.length && out[out.length - 1].k === 's' && /^(return|continue|break)\b/.test(out[out.length - 1].text)) state.done = true;
      if (out.length && out[out.length - 1].k === 'if' && endsBlock(out[out.length - 1].then) && endsBlock(out[out.length - 1].else)) state.done = true;
    }
    // ctx.consumable grows with what this block acquired: hand the names back to the caller's set.
    return out;
  }

  /** The tail of the program: goto unwinding over two references, then give back the rest. */
  unwindTail(state, ctx) {
    const rng = this.rng;
    const a = this.pickKind(true);
    const b = this.pickKind(true);
    const ka = KINDS[a];
    const kb = KINDS[b];
    const x = this.fresh(ka.prefix, ka.type);
    const y = this.fresh(kb.prefix, kb.type);
    const out = [];
    this.feature('goto-unwind');
    const leakAt = this.wantBug('leak', 0.5) ? rng.int(2) : -1;
    out.push({ k: 's', text: `${x} = ${this.acquireExpr(a)};` });
    out.push({ k: 'if', cond: this.isNull(x), then: [{ k: 's', text: 'ret = -1;' }, { k: 's', text: `goto ${this.name}_out;` }], else: null });
    out.push({ k: 's', text: `${y} = ${this.acquireExpr(b)};` });
    out.push({ k: 'if', cond: this.isNull(y), then: [{ k: 's', text: 'ret = -2;' }, { k: 's', text: `goto ${leakAt === 0 ? `${this.name}_out` : `${this.name}_free_x`};` }], else: null });
    out.push({ k: 'if', cond: this.cond(), then: [{ k: 's', text: 'ret = -3;' }, { k: 's', text: `goto ${this.name}_free_y;` }], else: null });
    out.push({ k: 's', text: this.use(y, b) });
    if (rng.chance(0.5)) out.push({ k: 's', text: this.use(x, a) });
    out.push({ k: 'label', name: `${this.name}_free_y` });
    out.push({ k: 's', text: this.release(y, b) });
    out.push({ k: 'label', name: `${this.name}_free_x` });
    if (leakAt !== 1) out.push({ k: 's', text: this.release(x, a) });
    out.push({ k: 'label', name: `${this.name}_out` });
    out.push(...this.cleanup(state, 'all', ctx));
    out.push({ k: 's', text: 'return ret;', keep: true });
    return out;
  }

  generate(intent) {
    const rng = this.rng;
    if (intent !== 'ok') this.bug = { kind: intent, done: false };
    const state = { held: [], values: [], rcu: 0, done: false };
    const ctx = { consumable: new Set(), loop: false, depth: 0 };
    this.decl('ret', 'int', '0');
    const body = this.block(state, ctx, 3 + rng.int(7));
    if (this.bug && !this.bug.done && !state.done && rng.chance(0.5)) body.push(...this.actStandaloneBug(state));
    if (!state.done) {
      if (rng.chance(0.15)) body.push(...this.unwindTail(state, ctx));
      else {
        body.push(...this.cleanup(state, 'all', ctx));
        body.push({ k: 's', text: 'return ret;', keep: true });
      }
    }
    if (this.bug && !this.bug.done) {
      // No chance came up: put a self-contained instance of the mistake first.
      body.unshift(...this.actStandaloneBug({ held: [], values: [], rcu: 0 }));
    }
    return body;
  }
}

function endsBlock(stmts) {
  if (!stmts || stmts.length === 0) return false;
  const last = stmts[stmts.length - 1];
  if (last.k === 's') return /^(return|continue|break|goto)\b/.test(last.text) || last.text.startsWith('return ');
  if (last.k === 'if') return endsBlock(last.then) && endsBlock(last.else);
  return false;
}

/**
 * Program number `index` of the run with `seed`: { name, section, sleepable,
 * intent ('ok' or a BUG_KINDS entry), features, fn, helpers }.
 */
export function generateProgram(seed, index, options = {}) {
  const rng = new Rng(mix(seed, index));
  const sleepable = rng.chance(options.syscallShare ?? 0.3);
  const name = `fz${index}`;
  let intent = 'ok';
  if (rng.chance(options.bugShare ?? 0.5)) {
    intent = rng.pick(BUG_KINDS);
  }
  const gen = new ProgramGenerator(rng, name, sleepable, options);
  const body = gen.generate(intent);
  const fn = {
    name,
    sec: sleepable ? 'syscall' : 'tp_btf/task_newtask',
    signature: sleepable ? `int ${name}(void *ctx)` : `int BPF_PROG(${name}, struct task_struct *task, u64 clone_flags)`,
    decls: gen.decls,
    body,
  };
  return { seed, index, name, sleepable, intent, features: [...gen.features].sort(), fn, helpers: gen.helpers };
}

// ---- rendering ----------------------------------------------------------------------

function renderStmts(stmts, indent, out) {
  const pad = '\t'.repeat(indent);
  stmts.forEach((s, i) => {
    switch (s.k) {
      case 's':
        out.push(pad + s.text);
        break;
      case 'label':
        out.push(`${s.name}:${i === stmts.length - 1 ? ';' : ''}`);
        break;
      case 'if': {
        const single = (arm) => arm.length === 1 && arm[0].k === 's';
        const elseSingle = s.else && s.else.length === 1 && s.else[0].k === 's';
        if (single(s.then) && !s.else) {
          out.push(`${pad}if (${s.cond})`, `${pad}\t${s.then[0].text}`);
          break;
        }
        out.push(`${pad}if (${s.cond}) {`);
        renderStmts(s.then, indent + 1, out);
        if (s.else && s.else.length) {
          if (elseSingle) {
            out.push(`${pad}} else`, `${pad}\t${s.else[0].text}`);
            break;
          }
          out.push(`${pad}} else {`);
          renderStmts(s.else, indent + 1, out);
        }
        out.push(`${pad}}`);
        break;
      }
      case 'loop':
        out.push(`${pad}${s.head} {`);
        renderStmts(s.body, indent + 1, out);
        out.push(`${pad}}`);
        break;
      case 'switch':
        out.push(`${pad}switch (${s.value}) {`);
        s.cases.forEach((c, j) => {
          out.push(`${pad}${c.label}`);
          renderStmts(c.body, indent + 1, out);
          if (j < s.cases.length - 1 && !endsBlock(c.body)) out.push(`${pad}\t/* fall through */`);
        });
        out.push(`${pad}}`);
        break;
    }
  });
}

/** Every label a statement list defines, and every label it jumps to. */
export function labelsOf(stmts, defined = new Set(), used = new Set()) {
  for (const s of stmts) {
    if (s.k === 'label') defined.add(s.name);
    else if (s.k === 's') {
      const m = /^goto (\w+);/.exec(s.text);
      if (m) used.add(m[1]);
    } else if (s.k === 'if') {
      labelsOf(s.then, defined, used);
      if (s.else) labelsOf(s.else, defined, used);
    } else if (s.k === 'loop') labelsOf(s.body, defined, used);
    else if (s.k === 'switch') for (const c of s.cases) labelsOf(c.body, defined, used);
  }
  return { defined, used };
}

function renderDecls(decls, bodyText) {
  const lines = [];
  const used = (name) => new RegExp(`\\b${name}\\b`).test(bodyText);
  // A declaration's initialiser may name another declared variable: keep those too.
  const keep = new Set([...decls.keys()].filter(used));
  for (let changed = true; changed; ) {
    changed = false;
    for (const [name, d] of decls) {
      if (!keep.has(name) || !d.init) continue;
      for (const other of decls.keys()) if (!keep.has(other) && new RegExp(`\\b${other}\\b`).test(d.init)) keep.add(other), (changed = true);
    }
  }
  for (const [name, d] of decls) {
    if (!keep.has(name)) continue;
    const type = d.type.endsWith('*') ? d.type : `${d.type} `;
    // Pointers start NULL and loop counters 0: a variable read before it is written is undefined
    // behaviour, which clang may compile to nothing (shrinking can remove the write).
    if (d.array) {
      lines.push(`\t${type}${name}[${d.array}] = {};`);
      continue;
    }
    const init = d.init ?? (d.type.endsWith('*') ? 'NULL' : '0');
    lines.push(`\t${type}${name} = ${init};`);
  }
  return lines;
}

function renderFunction(fn, header) {
  const body = [];
  renderStmts(fn.body, 1, body);
  const bodyText = body.join('\n');
  const decls = renderDecls(fn.decls, bodyText);
  return [...header, '{', ...decls, ...(decls.length ? [''] : []), ...body, '}'].join('\n');
}

function renderHelper(h) {
  const ret = h.ret.endsWith('*') ? h.ret : `${h.ret} `;
  return renderFunction(h, [`${h.global ? '' : 'static '}${h.noinline ? '__noinline ' : ''}${ret}${h.name}(${h.params})`]);
}

/** One program and the static helpers it calls, as C (no declarations). */
export function renderProgram(program, { comments = [] } = {}) {
  const fnText = renderFunction(program.fn, [...comments.map((c) => `// ${c}`), `SEC("${program.fn.sec}")`, program.fn.signature]);
  // Only the helpers something still calls (a helper may call none of the others).
  const helpers = program.helpers.filter((h) => new RegExp(`\\b${h.name}\\(`).test(fnText));
  return [...helpers.map(renderHelper), fnText].join('\n\n');
}

/** A whole file: the header include, the declarations the programs use (all when `minimal` is false), the programs. */
export function renderFile(programs, { minimal = false, preamble = [], commentsFor } = {}) {
  const bodies = programs.map((p) => renderProgram(p, { comments: commentsFor ? commentsFor(p) : [] }));
  const all = bodies.join('\n\n');
  return [
    '// SPDX-License-Identifier: MIT',
    ...preamble,
    `#include "${HEADER_NAME}"`,
    '',
    declarationsFor(minimal ? all : undefined),
    '',
    all,
    '',
  ].join('\n');
}

/** Whether every goto of a program has its label (shrinking must keep them paired). */
export function labelsConsistent(program) {
  const { defined, used } = labelsOf(program.fn.body);
  for (const u of used) if (!defined.has(u)) return false;
  return true;
}

/** Deep copy of a program (for shrinking). */
export function cloneProgram(program) {
  const cloneStmts = (stmts) =>
    stmts.map((s) => {
      if (s.k === 'if') return { ...s, then: cloneStmts(s.then), else: s.else ? cloneStmts(s.else) : null };
      if (s.k === 'loop') return { ...s, body: cloneStmts(s.body) };
      if (s.k === 'switch') return { ...s, cases: s.cases.map((c) => ({ ...c, body: cloneStmts(c.body) })) };
      return { ...s };
    });
  return {
    ...program,
    fn: { ...program.fn, decls: new Map(program.fn.decls), body: cloneStmts(program.fn.body) },
    helpers: program.helpers.map((h) => ({ ...h, decls: new Map(h.decls), body: cloneStmts(h.body) })),
  };
}
