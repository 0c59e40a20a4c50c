import type { RelSpan } from './ir';

/**
 * The abstract state of one path through a program. An object stands for
 * one pointer value as the verifier sees it (a register's id): every copy
 * and cast of a pointer refers to the same object, so a NULL check or a
 * release through one copy is seen through all of them.
 */

export type Nullness = 'nonnull' | 'maybe' | 'null';

/**
 * owned: holds a reference (acquired); trusted: valid but not owned (context
 * arguments); rcu: valid inside the RCU section; untrusted: the verifier
 * will not vouch for it; map-value: points into a map value or global;
 * stack: points at the program stack; non-owning: a graph node seen under
 * a lock; unknown: the engine cannot tell, so it never reports on it.
 */
export type Trust = 'owned' | 'trusted' | 'rcu' | 'untrusted' | 'map-value' | 'stack' | 'non-owning' | 'unknown';

export type Life = 'live' | 'released' | 'moved' | 'escaped';

/** Where something happened: a function (by key) and a span relative to its start. */
export interface Site {
  fn: string;
  span: RelSpan;
  /** The call sites that led into `fn`, outermost first. */
  via?: Site[];
}

export interface Obj {
  id: string;
  trust: Trust;
  nullness: Nullness;
  life: Life;
  /** The struct the pointer points to, when known. */
  struct?: string;
  /** An object of the program's own type (bpf_obj_new), or a per-CPU one. */
  local?: boolean;
  percpu?: boolean;
  /** The struct of the memory it points into, for field accesses (map values, globals, stack aggregates). */
  valueStruct?: string;
  /**
   * For a local array: the pointers parked in its slots at constant indexes, as the verifier
   * follows a pointer spilled to the stack. Anything that may write the array unseen empties it.
   */
  slots?: Readonly<Record<number, SlotValue>>;
  site: Site;
  /** The kfunc or helper that produced it. */
  by?: string;
  /** For values loaded from or exchanged out of a kptr field: `struct.field`. */
  field?: string;
  releasedAt?: Site;
  releasedBy?: string;
  /** Why an untrusted object is untrusted. */
  untrustedBecause?: 'rcu-unlock' | 'untrusted-kptr' | 'outside-rcu';
  rcuEndedAt?: Site;
}

/** What a stack slot can hold and still be followed. */
export type SlotValue = Extract<Value, { k: 'obj' } | { k: 'null' }>;

export type Predicate =
  | { kind: 'null'; id: string; whenTrue: 'null' | 'nonnull' }
  | { kind: 'equals'; local: string; value: number; negated: boolean }
  /** A test libbpf answers at load time (knowledge/loadTimeTests.ts), by the fact key of its answer. */
  | { kind: 'load-time'; fact: string; negated: boolean };

export type Value =
  /** A pointer to an object; `member` when it points at a member inside it (`&obj->node`). */
  | { k: 'obj'; id: string; member?: string }
  | { k: 'null' }
  | { k: 'int'; value?: number; pred?: Predicate }
  /** The address of a field: what bpf_kptr_xchg takes. */
  | { k: 'field-addr'; base?: string; struct?: string; field: string; tag?: string; pointee?: string; onStack: boolean }
  /** The address of a local scalar or pointer variable (an out-parameter). */
  | { k: 'local-addr'; name: string }
  /** A caller's `&local` inside an inlined callee: reading `*p` gives what the caller's variable held. */
  | { k: 'pointer-to'; value: Value }
  /** A map, as in `&my_map`. */
  | { k: 'map'; name: string }
  | { k: 'type'; struct?: string; text: string }
  | { k: 'unknown' };

export interface BranchStep {
  site: Site;
  /** What held on this path, in words: "`mask` is NULL", "the condition is false". */
  note: string;
}

/**
 * A branch a path took, linked to the one taken before it. Paths branch far more often than they
 * end in a report, so a step is put into words only when a report quotes it.
 */
