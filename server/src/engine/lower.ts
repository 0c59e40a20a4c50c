import type { Node } from 'web-tree-sitter';
import { GUARD_CALLS, MACRO_SYNTAX_BY_NAME } from '../knowledge/macroSyntax';
import type { MaskedMacro } from '../parsing/bpfMask';
import type { Block, Expr, FunctionIR, Op, RelSpan, Terminator, TypeRef } from './ir';

/**
 * Lowers one function body from the syntax tree into the engine's CFG.
 * Short-circuit operators and `?:` become branches, so a NULL check on the
 * left of `&&` protects the right; `goto`, `switch` fall-through, loop
 * macros and cleanup attributes become explicit edges and operations.
 */

interface ScopeFrame {
  id: number;
  names: Map<string, string>;
  /** What leaving the scope runs: a variable's cleanup function, or a guard's exit call. */
  cleanups: Array<{ name: string; display: string; fn: string; viaFreeMacro: boolean; span: RelSpan; guardExit?: string }>;
}

interface JumpContext {
  breakTarget: number;
  continueTarget?: number;
  /** Depth of the scope stack when the loop or switch started. */
  depth: number;
}

export interface LowerInput {
  body: Node;
  /** Absolute offset the function starts at; spans in the IR are relative to it. */
  origin: number;
  params: Array<{ name: string; type: TypeRef }>;
  /** Masked macros inside the function (loop macros, cleanups, type arguments). */
  macros: MaskedMacro[];
}

const LOOP_STATEMENTS = new Set(['for_statement', 'while_statement', 'do_statement']);

/**
 * How deep statements and expressions may nest in one body. Lowering and the
 * interpreter recurse along the nesting, so a deeper body (5,000 nested
 * blocks, a 25,000-term sum) would overflow the stack; such a function is left
 * unchecked with a note instead. Real BPF code stays far below this.
 */
export const MAX_NESTING = 256;

/** Straight-line code is cut into blocks of at most this many operations. */
const MAX_OPS_PER_BLOCK = 64;

/** Thrown by lowerFunction when a body nests deeper than MAX_NESTING. */
export class NestingTooDeep extends Error {
  constructor() {
    super(`its code nests more than ${MAX_NESTING} levels deep`);
  }
}

function typeRefOf(typeNode: Node | null, pointerDepth: number, typedefStruct?: (name: string) => string | undefined): TypeRef {
  const text = typeNode ? typeNode.text.replace(/\s+/g, ' ').trim() : 'int';
  let struct: string | undefined;
  if (typeNode && (typeNode.type === 'struct_specifier' || typeNode.type === 'union_specifier')) struct = typeNode.childForFieldName('name')?.text;
  else if (typeNode?.type === 'type_identifier') struct = typedefStruct?.(typeNode.text);
  return { text: `${text}${pointerDepth ? ' ' + '*'.repeat(pointerDepth) : ''}`, struct, pointerDepth };
}

function pointerDepthOf(declarator: Node | null): { depth: number; name?: Node; isArray: boolean } {
  let depth = 0;
  let isArray = false;
  let current = declarator;
  for (let guard = 0; current && guard < 64; guard++) {
    if (current.type === 'identifier') return { depth, name: current, isArray };
    if (current.type === 'pointer_declarator' || current.type === 'abstract_pointer_declarator') depth++;
    if (current.type === 'array_declarator') isArray = true;
    if (current.type === 'init_declarator' || current.type.endsWith('declarator')) {
      current = current.childForFieldName('declarator') ?? current.namedChildren.find((c) => c !== null && (c.type.endsWith('declarator') || c.type === 'identifier')) ?? null;
      continue;
    }
    break;
  }
  return { depth, isArray };
}

