import { READ_ONLY_POINTER_ARGS } from '../knowledge/kfuncSets';
import { Block, Expr, FunctionIR, Op, subExpressions, Terminator } from './ir';

/**
 * Which locals may still be read at the start of each block. Two paths that differ only in
 * variables nobody reads again are the same path for the verifier's purposes, so the engine
 * drops dead variables at block entry and such paths merge.
 */
export type Liveness = ReadonlyArray<ReadonlySet<string>>;

const cache = new WeakMap<FunctionIR, Liveness>();

function readsOf(expr: Expr | undefined, into: Set<string>): void {
  if (!expr) return;
  if (expr.k === 'local') into.add(expr.name);
  // `x = v` does not read x, but `x += v`, `x->f = v` and `*x = v` do. `&x` lets a callee read x.
  if (expr.k === 'assign' && expr.target.k === 'local' && expr.op === '=') return readsOf(expr.value, into);
  for (const sub of subExpressions(expr)) readsOf(sub, into);
}

function opReads(op: Op, into: Set<string>): void {
  switch (op.k) {
    case 'eval':
      return readsOf(op.expr, into);
    case 'declare':
      return readsOf(op.init, into);
    case 'opaque':
      op.names.forEach((n) => into.add(n));
      return;
    case 'cleanup':
      into.add(op.name);
      return;
    default:
      return;
  }
}

/** Locals a block writes before reading them: they are dead on entry unless read first. */
function opWrites(op: Op): string | undefined {
  if (op.k === 'declare' || op.k === 'havoc') return op.name;
  if (op.k === 'eval' && op.expr.k === 'assign' && op.expr.op === '=' && op.expr.target.k === 'local') return op.expr.target.name;
  return undefined;
}

function termReads(term: Terminator, into: Set<string>): void {
  if (term.k === 'branch') readsOf(term.cond, into);
  else if (term.k === 'switch') {
    readsOf(term.value, into);
    term.cases.forEach((c) => readsOf(c.value, into));
  } else if (term.k === 'return') readsOf(term.value, into);
}

function successors(term: Terminator): number[] {
  switch (term.k) {
    case 'jump':
      return [term.target];
    case 'branch':
      return [term.ifTrue, term.ifFalse];
    case 'either':
      return term.targets;
    case 'switch':
      return term.cases.map((c) => c.target);
    default:
      return [];
  }
}

export function livenessOf(ir: FunctionIR): Liveness {
  const known = cache.get(ir);
  if (known) return known;
  const always = new Set(ir.addressTaken);
  const use: Array<Set<string>> = [];
  const def: Array<Set<string>> = [];
  for (const block of ir.blocks) {
    const reads = new Set<string>();
    const writes = new Set<string>();
    for (const op of block.ops) {
      const opRead = new Set<string>();
      opReads(op, opRead);
      for (const name of opRead) if (!writes.has(name)) reads.add(name);
      const written = opWrites(op);
      if (written && !reads.has(written)) writes.add(written);
    }
    const termRead = new Set<string>();
    termReads(block.term, termRead);
    for (const name of termRead) if (!writes.has(name)) reads.add(name);
    use.push(reads);
    def.push(writes);
  }
  // The sets only grow, so each is grown in place until nothing changes (the least fixpoint).
  const liveIn: Array<Set<string>> = ir.blocks.map((_, i) => new Set([...always, ...use[i]]));
  const succs = ir.blocks.map((block) => successors(block.term));
  for (let changed = true; changed; ) {
    changed = false;
    for (let i = ir.blocks.length - 1; i >= 0; i--) {
      const live = liveIn[i];
      for (const s of succs[i]) {
        for (const name of liveIn[s]) {
          if (!live.has(name) && !def[i].has(name)) {
            live.add(name);
            changed = true;
          }
        }
      }
    }
  }
  cache.set(ir, liveIn);
  return liveIn;
}

const orders = new WeakMap<FunctionIR, number[]>();

/**
 * Each block's position in reverse postorder: visiting blocks in that order lets the paths that
 * meet at a point arrive before it is passed on, so joins happen once instead of cascading.
 */
export function reversePostorder(ir: FunctionIR): number[] {
  const known = orders.get(ir);
  if (known) return known;
  const order = new Array<number>(ir.blocks.length).fill(ir.blocks.length);
  const visited = new Set<number>();
  const post: number[] = [];
  const stack: Array<{ block: number; next: number }> = [{ block: ir.entry, next: 0 }];
  visited.add(ir.entry);
  while (stack.length) {
    const top = stack[stack.length - 1];
    const succ = successors(ir.blocks[top.block].term);
    if (top.next < succ.length) {
      const s = succ[top.next++];
      if (!visited.has(s)) {
        visited.add(s);
        stack.push({ block: s, next: 0 });
      }
    } else {
      post.push(top.block);
      stack.pop();
    }
  }
  post.reverse().forEach((block, i) => (order[block] = i));
  orders.set(ir, order);
  return order;
}

