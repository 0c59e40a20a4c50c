import { lookupKfunc } from '../knowledge/kfuncTable';
import type { KernelVersion } from '../knowledge/kernelVersion';
import { PROGRAM_WRAPPER_BY_NAME } from '../knowledge/macroSyntax';
import { isDataSection, lookupSection } from '../knowledge/sections';
import type { DocumentModel, FunctionModel } from '../model/documentModel';
import { modelParts, ModelPart } from '../model/extractModel';
import { baseName, Expr, FunctionIR, subExpressions } from './ir';
import type { VisibleModel } from '../model/visibleModel';
import { checkKptrFields } from './fieldChecks';
import type { Finding, RelatedSite, SkippedFunction } from './findings';
import { BudgetExceeded, describeObj, Exit, Frame, Interpreter, releaseFor, variableHolding } from './interpreter';
import { MarkedSpan, MarkSet, MergedReadings, VariableReadings } from './marks';
import { emptyState, lastBranches, loadTimeFacts, Obj, State, UNKNOWN, Value, withObj } from './state';
import type { EngineFunction, EngineWorld, RootInfo } from './world';

export interface OwnershipOptions {
  kernel: KernelVersion;
  /** Interpretation steps allowed per program before it is left unchecked. */
  stepBudget?: number;
  /** Results of earlier runs, per program: reused while the program and what it calls are unchanged. */
  cache?: Map<string, RootResult>;
  /**
   * Keep the marks and variable readings editors show (default). Off, the findings are the same
   * and a run costs about a fifth less: the CLI needs findings only.
   */
  editorData?: boolean;
}

/** What one program's analysis found. Sites are relative to functions, so it stays valid when code moves. */
export interface RootResult {
  findings: Finding[];
  calledGlobals: string[];
  marks: MarkedSpan[];
  readings: VariableReadings;
  skipped?: SkippedFunction;
}

const irIds = new WeakMap<object, number>();
let nextIrId = 1;
function irId(ir: object | undefined): number {
  if (!ir) return 0;
  let id = irIds.get(ir);
  if (id === undefined) irIds.set(ir, (id = nextIrId++));
  return id;
}

/** Everything a program's verdict depends on: its body, the bodies it reaches, the declarations, the kernel. */
function rootCacheKey(root: RootInfo, world: EngineWorld, kernel: KernelVersion, editorData: boolean): string {
  const reached: string[] = [];
  const seen = new Set<string>();
  const pending = [root.fn];
  while (pending.length) {
    const fn = pending.pop()!;
    if (seen.has(fn.key)) continue;
    seen.add(fn.key);
    reached.push(`${fn.key}:${irId(fn.ir)}:${fn.irMissingReason ?? ''}`);
    for (const callee of calleeFunctions(world, fn)) pending.push(callee);
  }
  return `${root.kind}|${root.programType}|${root.sleepable}|${kernel.major}.${kernel.minor}|${editorData}|${reached.sort().join(',')}`;
}

/** The declaration digest each results cache was filled under. */
const cacheDeclarations = new WeakMap<Map<string, RootResult>, string>();

/** Digests of models that are used again: the headers' models stay the same object across edits. */
const layerDigests = new WeakMap<DocumentModel, string>();

/**
 * The declarations findings depend on (structs, maps, globals, prototypes), without positions.
 * Types go in whole (a TypeShape holds no position): a global that stops being an array changes
 * what `&g[1]` means though its written type stays the same.
 */
function declarationDigest(visible: VisibleModel): string {
  return [visible.own, ...visible.headers.map((h) => h.model)].map(layerDigest).join('\n');
}

function layerDigest(m: DocumentModel): string {
  let digest = layerDigests.get(m);
  if (digest !== undefined) return digest;
  // A model made by extraction is digested item by item, so that the items an edit did not touch
  // (the same parts, edit after edit) are not serialised again on every keystroke.
  const parts = modelParts(m);
  digest = parts ? `[${parts.map(partDigest).join(',')}]` : declarationsJson({ ...m, typedefs: Object.entries(m.typedefs) });
  layerDigests.set(m, digest);
  return digest;
}

const partDigests = new WeakMap<ModelPart, string>();

function partDigest(part: ModelPart): string {
  let digest = partDigests.get(part);
  if (digest === undefined) partDigests.set(part, (digest = declarationsJson(part)));
  return digest;
}

