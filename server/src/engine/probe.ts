import type { KernelVersion } from '../knowledge/kernelVersion';
import type { FunctionModel } from '../model/documentModel';
import type { VisibleModel } from '../model/visibleModel';
import { functionKey, rootsOf, worldOf } from './analyze';
import type { VariableReadings } from './marks';
import { BudgetExceeded, Frame, Interpreter } from './interpreter';
import { emptyState, Obj, State, UNKNOWN, Value, withObj } from './state';
import type { EngineFunction, EngineWorld, RootInfo } from './world';

/**
 * What each variable occurrence of one function held, for hovers in a
 * function the document's analysis did not run (a static function no
 * program calls): it is run on its own, its pointer parameters taken as
 * references its caller owns. Results are kept per ownership result, so
 * per document version and kernel.
 */
export function readingsOfFunction(visible: VisibleModel, kernel: KernelVersion, fnModel: FunctionModel, cacheOwner: object): VariableReadings {
  let perFunction = readingsCache.get(cacheOwner);
  if (!perFunction) readingsCache.set(cacheOwner, (perFunction = new Map()));
  const key = functionKey(undefined, fnModel);
  let readings = perFunction.get(key);
  if (!readings) {
    perFunction.set(key, (readings = runForReadings(visible, kernel, key)));
  }
  return readings;
}

const readingsCache = new WeakMap<object, Map<string, VariableReadings>>();

function runForReadings(visible: VisibleModel, kernel: KernelVersion, key: string): VariableReadings {
  const world = worldOf(visible, kernel);
  const fn = world.functionByKey(key);
  if (!fn?.ir) return {};
  const root = rootsOf(visible, world).find((r) => r.fn.key === fn.key) ?? staticRoot(fn);
  const engine = new Interpreter(world, root, 50000);
  try {
    engine.runFunction({ fn, via: [], pinned: new Set(), depth: 0 }, entryState(root, world));
  } catch (error) {
    if (!(error instanceof BudgetExceeded)) throw error;
    return {};
  }
  return engine.readings.record();
}

function staticRoot(fn: EngineFunction): RootInfo {
  return { fn, kind: 'global-function', sleepable: false, mayReturnReference: true, trustedArguments: false };
}

function entryState(root: RootInfo, world: EngineWorld): State {
  let state = emptyState();
  const vars: Record<string, Value> = {};
  const ir = root.fn.ir!;
  root.fn.model.params.forEach((param, i) => {
    const irParam = ir.params[i];
    if (!irParam) return;
    const span = { start: param.nameSpan.start - root.fn.origin, end: param.nameSpan.end - root.fn.origin };
    const struct = param.type.struct ?? world.typedefStruct(param.type.text.replace(/^const\s+/, '').replace(/\s*\*+$/, ''));
    if (param.type.pointerDepth !== 1 || !struct) {
      vars[irParam.name] = UNKNOWN;
      return;
    }
    const program = root.kind === 'program';
    const obj: Obj = {
      id: `param:${irParam.name}`,
      trust: program ? (root.trustedArguments ? 'trusted' : 'unknown') : param.argTags.includes('__arg_trusted') ? 'trusted' : root.mayReturnReference ? 'owned' : 'unknown',
      nullness: param.argTags.includes('__arg_nullable') ? 'maybe' : 'nonnull',
      life: 'live',
      struct,
      site: { fn: root.fn.key, span },
      by: !program && root.mayReturnReference ? 'the caller' : undefined,
    };
    state = withObj(state, obj);
    vars[irParam.name] = { k: 'obj', id: obj.id };
  });
  return { ...state, vars };
}

/** What a static function does with the references it is given and what it returns. */
export interface OwnershipSummary {
  /** Per pointer parameter: released or moved on every path, on some paths, or never. */
  params: Array<{ name: string; consumed: 'always' | 'sometimes' | 'never' }>;
  /** The function hands back a reference it acquired (or one of its arguments). */
  returnsReference?: { by: string; mayBeNull: boolean };
}

export function summarizeStatic(visible: VisibleModel, kernel: KernelVersion, name: string): OwnershipSummary | undefined {
  const world = worldOf(visible, kernel);
  const fn = world.functionByName(name);
  if (!fn?.ir || fn.model.isPrototype) return undefined;
  const root = staticRoot(fn);
  const engine = new Interpreter(world, root, 50000);
  const frame: Frame = { fn, via: [], pinned: new Set(), depth: 0 };
  let exits;
  try {
    exits = engine.runFunction(frame, entryState(root, world));
  } catch (error) {
    if (error instanceof BudgetExceeded) return undefined;
    throw error;
  }
  if (exits.length === 0) return undefined;
  const params = fn.ir.params
    .map((p) => ({ name: p.display, id: `param:${p.name}` }))
    .filter((p) => exits.some((e) => e.state.objs.get(p.id)))
    .map((p) => {
      // An owned, live object is never dropped from a state, so a missing one was given away.
      const consumedOn = exits.filter((e) => {
        const obj = e.state.objs.get(p.id);
        return !obj || obj.life !== 'live' || obj.nullness === 'null';
      }).length;
      return { name: p.name, consumed: consumedOn === exits.length ? ('always' as const) : consumedOn === 0 ? ('never' as const) : ('sometimes' as const) };
    });
  let returnsReference: OwnershipSummary['returnsReference'];
  for (const exit of exits) {
    const obj = exit.value?.k === 'obj' ? exit.state.objs.get(exit.value.id) : undefined;
    if (obj && obj.trust === 'owned' && obj.life === 'live') {
      returnsReference = { by: obj.by ?? 'its caller', mayBeNull: returnsReference?.mayBeNull || obj.nullness !== 'nonnull' || exits.some((e) => e.value?.k === 'null') };
    }
  }
  return { params, returnsReference };
}