export function lowerFunction(input: LowerInput): FunctionIR {
  const { origin } = input;
  const blocks: Block[] = [];
  const unsupported: RelSpan[] = [];
  const addressTaken = new Set<string>();
  const scopes: ScopeFrame[] = [];
  const jumps: JumpContext[] = [];
  const labelBlocks = new Map<string, number>();
  const labelScopes = new Map<string, number[]>();
  const usedNames = new Map<string, number>();
  const declaredTypes = new Map<string, TypeRef>();
  let temps = 0;

  const rel = (node: Node): RelSpan => ({ start: node.startIndex - origin, end: node.endIndex - origin });

  const newBlock = (): number => {
    blocks.push({ id: blocks.length, ops: [], term: { k: 'end', span: { start: 0, end: 0 } }, loopHead: false });
    return blocks.length - 1;
  };
  let current = newBlock();
  let open = true;
  const emit = (op: Op) => {
    if (!open) {
      // Code after a jump is reachable only through a label; give it a block nobody enters.
      current = newBlock();
      open = true;
    }
    if (blocks[current].ops.length >= MAX_OPS_PER_BLOCK) {
      // Dead variables are dropped where blocks start: a long straight run is cut so a
      // 20,000-line function does not carry every variable it ever declared to its end.
      const next = newBlock();
      blocks[current].term = { k: 'jump', target: next };
      current = next;
    }
    blocks[current].ops.push(op);
  };
  const finish = (term: Terminator) => {
    if (!open) {
      current = newBlock();
    }
    blocks[current].term = term;
    open = false;
  };
  const startBlock = (id: number) => {
    current = id;
    open = true;
  };
  const jumpTo = (target: number) => finish({ k: 'jump', target });

  const declareName = (display: string, type: TypeRef): string => {
    const count = usedNames.get(display) ?? 0;
    usedNames.set(display, count + 1);
    const unique = count === 0 ? display : `${display}#${count}`;
    scopes[scopes.length - 1].names.set(display, unique);
    declaredTypes.set(unique, type);
    return unique;
  };
  const resolve = (display: string): string | undefined => {
    for (let i = scopes.length - 1; i >= 0; i--) {
      const found = scopes[i].names.get(display);
      if (found) return found;
    }
    return undefined;
  };
  const temp = (): string => {
    const name = `$t${++temps}`;
    scopes[0].names.set(name, name);
    return name;
  };

  const guardCall = (callee: string, span: RelSpan): Op => ({ k: 'eval', expr: { k: 'call', callee, calleeSpan: span, args: [], span }, span, discarded: true });

  const emitCleanups = (downToDepth: number) => {
    for (let i = scopes.length - 1; i >= downToDepth; i--) {
      for (const c of [...scopes[i].cleanups].reverse()) {
        if (c.guardExit) emit(guardCall(c.guardExit, c.span));
        else emit({ k: 'cleanup', name: c.name, display: c.display, fn: c.fn, viaFreeMacro: c.viaFreeMacro, span: c.span });
      }
    }
  };

  /** `scoped_guard(rcu) { ... }`: the enter call, then the block as a scope whose exit runs the leave call. */
  const lowerScopedGuard = (node: Node, kind: string): void => {
    const calls = GUARD_CALLS.get(kind);
    const body = node.childForFieldName('consequence');
    const span = rel(node);
    if (!calls || !body) {
      emit({ k: 'opaque', names: localsNamedIn(node), span });
      return;
    }
    emit(guardCall(calls.enter, span));
    scopes.push({ id: node.startIndex, names: new Map(), cleanups: [{ name: '', display: '', fn: '', viaFreeMacro: false, span, guardExit: calls.exit }] });
    for (const child of body.namedChildren) if (child) lowerStatement(child);
    if (open) emitCleanups(scopes.length - 1);
    scopes.pop();
  };

  // Labels first: a goto may jump forward, and its cleanups depend on the label's scopes. Only a
  // goto reads them, and walking every node of every body was a third of the lowering.
  const collectLabels = (node: Node, chain: number[]) => {
    const pending: Array<{ node: Node; chain: number[] }> = [{ node, chain }];
    while (pending.length) {
      const { node: n, chain: c } = pending.pop()!;
      const type = n.type;
      const nextChain = type === 'compound_statement' ? [...c, n.startIndex] : c;
      if (type === 'labeled_statement') {
        const label = n.childForFieldName('label')?.text;
        if (label) labelScopes.set(label, c);
      }
      for (const child of n.namedChildren) if (child) pending.push({ node: child, chain: nextChain });
    }
  };
  if (/\bgoto\b/.test(input.body.text)) collectLabels(input.body, []);
  const labelBlock = (label: string): number => {
    let id = labelBlocks.get(label);
    if (id === undefined) {
      id = newBlock();
      labelBlocks.set(label, id);
    }
    return id;
  };

  // ---- nesting budget ----------------------------------------------------

  let nesting = 0;
  /** Runs one level of the recursive descent, refusing to go deeper than MAX_NESTING. */
  const nested = <T>(lower: () => T): T => {
    if (++nesting > MAX_NESTING) throw new NestingTooDeep();
    try {
      return lower();
    } finally {
      nesting--;
    }
  };
  const lowerValue = (node: Node | null): Expr => nested(() => lowerValueAt(node));
  const lowerCondition = (node: Node, ifTrue: number, ifFalse: number): void => nested(() => lowerConditionAt(node, ifTrue, ifFalse));
  const lowerStatement = (node: Node): void => nested(() => lowerStatementAt(node));

  // ---- expressions -------------------------------------------------------

  const typeOfExpression = (node: Node, depth = 0): TypeRef | undefined => {
    if (depth > MAX_NESTING) throw new NestingTooDeep();
    if (node.type === 'parenthesized_expression') return node.namedChild(0) ? typeOfExpression(node.namedChild(0)!, depth + 1) : undefined;
    if (node.type === 'identifier') {
      const name = resolve(node.text);
      return name ? declaredTypes.get(name) : undefined;
    }
    if (node.type === 'pointer_expression' && node.childForFieldName('operator')?.text === '*') {
      const inner = typeOfExpression(node.childForFieldName('argument')!, depth + 1);
      if (inner && inner.pointerDepth > 0) return { ...inner, pointerDepth: inner.pointerDepth - 1, text: inner.text.replace(/\s*\*$/, '') };
    }
    return undefined;
  };

  const lowerValueAt = (node: Node | null): Expr => {
    if (!node) return { k: 'opaque', parts: [], span: { start: 0, end: 0 } };
    const span = rel(node);
    switch (node.type) {
      case 'parenthesized_expression': {
        const inner = node.namedChildren.find((c) => c !== null && c.type !== 'comment') ?? null;
        return inner ? lowerValue(inner) : { k: 'opaque', parts: [], span };
      }
      case 'identifier': {
        const typeArg = input.macros.find((m) => m.syntax === 'typeArgument' && m.end === node.endIndex);
        if (typeArg) {
          const text = typeArg.args[0].text;
          return { k: 'type', type: { text, struct: text.split(/\s+/)[1], pointerDepth: 0 }, span: { start: typeArg.start - origin, end: typeArg.end - origin } };
        }
        const local = resolve(node.text);
        return local ? { k: 'local', name: local, display: node.text, span } : { k: 'global', name: node.text, span };
      }
      case 'null':
        return { k: 'null', span };
      case 'true':
        return { k: 'number', value: 1, span };
      case 'false':
        return { k: 'number', value: 0, span };
      case 'number_literal': {
        const value = Number(node.text.replace(/[uUlL]+$/, ''));
        return Number.isFinite(value) ? { k: 'number', value, span } : { k: 'opaque', parts: [], span };
      }
      case 'char_literal':
      case 'string_literal':
      case 'concatenated_string':
        return { k: 'string', span };
      case 'call_expression': {
        const fn = node.childForFieldName('function');
        const argNodes = node.childForFieldName('arguments')?.namedChildren.filter((c): c is Node => c !== null && c.type !== 'comment') ?? [];
        const callee = fn?.type === 'identifier' ? fn.text : undefined;
        if (callee && (callee === 'typeof' || callee === '__typeof__' || callee === '__typeof') && argNodes.length === 1) {
          const type = typeOfExpression(argNodes[0]);
          return type ? { k: 'type', type, span } : { k: 'opaque', parts: [], span };
        }
        const args = argNodes.map((a) => lowerValue(a));
        if (!callee && fn) args.unshift(lowerValue(fn));
        return { k: 'call', callee, calleeSpan: fn ? rel(fn) : span, args, span };
      }
      case 'field_expression': {
        const fieldNode = node.childForFieldName('field');
        return {
          k: 'field',
          base: lowerValue(node.childForFieldName('argument')),
          field: fieldNode?.text ?? '',
          arrow: node.childForFieldName('operator')?.text === '->',
          span,
          fieldSpan: fieldNode ? rel(fieldNode) : span,
        };
      }
      case 'pointer_expression': {
        const operator = node.childForFieldName('operator')?.text;
        const argument = node.childForFieldName('argument');
        const of = lowerValue(argument);
        if (operator === '&') {
          if (of.k === 'local') addressTaken.add(of.name);
          return { k: 'addr', of, span };
        }
        return { k: 'deref', of, span };
      }
      case 'subscript_expression':
        return { k: 'index', base: lowerValue(node.childForFieldName('argument')), index: lowerValue(node.childForFieldName('index')), span };
      case 'cast_expression': {
        const descriptor = node.childForFieldName('type');
        const typeNode = descriptor?.childForFieldName('type') ?? null;
        const depth = pointerDepthOf(descriptor?.childForFieldName('declarator') ?? null).depth;
        return { k: 'cast', type: typeRefOf(typeNode, depth), of: lowerValue(node.childForFieldName('value')), span };
      }
      case 'assignment_expression':
        return {
          k: 'assign',
          target: lowerValue(node.childForFieldName('left')),
          op: node.childForFieldName('operator')?.text ?? '=',
          value: lowerValue(node.childForFieldName('right')),
          span,
        };
      case 'update_expression':
        return { k: 'update', of: lowerValue(node.childForFieldName('argument')), span };
      case 'unary_expression':
        return { k: 'unary', op: node.childForFieldName('operator')?.text ?? '', of: lowerValue(node.childForFieldName('argument')), span };
      case 'binary_expression': {
        const op = node.childForFieldName('operator')?.text ?? '';
        if (op === '&&' || op === '||') return lowerShortCircuit(node);
        return { k: 'binary', op, left: lowerValue(node.childForFieldName('left')), right: lowerValue(node.childForFieldName('right')), span };
      }
      case 'conditional_expression':
        return lowerConditional(node);
      case 'comma_expression':
        return { k: 'comma', exprs: [lowerValue(node.childForFieldName('left')), lowerValue(node.childForFieldName('right'))], span };
      case 'sizeof_expression':
      case 'alignof_expression':
      case 'offsetof_expression':
      case 'gnu_asm_expression':
        return { k: 'opaque', parts: [], span };
      case 'compound_literal_expression':
      case 'initializer_list':
        return { k: 'opaque', parts: node.namedChildren.filter((c): c is Node => c !== null && c.type !== 'type_descriptor').map((c) => lowerValue(c)), span };
      case 'initializer_pair':
        return lowerValue(node.childForFieldName('value'));
      default:
        unsupported.push(span);
        return { k: 'opaque', parts: [], span };
    }
  };

  /** `a && b` in a value position: a branch into a temporary, so `b` runs only where `a` held. */
  const lowerShortCircuit = (node: Node): Expr => {
    const name = temp();
    const span = rel(node);
    const whenTrue = newBlock();
    const whenFalse = newBlock();
    const join = newBlock();
    lowerCondition(node, whenTrue, whenFalse);
    startBlock(whenTrue);
    emit({ k: 'eval', expr: { k: 'assign', target: { k: 'local', name, display: name, span }, op: '=', value: { k: 'number', value: 1, span }, span }, span, discarded: true });
    jumpTo(join);
    startBlock(whenFalse);
    emit({ k: 'eval', expr: { k: 'assign', target: { k: 'local', name, display: name, span }, op: '=', value: { k: 'number', value: 0, span }, span }, span, discarded: true });
    jumpTo(join);
    startBlock(join);
    return { k: 'local', name, display: name, span };
  };

  const lowerConditional = (node: Node): Expr => {
    const name = temp();
    const span = rel(node);
    const condition = node.childForFieldName('condition');
    const consequence = node.childForFieldName('consequence');
    const alternative = node.childForFieldName('alternative');
    const whenTrue = newBlock();
    const whenFalse = newBlock();
    const join = newBlock();
    const target: Expr = { k: 'local', name, display: name, span };
    if (!consequence) {
      // GNU `a ?: b`: the value is `a` itself when it holds.
      const value = lowerValue(condition);
      emit({ k: 'eval', expr: { k: 'assign', target, op: '=', value, span }, span, discarded: true });
      finish({ k: 'branch', cond: target, ifTrue: join, ifFalse: whenFalse, span });
      startBlock(whenTrue);
      jumpTo(join);
    } else {
      lowerCondition(condition!, whenTrue, whenFalse);
      startBlock(whenTrue);
      emit({ k: 'eval', expr: { k: 'assign', target, op: '=', value: lowerValue(consequence), span }, span, discarded: true });
      jumpTo(join);
    }
    startBlock(whenFalse);
    emit({ k: 'eval', expr: { k: 'assign', target, op: '=', value: lowerValue(alternative), span }, span, discarded: true });
    jumpTo(join);
    startBlock(join);
    return target;
  };

  const lowerConditionAt = (node: Node, ifTrue: number, ifFalse: number): void => {
    if (node.type === 'parenthesized_expression') {
      const inner = node.namedChildren.find((c) => c !== null && c.type !== 'comment');
      if (inner) return lowerCondition(inner, ifTrue, ifFalse);
    }
    if (node.type === 'unary_expression' && node.childForFieldName('operator')?.text === '!') {
      return lowerCondition(node.childForFieldName('argument')!, ifFalse, ifTrue);
    }
    if (node.type === 'binary_expression') {
      const op = node.childForFieldName('operator')?.text;
      if (op === '&&' || op === '||') {
        const middle = newBlock();
        if (op === '&&') lowerCondition(node.childForFieldName('left')!, middle, ifFalse);
        else lowerCondition(node.childForFieldName('left')!, ifTrue, middle);
        startBlock(middle);
        return lowerCondition(node.childForFieldName('right')!, ifTrue, ifFalse);
      }
    }
    if (node.type === 'conditional_expression' && node.childForFieldName('consequence')) {
      const whenTrue = newBlock();
      const whenFalse = newBlock();
      lowerCondition(node.childForFieldName('condition')!, whenTrue, whenFalse);
      startBlock(whenTrue);
      lowerCondition(node.childForFieldName('consequence')!, ifTrue, ifFalse);
      startBlock(whenFalse);
      return lowerCondition(node.childForFieldName('alternative')!, ifTrue, ifFalse);
    }
    if (node.type === 'comma_expression') {
      const left = lowerValue(node.childForFieldName('left'));
      emit({ k: 'eval', expr: left, span: left.span, discarded: true });
      return lowerCondition(node.childForFieldName('right')!, ifTrue, ifFalse);
    }
    const cond = lowerValue(node);
    finish({ k: 'branch', cond, ifTrue, ifFalse, span: rel(node) });
  };

  // ---- statements --------------------------------------------------------

  const lowerDeclaration = (node: Node) => {
    if (node.children.some((c) => c?.type === 'storage_class_specifier' && (c.text === 'static' || c.text === 'extern'))) return;
    const typeNode = node.childForFieldName('type');
    const declarators = node.childrenForFieldName('declarator').filter((d): d is Node => d !== null);
    declarators.forEach((declarator, index) => {
      const shape = pointerDepthOf(declarator);
      if (!shape.name) return;
      const type = typeRefOf(typeNode, shape.depth);
      const initNode = declarator.type === 'init_declarator' ? declarator.childForFieldName('value') : null;
      const init = initNode ? lowerValue(initNode) : undefined;
      const display = shape.name.text;
      const name = declareName(display, type);
      const isAggregate = shape.isArray || (shape.depth === 0 && (typeNode?.type === 'struct_specifier' || typeNode?.type === 'union_specifier'));
      emit({ k: 'declare', name, display, type, init, span: rel(declarator), nameSpan: rel(shape.name), isArrayOrStruct: isAggregate });
      if (isAggregate) addressTaken.add(name);
      const boundary = index + 1 < declarators.length ? declarators[index + 1].startIndex : node.endIndex;
      const cleanup = input.macros.find((m) => m.start >= declarator.startIndex && m.start < boundary && (m.name === '__free' || m.syntax === 'cleanupAttribute'));
      if (cleanup) {
        scopes[scopes.length - 1].cleanups.push({
          name,
          display,
          fn: cleanup.args[0]?.text ?? '',
          viaFreeMacro: cleanup.name === '__free',
          span: rel(declarator),
        });
      }
    });
  };

  /** The loop macro a `for`/`while` came from: the rewrite puts the keyword at the end of the macro's name. */
  const loopMacroFor = (node: Node): MaskedMacro | undefined =>
    input.macros.find(
      (m) => (m.syntax === 'forLoop' && m.nameEnd - 3 === node.startIndex) || (m.syntax === 'whileLoop' && m.nameEnd - 5 === node.startIndex),
    );

  const lowerLoopBody = (body: Node | null, breakTarget: number, continueTarget: number) => {
    jumps.push({ breakTarget, continueTarget, depth: scopes.length });
    if (body) lowerStatement(body);
    jumps.pop();
  };

  /** The locals a piece of unreadable code mentions. */
  const localsNamedIn = (node: Node): string[] => {
    const names = new Set<string>();
    for (const word of node.text.match(/[A-Za-z_]\w*/g) ?? []) {
      const local = resolve(word);
      if (local) names.add(local);
    }
    return [...names];
  };

  /** `FOR_EACH_THING(x, list)` with the block that follows it and no `;`: a loop macro the engine does not know. */
  const isMacroLoopHeader = (node: Node): boolean => {
    if (node.type !== 'expression_statement' || !node.hasError) return false;
    const call = node.namedChildren.find((c) => c !== null && c.type !== 'comment');
    return call?.type === 'call_expression' && call.childForFieldName('function')?.type === 'identifier' && !call.hasError;
  };

  /**
   * An unknown macro in front of a block is taken as a loop: the block runs any number of times,
   * `break` and `continue` mean what they mean in a loop, and the locals named in the macro's
   * arguments may change on each round.
   */
  const lowerMacroLoop = (header: Node, body: Node): void => {
    const head = newBlock();
    const inside = newBlock();
    const exit = newBlock();
    jumpTo(head);
    blocks[head].loopHead = true;
    startBlock(head);
    const headerText = header.type === 'function_definition' ? header.childForFieldName('declarator') ?? header : header;
    for (const name of localsNamedIn(headerText)) emit({ k: 'havoc', name, span: rel(header) });
    finish({ k: 'either', targets: [inside, exit] });
    startBlock(inside);
    lowerLoopBody(body, exit, head);
    if (open) jumpTo(head);
    startBlock(exit);
  };

  /** `#if`/`#ifdef` arms inside a body: either arm may be the one compiled, so each is a path. */
  const lowerPreprocessorArms = (node: Node): void => {
    const arms: Node[][] = [];
    let endsWithElse = false;
    for (let current: Node | null = node; current; ) {
      const alternative: Node | null = current.type === 'preproc_else' ? null : current.childForFieldName('alternative');
      const skip = new Set([current.childForFieldName('condition')?.id, current.childForFieldName('name')?.id, alternative?.id]);
      arms.push(current.namedChildren.filter((c): c is Node => c !== null && !skip.has(c.id)));
      endsWithElse = current.type === 'preproc_else';
      current = alternative;
    }
    if (!endsWithElse) arms.push([]);
    const join = newBlock();
    const targets = arms.map(() => newBlock());
    finish({ k: 'either', targets });
    arms.forEach((statements, i) => {
      startBlock(targets[i]);
      for (const statement of statements) lowerStatement(statement);
      if (open) jumpTo(join);
    });
    startBlock(join);
  };

  /**
   * A macro given a member to address (`MEMBER_VPTR(base, [i])`) yields NULL exactly when a bounds
   * check fails, which the verifier decides from value ranges the engine does not keep: a leak on
   * its NULL path may be one the verifier never walks. So such a statement stays unread, as it
   * was when its macro was a syntax error.
   */
  const memberArguments = input.macros.filter((m) => m.syntax === 'memberArgument');
  const namesMemberArgument = (node: Node): boolean => memberArguments.some((m) => m.start >= node.startIndex && m.start < node.endIndex);

  const lowerStatementAt = (node: Node): void => {
    if ((node.hasError || namesMemberArgument(node)) && node.type !== 'compound_statement' && !PREPROCESSOR_ARMS.has(node.type)) {
      emit({ k: 'opaque', names: localsNamedIn(node), span: rel(node) });
      return;
    }
    switch (node.type) {
      case 'compound_statement': {
        scopes.push({ id: node.startIndex, names: new Map(), cleanups: [] });
        const children = node.namedChildren.filter((c): c is Node => c !== null);
        for (let i = 0; i < children.length; i++) {
          const child = children[i];
          const next = children[i + 1];
          if (isMacroLoopHeader(child) && next?.type === 'compound_statement') {
            lowerMacroLoop(child, next);
            i++;
          } else if (child.type === 'function_definition') {
            // `MACRO(x) { ... }` read by the grammar as a nested function.
            const body = child.childForFieldName('body');
            if (body) lowerMacroLoop(child, body);
            else emit({ k: 'opaque', names: localsNamedIn(child), span: rel(child) });
          } else {
            lowerStatement(child);
          }
        }
        if (open) emitCleanups(scopes.length - 1);
        scopes.pop();
        return;
      }
      case 'declaration':
        return lowerDeclaration(node);
      case 'expression_statement': {
        const inner = node.namedChildren.find((c) => c !== null && c.type !== 'comment');
        if (!inner) return;
        const guard = GUARD_CALLS.get(unscopedGuardKind(inner) ?? '');
        if (guard) {
          // `guard(rcu)();`: the enter call here, the leave call wherever the enclosing block is left.
          emit(guardCall(guard.enter, rel(inner)));
          scopes[scopes.length - 1].cleanups.push({ name: '', display: '', fn: '', viaFreeMacro: false, span: rel(inner), guardExit: guard.exit });
          return;
        }
        const expr = lowerValue(inner);
        emit({ k: 'eval', expr, span: rel(inner), discarded: true });
        if (expr.k === 'call' && expr.callee && NO_RETURN.has(expr.callee)) finish({ k: 'noreturn', span: expr.span });
        return;
      }
      case 'if_statement': {
        const guard = input.macros.find((m) => m.syntax === 'scopedGuard' && m.nameEnd - 2 === node.startIndex);
        if (guard) return lowerScopedGuard(node, guard.args[0]?.text.trim() ?? '');
        const thenBlock = newBlock();
        const elseBlock = newBlock();
        const join = newBlock();
        const alternative = node.childForFieldName('alternative');
        lowerCondition(node.childForFieldName('condition')!, thenBlock, alternative ? elseBlock : join);
        startBlock(thenBlock);
        lowerStatement(node.childForFieldName('consequence')!);
        if (open) jumpTo(join);
        if (alternative) {
          startBlock(elseBlock);
          const inner = alternative.type === 'else_clause' ? alternative.namedChildren.find((c) => c !== null && c.type !== 'comment') : alternative;
          if (inner) lowerStatement(inner);
          if (open) jumpTo(join);
        }
        startBlock(join);
        return;
      }
      case 'while_statement': {
        const head = newBlock();
        const body = newBlock();
        const exit = newBlock();
        jumpTo(head);
        blocks[head].loopHead = true;
        startBlock(head);
        const macro = loopMacroFor(node);
        if (macro) finish({ k: 'either', targets: [body, exit] });
        else lowerCondition(node.childForFieldName('condition')!, body, exit);
        startBlock(body);
        lowerLoopBody(node.childForFieldName('body'), exit, head);
        if (open) jumpTo(head);
        startBlock(exit);
        return;
      }
      case 'do_statement': {
        const body = newBlock();
        const test = newBlock();
        const exit = newBlock();
        jumpTo(body);
        blocks[body].loopHead = true;
        startBlock(body);
        lowerLoopBody(node.childForFieldName('body'), exit, test);
        if (open) jumpTo(test);
        startBlock(test);
        lowerCondition(node.childForFieldName('condition')!, body, exit);
        startBlock(exit);
        return;
      }
      case 'for_statement': {
        scopes.push({ id: node.startIndex, names: new Map(), cleanups: [] });
        const macro = loopMacroFor(node);
        const head = newBlock();
        const body = newBlock();
        const update = newBlock();
        const exit = newBlock();
        let loopVariable: string | undefined;
        if (macro) {
          const entry = MACRO_SYNTAX_BY_NAME.get(macro.name);
          const arg = entry?.loopVariableArg !== undefined ? macro.args[entry.loopVariableArg]?.text : undefined;
          loopVariable = arg && /^[A-Za-z_]\w*$/.test(arg) ? resolve(arg) : undefined;
        } else {
          const init = node.childForFieldName('initializer');
          if (init?.type === 'declaration') lowerDeclaration(init);
          else if (init) emit({ k: 'eval', expr: lowerValue(init), span: rel(init), discarded: true });
        }
        jumpTo(head);
        blocks[head].loopHead = true;
        startBlock(head);
        const condition = node.childForFieldName('condition');
        if (macro) {
          if (loopVariable) emit({ k: 'havoc', name: loopVariable, span: rel(node) });
          finish({ k: 'either', targets: [body, exit] });
        } else if (condition) {
          lowerCondition(condition, body, exit);
        } else {
          jumpTo(body);
        }
        startBlock(body);
        lowerLoopBody(node.childForFieldName('body'), exit, update);
        if (open) jumpTo(update);
        startBlock(update);
        const step = node.childForFieldName('update');
        if (step && !macro) emit({ k: 'eval', expr: lowerValue(step), span: rel(step), discarded: true });
        jumpTo(head);
        startBlock(exit);
        scopes.pop();
        return;
      }
      case 'switch_statement': {
        const value = lowerValue(node.childForFieldName('condition'));
        const body = node.childForFieldName('body');
        const exit = newBlock();
        const caseNodes = body?.namedChildren.filter((c): c is Node => c?.type === 'case_statement') ?? [];
        const caseBlocks = caseNodes.map(() => newBlock());
        const cases = caseNodes.map((c, i) => {
          const valueNode = c.childForFieldName('value');
          return { value: valueNode ? lowerValue(valueNode) : undefined, target: caseBlocks[i] };
        });
        if (!cases.some((c) => c.value === undefined)) cases.push({ value: undefined, target: exit });
        finish({ k: 'switch', value, cases, span: rel(node) });
        jumps.push({ breakTarget: exit, continueTarget: jumps[jumps.length - 1]?.continueTarget, depth: scopes.length });
        scopes.push({ id: body?.startIndex ?? node.startIndex, names: new Map(), cleanups: [] });
        caseNodes.forEach((caseNode, i) => {
          if (open) jumpTo(caseBlocks[i]);
          startBlock(caseBlocks[i]);
          const valueNode = caseNode.childForFieldName('value');
          for (const child of caseNode.namedChildren) if (child && child !== valueNode && child.id !== valueNode?.id) lowerStatement(child);
        });
        if (open) jumpTo(exit);
        scopes.pop();
        jumps.pop();
        startBlock(exit);
        return;
      }
      case 'break_statement':
      case 'continue_statement': {
        const context = [...jumps].reverse().find((j) => node.type === 'break_statement' || j.continueTarget !== undefined);
        if (!context) {
          unsupported.push(rel(node));
          return;
        }
        emitCleanups(context.depth);
        jumpTo(node.type === 'break_statement' ? context.breakTarget : context.continueTarget!);
        return;
      }
      case 'return_statement': {
        const valueNode = node.namedChildren.find((c) => c !== null && c.type !== 'comment');
        let value = valueNode ? lowerValue(valueNode) : undefined;
        if (scopes.some((s) => s.cleanups.length > 0) && value) {
          // C computes the return value before cleanups run.
          const name = temp();
          emit({ k: 'declare', name, display: name, type: { text: 'return value', pointerDepth: 0 }, init: value, span: rel(node), isArrayOrStruct: false });
          value = { k: 'local', name, display: name, span: value.span };
        }
        emitCleanups(0);
        finish({ k: 'return', value, span: rel(node) });
        return;
      }
      case 'goto_statement': {
        const label = node.childForFieldName('label')?.text ?? '';
        const target = labelScopes.get(label) ?? [];
        let keep = 0;
        while (keep < scopes.length && keep < target.length && scopes[keep].id === target[keep]) keep++;
        emitCleanups(keep);
        jumpTo(labelBlock(label));
        return;
      }
      case 'labeled_statement': {
        const label = node.childForFieldName('label')?.text ?? '';
        const target = labelBlock(label);
        if (open) jumpTo(target);
        startBlock(target);
        for (const child of node.namedChildren) if (child && child.type !== 'statement_identifier') lowerStatement(child);
        return;
      }
      case 'attributed_statement': {
        for (const child of node.namedChildren) if (child && child.type !== 'attribute_declaration') lowerStatement(child);
        return;
      }
      case 'comment':
      case 'type_definition':
      case 'struct_specifier':
      case 'union_specifier':
      case 'enum_specifier':
      case 'preproc_call':
      case 'preproc_def':
      case 'preproc_function_def':
        return;
      case 'preproc_if':
      case 'preproc_ifdef':
        return lowerPreprocessorArms(node);
      default:
        if (LOOP_STATEMENTS.has(node.type)) return;
        unsupported.push(rel(node));
    }
  };

  scopes.push({ id: -1, names: new Map(), cleanups: [] });
  const params = input.params.map((p) => ({ name: declareName(p.name, p.type), display: p.name, type: p.type }));
  lowerStatement(input.body);
  if (open) finish({ k: 'end', span: { start: input.body.endIndex - 1 - origin, end: input.body.endIndex - origin } });
  return { blocks, entry: 0, params, addressTaken: [...addressTaken], unsupported };
}

const NO_RETURN = new Set(['bpf_throw', '__builtin_unreachable', '__builtin_trap']);
const PREPROCESSOR_ARMS = new Set(['preproc_if', 'preproc_ifdef']);

/** The KIND of a `guard(KIND)()` statement, the cleanup.h idiom for a section to the end of the block. */
function unscopedGuardKind(node: Node): string | undefined {
  if (node.type !== 'call_expression' || node.childForFieldName('arguments')?.namedChildCount !== 0) return undefined;
  const inner = node.childForFieldName('function');
  if (inner?.type !== 'call_expression' || inner.childForFieldName('function')?.text !== 'guard') return undefined;
  const args = inner.childForFieldName('arguments')?.namedChildren ?? [];
  return args.length === 1 && args[0]?.type === 'identifier' ? args[0].text : undefined;
}