export interface BranchTaken {
  readonly before: BranchTaken | undefined;
  describe(): BranchStep;
}

/** The last `count` branches of a trail, oldest first. */
export function lastBranches(trail: BranchTaken | undefined, count: number): BranchStep[] {
  const steps: BranchStep[] = [];
  for (let step = trail; step && steps.length < count; step = step.before) steps.push(step.describe());
  return steps.reverse();
}

export interface State {
  vars: Readonly<Record<string, Value>>;
  /** By id: a Map, as ids are unique across programs and would give V8 a new object shape for each. */
  objs: ReadonlyMap<string, Obj>;
  /** bpf_rcu_read_lock depth, and where the outermost lock was taken. */
  rcu: number;
  rcuSite?: Site;
  /** Outcomes of side-effect-free conditions already decided on this path, keyed by their text. */
  facts: Readonly<Record<string, boolean>>;
  /**
   * kptr fields already loaded since the last call: clang reuses the loaded register instead
   * of reading the field again, so the verifier sees one value. Keyed by base object and field.
   */
  loads: Readonly<Record<string, string>>;
  /** The branches taken on this path, newest first (for explanations; not part of the state's identity). */
  trail: BranchTaken | undefined;
}

export const UNKNOWN: Value = { k: 'unknown' };

/**
 * The fact key of a load-time test, from the text that names it (the same test, the same key). The
 * key starts with `@` and every name in it with `#`, so no variable or field name is a word of it:
 * forgetting what a variable or a field took part in never drops it, as its answer cannot change.
 */
export function loadTimeFact(test: string): string {
  return `@${test.replace(/[A-Za-z_]\w*/g, (name) => `#${name}`)}`;
}

/** The answers to load-time tests among `facts`: what a path carries into a callee and back, and through code it cannot read. */
export function loadTimeFacts(facts: State['facts']): Record<string, boolean> {
  let kept: Record<string, boolean> | undefined;
  for (const key in facts) if (key.startsWith('@')) (kept ??= {})[key] = facts[key];
  return kept ?? {};
}

export function emptyState(): State {
  return { vars: {}, objs: new Map(), rcu: 0, facts: {}, loads: {}, trail: undefined };
}

export function withVar(state: State, name: string, value: Value): State {
  return { ...state, vars: { ...state.vars, [name]: value } };
}

export function withObj(state: State, obj: Obj): State {
  return { ...state, objs: copyMap(state.objs).set(obj.id, obj) };
}

/** A copy of a map, made without the iterator objects `new Map(map)` allocates per entry. */
export function copyMap<K, V>(map: ReadonlyMap<K, V>): Map<K, V> {
  const copy = new Map<K, V>();
  map.forEach((value, key) => copy.set(key, value));
  return copy;
}

export function objOf(state: State, value: Value | undefined): Obj | undefined {
  return value?.k === 'obj' ? state.objs.get(value.id) : undefined;
}

const keys = new WeakMap<State, string>();
/** Keys of the parts, which states share after most steps (a step changes one variable or one object). */
const partKeys = new WeakMap<object, string>();

/** The state's identity for deduplication: everything but the trail. States never change, so it is kept. */
export function stateKey(state: State): string {
  let key = keys.get(state);
  if (key === undefined) keys.set(state, (key = computeKey(state)));
  return key;
}

function computeKey(state: State): string {
  return `${partKey(state.vars, varsKey)}|${partKey(state.objs, objsKey)}|${state.rcu}|${partKey(state.facts, factsKey)}|${partKey(state.loads, loadsKey)}`;
}

function partKey<T extends object>(part: T, compute: (part: T) => string): string {
  if (part instanceof Map ? part.size === 0 : isEmpty(part)) return '';
  let key = partKeys.get(part);
  if (key === undefined) partKeys.set(part, (key = compute(part)));
  return key;
}

function varsKey(vars: State['vars']): string {
  return Object.keys(vars)
    .sort()
    .map((k) => `${k}=${valueKey(vars[k])}`)
    .join(',');
}

