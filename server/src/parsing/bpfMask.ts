import { MACRO_SYNTAX_BY_NAME, MacroSyntax, MacroSyntaxEntry, TYPE_OPERATORS } from '../knowledge/macroSyntax';
import { matchingClose, splitArguments, Token, tokenizeC } from './cTokens';
import { detached } from './detached';

/**
 * BPF macros the C grammar cannot parse are replaced, before parsing, by
 * text of exactly the same length (newlines kept), so every offset in the
 * syntax tree is an offset in the user's text. What was replaced is kept
 * here, because the BPF model needs exactly that: the tag on a field, the
 * section of a program, the arguments of a map definition.
 */

export interface MacroArgument {
  text: string;
  start: number;
  end: number;
}

export interface MaskedMacro {
  name: string;
  syntax: MacroSyntax;
  start: number;
  /** End of the macro name. */
  nameEnd: number;
  /** End of the whole use, arguments included. */
  end: number;
  args: MacroArgument[];
}

export interface MaskedSource {
  /** The text handed to the parser. */
  text: string;
  macros: MaskedMacro[];
}

// The masked text is edited as UTF-16 code units in place: an array of one-character strings
// costs several times more to build and to join back on every keystroke.
const NEWLINE = 10;
const CARRIAGE_RETURN = 13;
const SPACE = 32;

function blank(units: Uint16Array, start: number, end: number): void {
  for (let i = start; i < end; i++) {
    const c = units[i];
    if (c !== NEWLINE && c !== CARRIAGE_RETURN) units[i] = SPACE;
  }
}

function write(units: Uint16Array, at: number, replacement: string): void {
  for (let i = 0; i < replacement.length; i++) units[at + i] = replacement.charCodeAt(i);
}

// Buffer's UTF-16LE conversions copy code units as they are, lone surrogates included.
function codeUnits(text: string): Uint16Array {
  const units = new Uint16Array(text.length);
  new Uint8Array(units.buffer).set(Buffer.from(text, 'utf16le'));
  return units;
}

function textOf(units: Uint16Array): string {
  return Buffer.from(units.buffer, units.byteOffset, units.byteLength).toString('utf16le');
}

function argumentsOf(text: string, tokens: Token[], open: number, close: number): MacroArgument[] {
  return splitArguments(tokens, open, close).map(({ first, last }) => {
    if (last < first) return { text: '', start: tokens[first]?.start ?? tokens[close].start, end: tokens[close].start };
    const start = tokens[first].start;
    const end = tokens[last].end;
    return { text: text.slice(start, end), start, end };
  });
}

/**
 * What the grammar cannot take as it is, made readable at the same length: a
 * lone CR ends a line for compilers and LSP but not for tree-sitter-c (a `//`
 * comment would run on to the next LF), and a NUL ends the grammar's input.
 */
function readableByGrammar(text: string): string {
  return /\r(?!\n)|\0/.test(text) ? text.replace(/\r(?!\n)/g, '\n').replace(/\0/g, ' ') : text;
}