function declarationsJson(d: ModelPart): string {
  return JSON.stringify([
    d.structs.map((st) => [st.name, st.fields.map((f) => [f.name, f.type, f.tag?.name])]),
    d.maps.map((map) => [map.name, map.section, Object.entries(map.attributes).map(([k, v]) => [k, v.value]), map.valueStruct]),
    d.globals.map((g) => [g.name, g.type, g.tag?.name, g.section, g.privateName, g.isExtern, g.isKsym, g.isKconfig]),
    d.typedefs,
    d.functions.map((f) => [
      f.name,
      f.returnType,
      f.isStatic,
      f.isPrototype,
      f.isKsym,
      f.section,
      f.sectionPartial,
      f.wrapper,
      f.attributes,
      f.params.map((p) => [p.name, p.type, p.argTags]),
    ]),
  ]);
}

export interface OwnershipResult {
  findings: Finding[];
  skipped: SkippedFunction[];
  /** Keys of the functions that were analysed as roots. */
  roots: string[];
  /** For each root, the global functions it calls (directly or through static functions). */
  globalCalls: Record<string, string[]>;
  /** Owned and released references and kptr field accesses, as every analysed path saw them. */
  marks: MarkedSpan[];
  /** What each variable occurrence held on the analysed paths, by function key and offset (for hovers). */
  readings: MergedReadings;
}

/** Kernel structs that user code may redeclare (vmlinux-free programs) but that are never program-local. */
const KERNEL_STRUCTS = new Set(['task_struct', 'cgroup', 'bpf_cpumask', 'cpumask', 'file', 'inode', 'sock', 'sk_buff', 'bpf_sock', 'css_set', 'mm_struct', 'bpf_crypto_ctx', 'bpf_key', 'nf_conn']);

/**
 * A function's identity for the engine: its file and name (C allows one definition of a name in
 * a translation unit), not its position, so results survive edits that move it.
 */
export function functionKey(file: string | undefined, fn: FunctionModel): string {
  return `${file ?? ''}#${fn.name}${fn.isPrototype ? '/declaration' : ''}`;
}

/** Every visible function by its engine key, with where it lives. */
export function functionIndex(visible: VisibleModel): Map<string, { name: string; model: FunctionModel; file?: string; origin: number }> {
  const index = new Map<string, { name: string; model: FunctionModel; file?: string; origin: number }>();
  for (const { item, file } of visible.allFunctions()) {
    const key = functionKey(file, item);
    if (!index.has(key)) index.set(key, { name: item.name, model: item, file, origin: item.span.start });
  }
  return index;
}

/** The engine's world over what one document can see. */
export function worldOf(visible: VisibleModel, kernel: KernelVersion): EngineWorld {
  const byName = new Map<string, EngineFunction | undefined>();
  const byKey = new Map<string, EngineFunction>();
  const wrap = (file: string | undefined, model: FunctionModel): EngineFunction => {
    const key = functionKey(file, model);
    let fn = byKey.get(key);
    if (!fn) {
      fn = { key, name: model.name, model, ir: model.ir, irMissingReason: model.irMissingReason, file, origin: model.span.start };
      byKey.set(key, fn);
    }
    return fn;
  };
  for (const { item, file } of visible.allFunctions()) wrap(file, item);
  const structName = (name: string | undefined) => (name ? visible.typedef(name)?.struct ?? name : undefined);
  return {
    kernel,
    functionByName(name) {
      if (!byName.has(name)) {
        const found = visible.function(name);
        byName.set(name, found ? wrap(found.file, found.item) : undefined);
      }
      return byName.get(name);
    },
    functionByKey: (key) => byKey.get(key),
    field(struct, name) {
      const resolved = structName(struct);
      return resolved ? visible.struct(resolved)?.item.fields.find((f) => f.name === name) : undefined;
    },
    isLocalStruct: (struct) => !KERNEL_STRUCTS.has(struct) && visible.struct(structName(struct)!) !== undefined,
    global: (name) => visible.global(name)?.item,
    map: (name) => visible.map(name)?.item,
    typedefStruct: (name) => visible.typedef(name)?.struct,
  };
}

const calleeCache = new WeakMap<FunctionIR, string[]>();

