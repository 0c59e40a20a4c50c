import { atLeast } from '../knowledge/kernelVersion';
import { LOCAL_TYPES_RCU_PROTECTED_SINCE, RCU_PROTECTED_TYPES, SAFE_FIELDS, SAFE_FIELDS_SINCE } from '../knowledge/kfuncSets';
import type { RuleCode } from '../rules/catalog';
import { CallHandler } from './calls';
import type { FixHint, Finding, RelatedSite } from './findings';
import { baseName, Expr, Op, RelSpan, Terminator } from './ir';
import {
  BranchStep,
  BranchTaken,
  collectGarbage,
  copyMap,
  isEmpty,
  loadTimeFacts,
  sameState,
  joinStates,
  Obj,
  objOf,
  Predicate,
  Site,
  SlotValue,
  State,
  stateKey,
  UNKNOWN,
  Value,
  withObj,
  withVar,
} from './state';
import { decide, learn, registerTestOf, switchTestOf } from './registerFacts';
import { livenessAfter, livenessOf, loopWrites, reversePostorder } from './liveness';
import { markOfHeld, MarkSet, ReadingRecorder } from './marks';
import type { EngineFunction, EngineWorld, RootInfo } from './world';

export interface Outcome {
  state: State;
  value: Value;
}

export interface Exit {
  state: State;
  value?: Value;
  site: Site;
  kind: 'return' | 'end' | 'throw';
}

export interface Frame {
  fn: EngineFunction;
  via: Site[];
  /** Objects the callers' variables refer to: garbage collection must keep them. */
  pinned: ReadonlySet<string>;
  depth: number;
}

export class BudgetExceeded extends Error {}

/** Paths kept apart at one point; past this, new states are joined into one per RCU depth. */
const MAX_STATES_PER_BLOCK = 32;
const WIDEN_AFTER_VISITS = 4;
/** A join only loses information, so a point can change only so many times before it settles. */
const MAX_JOINS_PER_BLOCK = 64;
const MAX_INLINE_DEPTH = 8;

/**
 * Path-sensitive abstract interpretation of one program (a root) and of
 * every static function it calls, inlined at the call as the verifier
 * does. States are kept apart per path and deduplicated per block, so two
 * branches that agree on a flag are never mixed into a false alarm.
 */
export class Interpreter {
  readonly findings = new Map<string, Finding>();
  readonly throwExits: Exit[] = [];
  /** Global functions this root calls: their own findings also stop this program from loading. */
  readonly calledGlobals = new Set<string>();
  /** What each variable read and kptr field access saw, for semantic highlighting. */
  readonly marks: MarkSet;
  /** What each variable occurrence held, path by path, for hovers. */
  readonly readings: ReadingRecorder;
  private steps = 0;
  /** Counts reports: the verifier stops a path at its first error, and so does the engine. */
  private reports = 0;
  private readonly calls: CallHandler;
  /** Exits of static callees, per callee and reachable entry state, with the call chain they were computed under. */
  private readonly inlineMemo = new Map<string, { chain: string; exits: Outcome[] }>();

  constructor(
    readonly world: EngineWorld,
    readonly root: RootInfo,
    private readonly budget: number,
    /** Whether marks and readings are kept: an editor shows them, a findings-only run does not need them. */
    editorData = true,
  ) {
    this.marks = new MarkSet(editorData);
    this.readings = new ReadingRecorder(editorData);
    this.calls = new CallHandler(this);
  }

  // ---- reporting -----------------------------------------------------------

  report(code: RuleCode, site: Site, message: string, related: RelatedSite[] = [], fix?: FixHint): void {
    this.reports++;
    const key = `${code}|${site.fn}|${site.span.start}|${site.span.end}`;
    if (!this.findings.has(key)) this.findings.set(key, { code, message, site, related, fix });
  }

  site(frame: Frame, span: RelSpan): Site {
    return siteIn(frame, span);
  }

  /** A stable object id for what a site creates: the same site in the same call chain is the same object. */
  objectId(frame: Frame, span: RelSpan, tag = ''): string {
    const chain = chainOf(frame.via);
    return `${chain}${chain ? '>' : ''}${frame.fn.key}@${span.start}${tag}`;
  }

  inRcuSection(state: State): boolean {
    return state.rcu > 0 || !this.root.sleepable;
  }

  // ---- functions -----------------------------------------------------------

  runFunction(frame: Frame, entry: State): Exit[] {
    const ir = frame.fn.ir!;
    const exits: Exit[] = [];
    const seen = new Map<number, State[]>();
    const visits = new Map<number, number>();
    const joined = new Map<string, State>();
    const joins = new Map<number, number>();
    const order = reversePostorder(ir);
    const pending = new BlockQueue(order);
    pending.push({ block: ir.entry, state: entry });
    while (pending.length > 0) {
      const { block: id, state: incoming } = pending.pop()!;
      if (++this.steps > this.budget) throw new BudgetExceeded(`more than ${this.budget} steps`);
      const block = ir.blocks[id];
      let state = collectGarbage(dropDeadVariables(incoming, livenessOf(ir)[id]), frame.pinned);
      if (block.loopHead) {
        const count = (visits.get(id) ?? 0) + 1;
        visits.set(id, count);
        if (count > WIDEN_AFTER_VISITS) state = widen(state, loopWrites(ir, id));
      }
      let met = seen.get(id);
      if (!met) seen.set(id, (met = []));
      if (met.some((s) => sameState(s, state))) continue;
      if (met.length >= MAX_STATES_PER_BLOCK) {
        // Too many paths meet here: fold this one into the joined state of its RCU depth.
        const slot = `${id}:${state.rcu}`;
        const previous = joined.get(slot);
        // A join keeps only what both sides agree on, so it settles by itself: values that agree
        // (a map key of 0 on every path) stay known.
        const next = previous ? joinStates(previous, state) : state;
        if (previous && sameState(next, previous)) continue;
        const count = (joins.get(id) ?? 0) + 1;
        joins.set(id, count);
        if (count > MAX_JOINS_PER_BLOCK) throw new BudgetExceeded(`the paths through one point did not settle after ${MAX_JOINS_PER_BLOCK} joins`);
        joined.set(slot, next);
        state = next;
        if (met.some((s) => sameState(s, state))) continue;
      }
      met.push(state);

      let states = [state];
      for (const op of block.ops) {
        states = states.length === 1 ? this.step(frame, states[0], op) : states.flatMap((s) => this.step(frame, s, op));
        if (states.length > 1) states = distinctStates(states, ir.blocks.length > 0 ? livenessAfter(ir, id) : undefined);
        if (states.length === 0) break;
      }
      for (const s of states) {
        const before = this.reports;
        const successors: Array<{ block: number; state: State }> = [];
        const ends: Exit[] = [];
        this.terminate(frame, s, block.term, successors, ends);
        if (this.reports !== before) continue;
        for (const successor of successors) pending.push(successor);
        exits.push(...ends);
      }
    }
    return exits;
  }

  /** Runs an operation; if it reported an error, the path ends there, as in the verifier. */
  private step(frame: Frame, state: State, op: Op): State[] {
    const before = this.reports;
    const out = this.execOp(frame, state, op);
    return this.reports === before ? out : [];
  }

