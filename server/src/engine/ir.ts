/**
 * The ownership engine's view of a function body: a control-flow graph of
 * basic blocks over a small expression language. Plain data, built once per
 * function text; every span is relative to the function's start, so an
 * unchanged function keeps its IR when code above it moves.
 */

export interface RelSpan {
  start: number;
  end: number;
}

export interface TypeRef {
  text: string;
  struct?: string;
  pointerDepth: number;
}

export type Expr =
  | { k: 'local'; name: string; display: string; span: RelSpan }
  | { k: 'global'; name: string; span: RelSpan }
  | { k: 'null'; span: RelSpan }
  | { k: 'number'; value: number; span: RelSpan }
  | { k: 'string'; span: RelSpan }
  | { k: 'call'; callee: string | undefined; calleeSpan: RelSpan; args: Expr[]; span: RelSpan }
  | { k: 'field'; base: Expr; field: string; arrow: boolean; span: RelSpan; fieldSpan: RelSpan }
  | { k: 'addr'; of: Expr; span: RelSpan }
  | { k: 'deref'; of: Expr; span: RelSpan }
  | { k: 'index'; base: Expr; index: Expr; span: RelSpan }
  | { k: 'cast'; type: TypeRef; of: Expr; span: RelSpan }
  | { k: 'assign'; target: Expr; op: string; value: Expr; span: RelSpan }
  | { k: 'update'; of: Expr; span: RelSpan }
  | { k: 'unary'; op: string; of: Expr; span: RelSpan }
  | { k: 'binary'; op: string; left: Expr; right: Expr; span: RelSpan }
  | { k: 'comma'; exprs: Expr[]; span: RelSpan }
  | { k: 'type'; type: TypeRef; span: RelSpan }
  /** Anything the engine does not model (sizeof, initializer lists, statement expressions...): evaluated for nothing. */
  | { k: 'opaque'; parts: Expr[]; span: RelSpan };

export type Op =
  /** Evaluate for effects (an expression statement, a declaration's initializer). */
  | { k: 'eval'; expr: Expr; span: RelSpan; discarded: boolean }
  /** A local comes into scope; its value is `init` or undefined (uninitialised). */
  | { k: 'declare'; name: string; display: string; type: TypeRef; init?: Expr; span: RelSpan; nameSpan?: RelSpan; isArrayOrStruct: boolean }
  /** A loop macro (bpf_for...) sets its variable each iteration to something we cannot know. */
  | { k: 'havoc'; name: string; span: RelSpan }
  /** A statement the parser could not read: the locals it names are forgotten. */
  | { k: 'opaque'; names: string[]; span: RelSpan }
  /** Leaving the scope of a variable with a cleanup attribute. */
  | { k: 'cleanup'; name: string; display: string; fn: string; viaFreeMacro: boolean; span: RelSpan };

export type Terminator =
  | { k: 'jump'; target: number }
  | { k: 'branch'; cond: Expr; ifTrue: number; ifFalse: number; span: RelSpan }
  /** A branch whose direction the engine cannot know (loop macros). */
  | { k: 'either'; targets: number[] }
  | { k: 'switch'; value: Expr; cases: Array<{ value?: Expr; target: number }>; span: RelSpan }
  | { k: 'return'; value?: Expr; span: RelSpan }
  /** Falling off the end of the function body. */
  | { k: 'end'; span: RelSpan }
  | { k: 'noreturn'; span: RelSpan };

export interface Block {
  id: number;
  ops: Op[];
  term: Terminator;
  /** True when a back edge enters this block: states here are widened. */
  loopHead: boolean;
}

export interface FunctionIR {
  blocks: Block[];
  entry: number;
  params: Array<{ name: string; display: string; type: TypeRef }>;
  /** Local names whose address is taken: stores through the address may change them. */
  addressTaken: string[];
  /** Constructs the lowering did not understand; the engine stays quiet about values they touch. */
  unsupported: RelSpan[];
}

/** The expressions directly inside `expr`, in evaluation order. */
export function subExpressions(expr: Expr): Expr[] {
  switch (expr.k) {
    case 'call':
      return expr.args;
    case 'field':
      return [expr.base];
    case 'addr':
    case 'deref':
    case 'cast':
    case 'update':
    case 'unary':
      return [expr.of];
    case 'index':
      return [expr.base, expr.index];
    case 'assign':
      return [expr.target, expr.value];
    case 'binary':
      return [expr.left, expr.right];
    case 'comma':
      return expr.exprs;
    case 'opaque':
      return expr.parts;
    default:
      return [];
  }
}

/** The name as written: lowering suffixes shadowing locals with `#n` to keep them apart. */
export function baseName(local: string): string {
  return local.replace(/#\d+$/, '');
}