/** Names of the functions a function's body calls (kept per lowered body, which outlives edits elsewhere). */
function calleesOf(fn: EngineFunction): string[] {
  if (!fn.ir) return [];
  const cached = calleeCache.get(fn.ir);
  if (cached) return cached;
  const names: string[] = [];
  const visit = (expr: Expr | undefined): void => {
    if (!expr) return;
    if (expr.k === 'call' && expr.callee) names.push(expr.callee);
    for (const sub of subExpressions(expr)) visit(sub);
  };
  for (const block of fn.ir.blocks) {
    for (const op of block.ops) {
      if (op.k === 'cleanup') names.push(op.fn);
      visit(op.k === 'eval' ? op.expr : op.k === 'declare' ? op.init : undefined);
    }
    const term = block.term;
    visit(term.k === 'branch' ? term.cond : term.k === 'return' ? term.value : term.k === 'switch' ? term.value : undefined);
  }
  calleeCache.set(fn.ir, names);
  return names;
}

const resolvedCallees = new WeakMap<EngineWorld, Map<EngineFunction, EngineFunction[]>>();

/**
 * The functions of the document and its headers that `fn` calls, looked up once per world: the
 * programs of a file reach the same helpers, and a lookup by name for each program that reaches
 * one cost more than a tenth of an edit in a 20,000-line file.
 */
function calleeFunctions(world: EngineWorld, fn: EngineFunction): EngineFunction[] {
  let perWorld = resolvedCallees.get(world);
  if (!perWorld) resolvedCallees.set(world, (perWorld = new Map()));
  let callees = perWorld.get(fn);
  if (!callees) {
    callees = [];
    for (const name of calleesOf(fn)) {
      const callee = world.functionByName(name);
      if (callee) callees.push(callee);
    }
    perWorld.set(fn, callees);
  }
  return callees;
}

/** Global functions the programs of the document reach: libbpf loads only those with a program. */
function globalsReachedFromPrograms(programs: EngineFunction[], world: EngineWorld): Set<string> {
  const reached = new Set<string>();
  const seen = new Set<string>();
  const pending = [...programs];
  while (pending.length) {
    const fn = pending.pop()!;
    if (seen.has(fn.key)) continue;
    seen.add(fn.key);
    for (const callee of calleeFunctions(world, fn)) {
      if (callee.model.isPrototype) continue;
      if (!callee.model.isStatic && !callee.model.attributes.includes('__hidden')) reached.add(callee.key);
      pending.push(callee);
    }
  }
  return reached;
}

/**
 * Programs (functions in a program section) and the global functions they call. In a file
 * without programs (a library linked into others), every global function is checked.
 */
export function rootsOf(visible: VisibleModel, world: EngineWorld): RootInfo[] {
  const roots: RootInfo[] = [];
  const globals: RootInfo[] = [];
  for (const fn of visible.own.functions) {
    if (fn.isPrototype) continue;
    const engineFn = world.functionByKey(functionKey(undefined, fn));
    if (!engineFn) continue;
    if (fn.section !== undefined) {
      if (isDataSection(fn.section)) continue;
      const info = lookupSection(fn.section);
      const wrapper = fn.wrapper ? PROGRAM_WRAPPER_BY_NAME.get(fn.wrapper) : undefined;
      roots.push({
        fn: engineFn,
        kind: 'program',
        programType: info?.def.programType,
        sleepable: info?.def.sleepable ?? wrapper?.sleepable ?? false,
        mayReturnReference: info?.def.programType === 'STRUCT_OPS',
        trustedArguments: info?.def.context === 'btf' || wrapper?.argumentsFrom === 'btf',
      });
      continue;
    }
    const global = !fn.isStatic && !fn.attributes.includes('__hidden') && !fn.attributes.includes('__always_inline') && !fn.attributes.includes('inline');
    if (global) globals.push({ fn: engineFn, kind: 'global-function', sleepable: false, mayReturnReference: false, trustedArguments: false });
  }
  if (roots.length === 0) return globals;
  const reached = globalsReachedFromPrograms(roots.map((r) => r.fn), world);
  return [...roots, ...globals.filter((g) => reached.has(g.fn.key))];
}

function initialState(root: RootInfo): State {
  let state = emptyState();
  const ir = root.fn.ir!;
  const vars: Record<string, Value> = {};
  root.fn.model.params.forEach((param, i) => {
    const irParam = ir.params[i];
    if (!irParam) return;
    const span = { start: param.nameSpan.start - root.fn.origin, end: param.nameSpan.end - root.fn.origin };
    const struct = param.type.struct;
    const isStructPointer = param.type.pointerDepth === 1 && struct !== undefined;
    let trusted: Obj | undefined;
    if (root.kind === 'program' && root.trustedArguments && isStructPointer) {
      trusted = { id: `param:${irParam.name}`, trust: 'trusted', nullness: 'nonnull', life: 'live', struct, site: { fn: root.fn.key, span } };
    } else if (root.kind === 'global-function' && isStructPointer && param.argTags.includes('__arg_trusted')) {
      const nullable = param.argTags.includes('__arg_nullable');
      trusted = { id: `param:${irParam.name}`, trust: 'trusted', nullness: nullable ? 'maybe' : 'nonnull', life: 'live', struct, site: { fn: root.fn.key, span } };
    }
    if (trusted) {
      state = withObj(state, trusted);
      vars[irParam.name] = { k: 'obj', id: trusted.id };
    } else {
      vars[irParam.name] = UNKNOWN;
    }
  });
  return { ...state, vars };
}