  private terminate(frame: Frame, state: State, term: Terminator, pending: { push(item: { block: number; state: State }): void }, exits: Exit[]): void {
    switch (term.k) {
      case 'jump':
        pending.push({ block: term.target, state });
        return;
      case 'either':
        for (const target of term.targets) pending.push({ block: target, state });
        return;
      case 'branch': {
        for (const outcome of this.evalExpr(frame, state, term.cond)) {
          for (const truth of [true, false]) {
            const refined = this.refine(frame, outcome.state, term.cond, outcome.value, truth);
            if (!refined) continue;
            const trail = new BranchOutcome(refined.trail, frame, term.cond, outcome.value, truth);
            pending.push({ block: truth ? term.ifTrue : term.ifFalse, state: { ...refined, trail } });
          }
        }
        return;
      }
      case 'switch': {
        for (const outcome of this.evalExpr(frame, state, term.value)) {
          const known = outcome.value.k === 'int' ? outcome.value.value : undefined;
          let matched = false;
          for (const c of term.cases) {
            if (c.value === undefined) continue;
            const caseValue = c.value.k === 'number' ? c.value.value : undefined;
            if (known !== undefined && caseValue !== undefined) {
              if (known === caseValue) {
                matched = true;
                pending.push({ block: c.target, state: outcome.state });
              }
              continue;
            }
            let next: State | undefined = outcome.state;
            if (caseValue !== undefined) next = this.learnCase(frame, next, term.value, caseValue, true);
            if (!next) continue;
            if (caseValue !== undefined && term.value.k === 'local') next = withVar(next, term.value.name, { k: 'int', value: caseValue });
            pending.push({ block: c.target, state: next });
          }
          const fallback = term.cases.find((c) => c.value === undefined);
          if (fallback && !matched) {
            let next: State | undefined = outcome.state;
            for (const c of term.cases) if (next && c.value?.k === 'number') next = this.learnCase(frame, next, term.value, c.value.value, false);
            if (next) pending.push({ block: fallback.target, state: next });
          }
        }
        return;
      }
      case 'return': {
        if (!term.value) {
          exits.push({ state, site: this.site(frame, term.span), kind: 'return' });
          return;
        }
        for (const outcome of this.evalExpr(frame, state, term.value)) {
          exits.push({ state: outcome.state, value: outcome.value, site: this.site(frame, term.span), kind: 'return' });
        }
        return;
      }
      case 'end':
        exits.push({ state, site: this.site(frame, term.span), kind: 'end' });
        return;
      case 'noreturn':
        this.throwExits.push({ state, site: this.site(frame, term.span), kind: 'throw' });
        return;
    }
  }

  /** The state where `switch (value)` does (or does not) take `case caseValue`, or undefined when it cannot. */
  private learnCase(frame: Frame, state: State, value: Expr, caseValue: number, taken: boolean): State | undefined {
    const test = switchTestOf(value, caseValue, this.registerTextIn(frame));
    if (!test) return state;
    const known = decide(state.facts, test);
    if (known !== undefined) return known === taken ? state : undefined;
    return { ...state, facts: learn(state.facts, test, taken) };
  }

  // ---- operations ----------------------------------------------------------

  private execOp(frame: Frame, state: State, op: Op): State[] {
    switch (op.k) {
      case 'eval':
        return this.evalExpr(frame, state, op.expr, op.discarded).map((o) => o.state);
      case 'declare': {
        if (op.isArrayOrStruct) {
          const id = this.objectId(frame, op.span, `:${op.name}`);
          const obj: Obj = { id, trust: 'stack', nullness: 'nonnull', life: 'live', valueStruct: op.type.struct, site: this.site(frame, op.span) };
          const withStack = withObj(state, obj);
          const init = op.init ? this.evalExpr(frame, withStack, op.init) : [{ state: withStack, value: UNKNOWN }];
          return init.map((o) => withVar(this.escapeOwned(o.state, o.value), op.name, { k: 'obj', id }));
        }
        if (!op.init) return [this.forget(withVar(state, op.name, UNKNOWN), op.name)];
        return this.evalExpr(frame, state, op.init).map((o) => {
          const next = this.assignLocal(o.state, op.name, o.value, op.type.struct);
          if (op.nameSpan) this.observe(frame, op.nameSpan, next, o.value);
          return next;
        });
      }
      case 'havoc':
        return [this.forget(withVar(state, op.name, UNKNOWN), op.name)];
      case 'opaque': {
        // Code the parser could not read: whatever it touches is no longer followed.
        let next = this.forgetLoads({ ...state, facts: loadTimeFacts(state.facts) });
        for (const name of op.names) {
          next = this.escapeOwned(next, next.vars[name] ?? UNKNOWN);
          next = withVar(next, name, UNKNOWN);
        }
        return [next];
      }
      case 'cleanup':
        return this.calls.cleanup(frame, state, op);
    }
  }

  assignLocal(state: State, name: string, value: Value, declaredStruct?: string): State {
    let next = withVar(state, name, value);
    const obj = objOf(next, value);
    if (obj && !obj.struct && declaredStruct) next = withObj(next, { ...obj, struct: declaredStruct });
    return this.forget(next, name);
  }

  /** Forgets the decided conditions that mention a variable that just changed. */
  forget(state: State, name: string): State {
    if (isEmpty(state.facts)) return state;
    const facts: Record<string, boolean> = {};
    let changed = false;
    for (const [text, value] of Object.entries(state.facts)) {
      if (wordsOf(text).includes(name)) changed = true;
      else facts[text] = value;
    }
    return changed ? { ...state, facts } : state;
  }

  /** A reference that flows somewhere the engine cannot follow is no longer tracked. */
  escapeOwned(state: State, value: Value): State {
    const obj = objOf(state, value);
    if (obj && obj.trust === 'owned' && obj.life === 'live') return withObj(state, { ...obj, life: 'escaped' });
    if (obj?.slots) {
      // An array handed on may be written through: what its slots held is no longer followed.
      let next = withObj(state, { ...obj, slots: undefined });
      for (const slot of Object.values(obj.slots)) next = this.escapeOwned(next, slot);
      return next;
    }
    return state;
  }

  /** The local array and constant index `expr` names (`masks[1]`), when it is one the engine follows. */
  private stackSlot(state: State, expr: Expr): { array: Obj; index: number } | undefined {
    if (expr.k !== 'index' || expr.base.k !== 'local') return undefined;
    const array = objOf(state, state.vars[expr.base.name]);
    let index = expr.index;
    while (index.k === 'cast') index = index.of;
    if (array?.trust !== 'stack' || index.k !== 'number' || !Number.isInteger(index.value)) return undefined;
    return { array, index: index.value };
  }

  // ---- expressions ---------------------------------------------------------