function objsKey(objs: State['objs']): string {
  return [...objs.keys()]
    .sort()
    .map((k) => {
      const o = objs.get(k)!;
      return `${k}:${o.trust}/${o.nullness}/${o.life}/${o.struct ?? ''}/${o.untrustedBecause ?? ''}${o.slots ? '/' + slotsKey(o.slots) : ''}`;
    })
    .join(',');
}

function factsKey(facts: State['facts']): string {
  return Object.keys(facts)
    .sort()
    .map((k) => `${k}=${facts[k] ? 1 : 0}`)
    .join(',');
}

function loadsKey(loads: State['loads']): string {
  return Object.keys(loads)
    .sort()
    .map((k) => `${k}=${loads[k]}`)
    .join(',');
}

function slotsKey(slots: Readonly<Record<number, SlotValue>>): string {
  return Object.keys(slots)
    .map((i) => `${i}=${valueKey(slots[Number(i)])}`)
    .join(';');
}

function valueKey(value: Value): string {
  switch (value.k) {
    case 'obj':
      return `o:${value.id}${value.member ? '.' + value.member : ''}`;
    case 'int':
      return `i:${value.value ?? '?'}${value.pred ? ':' + JSON.stringify(value.pred) : ''}`;
    case 'field-addr':
      return `f:${value.base ?? ''}.${value.field}`;
    case 'local-addr':
      return `l:${value.name}`;
    case 'pointer-to':
      return `p:${valueKey(value.value)}`;
    case 'map':
      return `m:${value.name}`;
    case 'type':
      return `t:${value.text}`;
    default:
      return value.k;
  }
}

/** Drops objects nothing refers to any more, unless they still hold a reference (a leak needs them). */
export function collectGarbage(state: State, pinned: ReadonlySet<string>): State {
  const objs = state.objs;
  let anySlots = false;
  let candidates: string[] | undefined;
  objs.forEach((obj, id) => {
    if (obj.slots) anySlots = true;
    if (!holdsReference(obj) && !pinned.has(id)) (candidates ??= []).push(id);
  });
  if (!candidates) return state;
  if (anySlots) return dropUnreachable(state, pinned);
  // Usually a handful of objects could go and all are still referred to: checked without building sets.
  const unreferenced = candidates;
  let left = unreferenced.length;
  // The first `left` entries are the candidates nothing has referred to yet.
  const refer = (id: string) => {
    for (let i = 0; i < left; i++) {
      if (unreferenced[i] === id) {
        unreferenced[i] = unreferenced[--left];
        return;
      }
    }
  };
  for (const key in state.loads) refer(state.loads[key]);
  for (const name in state.vars) {
    referredBy(state.vars[name], refer);
    if (left === 0) return state;
  }
  if (left === 0) return state;
  const dropped = new Set(unreferenced.slice(0, left));
  const kept = new Map<string, Obj>();
  objs.forEach((obj, id) => {
    if (!dropped.has(id)) kept.set(id, obj);
  });
  return { ...state, objs: kept };
}

/** The objects a variable's value keeps alive. */
function referredBy(value: Value, refer: (id: string) => void): void {
  if (value.k === 'obj') refer(value.id);
  else if (value.k === 'int') {
    if (value.pred?.kind === 'null') refer(value.pred.id);
  } else if (value.k === 'field-addr') {
    if (value.base) refer(value.base);
  } else if (value.k === 'pointer-to' && value.value.k === 'obj') refer(value.value.id);
}