/** Graph nodes are released through their containing object: no single call to suggest. */
const GRAPH_NODES = new Set(['bpf_list_node', 'bpf_rb_node']);

function releaseHint(obj: Obj, world: EngineWorld): string | undefined {
  if (obj.struct && GRAPH_NODES.has(obj.struct)) return undefined;
  // What acquired it says best how to let go (a ring buffer record of the program's own type is
  // discarded, not freed with bpf_obj_drop); the type decides for what comes out of a kptr field.
  const entry = obj.by ? lookupKfunc(obj.by) : undefined;
  const partners = entry?.releasedBy?.filter((r) => r !== 'bpf_kptr_xchg') ?? [];
  const byProducer = partners.find((r) => r.includes('discard')) ?? partners[0];
  if (byProducer) return byProducer;
  const byType = obj.struct ? releaseFor(obj.struct, world) : undefined;
  return byType && obj.percpu ? 'bpf_percpu_obj_drop' : byType;
}

/** Whether `variable` may be NULL at an exit on any path reaching it: a release inserted there must then be guarded. */
function mayBeNullAt(exits: Exit[], site: Exit['site'], variable: string): boolean {
  return exits.some((e) => {
    if (e.site.fn !== site.fn || e.site.span.start !== site.span.start) return false;
    const value = Object.entries(e.state.vars).find(([name]) => baseName(name) === variable)?.[1];
    if (!value || value.k !== 'obj') return true;
    return e.state.objs.get(value.id)?.nullness !== 'nonnull';
  });
}

/**
 * A release of `variable` inserted before `exit` is right only if no path reaching the same place
 * has already given the object up, nor holds another pointer in the variable there, nor took the
 * other answer of a load-time test: such a path is the program as it loads on another kernel, where
 * the variable may hold what that kernel's branch gave it (map memory instead of a ring buffer
 * record), which the engine no longer sees once the variable is dead.
 */
function releaseIsSafeAt(exits: Exit[], exit: Exit, id: string, variable: string): boolean {
  const { site } = exit;
  const answers = loadTimeFacts(exit.state.facts);
  return exits.every((e) => {
    if (e.site.fn !== site.fn || e.site.span.start !== site.span.start) return true;
    const obj = e.state.objs.get(id);
    if (obj && obj.life !== 'live') return false;
    for (const key in answers) if (e.state.facts[key] === !answers[key]) return false;
    const value = Object.entries(e.state.vars).find(([name]) => baseName(name) === variable)?.[1];
    const other = value?.k === 'obj' && value.id !== id ? e.state.objs.get(value.id) : undefined;
    return !other || other.nullness === 'null';
  });
}

function checkExit(engine: Interpreter, world: EngineWorld, root: RootInfo, exit: Exit, allExits: Exit[]): void {
  const returned = exit.value?.k === 'obj' ? exit.value.id : undefined;
  const path: RelatedSite[] = lastBranches(exit.state.trail, 3).map((step) => ({ site: step.site, message: step.note }));
  for (const obj of exit.state.objs.values()) {
    if (obj.trust !== 'owned' || obj.life !== 'live' || obj.nullness === 'null') continue;
    if (root.mayReturnReference && returned === obj.id) continue;
    const variable = variableHolding(exit.state, obj.id);
    const release = releaseHint(obj, world);
    const what = variable ? `\`${variable}\` (${describeObj(obj)})` : describeObj(obj);
    const where = exit.kind === 'throw' ? 'at this bpf_throw' : exit.kind === 'end' ? 'when the program falls off its end here' : 'when the program returns here';
    const how = release ? `Release it with ${release}${obj.by === 'bpf_kptr_xchg' || obj.struct ? ', or store it with bpf_kptr_xchg,' : ''} before this exit.` : 'Release or store it before this exit.';
    engine.report(
      'kptr-leak',
      exit.site,
      `${what} still holds a reference ${where}: the verifier rejects the program ("Unreleased reference"). ${how}`,
      [{ site: obj.site, message: `the reference is acquired here${obj.by ? ` by ${obj.by}` : ''}` }, ...path],
      variable && release && !exit.site.via && releaseIsSafeAt(allExits, exit, obj.id, variable) ? { kind: 'insert-release', before: exit.site, variable, release, mayBeNull: mayBeNullAt(allExits, exit.site, variable) } : undefined,
    );
  }
  if (exit.state.rcu > 0) {
    engine.report(
      'kptr-rcu',
      exit.site,
      `The program ${exit.kind === 'throw' ? 'throws' : 'exits'} here inside an RCU read section: the verifier rejects it ("bpf_rcu_read_unlock is missing" / "cannot be used inside bpf_rcu_read_lock-ed region"). Call bpf_rcu_read_unlock() first.`,
      exit.state.rcuSite ? [{ site: exit.state.rcuSite, message: 'the RCU section opens here' }] : [],
    );
  }
}