  evalExpr(frame: Frame, state: State, expr: Expr, discarded = false): Outcome[] {
    switch (expr.k) {
      case 'local': {
        const value = state.vars[expr.name] ?? UNKNOWN;
        this.observe(frame, expr.span, state, value);
        return [{ state, value }];
      }
      case 'global':
        return [this.readGlobal(frame, state, expr)];
      case 'null':
        return [{ state, value: { k: 'null' } }];
      case 'number':
        return [{ state, value: { k: 'int', value: expr.value } }];
      case 'string':
        return [{ state, value: UNKNOWN }];
      case 'type':
        return [{ state, value: { k: 'type', struct: expr.type.struct, text: expr.type.text } }];
      case 'call':
        return this.calls.evalCall(frame, state, expr, discarded);
      case 'field':
        return this.evalExpr(frame, state, expr.base).map((o) => this.readField(frame, o.state, o.value, expr));
      case 'addr':
        return this.evalAddress(frame, state, expr);
      case 'deref':
        return this.evalExpr(frame, state, expr.of).map((o) => {
          if (o.value.k === 'pointer-to') return { state: o.state, value: o.value.value };
          if (o.value.k === 'local-addr') return { state: o.state, value: o.state.vars[o.value.name] ?? UNKNOWN };
          return { state: this.checkDeref(frame, o.state, o.value, expr.span), value: UNKNOWN };
        });
      case 'index': {
        const slot = this.stackSlot(state, expr);
        if (slot) {
          const value = slot.array.slots?.[slot.index] ?? UNKNOWN;
          this.observe(frame, expr.span, state, value);
          return [{ state, value }];
        }
        const element = this.kptrArrayOf(expr.base);
        if (element) {
          // An element of an array of kptrs loads like a kptr field (arrays of kptrs in globals and map values).
          return this.evalExpr(frame, state, expr.index).map((o) => this.kptrLoad(frame, o.state, element.tag, element.pointee, element.name, expr.span));
        }
        return this.evalAll(frame, state, [expr.base, expr.index]).map((o) => ({ state: this.checkDeref(frame, o.state, o.values[0], expr.span), value: UNKNOWN }));
      }
      case 'cast':
        return this.evalExpr(frame, state, expr.of).map((o) => {
          const obj = objOf(o.state, o.value);
          if (obj && !obj.struct && expr.type.struct && expr.type.pointerDepth === 1 && obj.trust === 'owned') {
            return { state: withObj(o.state, { ...obj, struct: expr.type.struct }), value: o.value };
          }
          return o;
        });
      case 'assign':
        return this.evalAssign(frame, state, expr);
      case 'update':
        return this.evalExpr(frame, state, expr.of).map((o) => {
          if (expr.of.k !== 'local') return { state: o.state, value: UNKNOWN };
          const old = o.value.k === 'int' && o.value.value !== undefined ? o.value.value : undefined;
          const next = this.forget(withVar(o.state, expr.of.name, { k: 'int', value: old === undefined ? undefined : old + 1 }), expr.of.name);
          return { state: next, value: UNKNOWN };
        });
      case 'unary':
        return this.evalExpr(frame, state, expr.of).map((o) => ({ state: o.state, value: unaryValue(o.state, expr.op, o.value) }));
      case 'binary':
        return this.evalAll(frame, state, [expr.left, expr.right]).map((o) => ({
          state: o.state,
          value: binaryValue(o.state, expr.op, o.values[0], o.values[1], expr.left, expr.right),
        }));
      case 'comma': {
        let outcomes: Outcome[] = [{ state, value: UNKNOWN }];
        for (const part of expr.exprs) outcomes = outcomes.flatMap((o) => this.evalExpr(frame, o.state, part));
        return outcomes;
      }
      case 'opaque':
        return this.evalAll(frame, state, expr.parts).map((o) => ({
          state: o.values.reduce((s, v) => this.escapeOwned(s, v), o.state),
          value: UNKNOWN,
        }));
    }
  }

  evalAll(frame: Frame, state: State, exprs: Expr[]): Array<{ state: State; values: Value[] }> {
    let results: Array<{ state: State; values: Value[] }> = [{ state, values: [] }];
    for (const expr of exprs) {
      if (results.length === 1) {
        // One path so far (the usual case): it is extended in place; every entry here is this function's own.
        const only = results[0];
        const outcomes = this.evalExpr(frame, only.state, expr);
        if (outcomes.length === 1) {
          only.state = outcomes[0].state;
          only.values.push(outcomes[0].value);
        } else results = outcomes.map((o) => ({ state: o.state, values: [...only.values, o.value] }));
        continue;
      }
      results = results.flatMap((r) => this.evalExpr(frame, r.state, expr).map((o) => ({ state: o.state, values: [...r.values, o.value] })));
    }
    return results;
  }

  private readGlobal(frame: Frame, state: State, expr: Extract<Expr, { k: 'global' }>): Outcome {
    const global = this.world.global(expr.name);
    if (global?.tag && global.type.pointerDepth === 1 && global.type.arrayLength === undefined) {
      this.marks.note(frame.fn.key, expr.span, 'kptr-field');
      return this.kptrLoad(frame, state, global.tag.name, global.type.struct, `${expr.name}`, expr.span, `global:${expr.name}`);
    }
    if (this.world.map(expr.name)) return { state, value: { k: 'map', name: expr.name } };
    return { state, value: UNKNOWN };
  }

  /** The object standing for a global variable's memory (globals live in array maps). */
  globalObject(state: State, name: string): { state: State; value: Value } {
    const global = this.world.global(name);
    const id = `global:${name}`;
    if (state.objs.get(id)) return { state, value: { k: 'obj', id } };
    const obj: Obj = {
      id,
      trust: 'map-value',
      nullness: 'nonnull',
      life: 'live',
      valueStruct: global?.type.struct,
      site: { fn: '', span: { start: 0, end: 0 } },
    };
    return { state: withObj(state, obj), value: { k: 'obj', id } };
  }

  kptrLoad(frame: Frame, state: State, tag: string, pointee: string | undefined, field: string, span: RelSpan, cacheKey?: string): Outcome {
    const cached = cacheKey ? state.loads[cacheKey] : undefined;
    if (cached && state.objs.get(cached)) return { state, value: { k: 'obj', id: cached } };
    const id = this.objectId(frame, span, ':load');
    let trust: Obj['trust'] = 'untrusted';
    let untrustedBecause: Obj['untrustedBecause'] = 'untrusted-kptr';
    if (tag === '__kptr' || tag === '__kptr_ref') {
      const localProtected = pointee !== undefined && this.world.isLocalStruct(pointee) && atLeast(this.world.kernel, LOCAL_TYPES_RCU_PROTECTED_SINCE);
      const protectedType = pointee !== undefined && (RCU_PROTECTED_TYPES.has(pointee) || localProtected);
      if (this.inRcuSection(state) && protectedType) {
        trust = 'rcu';
        untrustedBecause = undefined;
      } else if (!protectedType) {
        trust = 'unknown';
        untrustedBecause = undefined;
      } else {
        untrustedBecause = 'outside-rcu';
      }
    } else if (tag === '__percpu_kptr' || tag === '__uptr') {
      trust = 'unknown';
      untrustedBecause = undefined;
    }
    const obj: Obj = {
      id,
      trust,
      nullness: 'maybe',
      life: 'live',
      struct: pointee,
      local: pointee !== undefined && this.world.isLocalStruct(pointee),
      site: this.site(frame, span),
      field,
      untrustedBecause,
    };
    const next = withObj(state, obj);
    return { state: cacheKey ? { ...next, loads: { ...next.loads, [cacheKey]: id } } : next, value: { k: 'obj', id } };
  }

  private observe(frame: Frame, span: RelSpan, state: State, value: Value): void {
    const obj = objOf(state, value);
    this.marks.note(frame.fn.key, span, markOfHeld(obj));
    this.readings.note(frame.fn.key, span.start, value, obj);
  }

