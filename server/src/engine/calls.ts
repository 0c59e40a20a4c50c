import { atLeast, formatVersion, parseKernelVersion } from '../knowledge/kernelVersion';
import { FIRST_MEMBER, setAllowsProgramType, TYPES_WITH_DESTRUCTOR } from '../knowledge/kfuncSets';
import { lookupKfunc } from '../knowledge/kfuncTable';
import { LOAD_TIME_TESTS } from '../knowledge/loadTimeTests';
import { contractAt, KfuncContract, visibleParams } from '../knowledge/kfuncTypes';
import { refusedAsKptr } from './fieldChecks';
import { describeObj, Frame, Interpreter, Outcome, releaseFor, variableHolding } from './interpreter';
import type { Expr, Op, RelSpan } from './ir';
import { loadTimeFact, Obj, objOf, State, UNKNOWN, Value, withObj, withVar } from './state';

type CallExpr = Extract<Expr, { k: 'call' }>;

/** Helpers that look up a map value: the result points into the map and may be NULL. */
const MAP_VALUE_LOOKUPS = new Set(['bpf_map_lookup_elem', 'bpf_map_lookup_percpu_elem', 'bpf_task_storage_get', 'bpf_cgrp_storage_get', 'bpf_inode_storage_get', 'bpf_sk_storage_get']);

/** Families whose kfuncs hand out objects bpf_obj_drop can free. */
const OBJECT_FAMILIES = new Set(['kptr', 'object', 'refcount', 'list', 'rbtree']);

/** Array maps whose lookups with a constant in-range key cannot fail (kernel/bpf/verifier.c, from 6.14 on). */
const CONSTANT_KEY_NONNULL_MAPS = new Set(['BPF_MAP_TYPE_ARRAY', 'BPF_MAP_TYPE_PERCPU_ARRAY']);
const CONSTANT_KEY_NONNULL_SINCE = parseKernelVersion('6.14');

/** Up to 6.18 the verifier keeps a single RCU flag and refuses a second lock (kernel/bpf/verifier.c check_kfunc_call). */
const RCU_NESTING_SINCE = parseKernelVersion('6.19');

const BRANCH_HINTS = new Set(['likely', 'unlikely', '__builtin_expect']);

/** Compiler builtins and libbpf macros that read their arguments and never take ownership. */
const TRANSPARENT = /^(__builtin_|__sync_|__atomic_|BPF_CORE_READ|BPF_PROBE_READ|bpf_core_|barrier|__sink$|likely$|unlikely$|READ_ONCE$|WRITE_ONCE$|bpf_printk$|__bpf_printk$|ARRAY_SIZE$|min$|max$|MEMBER_VPTR$)/;

/** How a load-time test's argument is written, without positions: the same words, the same test. */
function testArgument(expr: Expr): string {
  switch (expr.k) {
    case 'type':
      return expr.type.text;
    case 'local':
      return expr.display;
    case 'global':
      return expr.name;
    case 'number':
      return String(expr.value);
    case 'field':
      return `${testArgument(expr.base)}${expr.arrow ? '->' : '.'}${expr.field}`;
    case 'addr':
      return `&${testArgument(expr.of)}`;
    case 'deref':
      return `*${testArgument(expr.of)}`;
    case 'index':
      return `${testArgument(expr.base)}[${testArgument(expr.index)}]`;
    case 'cast':
      return `(${expr.type.text})${testArgument(expr.of)}`;
    default:
      return expr.k;
  }
}

/** `__free(NAME)` classes and the release they run at scope exit. */
function releaseForFreeClass(name: string): string | undefined {
  for (const candidate of [`${name}_release`, `bpf_${name}_release`, name === 'bpf_obj' ? 'bpf_obj_drop' : '']) {
    if (candidate && lookupKfunc(candidate)) return candidate;
  }
  return undefined;
}

/** How calls change the state: kfuncs from the knowledge base, bpf_kptr_xchg, static calls, and the unknown. */
export class CallHandler {
  constructor(private readonly engine: Interpreter) {}

  evalCall(frame: Frame, state: State, call: CallExpr, discarded: boolean): Outcome[] {
    const name = call.callee;
    if (name === 'container_of' && call.args.length === 3) return this.containerOf(frame, state, call);
    // Branch hints have the value of their first argument: `if (unlikely(!p))` is still a NULL check.
    if (name && BRANCH_HINTS.has(name) && call.args.length >= 1) return this.engine.evalExpr(frame, state, call.args[0]);
    if ((name === 'no_free_ptr' || name === 'return_ptr') && call.args.length === 1) return this.takeFromCleanup(frame, state, call);
    return this.engine.evalAll(frame, state, call.args).flatMap(({ state: s, values }) => this.apply(frame, s, call, values, discarded));
  }