/** The general case, with arrays whose slots hold pointers: what a reachable or pinned array holds is reachable too. */
function dropUnreachable(state: State, pinned: ReadonlySet<string>): State {
  const objs = state.objs;
  const reachable = new Set<string>(pinned);
  const add = (id: string) => reachable.add(id);
  for (const key in state.loads) add(state.loads[key]);
  for (const name in state.vars) referredBy(state.vars[name], add);
  const pending = [...reachable];
  for (let id = pending.pop(); id !== undefined; id = pending.pop()) {
    const slots = objs.get(id)?.slots;
    for (const index in slots) {
      const slot = slots[Number(index)];
      if (slot.k === 'obj' && !reachable.has(slot.id)) (reachable.add(slot.id), pending.push(slot.id));
    }
  }
  let changed = false;
  const kept = new Map<string, Obj>();
  objs.forEach((obj, id) => {
    if (reachable.has(id) || holdsReference(obj)) kept.set(id, obj);
    else changed = true;
  });
  return changed ? { ...state, objs: kept } : state;
}

function holdsReference(obj: Obj): boolean {
  return obj.trust === 'owned' && obj.life === 'live' && obj.nullness !== 'null';
}

/** Whether two values are the same for deduplication: what `valueKey` tells apart, compared without building keys. */
function sameValue(a: Value, b: Value): boolean {
  if (a === b) return true;
  switch (a.k) {
    case 'obj':
      return b.k === 'obj' && a.id === b.id && (a.member || undefined) === (b.member || undefined);
    case 'int':
      // NaN (a division by zero folded) equals itself here, as it does in the key.
      return b.k === 'int' && (a.value === b.value || (Number.isNaN(a.value) && Number.isNaN(b.value))) && samePredicate(a.pred, b.pred);
    case 'field-addr':
      return b.k === 'field-addr' && (a.base ?? '') === (b.base ?? '') && a.field === b.field;
    case 'local-addr':
      return b.k === 'local-addr' && a.name === b.name;
    case 'pointer-to':
      return b.k === 'pointer-to' && sameValue(a.value, b.value);
    case 'map':
      return b.k === 'map' && a.name === b.name;
    case 'type':
      return b.k === 'type' && a.text === b.text;
    default:
      return a.k === b.k;
  }
}

function samePredicate(a: Predicate | undefined, b: Predicate | undefined): boolean {
  if (a === b) return true;
  if (!a || !b) return false;
  if (a.kind === 'null') return b.kind === 'null' && a.id === b.id && a.whenTrue === b.whenTrue;
  if (a.kind === 'load-time') return b.kind === 'load-time' && a.fact === b.fact && a.negated === b.negated;
  return b.kind === 'equals' && a.local === b.local && a.value === b.value && a.negated === b.negated;
}

function sameObj(a: Obj, b: Obj): boolean {
  return (
    a === b ||
    (a.trust === b.trust &&
      a.nullness === b.nullness &&
      a.life === b.life &&
      (a.struct ?? '') === (b.struct ?? '') &&
      (a.untrustedBecause ?? '') === (b.untrustedBecause ?? '') &&
      sameSlots(a.slots, b.slots))
  );
}

function sameSlots(a: Obj['slots'], b: Obj['slots']): boolean {
  if (a === b) return true;
  if (!a || !b) return false;
  return sameRecord(a, b, sameValue);
}

function sameRecord<V>(a: Readonly<Record<string | number, V>>, b: Readonly<Record<string | number, V>>, same: (x: V, y: V) => boolean): boolean {
  if (a === b) return true;
  let count = 0;
  for (const key in a) {
    const other = b[key];
    if (other === undefined || !same(a[key], other)) return false;
    count++;
  }
  for (const _ in b) if (--count < 0) return false;
  return true;
}

/** Whether two states are the same for deduplication (equal `stateKey`s), compared without building keys. */
export function sameState(a: State, b: State): boolean {
  if (a === b) return true;
  if (a.rcu !== b.rcu || a.objs.size !== b.objs.size) return false;
  if (!sameRecord(a.vars, b.vars, sameValue)) return false;
  if (a.objs !== b.objs) {
    for (const id of a.objs.keys()) {
      const other = b.objs.get(id);
      if (!other || !sameObj(a.objs.get(id)!, other)) return false;
    }
  }
  return sameRecord(a.facts, b.facts, (x, y) => x === y) && sameRecord(a.loads, b.loads, (x, y) => x === y);
}