  /** The field name closes a member expression (`v->mask`), so its span ends where the expression does. */
  private markField(frame: Frame, memberSpan: RelSpan, field: string): void {
    this.marks.note(frame.fn.key, { start: memberSpan.end - field.length, end: memberSpan.end }, 'kptr-field');
  }

  private readField(frame: Frame, state: State, base: Value, expr: Extract<Expr, { k: 'field' }>): Outcome {
    const checked = this.checkDeref(frame, state, base, expr.span);
    const obj = objOf(checked, base);
    if (!obj) return { state: checked, value: UNKNOWN };
    const container = obj.valueStruct ?? obj.struct;
    const field = this.world.field(container, expr.field);
    if (field?.tag && field.type.pointerDepth === 1 && field.type.arrayLength === undefined) {
      this.markField(frame, expr.span, expr.field);
      return this.kptrLoad(frame, checked, field.tag.name, field.type.struct, `${container}.${expr.field}`, expr.span, `${obj.id}.${expr.field}`);
    }
    if (field && field.type.pointerDepth === 0 && field.type.struct) {
      // An embedded struct (`v.inner.mask`): same memory, another layout.
      const id = `${obj.id}.${expr.field}`;
      const embedded: Obj = { ...obj, id, valueStruct: field.type.struct, struct: field.type.struct };
      return { state: withObj(checked, embedded), value: { k: 'obj', id } };
    }
    if (!field && expr.arrow && obj.struct && (obj.trust === 'trusted' || obj.trust === 'owned' || obj.trust === 'rcu')) {
      return this.walk(frame, checked, obj, expr);
    }
    return { state: checked, value: UNKNOWN };
  }

  /** Walking a pointer field of a trusted kernel object: only the fields the verifier vouches for stay usable. */
  private walk(frame: Frame, state: State, obj: Obj, expr: Extract<Expr, { k: 'field' }>): Outcome {
    const safe = SAFE_FIELDS.get(`${obj.struct}.${expr.field}`);
    if (!safe || !atLeast(this.world.kernel, SAFE_FIELDS_SINCE)) return { state, value: UNKNOWN };
    const id = this.objectId(frame, expr.span, ':walk');
    const rcuKind = safe.kind === 'rcu' || safe.kind === 'rcu-or-null';
    const inRcu = this.inRcuSection(state);
    const walked: Obj = {
      id,
      trust: rcuKind ? (inRcu ? 'rcu' : 'untrusted') : 'trusted',
      untrustedBecause: rcuKind && !inRcu ? 'outside-rcu' : undefined,
      nullness: safe.kind.endsWith('or-null') ? 'maybe' : 'nonnull',
      life: 'live',
      struct: safe.pointee,
      site: this.site(frame, expr.span),
      field: `${obj.struct}->${expr.field}`,
    };
    return { state: withObj(state, walked), value: { k: 'obj', id } };
  }

  /** Reports a dereference of a pointer that may be NULL, is NULL, or was released. */
  checkDeref(frame: Frame, state: State, value: Value, span: RelSpan): State {
    // A literal NULL is not followed: arena pointers may be NULL and still be dereferenced.
    const obj = objOf(state, value);
    if (!obj || obj.life === 'escaped' || obj.trust === 'unknown' || obj.trust === 'stack') return state;
    if (obj.life === 'released' || obj.life === 'moved') {
      this.reportUseAfterRelease(frame, obj, span, 'is dereferenced');
      return state;
    }
    if (obj.nullness !== 'nonnull' && obj.trust !== 'untrusted' && obj.trust !== 'non-owning') {
      const what = describeObj(obj);
      this.report(
        'kptr-maybe-null',
        this.site(frame, span),
        `${what} may be NULL here and is dereferenced: the verifier rejects the access ("invalid mem access '..._or_null'"). Check it for NULL first.`,
        [{ site: obj.site, message: `${what} comes from here and may be NULL` }],
        this.nullCheckFix(obj, state),
      );
      // Report once per path: from here on the engine treats it as checked.
      return withObj(state, { ...obj, nullness: 'nonnull' });
    }
    return state;
  }

  nullCheckFix(obj: Obj, state: State): FixHint | undefined {
    const variable = variableHolding(state, obj.id);
    if (!variable || obj.site.via) return undefined;
    return { kind: 'insert-null-check', after: obj.site, variable };
  }

  reportUseAfterRelease(frame: Frame, obj: Obj, span: RelSpan, what: string): void {
    if (obj.releasedBy === 'bpf_spin_unlock') {
      this.report(
        'kptr-use-after-release',
        this.site(frame, span),
        `${describeObj(obj)} ${what} after bpf_spin_unlock: it went into a collection, and the non-owning pointer the program kept is invalid once the lock is dropped. Use it before the unlock, or take a reference with bpf_refcount_acquire.`,
        obj.releasedAt ? [{ site: obj.releasedAt, message: 'the lock is dropped here' }] : [],
      );
      return;
    }
    const verb = obj.life === 'moved' ? 'was moved away' : 'was released';
    this.report(
      'kptr-use-after-release',
      this.site(frame, span),
      `${describeObj(obj)} ${what} after its reference ${verb}${obj.releasedBy ? ` by ${obj.releasedBy}` : ''}: every copy of the pointer is dead from then on, and the verifier rejects this use.`,
      obj.releasedAt ? [{ site: obj.releasedAt, message: `the reference ${verb} here` }, { site: obj.site, message: 'acquired here' }] : [],
    );
  }

  /**
   * When `expr` indexes an array of kptrs (a global) down to one element (`masks[i]`,
   * `grid[i][j]` for a two-dimensional one), that element's tag and pointee.
   */
  private kptrArrayOf(expr: Expr, depth = 1): { tag: string; pointee?: string; name: string } | undefined {
    if (expr.k === 'index') return this.kptrArrayOf(expr.base, depth + 1);
    if (expr.k !== 'global') return undefined;
    const global = this.world.global(expr.name);
    if (!global?.tag || global.type.arrayLength === undefined || (global.type.arrayDims ?? 1) !== depth) return undefined;
    return { tag: global.tag.name, pointee: global.type.struct, name: expr.name };
  }