  private apply(frame: Frame, state: State, call: CallExpr, args: Value[], discarded: boolean): Outcome[] {
    const name = call.callee;
    if (name && LOAD_TIME_TESTS.has(name)) return [{ state, value: this.loadTimeTest(call) }];
    const fn = name ? this.engine.world.functionByName(name) : undefined;
    const inlined = fn && !fn.model.isPrototype && (fn.model.isStatic || fn.model.attributes.includes('__hidden'));
    // Static functions are inlined by clang too; any other call may write memory, so kptr fields are read again after it.
    if (!inlined) state = this.engine.forgetLoads(state);
    if (name === undefined) return [this.unknownCall(state, args)];
    if (name === 'bpf_kptr_xchg') return [this.kptrXchg(frame, state, call, args, discarded)];
    if (name === 'bpf_rcu_read_lock' || name === 'bpf_rcu_read_unlock') return [this.rcu(frame, state, call, name === 'bpf_rcu_read_lock')];
    if (MAP_VALUE_LOOKUPS.has(name)) return [this.mapLookup(frame, state, call, args)];
    const entry = lookupKfunc(name);
    if (entry) return [this.kfunc(frame, state, call, args, contractAt(entry, this.engine.world.kernel))];
    if (fn && inlined) return this.engine.inline(frame, state, fn, args, call.span) ?? [this.unknownCall(state, args)];
    if (fn && !fn.model.isPrototype && !fn.model.section) {
      this.engine.calledGlobals.add(fn.key);
      return [this.globalCall(frame, state, call, args, fn.model.params.map((p) => p.argTags))];
    }
    if (name === 'bpf_spin_unlock') return [{ state: this.endNonOwning(frame, state, call.span), value: UNKNOWN }];
    if (TRANSPARENT.test(name) || (name.startsWith('bpf_') && !fn?.model.isKsym)) return [{ state, value: UNKNOWN }];
    return [this.unknownCall(state, args)];
  }

  /**
   * A test libbpf answers at load time. bpf_ksym_exists(kfunc) is known for the kfuncs of the
   * knowledge base on the configured kernel, so the dead branch is never walked; any other answer
   * is unknown but the same wherever the path asks again (`if (bpf_core_type_exists(T))` in two
   * helpers of one program never takes one branch in the first and the other in the second).
   */
  private loadTimeTest(call: CallExpr): Value {
    const arg = call.args[0];
    const entry = call.callee === 'bpf_ksym_exists' && arg?.k === 'global' ? lookupKfunc(arg.name) : undefined;
    if (entry) return { k: 'int', value: contractAt(entry, this.engine.world.kernel).available ? 1 : 0 };
    return { k: 'int', pred: { kind: 'load-time', fact: loadTimeFact(`${call.callee}(${call.args.map(testArgument).join(', ')})`), negated: false } };
  }

  /** A call the engine cannot see into: any reference it receives stops being tracked, out-parameters are forgotten. */
  private unknownCall(state: State, args: Value[]): Outcome {
    let next = state;
    for (const arg of args) {
      next = this.engine.escapeOwned(next, arg);
      if (arg.k === 'local-addr') next = this.engine.escapeOwned(withVar(next, arg.name, UNKNOWN), next.vars[arg.name] ?? UNKNOWN);
    }
    return { state: next, value: UNKNOWN };
  }

  /** bpf_spin_unlock ends every non-owning pointer into a collection: using one afterwards is refused. */
  private endNonOwning(frame: Frame, state: State, span: RelSpan): State {
    let next = state;
    for (const obj of state.objs.values()) {
      if (obj.trust === 'non-owning' && obj.life === 'live' && obj.releasedBy) {
        next = withObj(next, { ...obj, life: 'released', releasedBy: 'bpf_spin_unlock', releasedAt: this.engine.site(frame, span) });
      }
    }
    return next;
  }

  /** Global functions are verified on their own: they borrow what they are given and can never take it. */
  private globalCall(frame: Frame, state: State, call: CallExpr, args: Value[], argTags: string[][]): Outcome {
    args.forEach((arg, i) => {
      const obj = objOf(state, arg);
      const tags = argTags[i] ?? [];
      const span = call.args[i]?.span ?? call.span;
      if (obj && (obj.life === 'released' || obj.life === 'moved')) this.engine.reportUseAfterRelease(frame, obj, span, `is passed to ${call.callee}`);
      else if (tags.includes('__arg_trusted') && !tags.includes('__arg_nullable')) {
        if (arg.k === 'null' || (obj && obj.nullness !== 'nonnull' && obj.trust !== 'unknown' && obj.life === 'live')) {
          const what = obj ? `${describeObj(obj)} may be NULL` : 'NULL is passed';
          this.engine.report(
            'kptr-maybe-null',
            this.engine.site(frame, span),
            `${what}, but ${call.callee}() takes this argument as __arg_trusted without __arg_nullable: the verifier rejects the call ("Caller passes invalid args"). Check it first.`,
            obj ? [{ site: obj.site, message: 'may be NULL from here' }] : [],
          );
        }
      }
    });
    return { state, value: UNKNOWN };
  }

