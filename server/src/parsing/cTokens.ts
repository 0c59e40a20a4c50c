/**
 * A small C tokenizer for the few places where the syntax tree cannot help:
 * macro masking happens before parsing, so it needs identifiers and brackets
 * while skipping comments, strings and preprocessor lines.
 */

import { detached } from './detached';
import { commonPrefix, commonSuffix } from './textDiff';

export type TokenKind = 'ident' | 'string' | 'punct' | 'number' | 'char';

export interface Token {
  kind: TokenKind;
  text: string;
  start: number;
  end: number;
}

const CH_NEWLINE = 10;
const CH_CR = 13;
const CH_SLASH = 47;
const CH_STAR = 42;
const CH_HASH = 35;
const CH_BACKSLASH = 92;
const CH_DQUOTE = 34;
const CH_SQUOTE = 39;

function isIdentStart(c: number): boolean {
  return (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95 || c === 36;
}

function isIdentPart(c: number): boolean {
  return isIdentStart(c) || (c >= 48 && c <= 57);
}

function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

function isSpace(c: number): boolean {
  return c === 32 || c === 9 || c === 11 || c === 12 || c === CH_NEWLINE || c === CH_CR;
}

/** Skips to the end of a quoted literal; stops at an unescaped newline so a broken literal cannot swallow the file. */
function skipQuoted(text: string, i: number, quote: number): number {
  const n = text.length;
  i++;
  while (i < n) {
    const c = text.charCodeAt(i);
    if (c === CH_BACKSLASH) {
      i += 2;
      continue;
    }
    if (c === quote) return i + 1;
    if (c === CH_NEWLINE) return i;
    i++;
  }
  return n;
}

/** Skips a preprocessor directive, honouring backslash-newline continuations. */
function skipDirective(text: string, i: number): number {
  const n = text.length;
  while (i < n) {
    const c = text.charCodeAt(i);
    if (c === CH_NEWLINE) {
      let j = i - 1;
      if (j >= 0 && text.charCodeAt(j) === CH_CR) j--;
      if (j >= 0 && text.charCodeAt(j) === CH_BACKSLASH) {
        i++;
        continue;
      }
      return i;
    }
    if (c === CH_SLASH && text.charCodeAt(i + 1) === CH_STAR) {
      const close = text.indexOf('*/', i + 2);
      i = close < 0 ? n : close + 2;
      continue;
    }
    i++;
  }
  return n;
}

/**
 * Tokenizes C source outside comments and preprocessor directives.
 * Offsets are UTF-16 code units, as in JavaScript strings and LSP positions.
 */
export function tokenizeC(text: string): Token[] {
  return scan(text, 0, true, [], undefined);
}

/** A text and its tokens, kept so that the next version of the text is tokenized from where it differs. */
export interface TokenizedText {
  text: string;
  tokens: Token[];
}

/**
 * The tokens of `text`, the same as `tokenizeC(text)`, when `previous` is an earlier version of it:
 * the tokens before the first change are taken as they are, those after the last change are
 * moved, and only the stretch in between is scanned. The masker runs on every keystroke, and a
 * scan of the whole document was a tenth of an edit. `previous` is used up: its tokens after the
 * change now stand at their new offsets.
 */
export function retokenizeC(previous: TokenizedText, text: string): Token[] {
  const old = previous.text;
  const oldTokens = previous.tokens;
  const shorter = Math.min(old.length, text.length);
  const prefix = commonPrefix(old, text, shorter);
  const suffix = commonSuffix(old, text, shorter - prefix);
  // Scanning a token looks at one character past its end, so a token ending right before the change is scanned again.
  const kept = tokensEndingBefore(oldTokens, prefix);
  const delta = text.length - old.length;
  let next = kept;
  const resync: Resync = {
    unchangedFrom: text.length - suffix,
    matches: (i, lineStart) => {
      // An old token starts where the scan stands, and the scan is in the same state there: from
      // here on both texts are the same, so are the tokens. The state only matters for a `#`,
      // which starts a directive at the beginning of a line and is a token elsewhere.
      const at = i - delta;
      while (next < oldTokens.length && oldTokens[next].start < at) next++;
      return next < oldTokens.length && oldTokens[next].start === at && !(lineStart && text.charCodeAt(i) === CH_HASH);
    },
    finish: (tokens) => {
      // Moved where they stand rather than copied: half a long file's tokens, on every keystroke.
      for (let m = next; m < oldTokens.length; m++) {
        const t = oldTokens[m];
        t.start += delta;
        t.end += delta;
        tokens.push(t);
      }
      return tokens;
    },
  };
  const from = kept > 0 ? oldTokens[kept - 1].end : 0;
  // Rescanned tokens outlive this version: their texts are copies, so they do not keep it alive.
  return scan(text, from, kept === 0, oldTokens.slice(0, kept), resync, detached);
}

/** How many of `tokens` (in order) end before `offset`. */
function tokensEndingBefore(tokens: Token[], offset: number): number {
  let lo = 0;
  let hi = tokens.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (tokens[mid].end < offset) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Where a scan of a new version may stop: see retokenizeC. */
interface Resync {
  /** The offset from which the new text is the old one's end. */
  unchangedFrom: number;
  matches(i: number, lineStart: boolean): boolean;
  finish(tokens: Token[]): Token[];
}

function scan(text: string, from: number, atLineStart: boolean, tokens: Token[], resync: Resync | undefined, copy?: (text: string) => string): Token[] {
  const n = text.length;
  let i = from;
  let lineStart = atLineStart;
  while (i < n) {
    if (resync && i >= resync.unchangedFrom && resync.matches(i, lineStart)) return resync.finish(tokens);
    const c = text.charCodeAt(i);
    if (c === CH_NEWLINE) {
      lineStart = true;
      i++;
      continue;
    }
    if (isSpace(c)) {
      i++;
      continue;
    }
    if (c === CH_SLASH && text.charCodeAt(i + 1) === CH_SLASH) {
      const eol = text.indexOf('\n', i);
      i = eol < 0 ? n : eol;
      continue;
    }
    if (c === CH_SLASH && text.charCodeAt(i + 1) === CH_STAR) {
      const close = text.indexOf('*/', i + 2);
      i = close < 0 ? n : close + 2;
      continue;
    }
    if (c === CH_HASH && lineStart) {
      i = skipDirective(text, i);
      continue;
    }
    lineStart = false;
    if (isIdentStart(c)) {
      const start = i;
      i++;
      while (i < n && isIdentPart(text.charCodeAt(i))) i++;
      // An encoding prefix glued to a literal (L"x", u8"x") is part of the literal.
      const next = text.charCodeAt(i);
      if ((next === CH_DQUOTE || next === CH_SQUOTE) && /^(L|u|U|u8)$/.test(text.slice(start, i))) {
        i = skipQuoted(text, i, next);
        tokens.push({ kind: next === CH_DQUOTE ? 'string' : 'char', text: copy ? copy(text.slice(start, i)) : text.slice(start, i), start, end: i });
        continue;
      }
      tokens.push({ kind: 'ident', text: copy ? copy(text.slice(start, i)) : text.slice(start, i), start, end: i });
      continue;
    }
    if (isDigit(c) || (c === 46 && isDigit(text.charCodeAt(i + 1)))) {
      const start = i;
      i++;
      while (i < n) {
        const d = text.charCodeAt(i);
        if (isIdentPart(d) || d === 46) {
          i++;
        } else if ((d === 43 || d === 45) && /[eEpP]/.test(text[i - 1])) {
          i++;
        } else {
          break;
        }
      }
      tokens.push({ kind: 'number', text: copy ? copy(text.slice(start, i)) : text.slice(start, i), start, end: i });
      continue;
    }
    if (c === CH_DQUOTE || c === CH_SQUOTE) {
      const start = i;
      i = skipQuoted(text, i, c);
      tokens.push({ kind: c === CH_DQUOTE ? 'string' : 'char', text: copy ? copy(text.slice(start, i)) : text.slice(start, i), start, end: i });
      continue;
    }
    tokens.push({ kind: 'punct', text: text[i], start: i, end: i + 1 });
    i++;
  }
  return tokens;
}

/**
 * Index of the token closing the bracket opened at `open`, or -1 when it is not closed within
 * `limit` tokens. With `withinStatement`, a `;`, `{` or `}` before the close also gives -1: a
 * half-typed `SEC("` must not swallow the function that follows it.
 */
export function matchingClose(tokens: Token[], open: number, limit = 4096, withinStatement = false): number {
  const opener = tokens[open].text;
  const closer = opener === '(' ? ')' : opener === '[' ? ']' : '}';
  let depth = 0;
  const last = Math.min(tokens.length, open + limit);
  for (let i = open; i < last; i++) {
    const t = tokens[i];
    if (t.kind !== 'punct') continue;
    if (t.text === opener) depth++;
    else if (t.text === closer && --depth === 0) return i;
    else if (withinStatement && (t.text === ';' || t.text === '{' || t.text === '}')) return -1;
  }
  return -1;
}

/** Splits the tokens strictly between `open` and `close` at top-level commas. */
export function splitArguments(tokens: Token[], open: number, close: number): Array<{ first: number; last: number }> {
  const args: Array<{ first: number; last: number }> = [];
  let depth = 0;
  let first = open + 1;
  for (let i = open + 1; i < close; i++) {
    const t = tokens[i];
    if (t.kind !== 'punct') continue;
    if (t.text === '(' || t.text === '[' || t.text === '{') depth++;
    else if (t.text === ')' || t.text === ']' || t.text === '}') depth--;
    else if (t.text === ',' && depth === 0) {
      args.push({ first, last: i - 1 });
      first = i + 1;
    }
  }
  if (close > open + 1) args.push({ first, last: close - 1 });
  return args;
}