  private evalAddress(frame: Frame, state: State, expr: Extract<Expr, { k: 'addr' }>): Outcome[] {
    const of = expr.of;
    const slot = this.stackSlot(state, of);
    // `&masks[1]` lets whoever gets it write the slot.
    if (slot) return [{ state: this.escapeOwned(state, { k: 'obj', id: slot.array.id }), value: UNKNOWN }];
    if (of.k === 'index') {
      const element = this.kptrArrayOf(of.base);
      if (element) {
        return this.evalExpr(frame, state, of.index).map((o) => ({
          state: o.state,
          value: { k: 'field-addr', field: element.name, tag: element.tag, pointee: element.pointee, onStack: false },
        }));
      }
    }
    if (of.k === 'field') {
      return this.evalExpr(frame, state, of.base).map((o) => {
        let base = o.value;
        let next = o.state;
        if (!of.arrow && base.k === 'unknown' && of.base.k === 'global') {
          ({ state: next, value: base } = this.globalObject(next, of.base.name));
        }
        next = this.checkDeref(frame, next, base, of.span);
        const obj = objOf(next, base);
        const container = obj ? obj.valueStruct ?? obj.struct : undefined;
        const field = this.world.field(container, of.field);
        if (field?.tag) this.markField(frame, of.span, of.field);
        const value: Value = {
          k: 'field-addr',
          base: obj?.id,
          struct: container,
          field: of.field,
          tag: field?.tag?.name,
          pointee: field?.type.struct,
          onStack: obj?.trust === 'stack',
        };
        if (obj && field === undefined && container === undefined) return { state: next, value: { k: 'obj', id: obj.id, member: of.field } };
        if (obj && field && !field.tag) return { state: next, value: { ...value, base: obj.id } };
        return { state: next, value };
      });
    }
    if (of.k === 'index' && of.base.k === 'field') {
      // `&v->masks[i]`: an element of a kptr array field is a kptr field too.
      return this.evalAddress(frame, state, { k: 'addr', of: of.base, span: expr.span }).map((o) =>
        o.value.k === 'field-addr' ? o : { state: o.state, value: UNKNOWN },
      );
    }
    if (of.k === 'local') {
      const current = state.vars[of.name];
      const obj = objOf(state, current);
      if (obj?.trust === 'stack') return [{ state, value: current! }];
      return [{ state, value: { k: 'local-addr', name: of.name } }];
    }
    if (of.k === 'global') {
      const global = this.world.global(of.name);
      if (global?.tag) {
        this.marks.note(frame.fn.key, of.span, 'kptr-field');
        return [{ state, value: { k: 'field-addr', field: of.name, tag: global.tag.name, pointee: global.type.struct, onStack: false } }];
      }
      if (this.world.map(of.name)) return [{ state, value: { k: 'map', name: of.name } }];
      if (global) return [this.globalObject(state, of.name)];
      return [{ state, value: UNKNOWN }];
    }
    return this.evalExpr(frame, state, of).map((o) => ({ state: o.state, value: UNKNOWN }));
  }

  private evalAssign(frame: Frame, state: State, expr: Extract<Expr, { k: 'assign' }>): Outcome[] {
    return this.evalExpr(frame, state, expr.value).flatMap((valueOutcome) => {
      const value = expr.op === '=' ? valueOutcome.value : UNKNOWN;
      const target = expr.target;
      switch (target.k) {
        case 'local': {
          const next = this.assignLocal(valueOutcome.state, target.name, value);
          this.observe(frame, target.span, next, value);
          return [{ state: next, value }];
        }
        case 'field':
          return this.evalExpr(frame, valueOutcome.state, target.base).map((baseOutcome) => {
            let base = baseOutcome.value;
            let next = baseOutcome.state;
            if (!target.arrow && base.k === 'unknown' && target.base.k === 'global') ({ state: next, value: base } = this.globalObject(next, target.base.name));
            next = this.checkDeref(frame, next, base, target.span);
            const obj = objOf(next, base);
            const container = obj ? obj.valueStruct ?? obj.struct : undefined;
            const field = this.world.field(container, target.field);
            const inKernelMemory = obj !== undefined && (obj.trust === 'map-value' || obj.trust === 'owned' || obj.trust === 'rcu' || obj.trust === 'non-owning');
            if (field?.tag) this.markField(frame, target.span, target.field);
            if (inKernelMemory && field?.tag && (field.tag.name === '__kptr' || field.tag.name === '__percpu_kptr' || field.tag.name === '__kptr_ref')) {
              this.reportDirectStore(frame, next, expr, field.tag.name, `${describeBase(target)}->${target.field}`, value, field.type.struct);
              return { state: next, value };
            }
            if (obj?.trust === 'stack') next = this.escapeOwned(next, value);
            next = this.forgetField(next, target.field);
            return { state: next, value };
          });
        case 'global': {
          const global = this.world.global(target.name);
          if (global?.tag && (global.tag.name === '__kptr' || global.tag.name === '__percpu_kptr' || global.tag.name === '__kptr_ref')) {
            this.reportDirectStore(frame, valueOutcome.state, expr, global.tag.name, target.name, value, global.type.struct);
            return [{ state: valueOutcome.state, value }];
          }
          return [{ state: this.forgetField(valueOutcome.state, target.name), value }];
        }
        case 'index': {
          const slot = this.stackSlot(valueOutcome.state, target);
          if (!slot) break;
          const slots: Record<number, SlotValue> = { ...slot.array.slots };
          if (value.k === 'obj' || value.k === 'null') slots[slot.index] = value;
          else delete slots[slot.index];
          return [{ state: withObj(valueOutcome.state, { ...slot.array, slots }), value }];
        }
        case 'deref':
          return this.evalExpr(frame, valueOutcome.state, target.of).map((o) => {
            if (o.value.k === 'local-addr') return { state: this.assignLocal(o.state, o.value.name, value), value };
            const next = this.checkDeref(frame, o.state, o.value, target.span);
            return { state: this.escapeOwned(next, value), value };
          });
      }
      // Anywhere else (an element at an unknown index, through a pointer...): the value escapes,
      // and an array written at an unknown index may have lost what its slots held.
      const array = target.k === 'index' && target.base.k === 'local' ? valueOutcome.state.vars[target.base.name] : undefined;
      const before = array ? this.escapeOwned(valueOutcome.state, array) : valueOutcome.state;
      return this.evalExpr(frame, before, target).map((o) => ({ state: this.escapeOwned(o.state, value), value }));
    });
  }

  private forgetField(state: State, field: string): State {
    const facts: Record<string, boolean> = {};
    let changed = false;
    for (const [text, v] of Object.entries(state.facts)) {
      if (text.includes(`.${field}`) || text.includes(`>${field}`) || text === field) changed = true;
      else facts[text] = v;
    }
    const loads: Record<string, string> = {};
    for (const [key, id] of Object.entries(state.loads)) {
      if (key.endsWith(`.${field}`) || key === `global:${field}`) changed = true;
      else loads[key] = id;
    }
    return changed ? { ...state, facts, loads } : state;
  }

  /** A call into code clang cannot see may change memory: later reads load again. */
  forgetLoads(state: State): State {
    return isEmpty(state.loads) ? state : { ...state, loads: {} };
  }

  private reportDirectStore(frame: Frame, state: State, expr: Extract<Expr, { k: 'assign' }>, tag: string, target: string, value: Value, pointee?: string): void {
    const valueObj = objOf(state, value);
    const valueName = expr.value.k === 'local' ? expr.value.display : expr.value.k === 'null' ? 'NULL' : undefined;
    const release = pointee ? releaseFor(pointee, this.world) : undefined;
    this.report(
      'kptr-direct-store',
      this.site(frame, expr.span),
      `\`${target}\` is a referenced kptr (${tag}): a plain store, even of NULL, is refused at load time ("store to referenced kptr disallowed"). Write it with bpf_kptr_xchg and release the old value it returns.`,
      valueObj ? [{ site: valueObj.site, message: 'the stored pointer comes from here' }] : [],
      valueName ? { kind: 'store-with-xchg', assignment: this.site(frame, expr.span), target, value: valueName, release } : undefined,
    );
  }

  // ---- branches ------------------------------------------------------------

  /** The state on the `truth` side of a branch on `cond`, or undefined when that side cannot happen. */
  /** The text of an expression over values clang keeps in registers in `frame`'s function. */
  private registerTextIn(frame: Frame): (expr: Expr) => string | undefined {
    const inMemory = new Set(frame.fn.ir?.addressTaken ?? []);
    return (expr) => registerText(expr, (name) => !inMemory.has(name), (name) => this.world.global(name)?.type.isConst === true);
  }