  private rcu(frame: Frame, state: State, call: CallExpr, lock: boolean): Outcome {
    const site = this.engine.site(frame, call.span);
    if (lock) {
      if (state.rcu > 0 && !atLeast(this.engine.world.kernel, RCU_NESTING_SINCE)) {
        this.engine.report('kptr-rcu', site, `bpf_rcu_read_lock() inside an RCU section that is already open: kernel ${formatVersion(this.engine.world.kernel)} does not nest them ("nested rcu read lock").`, state.rcuSite ? [{ site: state.rcuSite, message: 'the RCU section opens here' }] : []);
      }
      return { state: { ...state, rcu: state.rcu + 1, rcuSite: state.rcu === 0 ? site : state.rcuSite }, value: UNKNOWN };
    }
    if (state.rcu === 0) {
      this.engine.report('kptr-rcu', site, 'bpf_rcu_read_unlock() without a matching bpf_rcu_read_lock() on this path: the verifier rejects it ("unmatched rcu read unlock").');
      return { state, value: UNKNOWN };
    }
    let next: State = { ...state, rcu: state.rcu - 1 };
    if (next.rcu === 0) {
      next = { ...next, rcuSite: undefined };
      for (const obj of next.objs.values()) {
        if (obj.trust === 'rcu') next = withObj(next, { ...obj, trust: 'untrusted', untrustedBecause: 'rcu-unlock', rcuEndedAt: site });
      }
    }
    return { state: next, value: UNKNOWN };
  }

  private mapLookup(frame: Frame, state: State, call: CallExpr, args: Value[]): Outcome {
    const mapArg = args[0];
    const map = mapArg?.k === 'map' ? this.engine.world.map(mapArg.name) : undefined;
    let nullness: Obj['nullness'] = 'maybe';
    if (map && call.callee === 'bpf_map_lookup_elem' && CONSTANT_KEY_NONNULL_MAPS.has(map.attributes.type?.value ?? '') && atLeast(this.engine.world.kernel, CONSTANT_KEY_NONNULL_SINCE)) {
      // The verifier proves such lookups succeed when it knows the key on the stack is in range. A
      // zero key is always known (stack slots marked zero). Whether it knows another constant depends
      // on how clang spills it, so the NULL side may or may not be explored: the engine takes it as
      // unreachable, the choice that never reports what the kernel could accept.
      const key = constantKey(state, call.args[1]);
      const entries = Number(map.attributes.max_entries?.value);
      if (key === 0 || (key !== undefined && key > 0 && Number.isInteger(entries) && key < entries)) nullness = 'nonnull';
    }
    const id = this.engine.objectId(frame, call.span, ':value');
    const obj: Obj = {
      id,
      trust: map ? 'map-value' : 'unknown',
      nullness,
      life: 'live',
      valueStruct: map?.valueStruct,
      site: this.engine.site(frame, call.span),
      by: call.callee,
    };
    return { state: withObj(state, obj), value: { k: 'obj', id } };
  }

  // ---- kfuncs and helpers from the knowledge base ----------------------------