function analyzeRoot(world: EngineWorld, root: RootInfo, budget: number, editorData: boolean): RootResult {
  const engine = new Interpreter(world, root, budget, editorData);
  const frame: Frame = { fn: root.fn, via: [], pinned: new Set(), depth: 0 };
  try {
    const exits = [...engine.runFunction(frame, initialState(root)), ...engine.throwExits];
    for (const exit of exits) checkExit(engine, world, root, exit, exits);
  } catch (error) {
    if (!(error instanceof BudgetExceeded)) throw error;
    return { findings: [], calledGlobals: [], marks: [], readings: {}, skipped: { fn: root.fn.key, reason: `analysis budget exceeded (${error.message})` } };
  }
  return { findings: [...engine.findings.values()], calledGlobals: [...engine.calledGlobals], marks: engine.marks.list(), readings: engine.readings.record() };
}

/**
 * Runs the ownership engine over every program and global function of a
 * document. Static functions are analysed where they are called, as the
 * verifier inlines them; a static function nobody calls is never loaded,
 * so nothing is said about it.
 */
export function analyzeOwnership(visible: VisibleModel, options: OwnershipOptions): OwnershipResult {
  const world = worldOf(visible, options.kernel);
  const roots = rootsOf(visible, world);
  const findings = new Map<string, Finding>();
  const skipped: SkippedFunction[] = [];
  const globalCalls: Record<string, string[]> = {};
  const declarations = declarationDigest(visible);
  // Every program of a document sees the same declarations, so a cache is valid for one digest as a
  // whole (a copy of the digest in each program's key made thousands of programs quadratic).
  const cache = options.cache && cacheDeclarations.get(options.cache) === declarations ? options.cache : undefined;
  const fresh = new Map<string, RootResult>();
  const marks = new MarkSet();
  const readings: VariableReadings[] = [];
  for (const root of roots) {
    if (!root.fn.ir) {
      // A program the engine cannot lower is said to be unchecked, never passed over in silence.
      if (root.fn.irMissingReason) skipped.push({ fn: root.fn.key, reason: root.fn.irMissingReason });
      continue;
    }
    const editorData = options.editorData ?? true;
    const key = rootCacheKey(root, world, options.kernel, editorData);
    const result = cache?.get(key) ?? analyzeRoot(world, root, options.stepBudget ?? 200000, editorData);
    fresh.set(key, result);
    if (result.skipped) {
      skipped.push(result.skipped);
      continue;
    }
    globalCalls[root.fn.key] = result.calledGlobals;
    marks.addAll(result.marks);
    readings.push(result.readings);
    for (const finding of result.findings) {
      const findingKey = `${finding.code}|${finding.site.fn}|${finding.site.span.start}|${finding.site.span.end}`;
      const known = findings.get(findingKey);
      if (known) known.roots = [...known.roots!, root.fn.key];
      else findings.set(findingKey, { ...finding, roots: [root.fn.key] });
    }
  }
  if (options.cache) {
    options.cache.clear();
    for (const [key, value] of fresh) options.cache.set(key, value);
    cacheDeclarations.set(options.cache, declarations);
  }
  const fieldFindings = checkKptrFields(visible, options.kernel);
  return { findings: [...fieldFindings, ...findings.values()], skipped, roots: roots.map((r) => r.fn.key), globalCalls, marks: marks.list(), readings: new MergedReadings(readings) };
}