  refine(frame: Frame, state: State, cond: Expr, value: Value, truth: boolean): State | undefined {
    let next: State | undefined = state;
    switch (value.k) {
      case 'null':
        return truth ? undefined : state;
      case 'obj': {
        const obj = state.objs.get(value.id);
        if (!obj || value.member) return state;
        next = setNullness(state, obj, truth ? 'nonnull' : 'null');
        break;
      }
      case 'field-addr':
      case 'local-addr':
      case 'map':
        return truth ? state : undefined;
      case 'int': {
        if (value.value !== undefined) return (value.value !== 0) === truth ? state : undefined;
        if (value.pred) {
          next = applyPredicate(state, value.pred, truth);
          if (!next) return undefined;
        }
        break;
      }
      default:
        break;
    }
    if (!next) return undefined;
    // A condition over values clang keeps in registers decides the same way each time on one path.
    const textOf = this.registerTextIn(frame);
    const text = textOf(cond);
    if (text === undefined || value.k === 'obj') return next;
    const test = registerTestOf(cond, textOf);
    if (test) {
      const holds = truth !== test.negated;
      const known = decide(next.facts, test);
      if (known !== undefined) return known === holds ? next : undefined;
      return { ...next, facts: learn(next.facts, test, holds) };
    }
    if (text in next.facts) return next.facts[text] === truth ? next : undefined;
    return { ...next, facts: { ...next.facts, [text]: truth } };
  }

  // ---- calls into static functions ------------------------------------------

  /**
   * Runs a static callee on the part of the state it can reach: the objects its arguments point to,
   * the RCU depth and the loads of those objects. Results are memoised on that part only, so the
   * same call with the same arguments is analysed once whatever else the caller holds. Objects the
   * callee cannot reach come back unchanged (but for RCU pointers, if the callee ended the section).
   */
  inline(frame: Frame, state: State, callee: EngineFunction, args: Value[], callSpan: RelSpan): Outcome[] | undefined {
    if (!callee.ir || frame.depth >= MAX_INLINE_DEPTH) return undefined;
    if (frame.fn.key === callee.key || frame.via.some((v) => v.fn === callee.key)) return undefined;
    const callSite = this.site(frame, callSpan);
    const vars: Record<string, Value> = {};
    callee.ir.params.forEach((param, i) => {
      const arg = args[i] ?? UNKNOWN;
      vars[param.name] = arg.k === 'local-addr' ? { k: 'pointer-to', value: state.vars[arg.name] ?? UNKNOWN } : arg;
    });
    const reachable = new Set<string>();
    for (const value of Object.values(vars)) {
      const inner = value.k === 'pointer-to' ? value.value : value;
      if (inner.k === 'obj') reachable.add(inner.id);
      if (inner.k === 'field-addr' && inner.base) reachable.add(inner.base);
      if (inner.k === 'int' && inner.pred?.kind === 'null') reachable.add(inner.pred.id);
    }
    for (const id of [...reachable]) for (const slot of Object.values(state.objs.get(id)?.slots ?? {})) if (slot.k === 'obj') reachable.add(slot.id);
    const objs = new Map<string, Obj>();
    for (const id of reachable) {
      const obj = state.objs.get(id);
      if (obj) objs.set(id, obj);
    }
    const loads: Record<string, string> = {};
    for (const [key, id] of Object.entries(state.loads)) {
      if ([...reachable].some((r) => key.startsWith(`${r}.`)) || key.startsWith('global:')) {
        loads[key] = id;
        const obj = state.objs.get(id);
        if (obj) objs.set(id, obj);
      }
    }
    const entry: State = { vars, objs, rcu: state.rcu, rcuSite: state.rcuSite, facts: loadTimeFacts(state.facts), loads, trail: undefined };
    const via = [...frame.via, callSite];
    const chain = chainOf(via);
    const memoKey = `${callee.key}|${frame.depth}|${stateKey(entry)}`;
    const memo = this.inlineMemo.get(memoKey);
    let exits: Outcome[];
    if (memo) {
      // The same call made elsewhere: the objects the callee created are named after this call instead.
      exits = memo.chain === chain ? memo.exits : memo.exits.map((exit) => renameObjects(exit, memo.chain, chain));
    } else {
      // What the caller handed over stays in the callee's states to the end, so the caller sees what became of it.
      const calleeFrame: Frame = { fn: callee, via, pinned: new Set([...frame.pinned, ...reachable]), depth: frame.depth + 1 };
      exits = this.runFunction(calleeFrame, entry).map((exit) => ({ state: exit.state, value: exit.value ?? UNKNOWN }));
      this.inlineMemo.set(memoKey, { chain, exits });
    }
    return exits.map((exit) => {
      const back = exit.state;
      const merged = copyMap(state.objs);
      back.objs.forEach((obj, id) => merged.set(id, obj));
      if (state.rcu > 0 && back.rcu === 0) {
        // The callee closed the RCU section: the caller's RCU pointers are untrusted now.
        for (const [id, o] of merged) if (o.trust === 'rcu') merged.set(id, { ...o, trust: 'untrusted', untrustedBecause: 'rcu-unlock' });
      }
      // A call clang cannot see through drops every load; keep the caller's only if the callee kept its own.
      const callerLoads = Object.keys(back.loads).length < Object.keys(loads).length ? {} : state.loads;
      // What the callee learnt of load-time tests holds for the rest of the path.
      const learnt = loadTimeFacts(back.facts);
      const facts = isEmpty(learnt) ? state.facts : { ...state.facts, ...learnt };
      let result: State = { vars: state.vars, objs: merged, rcu: back.rcu, rcuSite: back.rcuSite, facts, loads: { ...callerLoads, ...back.loads }, trail: state.trail };
      // A local whose address the callee received may have been changed through it.
      for (const arg of args) if (arg.k === 'local-addr') result = withVar(result, arg.name, UNKNOWN);
      return { state: result, value: exit.value };
    });
  }
}

// ---- helpers ---------------------------------------------------------------

/** Past this many condition texts the words are worked out again: a long session types new ones. */
const MAX_REMEMBERED_CONDITIONS = 4096;
const wordsByCondition = new Map<string, readonly string[]>();