  private kfunc(frame: Frame, state: State, call: CallExpr, args: Value[], contract: KfuncContract): Outcome {
    const entry = contract.entry;
    const world = this.engine.world;
    const calleeSite = this.engine.site(frame, call.calleeSpan);
    if (!contract.available) {
      const removed = entry.removedIn && atLeast(world.kernel, entry.removedIn);
      this.engine.report(
        'kptr-kernel-version',
        calleeSite,
        removed
          ? `${entry.name} was removed in kernel ${formatVersion(entry.removedIn!)}; on ${formatVersion(world.kernel)} (bpfKptr.kernelVersion) the program fails to load.`
          : `${entry.name} appeared in kernel ${formatVersion(entry.since)}${entry.sinceUncertain ? ' (approximately)' : ''}; on ${formatVersion(world.kernel)} (bpfKptr.kernelVersion) the program fails to load. Raise bpfKptr.kernelVersion if you target newer kernels.`,
      );
    }
    const root = this.engine.root;
    const allowed = setAllowsProgramType(entry.set, root.programType, world.kernel);
    if (allowed === false && root.kind === 'program') {
      this.engine.report('kptr-prog-type', calleeSite, `${entry.name} is not registered for ${root.programType} programs: the verifier refuses the call ("calling kernel function ${entry.name} is not allowed").`);
    }
    if (contract.sleepable && root.kind === 'program' && !root.sleepable) {
      this.engine.report('kptr-prog-type', calleeSite, `${entry.name} may sleep, so only sleepable programs (fentry.s, lsm.s, syscall, struct_ops.s...) can call it: "program must be sleepable to call sleepable kfunc ${entry.name}".`);
    } else if (contract.sleepable && state.rcu > 0) {
      this.engine.report('kptr-prog-type', calleeSite, `${entry.name} may sleep and is called inside an RCU read section: the verifier refuses it ("is sleepable within rcu_read_lock region").`, state.rcuSite ? [{ site: state.rcuSite, message: 'the RCU section opens here' }] : []);
    }

    let next = state;
    const params = visibleParams(entry);
    params.forEach((param, i) => {
      const arg = args[i];
      if (!arg || param.isType) return;
      const span = call.args[i]?.span ?? call.span;
      const isRelease = contract.releases && entry.releasesParam === i;
      const isConsumed = entry.consumesParams?.includes(i) ?? false;
      const isPointer = param.type.includes('*');
      if (!isPointer) return;
      next = this.checkArgument(frame, next, call, entry.name, param.struct, param.nullable ?? false, arg, span, i, contract, isRelease, isConsumed);
    });

    if (entry.acquiresIntoParam !== undefined) {
      const target = args[entry.acquiresIntoParam];
      const obj = objOf(next, target);
      if (obj && obj.trust === 'stack') {
        next = withObj(next, { ...obj, trust: 'owned', life: 'live', nullness: 'nonnull', by: entry.name, site: this.engine.site(frame, call.span) });
      }
    }

    if (entry.noReturn) return { state: next, value: UNKNOWN };
    if (contract.acquires) {
      const id = this.engine.objectId(frame, call.span);
      const previous = next.objs.get(id);
      if (previous && previous.trust === 'owned' && previous.life === 'live' && previous.nullness !== 'null' && !variableHolding(next, id)) {
        this.reportLeakedIteration(frame, previous, call.span);
      }
      let struct = entry.returnStruct;
      let local = false;
      let nullness: Obj['nullness'] = contract.returnsMaybeNull ? 'maybe' : 'nonnull';
      if (entry.returnsTypeOfParam !== undefined) {
        const typeArg = args[entry.returnsTypeOfParam];
        struct = typeArg?.k === 'type' ? typeArg.struct : undefined;
        local = true;
      } else if (entry.family === 'refcount') {
        const source = objOf(next, args[0]);
        struct = source?.struct;
        local = true;
        // From an owning reference the new one cannot fail (kernel/bpf/verifier.c is_kfunc_ret_null).
        if (source?.trust === 'owned') nullness = 'nonnull';
      }
      const obj: Obj = {
        id,
        trust: 'owned',
        nullness,
        life: 'live',
        struct,
        local: local || undefined,
        percpu: entry.family === 'percpu-object' || undefined,
        site: this.engine.site(frame, call.span),
        by: entry.name,
      };
      return { state: withObj(next, obj), value: { k: 'obj', id } };
    }
    if (entry.name === 'bpf_get_current_task_btf') {
      const id = this.engine.objectId(frame, call.span);
      return { state: withObj(next, { id, trust: 'trusted', nullness: 'nonnull', life: 'live', struct: 'task_struct', site: this.engine.site(frame, call.span), by: entry.name }), value: { k: 'obj', id } };
    }
    if (entry.returnStruct && entry.flags.includes('KF_RET_NULL')) {
      const id = this.engine.objectId(frame, call.span);
      return { state: withObj(next, { id, trust: 'non-owning', nullness: 'maybe', life: 'live', struct: entry.returnStruct, site: this.engine.site(frame, call.span), by: entry.name }), value: { k: 'obj', id } };
    }
    return { state: next, value: UNKNOWN };
  }

  private reportLeakedIteration(frame: Frame, previous: Obj, span: RelSpan): void {
    this.engine.report(
      'kptr-leak',
      this.engine.site(frame, span),
      `${describeObj(previous)} from the previous time this line ran is still held and nothing refers to it any more: the verifier reports it as an "Unreleased reference". Release it before acquiring again.`,
      [{ site: previous.site, message: 'acquired here' }],
    );
  }

