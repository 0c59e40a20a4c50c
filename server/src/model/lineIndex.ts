/**
 * Offsets to 0-based line/character positions (UTF-16, as LSP counts them) and back.
 * A line ends at LF, CR LF or a lone CR, as LSP and C compilers agree.
 */
export class LineIndex {
  private readonly starts: number[] = [0];

  constructor(readonly text: string) {
    // Diagnostics index every version of the document; without a CR, the search for LF alone is
    // several times faster than a look at every character.
    if (!text.includes('\r')) {
      for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) this.starts.push(i + 1);
      return;
    }
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      if (c === 10 || (c === 13 && text.charCodeAt(i + 1) !== 10)) this.starts.push(i + 1);
    }
  }

  positionAt(offset: number): { line: number; character: number } {
    const clamped = Math.max(0, Math.min(offset, this.text.length));
    let lo = 0;
    let hi = this.starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.starts[mid] <= clamped) lo = mid;
      else hi = mid - 1;
    }
    return { line: lo, character: clamped - this.starts[lo] };
  }

  offsetAt(position: { line: number; character: number }): number {
    if (position.line < 0) return 0;
    if (position.line >= this.starts.length) return this.text.length;
    const start = this.starts[position.line];
    const next = position.line + 1 < this.starts.length ? this.starts[position.line + 1] - 1 : this.text.length;
    return Math.min(start + Math.max(0, position.character), next);
  }

  get lineCount(): number {
    return this.starts.length;
  }

  lineText(line: number): string {
    const { start, end } = this.lineSpan(line);
    return this.text.slice(start, end);
  }

  /** Where a line's text is, without its line end. */
  lineSpan(line: number): { start: number; end: number } {
    const start = this.starts[line] ?? this.text.length;
    let end = line + 1 < this.starts.length ? this.starts[line + 1] - 1 : this.text.length;
    if (end > start && this.text.charCodeAt(end - 1) === 13) end--;
    return { start, end };
  }
}

let lastIndex: LineIndex | undefined;

/**
 * The line index of `text`, shared while the same text is asked for again: hover, semantic
 * tokens, code actions and diagnostics of one document version need it one after another.
 */
export function lineIndexOf(text: string): LineIndex {
  if (lastIndex?.text !== text) lastIndex = new LineIndex(text);
  return lastIndex;
}
