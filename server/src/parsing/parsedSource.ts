import type { Point, Tree } from 'web-tree-sitter';
import { maskBpfMacros, MaskedSource } from './bpfMask';
import { commonPrefix, commonSuffix } from './textDiff';
import { retokenizeC, tokenizeC, TokenizedText } from './cTokens';
import { CParser, PARSE_BUDGET_MS } from './cParser';

function pointAt(text: string, offset: number): Point {
  let row = 0;
  let lineStart = 0;
  for (let i = text.indexOf('\n'); i >= 0 && i < offset; i = text.indexOf('\n', i + 1)) {
    row++;
    lineStart = i + 1;
  }
  return { row, column: offset - lineStart };
}

/**
 * The tokens of the text masked last, and whose text it was: the next version of that document is
 * tokenized from where it differs (retokenizeC). One is kept, not one per document: the tokens of a
 * 5,000-line file take about 2 MiB, and typing happens in one document at a time.
 */
let lastTokenized: { source: ParsedSource; tokenized: TokenizedText } | undefined;

/**
 * One document's syntax tree, kept up to date incrementally. It owns its
 * tree: a replaced tree is deleted as soon as its successor exists, and
 * `dispose` deletes the last one. Nodes never leave this object's users'
 * synchronous code.
 */
export class ParsedSource {
  private current: Tree | undefined;
  private masked: MaskedSource = { text: '', macros: [] };

  constructor(private readonly parser: CParser) {}

  get tree(): Tree | undefined {
    return this.current;
  }

  get source(): MaskedSource {
    return this.masked;
  }

  /**
   * Brings the tree up to `text`. The edit handed to tree-sitter is the
   * span where the old and new masked texts differ, which is always right
   * whatever edits produced the new text.
   */
  update(text: string, budgetMs?: number): Tree | undefined {
    const next = maskBpfMacros(text, (readable) => {
      // Taken before retokenizing, which moves its tokens: should that throw, the next version is scanned whole.
      const previous = lastTokenized?.source === this ? lastTokenized.tokenized : undefined;
      lastTokenized = undefined;
      const tokens = previous ? retokenizeC(previous, readable) : tokenizeC(readable);
      lastTokenized = { source: this, tokenized: { text: readable, tokens } };
      return tokens;
    });
    const old = this.masked.text;
    const previous = this.current;
    if (previous && next.text === old) {
      this.masked = next;
      return previous;
    }
    // Error recovery depends on what an incremental parse reuses, so a broken file could read
    // differently after edits than when opened fresh (a `static` lost to the line above it):
    // broken text is always parsed from scratch. A tree that was already broken is not reused at
    // all, so typing in a broken file costs one parse per edit, not two.
    const reusable = previous && !previous.rootNode.hasError ? previous : undefined;
    if (reusable) {
      const shorter = Math.min(old.length, next.text.length);
      const prefix = commonPrefix(old, next.text, shorter);
      const suffix = commonSuffix(old, next.text, shorter - prefix);
      reusable.edit({
        startIndex: prefix,
        oldEndIndex: old.length - suffix,
        newEndIndex: next.text.length - suffix,
        startPosition: pointAt(old, prefix),
        oldEndPosition: pointAt(old, old.length - suffix),
        newEndPosition: pointAt(next.text, next.text.length - suffix),
      });
    }
    const started = Date.now();
    let tree = this.parser.parse(next.text, reusable, budgetMs);
    if (tree && reusable && tree.rootNode.hasError) {
      tree.delete();
      const left = (budgetMs ?? PARSE_BUDGET_MS) - (Date.now() - started);
      tree = left > 0 ? this.parser.parse(next.text, undefined, left) : undefined;
    }
    previous?.delete();
    this.current = tree;
    this.masked = next;
    return tree;
  }

  dispose(): void {
    this.current?.delete();
    this.current = undefined;
    if (lastTokenized?.source === this) lastTokenized = undefined;
  }
}