  private checkArgument(
    frame: Frame,
    state: State,
    call: CallExpr,
    name: string,
    expected: string | undefined,
    nullable: boolean,
    arg: Value,
    span: RelSpan,
    index: number,
    contract: KfuncContract,
    isRelease: boolean,
    isConsumed: boolean,
  ): State {
    const site = this.engine.site(frame, span);
    const argNo = `arg${index}`;
    // `&obj->node` handed to a consuming or releasing kfunc stands for the object itself.
    if (arg.k === 'field-addr' && arg.base && !arg.tag && (isConsumed || isRelease)) arg = { k: 'obj', id: arg.base, member: arg.field };
    if (arg.k === 'null' || (arg.k === 'int' && arg.value === 0)) {
      if (!nullable && (contract.trustedArgs || isRelease || isConsumed)) {
        this.engine.report('kptr-maybe-null', site, `NULL is passed to ${name}, which needs a valid pointer here: the verifier rejects the call ("NULL pointer passed to trusted ${argNo}").`);
      }
      return state;
    }
    const obj = objOf(state, arg);
    if (!obj || obj.life === 'escaped') return state;
    if (obj.life === 'released' || obj.life === 'moved') {
      this.engine.reportUseAfterRelease(frame, obj, span, isRelease ? `is released again by ${name}` : `is passed to ${name}`);
      return state;
    }
    if (obj.nullness === 'null' && obj.trust !== 'unknown' && (contract.trustedArgs || isRelease || isConsumed) && !nullable) {
      this.engine.report('kptr-maybe-null', site, `${describeObj(obj)} is NULL on this path and is passed to ${name}: the verifier rejects the call ("NULL pointer passed to trusted ${argNo}").`, [{ site: obj.site, message: 'from here' }]);
      return state;
    }
    // bpf_rcu_read_unlock turns RCU pointers untrusted and drops their may-be-NULL mark: the RCU error comes instead.
    const knownTrust = obj.trust !== 'unknown' && obj.trust !== 'stack' && obj.untrustedBecause !== 'rcu-unlock';
    if (obj.nullness === 'maybe' && knownTrust && (contract.trustedArgs || isRelease || isConsumed) && !nullable) {
      const what = describeObj(obj);
      this.engine.report(
        'kptr-maybe-null',
        site,
        `${what} may be NULL here and is passed to ${name}: the verifier rejects the call ("Possibly NULL pointer passed to trusted ${argNo}"). Check it for NULL first.`,
        [{ site: obj.site, message: `${what} comes from here and may be NULL` }],
        this.engine.nullCheckFix(obj, state),
      );
      state = withObj(state, { ...obj, nullness: 'nonnull' });
    }
    const current = state.objs.get(obj.id) ?? obj;
    if (isRelease) return this.release(frame, state, call, name, expected, current, arg, site);
    if (isConsumed) {
      // The collection owns it now; until bpf_spin_unlock the program keeps a non-owning pointer to it.
      if (current.trust === 'owned') return withObj(state, { ...current, trust: 'non-owning', releasedAt: this.engine.site(frame, call.span), releasedBy: name });
      return state;
    }
    if (contract.trustedArgs && current.trust === 'untrusted') {
      if (current.untrustedBecause === 'rcu-unlock') {
        this.engine.report(
          'kptr-rcu',
          site,
          `${describeObj(current)} was only valid inside the RCU read section, which has ended: passing it to ${name} is refused ("must be a rcu pointer"). Use it before bpf_rcu_read_unlock(), or acquire a reference while it is valid.`,
          current.rcuEndedAt ? [{ site: current.rcuEndedAt, message: 'the RCU section ends here' }, { site: current.site, message: 'loaded here' }] : [],
        );
      } else {
        const why =
          current.untrustedBecause === 'outside-rcu'
            ? 'it was loaded from a __kptr field outside an RCU read section (this program may sleep)'
            : 'it was loaded from a __kptr_untrusted field';
        this.engine.report(
          'kptr-untrusted-arg',
          site,
          `${describeObj(current)} is untrusted because ${why}; ${name} needs a ${contract.rcuArgs ? 'trusted or RCU' : 'trusted'} pointer ("${contract.rcuArgs ? 'must be a rcu pointer' : 'must be referenced or trusted'}").`,
          [{ site: current.site, message: 'loaded here' }],
        );
      }
      return state;
    }
    if (contract.trustedArgs && !contract.rcuArgs && current.trust === 'rcu') {
      this.engine.report(
        'kptr-untrusted-arg',
        site,
        `${describeObj(current)} is only RCU-protected, but ${name} needs a referenced or trusted pointer: the verifier refuses it ("must be referenced or trusted").`,
        [{ site: current.site, message: 'loaded here' }],
      );
      return state;
    }
    if (expected && current.struct && !typeAccepted(current.struct, expected, contract.acquires, (t) => this.engine.world.isLocalStruct(t))) {
      this.engine.report(
        'kptr-type-mismatch',
        site,
        `${name} expects a pointer to struct ${expected}, but this points to struct ${current.struct}: the verifier rejects the call ("expected pointer to STRUCT ${expected}").`,
        [{ site: current.site, message: `struct ${current.struct} comes from here` }],
      );
    }
    return state;
  }

