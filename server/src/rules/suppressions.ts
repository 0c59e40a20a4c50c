import type { Span } from '../model/documentModel';
import { LineIndex } from '../model/lineIndex';

/**
 * `// bpf-kptr-ignore: kptr-leak` silences a rule on its own line, or, when
 * the comment stands alone on its line, on the next line. Several codes may
 * be listed, separated by commas.
 */
export interface Suppression {
  /** The 0-based line whose findings it silences. */
  line: number;
  codes: string[];
  /** Where the comment is, for the "suppresses nothing" report. */
  span: Span;
}

const PATTERN = /(\/\/|\/\*)\s*bpf-kptr-ignore\s*:\s*([A-Za-z][\w-]*(?:\s*,\s*[A-Za-z][\w-]*)*)/g;

export function parseSuppressions(text: string): Suppression[] {
  const out: Suppression[] = [];
  if (!text.includes('bpf-kptr-ignore')) return out;
  const lines = new LineIndex(text);
  for (let line = 0; line < lines.lineCount; line++) {
    const { start: lineStart, end: lineEnd } = lines.lineSpan(line);
    const content = text.slice(lineStart, lineEnd);
    if (content.includes('bpf-kptr-ignore')) {
      PATTERN.lastIndex = 0;
      for (let match = PATTERN.exec(content); match; match = PATTERN.exec(content)) {
        const standalone = content.slice(0, match.index).trim() === '';
        out.push({
          line: standalone ? line + 1 : line,
          codes: match[2].split(',').map((c) => c.trim()),
          span: { start: lineStart + match.index, end: lineStart + match.index + match[0].length },
        });
      }
    }
  }
  return out;
}