/** `tokenize` may be one that reuses the tokens of the previous version (retokenizeC). */
export function maskBpfMacros(original: string, tokenize: (text: string) => Token[] = tokenizeC): MaskedSource {
  const text = readableByGrammar(original);
  const tokens = tokenize(text);
  let units: Uint16Array | undefined;
  const macros: MaskedMacro[] = [];
  let enclosing: Int32Array | undefined;
  const edit = (): Uint16Array => (units ??= codeUnits(text));
  const defines = readDefines(text);
  for (const dots of defines?.namedVariadics ?? []) blank(edit(), dots, dots + 3);
  const definedAway = defines?.definedAway;

  for (let i = 0; i < tokens.length; i++) {
    const token = tokens[i];
    if (token.kind === 'punct') {
      if ((token.text === '.' || token.text === '[') && beginsMemberArgument(tokens, i) && isCallArgument(tokens, i, (enclosing ??= enclosingCalls(tokens)))) {
        const masked = maskMemberDesignator(edit(), tokens, i);
        if (masked) macros.push(masked);
      }
      continue;
    }
    if (token.kind !== 'ident') continue;
    // The calls around every token are worked out only when a `struct x` argument needs them: most files have none.
    if (AGGREGATE_KEYWORDS.has(token.text) && standsAsArgument(tokens, i) && isCallArgument(tokens, i, (enclosing ??= enclosingCalls(tokens)))) {
      const name = tokens[i + 1];
      blank(edit(), token.start, token.end);
      const text = `${token.text} ${name.text}`;
      macros.push({ name: 'typeArgument', syntax: 'typeArgument', start: token.start, nameEnd: token.end, end: name.end, args: [{ text, start: token.start, end: name.end }] });
      continue;
    }
    const entry = MACRO_SYNTAX_BY_NAME.get(token.text) ?? (definedAway?.has(token.text) ? DEFINED_AWAY : undefined);
    if (!entry) continue;
    // A member access (`x.SEC`, `p->private`) or a declaration of the word itself is not the macro.
    const previous = tokens[i - 1];
    if (previous && previous.kind === 'punct' && (previous.text === '.' || previous.text === '>')) continue;

    if (entry.syntax === 'attribute') {
      blank(edit(), token.start, token.end);
      macros.push({ name: token.text, syntax: entry.syntax, start: token.start, nameEnd: token.end, end: token.end, args: [] });
      continue;
    }

    const open = i + 1;
    if (tokens[open]?.text !== '(') continue;
    const close = matchingClose(tokens, open, 4096, entry.syntax !== 'mapField');
    if (close < 0) continue;
    const args = argumentsOf(text, tokens, open, close);
    const end = tokens[close].end;
    const record: MaskedMacro = { name: token.text, syntax: entry.syntax, start: token.start, nameEnd: token.end, end, args };

    switch (entry.syntax) {
      case 'attributeCall': {
        blank(edit(), token.start, end);
        break;
      }
      case 'mapField': {
        // `__uint(type, X)` becomes `int    type    ` so the map struct keeps one field per line.
        const first = args[0];
        if (args.length < 2 || !/^[A-Za-z_]\w*$/.test(first.text)) continue;
        const out = edit();
        blank(out, token.start, end);
        write(out, token.start, 'int');
        write(out, first.start, first.text);
        break;
      }
      case 'forLoop': {
        // `bpf_for(i, 0, n)` becomes `    for(i; 0; n)`: a loop the CFG understands, same extent.
        if (args.length < 3) continue;
        const out = edit();
        blank(out, token.start, token.end);
        write(out, token.end - 3, 'for');
        let commas = 0;
        let depth = 0;
        for (let t = open + 1; t < close && commas < 2; t++) {
          const tk = tokens[t];
          if (tk.kind !== 'punct') continue;
          if (tk.text === '(' || tk.text === '[' || tk.text === '{') depth++;
          else if (tk.text === ')' || tk.text === ']' || tk.text === '}') depth--;
          else if (tk.text === ',' && depth === 0) {
            out[tk.start] = ';'.charCodeAt(0);
            commas++;
          }
        }
        break;
      }
      case 'cleanupAttribute': {
        if (args.length !== 1) continue;
        const inner = /^\(\s*cleanup\s*\(\s*([A-Za-z_]\w*)\s*\)\s*\)$/.exec(args[0].text);
        if (!inner) {
          // Other attributes parse where they stand, but for one place: after a declarator
          // (`int x __attribute__((aligned(8))) = 0;`). There they are blanked and forgotten.
          if (followsDeclarator(tokens, i, close)) {
            blank(edit(), token.start, end);
            i = close;
          }
          continue;
        }
        blank(edit(), token.start, end);
        record.args = [{ text: inner[1], start: args[0].start, end: args[0].end }];
        break;
      }
      case 'scopedGuard': {
        // `scoped_guard(rcu)` becomes `          if(1  )`: a block always entered, same extent.
        if (args.length < 1 || tokens[close + 1]?.text !== '{') continue;
        const out = edit();
        blank(out, token.start, token.end);
        write(out, token.end - 2, 'if');
        blank(out, tokens[open].end, tokens[close].start);
        write(out, tokens[open].end, '1');
        break;
      }
      case 'whileLoop': {
        if (args.length !== 1) continue;
        const out = edit();
        blank(out, token.start, token.end);
        write(out, token.end - 5, 'while');
        break;
      }
      default:
        continue;
    }
    macros.push(record);
    i = close;
  }

  // Macro names and arguments outlive this version of the text (in reused items and bodies).
  for (const macro of macros) {
    macro.name = detached(macro.name);
    for (const arg of macro.args) arg.text = detached(arg.text);
  }
  return { text: units ? textOf(units) : text, macros };
}

const AGGREGATE_KEYWORDS = new Set(['struct', 'union', 'enum']);

const DEFINED_AWAY: MacroSyntaxEntry = { name: 'defined away', syntax: 'attribute' };

const DEFINE_LINE = /^[ \t]*#[ \t]*define[ \t]+([A-Za-z_]\w*)(\([^)\n]*\))?(.*)$/gm;
const ONLY_ATTRIBUTES = /^(?:\s*(?:inline|__inline|__inline__|__attribute__\s*\(\(.*?\)\)))*\s*(?:\/\/.*|\/\*.*?\*\/\s*)?$/;

interface Defines {
  /**
   * Object-like macros the file itself defines as nothing, or as attributes only
   * (`#define FN_ATTRS inline __attribute__((always_inline))`): the compiler sees no word where
   * they are written, so the grammar is shown none either.
   */
  definedAway?: Set<string>;
  /** Where GNU named variadic parameters (`#define dbg(fmt, args...)`) have their `...`, which the grammar refuses. */
  namedVariadics?: number[];
}