  private release(frame: Frame, state: State, call: CallExpr, name: string, expected: string | undefined, obj: Obj, arg: Value, site: ReturnType<Interpreter['site']>): State {
    if (obj.trust !== 'owned') {
      if (obj.trust === 'unknown' || obj.trust === 'stack') return state;
      const kind: Record<string, string> = {
        trusted: 'a trusted pointer the program was given, not a reference it acquired',
        rcu: 'a pointer loaded from a __kptr field, which stays owned by the map',
        untrusted: 'an untrusted pointer',
        'map-value': 'a pointer into a map value',
        'non-owning': 'a non-owning pointer into a collection',
      };
      this.engine.report(
        'kptr-release-unowned',
        site,
        `${name} releases ${kind[obj.trust] ?? 'a pointer that holds no reference'}: only an acquired reference can be released ("must be referenced" / "expects referenced PTR_TO_BTF_ID").${obj.field ? ' To take the reference out of the map, use bpf_kptr_xchg(&field, NULL).' : ''}`,
        [{ site: obj.site, message: 'the pointer comes from here' }],
      );
      return state;
    }
    if (arg.k === 'obj' && arg.member) {
      this.engine.report('kptr-type-mismatch', site, `${name} is given a pointer to the member \`${arg.member}\`, not to the object itself: release functions need the pointer they were given at offset 0 ("must have zero offset when passed to release func").`, [{ site: obj.site, message: 'acquired here' }]);
      return state;
    }
    const mismatch = this.releaseMismatch(name, expected, obj);
    if (mismatch) {
      this.engine.report('kptr-type-mismatch', site, mismatch, [{ site: obj.site, message: 'acquired here' }]);
      return state;
    }
    return withObj(state, { ...obj, life: 'released', releasedAt: this.engine.site(frame, call.span), releasedBy: name });
  }

  private releaseMismatch(name: string, expected: string | undefined, obj: Obj): string | undefined {
    const world = this.engine.world;
    if (name === 'bpf_obj_drop' || name === 'bpf_obj_drop_impl') {
      if (obj.percpu) return 'This is a per-CPU object: free it with bpf_percpu_obj_drop, not bpf_obj_drop ("arg#0 expected for bpf_percpu_obj_drop_impl()").';
      if (obj.struct && !obj.local && !world.isLocalStruct(obj.struct)) {
        return `bpf_obj_drop frees objects of your program's own types; struct ${obj.struct} is a kernel type, released with ${releaseFor(obj.struct, world) ?? 'its own release kfunc'}.`;
      }
      const producer = obj.by ? lookupKfunc(obj.by) : undefined;
      if (producer && !OBJECT_FAMILIES.has(producer.family)) {
        return `bpf_obj_drop frees objects from bpf_obj_new; this one comes from ${obj.by}${producer.releasedBy?.length ? `, released with ${producer.releasedBy.join(' or ')}` : ''} ("expected pointer to allocated object").`;
      }
      return undefined;
    }
    if (name === 'bpf_percpu_obj_drop' || name === 'bpf_percpu_obj_drop_impl') {
      if (obj.struct && !obj.percpu) return 'bpf_percpu_obj_drop frees per-CPU objects from bpf_percpu_obj_new; this one is not.';
      return undefined;
    }
    if (expected && obj.struct && obj.struct !== expected) {
      const right = releaseFor(obj.struct, world);
      return `${name} releases a struct ${expected}, but this is a struct ${obj.struct}${right ? `: release it with ${right}` : ''} ("expected pointer to STRUCT ${expected}").`;
    }
    return undefined;
  }

  // ---- bpf_kptr_xchg ---------------------------------------------------------