function joinObj(a: Obj, b: Obj): Obj {
  if (a === b) return a;
  const joined: Obj = { ...a };
  if (a.nullness !== b.nullness) joined.nullness = 'maybe';
  if (a.trust !== b.trust) joined.trust = 'unknown';
  // Released on one path and held on another: the engine no longer knows, so it stops tracking.
  if (a.life !== b.life) joined.life = 'escaped';
  if (a.struct !== b.struct) joined.struct = undefined;
  if (a.untrustedBecause !== b.untrustedBecause) joined.untrustedBecause = undefined;
  if (a.slots || b.slots) joined.slots = commonSlots(a.slots ?? {}, b.slots ?? {});
  return joined;
}

/** The slots both paths agree on. */
function commonSlots(a: Readonly<Record<number, SlotValue>>, b: Readonly<Record<number, SlotValue>>): Record<number, SlotValue> {
  const common: Record<number, SlotValue> = {};
  for (const [index, value] of Object.entries(a)) {
    const other = b[Number(index)];
    if (other && sameValue(other, value)) common[Number(index)] = value;
  }
  return common;
}

/** References that sat in a slot on either path but not in the same slot on both: no longer followed. */
function slotsLostInJoin(a: State, b: State, joined: ReadonlyMap<string, Obj>): Set<string> {
  const lost = new Set<string>();
  for (const [id, obj] of joined) {
    if (!obj.slots && !a.objs.get(id)?.slots && !b.objs.get(id)?.slots) continue;
    const kept = new Set(Object.values(obj.slots ?? {}).flatMap((v) => (v.k === 'obj' ? [v.id] : [])));
    for (const side of [a.objs.get(id)?.slots, b.objs.get(id)?.slots]) {
      for (const v of Object.values(side ?? {})) if (v.k === 'obj' && !kept.has(v.id)) lost.add(v.id);
    }
  }
  return lost;
}

/**
 * One state that stands for both: what the two paths agree on is kept, what they disagree on is
 * forgotten in the direction that reports less (a reference held on one path only is no longer
 * tracked). Used where too many paths meet, so the analysis stays fast without false alarms.
 */
export function joinStates(a: State, b: State): State {
  const vars: Record<string, Value> = {};
  for (const name of new Set([...Object.keys(a.vars), ...Object.keys(b.vars)])) {
    const va = a.vars[name];
    const vb = b.vars[name];
    vars[name] = va && vb && sameValue(va, vb) ? va : UNKNOWN;
  }
  const objs = new Map<string, Obj>();
  for (const id of new Set([...a.objs.keys(), ...b.objs.keys()])) {
    const oa = a.objs.get(id);
    const ob = b.objs.get(id);
    if (oa && ob) objs.set(id, joinObj(oa, ob));
    else {
      const only = (oa ?? ob)!;
      objs.set(id, only.trust === 'owned' && only.life === 'live' ? { ...only, life: 'escaped' } : only);
    }
  }
  for (const id of slotsLostInJoin(a, b, objs)) {
    const obj = objs.get(id);
    if (obj && obj.trust === 'owned' && obj.life === 'live') objs.set(id, { ...obj, life: 'escaped' });
  }
  const facts: Record<string, boolean> = {};
  for (const [text, value] of Object.entries(a.facts)) if (b.facts[text] === value) facts[text] = value;
  const loads: Record<string, string> = {};
  for (const [key, id] of Object.entries(a.loads)) if (b.loads[key] === id) loads[key] = id;
  return { vars, objs, rcu: a.rcu, rcuSite: a.rcuSite, facts, loads, trail: a.trail };
}

/** True for an object with no keys, without listing them. */
export function isEmpty(record: object): boolean {
  for (const _ in record) return false;
  return true;
}