/** The names a decided condition mentions; paths test the same few conditions again and again. */
function wordsOf(condition: string): readonly string[] {
  let words = wordsByCondition.get(condition);
  if (words === undefined) {
    if (wordsByCondition.size >= MAX_REMEMBERED_CONDITIONS) wordsByCondition.clear();
    wordsByCondition.set(condition, (words = condition.split(/[^\w#$]+/)));
  }
  return words;
}

function chainOf(via: Site[]): string {
  return via.map((v) => `${v.fn}@${v.span.start}`).join('>');
}

/** A memoised callee exit, with the objects created under one call chain renamed for another. */
function renameObjects(exit: Outcome, from: string, to: string): Outcome {
  const rename = (id: string) => (id.startsWith(`${from}>`) ? `${to}${id.slice(from.length)}` : id);
  const objs = new Map<string, Obj>();
  const renameValue = <V extends Value>(value: V): V => (value.k === 'obj' ? { ...value, id: rename(value.id) } : value);
  for (const [id, obj] of exit.state.objs) {
    const renamed = obj.id === rename(obj.id) ? obj : { ...obj, id: rename(obj.id) };
    objs.set(rename(id), obj.slots ? { ...renamed, slots: Object.fromEntries(Object.entries(obj.slots).map(([i, v]) => [i, renameValue(v)])) } : renamed);
  }
  const loads: Record<string, string> = {};
  for (const [key, id] of Object.entries(exit.state.loads)) loads[key] = rename(id);
  const value = renameValue(exit.value);
  return { state: { ...exit.state, objs, loads }, value };
}

/** Pending paths, earliest block (in reverse postorder) first; a binary heap. */
class BlockQueue {
  private readonly heap: Array<{ block: number; state: State; rank: number; seq: number }> = [];
  private seq = 0;

  constructor(private readonly order: number[]) {}

  get length(): number {
    return this.heap.length;
  }

  push(item: { block: number; state: State }): void {
    const entry = { block: item.block, state: item.state, rank: this.order[item.block] ?? 0, seq: this.seq++ };
    const heap = this.heap;
    heap.push(entry);
    for (let i = heap.length - 1; i > 0; ) {
      const parent = (i - 1) >> 1;
      if (!this.before(heap[i], heap[parent])) break;
      [heap[i], heap[parent]] = [heap[parent], heap[i]];
      i = parent;
    }
  }

  pop(): { block: number; state: State } | undefined {
    const heap = this.heap;
    const top = heap[0];
    const last = heap.pop();
    if (heap.length > 0 && last) {
      heap[0] = last;
      for (let i = 0; ; ) {
        const left = 2 * i + 1;
        const right = left + 1;
        let best = i;
        if (left < heap.length && this.before(heap[left], heap[best])) best = left;
        if (right < heap.length && this.before(heap[right], heap[best])) best = right;
        if (best === i) break;
        [heap[i], heap[best]] = [heap[best], heap[i]];
        i = best;
      }
    }
    return top;
  }

  private before(a: { rank: number; seq: number }, b: { rank: number; seq: number }): boolean {
    return a.rank !== b.rank ? a.rank < b.rank : a.seq < b.seq;
  }
}

/**
 * The different states among many, after forgetting what no later code reads. Calls to static
 * functions return one state per exit of the callee; most differ only in values nobody uses.
 * Past MAX_STATES_PER_BLOCK the rest are joined, as at a block's entry.
 */
function distinctStates(states: State[], live: ReadonlySet<string> | undefined): State[] {
  const pruned = live ? states.map((s) => dropDeadVariables(s, live)) : states;
  const distinct = pruned.length <= FEW_STATES ? firstOfEach(pruned) : firstOfEachKey(pruned);
  if (distinct.length <= MAX_STATES_PER_BLOCK * 2) return distinct;
  const joinedByRcu = new Map<number, State>();
  for (const s of distinct) {
    const previous = joinedByRcu.get(s.rcu);
    joinedByRcu.set(s.rcu, previous ? joinStates(previous, s) : s);
  }
  return [...joinedByRcu.values()];
}

/** Up to this many states are told apart pairwise: building their keys costs more. */
const FEW_STATES = 8;

/** The states, without later ones equal to an earlier one. */
function firstOfEach(states: State[]): State[] {
  const distinct: State[] = [];
  for (const s of states) if (!distinct.some((d) => sameState(d, s))) distinct.push(s);
  return distinct;
}

function firstOfEachKey(states: State[]): State[] {
  const byKey = new Map<string, State>();
  for (const s of states) {
    const key = stateKey(s);
    if (!byKey.has(key)) byKey.set(key, s);
  }
  return [...byKey.values()];
}

/**
 * Forgets the variables no later code reads (and the decided conditions about them), so paths
 * that differ only there merge.
 */
function dropDeadVariables(state: State, live: ReadonlySet<string>): State {
  let dead: string[] | undefined;
  for (const name in state.vars) {
    if (live.has(name)) continue;
    const value = state.vars[name];
    // Variables holding references (held, released or NULL) stay: leak reports and fixes name them.
    if (value.k === 'obj' && state.objs.get(value.id)?.trust === 'owned') continue;
    (dead ??= []).push(name);
  }
  if (!dead) return state;
  const deadSet = new Set(dead);
  // Copied without the dead ones rather than deleted from a copy, which would turn it into a slow dictionary.
  const vars: Record<string, Value> = {};
  for (const name in state.vars) if (!deadSet.has(name)) vars[name] = state.vars[name];
  if (isEmpty(state.facts)) return { ...state, vars };
  const facts: Record<string, boolean> = {};
  for (const [text, value] of Object.entries(state.facts)) if (!wordsOf(text).some((w) => deadSet.has(w))) facts[text] = value;
  return { ...state, vars, facts };
}

function siteIn(frame: Frame, span: RelSpan): Site {
  return frame.via.length ? { fn: frame.fn.key, span, via: frame.via } : { fn: frame.fn.key, span };
}

class BranchOutcome implements BranchTaken {
  constructor(
    readonly before: BranchTaken | undefined,
    private readonly frame: Frame,
    private readonly cond: Expr,
    private readonly value: Value,
    private readonly truth: boolean,
  ) {}

  describe(): BranchStep {
    return { site: siteIn(this.frame, this.cond.span), note: branchNote(this.cond, this.value, this.truth) };
  }
}

function branchNote(cond: Expr, value: Value, truth: boolean): string {
  const name = cond.k === 'local' ? cond.display : cond.k === 'global' ? cond.name : undefined;
  if (name && value.k === 'obj') return `on this path \`${name}\` is ${truth ? 'not NULL' : 'NULL'}`;
  if (value.k === 'int' && value.pred?.kind === 'null') return `on this path this test is ${truth ? 'true' : 'false'}`;
  return `on this path this condition is ${truth ? 'true' : 'false'}`;
}

/** Forgets the integers (of `only`, when given) and the decided conditions that mention them, so loops settle. */
function widen(state: State, only?: ReadonlySet<string>): State {
  const vars: Record<string, Value> = {};
  for (const [name, value] of Object.entries(state.vars)) {
    vars[name] = value.k === 'int' && value.value !== undefined && (!only || only.has(name)) ? { k: 'int' } : value;
  }
  if (!only) return { ...state, vars, facts: loadTimeFacts(state.facts) };
  const facts: Record<string, boolean> = {};
  for (const [text, value] of Object.entries(state.facts)) if (!wordsOf(text).some((w) => only.has(w))) facts[text] = value;
  return { ...state, vars, facts };
}

function setNullness(state: State, obj: Obj, nullness: 'nonnull' | 'null'): State | undefined {
  if (obj.nullness === nullness) return state;
  if (obj.nullness !== 'maybe') return obj.trust === 'unknown' ? state : undefined;
  return withObj(state, { ...obj, nullness });
}

function applyPredicate(state: State, pred: Predicate, truth: boolean): State | undefined {
  if (pred.kind === 'load-time') {
    const holds = truth !== pred.negated;
    const known = state.facts[pred.fact];
    if (known !== undefined) return known === holds ? state : undefined;
    return { ...state, facts: { ...state.facts, [pred.fact]: holds } };
  }
  if (pred.kind === 'null') {
    const obj = state.objs.get(pred.id);
    if (!obj) return state;
    const whenTrue = pred.whenTrue;
    const nullness = truth ? whenTrue : whenTrue === 'null' ? 'nonnull' : 'null';
    return setNullness(state, obj, nullness);
  }
  const current = state.vars[pred.local];
  const holds = truth !== pred.negated;
  if (current?.k === 'int' && current.value !== undefined) return (current.value === pred.value) === holds ? state : undefined;
  return holds ? withVar(state, pred.local, { k: 'int', value: pred.value }) : state;
}

function unaryValue(state: State, op: string, value: Value): Value {
  if (op === '!') {
    if (value.k === 'null') return { k: 'int', value: 1 };
    if (value.k === 'obj') {
      const obj = state.objs.get(value.id);
      if (obj?.nullness === 'nonnull') return { k: 'int', value: 0 };
      return { k: 'int', pred: { kind: 'null', id: value.id, whenTrue: 'null' } };
    }
    if (value.k === 'int') {
      if (value.value !== undefined) return { k: 'int', value: value.value === 0 ? 1 : 0 };
      if (value.pred) return { k: 'int', pred: negate(value.pred) };
    }
    return { k: 'int' };
  }
  if (value.k === 'int' && value.value !== undefined) {
    if (op === '-') return { k: 'int', value: -value.value };
    if (op === '~') return { k: 'int', value: ~value.value };
    if (op === '+') return value;
  }
  return { k: 'int' };
}

function negate(pred: Predicate): Predicate {
  if (pred.kind === 'null') return { ...pred, whenTrue: pred.whenTrue === 'null' ? 'nonnull' : 'null' };
  return { ...pred, negated: !pred.negated };
}

function isNullValue(value: Value): boolean {
  return value.k === 'null' || (value.k === 'int' && value.value === 0);
}

function binaryValue(state: State, op: string, left: Value, right: Value, leftExpr: Expr, rightExpr: Expr): Value {
  if (op === '==' || op === '!=') {
    // `p != NULL` where p holds NULL on this path: the verifier knows the register is 0 too.
    if (isNullValue(left) && isNullValue(right)) return { k: 'int', value: op === '==' ? 1 : 0 };
    const [ptr, other] = left.k === 'obj' ? [left, right] : [right, left];
    if (ptr.k === 'obj' && isNullValue(other)) {
      const obj = state.objs.get(ptr.id);
      const equalsNull: Predicate = { kind: 'null', id: ptr.id, whenTrue: 'null' };
      if (obj?.nullness === 'nonnull') return { k: 'int', value: op === '==' ? 0 : 1 };
      if (obj?.nullness === 'null') return { k: 'int', value: op === '==' ? 1 : 0 };
      return { k: 'int', pred: op === '==' ? equalsNull : negate(equalsNull) };
    }
    if (left.k === 'int' && right.k === 'int' && left.value !== undefined && right.value !== undefined) {
      return { k: 'int', value: (left.value === right.value) === (op === '==') ? 1 : 0 };
    }
    const [local, constant] = leftExpr.k === 'local' ? [leftExpr, right] : rightExpr.k === 'local' ? [rightExpr, left] : [undefined, undefined];
    if (local && constant?.k === 'int' && constant.value !== undefined) {
      return { k: 'int', pred: { kind: 'equals', local: local.name, value: constant.value, negated: op === '!=' } };
    }
    return { k: 'int' };
  }
  if (left.k === 'int' && right.k === 'int' && left.value !== undefined && right.value !== undefined) {
    const a = left.value;
    const b = right.value;
    const result = arithmetic(op, a, b);
    if (result !== undefined) return { k: 'int', value: result };
  }
  // Zero absorbs: `flags & MASK` is 0 when flags is known to be 0, whatever MASK is.
  const zero = (v: Value) => v.k === 'int' && v.value === 0;
  if ((op === '&' || op === '*' || op === '&&') && (zero(left) || zero(right))) return { k: 'int', value: 0 };
  return { k: 'int' };
}

function arithmetic(op: string, a: number, b: number): number | undefined {
  switch (op) {
    case '+':
      return a + b;
    case '-':
      return a - b;
    case '*':
      return a * b;
    case '/':
      return b === 0 ? undefined : Math.trunc(a / b);
    case '%':
      return b === 0 ? undefined : a % b;
    case '<':
      return a < b ? 1 : 0;
    case '>':
      return a > b ? 1 : 0;
    case '<=':
      return a <= b ? 1 : 0;
    case '>=':
      return a >= b ? 1 : 0;
    case '&':
      return a & b;
    case '|':
      return a | b;
    case '^':
      return a ^ b;
    case '<<':
      return a << b;
    case '>>':
      return a >> b;
    default:
      return undefined;
  }
}

/**
 * The text of a condition built from locals whose address is never taken, constants and read-only
 * globals, or undefined.
 * Memory is read again at each test (a CO-RE field access always is, a map value after any
 * call), and the verifier then explores both sides again: such conditions are never reused.
 */
function registerText(expr: Expr, isRegisterLocal: (name: string) => boolean, isReadOnlyGlobal: (name: string) => boolean): string | undefined {
  const text = (e: Expr): string | undefined => {
    switch (e.k) {
      case 'local':
        return isRegisterLocal(e.name) ? e.name : undefined;
      case 'global':
        return isReadOnlyGlobal(e.name) ? e.name : undefined;
      case 'number':
        return String(e.value);
      case 'null':
        return 'NULL';
      case 'unary': {
        const of = text(e.of);
        return of === undefined ? undefined : `${e.op}(${of})`;
      }
      case 'binary': {
        const left = text(e.left);
        const right = text(e.right);
        return left === undefined || right === undefined ? undefined : `(${left} ${e.op} ${right})`;
      }
      case 'cast':
        return text(e.of);
      default:
        return undefined;
    }
  };
  return text(expr);
}

export function describeObj(obj: Obj): string {
  if (obj.field) return `the pointer loaded from \`${obj.field}\``;
  if (obj.by === 'bpf_kptr_xchg') return 'the value returned by bpf_kptr_xchg';
  if (obj.by) return `the result of ${obj.by}`;
  if (obj.trust === 'map-value') return 'the map value';
  return 'the pointer';
}

function describeBase(expr: Extract<Expr, { k: 'field' }>): string {
  const base = expr.base;
  if (base.k === 'local') return base.display;
  if (base.k === 'global') return base.name;
  return 'value';
}

/** A local variable that holds the object in this state, for messages and fixes. */
export function variableHolding(state: State, id: string): string | undefined {
  const names = Object.entries(state.vars)
    .filter(([name, v]) => v.k === 'obj' && v.id === id && !v.member && !name.startsWith('$'))
    .map(([name]) => baseName(name));
  return names[0];
}

export function releaseFor(struct: string, world: EngineWorld): string | undefined {
  const known: Record<string, string> = {
    bpf_cpumask: 'bpf_cpumask_release',
    task_struct: 'bpf_task_release',
    cgroup: 'bpf_cgroup_release',
    bpf_crypto_ctx: 'bpf_crypto_ctx_release',
    file: 'bpf_put_file',
    bpf_key: 'bpf_key_put',
    nf_conn: 'bpf_ct_release',
    bpf_sock: 'bpf_sk_release',
  };
  if (known[struct]) return known[struct];
  return world.isLocalStruct(struct) ? 'bpf_obj_drop' : undefined;
}