  private kptrXchg(frame: Frame, state: State, call: CallExpr, args: Value[], discarded: boolean): Outcome {
    const [dst, ptr] = args;
    const site = this.engine.site(frame, call.span);
    const world = this.engine.world;
    let next = state;
    let pointee: string | undefined;
    let fieldName: string | undefined;
    let targetKnown = false;
    if (dst?.k === 'field-addr') {
      fieldName = dst.struct ? `${dst.struct}.${dst.field}` : dst.field;
      if (dst.onStack) {
        this.engine.report('kptr-bad-xchg-target', this.engine.site(frame, call.args[0].span), `The destination of bpf_kptr_xchg is on the stack; it must be a __kptr field in a map value, a global, or an object from bpf_obj_new.`);
      } else if (dst.tag === '__kptr_untrusted') {
        this.engine.report('kptr-bad-xchg-target', this.engine.site(frame, call.args[0].span), `\`${fieldName}\` is __kptr_untrusted: bpf_kptr_xchg only works on referenced kptr fields ("kptr isn't referenced kptr"). Mark the field __kptr to store an owned reference in it.`);
      } else if (dst.tag === '__uptr') {
        this.engine.report('kptr-bad-xchg-target', this.engine.site(frame, call.args[0].span), `\`${fieldName}\` is __uptr: user space sets it; bpf_kptr_xchg cannot exchange it.`);
      } else if (dst.tag && refusedAsKptr(dst.tag, dst.pointee, dst.pointee !== undefined && world.isLocalStruct(dst.pointee), world.kernel)) {
        const why = refusedAsKptr(dst.tag, dst.pointee, dst.pointee !== undefined && world.isLocalStruct(dst.pointee), world.kernel);
        this.engine.report('kptr-bad-xchg-target', this.engine.site(frame, call.args[0].span), `\`${fieldName}\` is declared ${dst.tag}, but the kernel does not take it as a kptr (${why}): bpf_kptr_xchg finds no kptr there ("has no valid kptr").`);
      } else if (dst.tag) {
        targetKnown = true;
        pointee = dst.pointee;
      } else if (dst.struct && world.field(dst.struct, dst.field)) {
        this.engine.report('kptr-bad-xchg-target', this.engine.site(frame, call.args[0].span), `\`${fieldName}\` is not a kptr field: bpf_kptr_xchg needs the address of a field declared with __kptr ("has no valid kptr" / "doesn't point to kptr").`);
      }
    } else if (dst?.k === 'obj' && state.objs.get(dst.id)?.trust === 'stack') {
      this.engine.report('kptr-bad-xchg-target', this.engine.site(frame, call.args[0].span), 'The destination of bpf_kptr_xchg is on the stack; it must be a __kptr field in a map value, a global, or an object from bpf_obj_new.');
    }

    if (ptr && ptr.k !== 'null' && !(ptr.k === 'int' && ptr.value === 0)) {
      const obj = objOf(next, ptr);
      if (obj && obj.life !== 'escaped') {
        if (obj.life === 'released' || obj.life === 'moved') {
          this.engine.reportUseAfterRelease(frame, obj, call.args[1].span, 'is stored with bpf_kptr_xchg');
        } else if (obj.trust !== 'owned') {
          if (obj.trust !== 'unknown' && obj.trust !== 'stack') {
            this.engine.report(
              'kptr-release-unowned',
              this.engine.site(frame, call.args[1].span),
              `bpf_kptr_xchg moves a reference into the field, but ${describeObj(obj)} holds none ("must be referenced"). Acquire your own reference first${obj.struct === 'task_struct' ? ' (bpf_task_acquire)' : obj.struct === 'cgroup' ? ' (bpf_cgroup_acquire)' : ''}.`,
              [{ site: obj.site, message: 'the pointer comes from here' }],
            );
          }
        } else if (obj.nullness !== 'nonnull') {
          this.engine.report(
            'kptr-maybe-null',
            this.engine.site(frame, call.args[1].span),
            `${describeObj(obj)} may be NULL here and is stored with bpf_kptr_xchg: the verifier rejects it ("Possibly NULL pointer passed to helper arg2"). Check it first.`,
            [{ site: obj.site, message: 'may be NULL from here' }],
            this.engine.nullCheckFix(obj, next),
          );
        } else if (targetKnown && pointee && obj.struct && obj.struct !== pointee) {
          this.engine.report(
            'kptr-type-mismatch',
            this.engine.site(frame, call.args[1].span),
            `The field holds struct ${pointee}, but this is a struct ${obj.struct}: the verifier rejects the exchange ("invalid kptr access").`,
            [{ site: obj.site, message: 'acquired here' }],
          );
        } else if (targetKnown && ptr.k === 'obj' && ptr.member) {
          this.engine.report('kptr-type-mismatch', this.engine.site(frame, call.args[1].span), 'bpf_kptr_xchg is given a pointer to a member of an object; it needs the object itself.');
        } else {
          next = withObj(next, { ...obj, life: 'moved', releasedAt: site, releasedBy: 'bpf_kptr_xchg' });
        }
      }
    }

    if (!targetKnown) return { state: next, value: UNKNOWN };
    if (discarded) {
      const release = pointee ? releaseFor(pointee, world) : undefined;
      this.engine.report(
        'kptr-xchg-discarded',
        site,
        `bpf_kptr_xchg returns the reference that was in \`${fieldName}\`, and it is dropped here: the verifier reports it as an "Unreleased reference". Release the returned value${release ? ` with ${release}` : ''} (or store it again).`,
        [],
        { kind: 'release-xchg-result', call: site, release },
      );
      return { state: next, value: UNKNOWN };
    }
    const id = this.engine.objectId(frame, call.span);
    const local = pointee !== undefined && world.isLocalStruct(pointee);
    const obj: Obj = {
      id,
      trust: 'owned',
      nullness: 'maybe',
      life: 'live',
      struct: pointee,
      local: local || undefined,
      percpu: dst?.k === 'field-addr' && dst.tag === '__percpu_kptr' ? true : undefined,
      site,
      by: 'bpf_kptr_xchg',
      field: undefined,
    };
    return { state: withObj(next, obj), value: { k: 'obj', id } };
  }