/**
 * The locals still read after any operation of a block: what the block or a later one reads.
 * Conservative (the whole block's reads count), which is enough to merge states mid-block.
 */
export function livenessAfter(ir: FunctionIR, block: number): ReadonlySet<string> {
  let perBlock = afterCache.get(ir);
  if (!perBlock) afterCache.set(ir, (perBlock = []));
  let live = perBlock[block];
  if (!live) {
    const reads = new Set<string>(livenessOf(ir)[block]);
    for (const op of ir.blocks[block].ops) opReads(op, reads);
    termReads(ir.blocks[block].term, reads);
    for (const s of successors(ir.blocks[block].term)) for (const name of livenessOf(ir)[s]) reads.add(name);
    for (const op of ir.blocks[block].ops) {
      const written = opWrites(op);
      if (written) reads.add(written);
    }
    perBlock[block] = live = reads;
  }
  return live;
}

const afterCache = new WeakMap<FunctionIR, Array<Set<string>>>();

function isReadOnlyAddress(call: Expr, index: number, arg: Expr): boolean {
  return call.k === 'call' && arg.k === 'addr' && arg.of.k === 'local' && (READ_ONLY_POINTER_ARGS[call.callee ?? ''] ?? []).includes(index);
}

/** Every local an expression may write: assignment targets, `x++`, and locals whose address is given out. */
function writesOf(expr: Expr | undefined, into: Set<string>, addressesOnly = false): void {
  if (!expr) return;
  if (!addressesOnly && expr.k === 'assign' && expr.target.k === 'local') into.add(expr.target.name);
  if (!addressesOnly && expr.k === 'update' && expr.of.k === 'local') into.add(expr.of.name);
  if (expr.k === 'addr' && expr.of.k === 'local') into.add(expr.of.name);
  subExpressions(expr).forEach((sub, i) => {
    if (!isReadOnlyAddress(expr, i, sub)) writesOf(sub, into, addressesOnly);
  });
}

/** Every expression of a block, operations then terminator. */
function blockExprs(block: Block): Array<Expr | undefined> {
  const exprs = block.ops.map((op) => (op.k === 'eval' ? op.expr : op.k === 'declare' ? op.init : undefined));
  const term = block.term;
  exprs.push(term.k === 'branch' ? term.cond : term.k === 'switch' ? term.value : term.k === 'return' ? term.value : undefined);
  return exprs;
}

const givenOutCache = new WeakMap<FunctionIR, ReadonlySet<string>>();

/** Locals something may write through a pointer: arrays and structs, and those whose address is given out. */
function writableThroughPointers(ir: FunctionIR): ReadonlySet<string> {
  let known = givenOutCache.get(ir);
  if (known) return known;
  const given = new Set<string>();
  for (const block of ir.blocks) {
    for (const op of block.ops) if (op.k === 'declare' && op.isArrayOrStruct) given.add(op.name);
    for (const expr of blockExprs(block)) writesOf(expr, given, true);
  }
  givenOutCache.set(ir, (known = given));
  return known;
}

const predecessorsCache = new WeakMap<FunctionIR, number[][]>();

function predecessorsOf(ir: FunctionIR): number[][] {
  let known = predecessorsCache.get(ir);
  if (!known) {
    known = ir.blocks.map(() => []);
    for (const block of ir.blocks) for (const s of successors(block.term)) known[s].push(block.id);
    predecessorsCache.set(ir, known);
  }
  return known;
}

const loopWritesCache = new WeakMap<FunctionIR, Map<number, ReadonlySet<string>>>();

/**
 * The locals written anywhere in the loop whose head is `head` (the blocks that lie on a cycle
 * through it), plus every local something may write through a pointer. Widening at the head forgets only these:
 * a constant set before the loop and never touched inside it stays known, as it does for the verifier.
 */
export function loopWrites(ir: FunctionIR, head: number): ReadonlySet<string> {
  let perHead = loopWritesCache.get(ir);
  if (!perHead) loopWritesCache.set(ir, (perHead = new Map()));
  const known = perHead.get(head);
  if (known) return known;
  const reachable = (from: number, edges: (b: number) => number[]): Set<number> => {
    const seen = new Set<number>([from]);
    const stack = [from];
    while (stack.length > 0) for (const next of edges(stack.pop()!)) if (!seen.has(next)) (seen.add(next), stack.push(next));
    return seen;
  };
  const predecessors = predecessorsOf(ir);
  const forward = reachable(head, (b) => successors(ir.blocks[b].term));
  const backward = reachable(head, (b) => predecessors[b]);
  const writes = new Set<string>(writableThroughPointers(ir));
  for (const id of forward) {
    if (!backward.has(id)) continue;
    const block = ir.blocks[id];
    for (const op of block.ops) {
      if (op.k === 'declare' || op.k === 'havoc' || op.k === 'cleanup') writes.add(op.name);
      else if (op.k === 'opaque') op.names.forEach((n) => writes.add(n));
    }
    for (const expr of blockExprs(block)) writesOf(expr, writes);
  }
  perHead.set(head, writes);
  return writes;
}