/** What the file's own `#define` lines tell the masker; undefined for a file with none (one search). */
function readDefines(text: string): Defines | undefined {
  if (!text.includes('define')) return undefined;
  const found: Defines = {};
  DEFINE_LINE.lastIndex = 0;
  for (let m = DEFINE_LINE.exec(text); m; m = DEFINE_LINE.exec(text)) {
    const [line, name, params, body] = m;
    if (params) {
      const named = /\w(\.\.\.)/.exec(params);
      if (named) (found.namedVariadics ??= []).push(m.index + line.indexOf(params) + named.index + 1);
      continue;
    }
    // A body continued on the next line is not read: it may be anything.
    if (body.trimEnd().endsWith('\\') || !ONLY_ATTRIBUTES.test(body)) continue;
    (found.definedAway ??= new Set()).add(name);
  }
  return found;
}

/**
 * A call argument that starts like a member designator, `[i]` or `.field`, as macros that take
 * the member to address do (`MEMBER_VPTR(base, [cpu])`, `SCX_OPS_DEFINE(ops, .enqueue = fn)`).
 * No C expression starts so, so only a macro can be called this way; inside braces the same
 * tokens are a designated initializer, which the grammar reads, and `isCallArgument` rules out.
 */
function beginsMemberArgument(tokens: Token[], i: number): boolean {
  const before = tokens[i - 1];
  const after = tokens[i + 1];
  if (!before || !after || before.kind !== 'punct' || (before.text !== '(' && before.text !== ',')) return false;
  // `.5` is a number token already; `...` and C23 `[[attribute]]` are not designators.
  return tokens[i].text === '.' ? after.kind === 'ident' : after.text !== '[';
}

/** `[i].x` becomes ` i .x` and `.x[i]` becomes ` x[i]`: the names stay where they are, read as an expression. */
function maskMemberDesignator(units: Uint16Array, tokens: Token[], i: number): MaskedMacro | undefined {
  const token = tokens[i];
  const close = token.text === '[' ? matchingClose(tokens, i, 4096, true) : i;
  if (close < 0) return undefined;
  blank(units, token.start, token.end);
  blank(units, tokens[close].start, tokens[close].end);
  const end = tokens[close].end;
  return { name: token.text, syntax: 'memberArgument', start: token.start, nameEnd: token.end, end, args: [] };
}

/** `__attribute__((...))` right after a declarator (a name, `]`, or the `)` of a blanked SEC(...)) and before `=`, `;` or `,`. */
function followsDeclarator(tokens: Token[], i: number, close: number): boolean {
  const before = tokens[i - 1];
  const after = tokens[close + 1];
  if (!before || !after || after.kind !== 'punct' || (after.text !== '=' && after.text !== ';' && after.text !== ',')) return false;
  return before.kind === 'ident' || before.text === ']' || before.text === ')';
}

/** `struct name` standing alone between brackets or commas, as an argument does: `(struct x)`, `, struct x,`. */
function standsAsArgument(tokens: Token[], i: number): boolean {
  const before = tokens[i - 1];
  const name = tokens[i + 1];
  const after = tokens[i + 2];
  if (!before || !name || !after || name.kind !== 'ident') return false;
  if (before.kind !== 'punct' || (before.text !== '(' && before.text !== ',')) return false;
  return after.kind === 'punct' && (after.text === ')' || after.text === ',');
}

/** Whether the token is an argument of a call, `f(struct x)` or `f(a, struct x, b)`, and not of a type operator (sizeof, offsetof...). */
function isCallArgument(tokens: Token[], i: number, enclosing: Int32Array): boolean {
  const call = enclosing[i];
  if (call < 0) return false;
  const callee = tokens[call - 1];
  return callee?.kind === 'ident' && !TYPE_OPERATORS.has(callee.text);
}

/**
 * For each token, the `(` of the innermost call around it, or -1 when a `;`,
 * `{` or `}` comes between. One pass over the file: looking backwards from
 * each `struct x` argument would be quadratic on a long argument list.
 */
function enclosingCalls(tokens: Token[]): Int32Array {
  const result = new Int32Array(tokens.length).fill(-1);
  const opens: number[] = [];
  let barrier = -1;
  tokens.forEach((t, i) => {
    const top = opens.length > 0 ? opens[opens.length - 1] : -1;
    result[i] = top > barrier ? top : -1;
    if (t.kind !== 'punct') return;
    if (t.text === '(') opens.push(i);
    else if (t.text === ')') opens.pop();
    else if (t.text === ';' || t.text === '{' || t.text === '}') barrier = i;
  });
  return result;
}

/** The string value of a SEC("...") argument: adjacent literals joined; other tokens make it partial. */
export function sectionName(arg: MacroArgument | undefined): { name: string; complete: boolean } | undefined {
  if (!arg) return undefined;
  const tokens = tokenizeC(arg.text);
  let name = '';
  let complete = true;
  for (const t of tokens) {
    if (t.kind === 'string') name += unquote(t.text);
    else complete = false;
  }
  if (!tokens.some((t) => t.kind === 'string')) return undefined;
  return { name, complete };
}

function unquote(literal: string): string {
  const body = literal.replace(/^(L|u8|u|U)?"/, '').replace(/"$/, '');
  return body.replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c === 't' ? '\t' : c));
}