  // ---- cleanups, container_of, no_free_ptr -----------------------------------

  cleanup(frame: Frame, state: State, op: Extract<Op, { k: 'cleanup' }>): State[] {
    const value = state.vars[op.name] ?? UNKNOWN;
    if (op.viaFreeMacro) {
      const release = releaseForFreeClass(op.fn);
      const obj = objOf(state, value);
      if (!obj || obj.life === 'escaped') return [state];
      if (!release) return [this.engine.escapeOwned(state, value)];
      if (obj.nullness === 'null') return [state];
      if (obj.life === 'released' || obj.life === 'moved') {
        this.engine.reportUseAfterRelease(frame, obj, op.span, `is released again when \`${op.display}\` goes out of scope (__free(${op.fn}))`);
        return [state];
      }
      if (obj.trust !== 'owned') return [state];
      return [withObj(state, { ...obj, life: 'released', releasedAt: this.engine.site(frame, op.span), releasedBy: release })];
    }
    const fn = this.engine.world.functionByName(op.fn);
    if (fn) {
      const inlined = this.engine.inline(frame, state, fn, [{ k: 'local-addr', name: op.name }], op.span);
      if (inlined) return inlined.map((o) => o.state);
    }
    return [this.engine.escapeOwned(state, value)];
  }

  private containerOf(frame: Frame, state: State, call: CallExpr): Outcome[] {
    return this.engine.evalAll(frame, state, [call.args[0], call.args[1]]).map(({ state: s, values }) => {
      const [ptr, type] = values;
      if (ptr.k !== 'obj') return { state: s, value: UNKNOWN };
      const obj = s.objs.get(ptr.id);
      let next = s;
      if (obj && type.k === 'type' && type.struct && obj.struct !== type.struct) {
        next = withObj(s, { ...obj, struct: type.struct, local: this.engine.world.isLocalStruct(type.struct) || obj.local });
      }
      return { state: next, value: { k: 'obj', id: ptr.id } };
    });
  }

  private takeFromCleanup(frame: Frame, state: State, call: CallExpr): Outcome[] {
    const arg = call.args[0];
    return this.engine.evalExpr(frame, state, arg).map((o) => (arg.k === 'local' ? { state: withVar(o.state, arg.name, { k: 'null' }), value: o.value } : o));
  }
}

function constantKey(state: State, keyExpr: Expr | undefined): number | undefined {
  if (!keyExpr || keyExpr.k !== 'addr' || keyExpr.of.k !== 'local') return undefined;
  const value = state.vars[keyExpr.of.name];
  return value?.k === 'int' ? value.value : undefined;
}

/** Kernel structs whose identity the engine is sure of when it sees them. */
const KNOWN_KERNEL_TYPES = new Set([...TYPES_WITH_DESTRUCTOR.keys(), 'cpumask', 'file', 'bpf_sock', 'inode', 'css_set', 'bpf_key', 'nf_conn']);

/**
 * Whether a pointer to `actual` may be passed where `expected` is wanted.
 * Non-strict arguments also accept a struct whose first member is `expected`
 * (a bpf_cpumask is a cpumask). Only types the engine is sure of are judged.
 */
function typeAccepted(actual: string, expected: string, strict: boolean, isLocal: (s: string) => boolean): boolean {
  if (actual === expected) return true;
  if (!KNOWN_KERNEL_TYPES.has(actual) && !isLocal(actual)) return true;
  if (strict) return false;
  for (let current = FIRST_MEMBER.get(actual), guard = 0; current && guard < 4; current = FIRST_MEMBER.get(current), guard++) {
    if (current === expected) return true;
  }
  return false;
}
