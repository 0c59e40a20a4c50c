import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { retokenizeC, tokenizeC, TokenizedText } from '../../server/src/parsing/cTokens';
import { EXAMPLES, FIXTURES, listFiles } from '../helpers';

function seeded(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state * 1664525 + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}

/** Pieces that change how what follows them is read: comments, literals, directives, line ends. */
const PIECES = ['/*', '*/', '//', '"', "'", '#', '#define X 1\\\n', '\\\n', '\n', '\r\n', ' ', 'L"', 'u8\'', '1e+5', '.5', 'x', 'SEC("s")', '__kptr', '(', ')', '{', '}', ';', '->', '.', '\t'];

function edited(text: string, random: () => number): string {
  const at = Math.floor(random() * (text.length + 1));
  const remove = random() < 0.3 ? 0 : Math.floor(random() * 8);
  const insert = random() < 0.2 ? '' : PIECES[Math.floor(random() * PIECES.length)];
  return text.slice(0, at) + insert + text.slice(at + remove);
}

describe('tokenizing a new version from the previous one', () => {
  const files = [...listFiles(EXAMPLES, /\.bpf\.c$/), ...listFiles(path.join(FIXTURES, 'ownership'), /\.bpf\.c$/), ...listFiles(path.join(FIXTURES, 'differential'), /\.bpf\.c$/)];

  it('gives the tokens a full scan gives, edit after edit, in every example and fixture', () => {
    assert.ok(files.length >= 50, `${files.length} files`);
    const random = seeded(11);
    let edits = 0;
    for (const file of files) {
      let text = fs.readFileSync(file, 'utf8');
      let previous: TokenizedText = { text, tokens: tokenizeC(text) };
      for (let step = 0; step < 40; step++) {
        text = edited(text, random);
        const tokens = retokenizeC(previous, text);
        assert.deepStrictEqual(tokens, tokenizeC(text), `${path.basename(file)}, edit ${step}`);
        previous = { text, tokens };
        edits++;
      }
    }
    assert.ok(edits >= 2000);
  });

  it('handles the edge cases: nothing changed, everything changed, an empty text, edits at both ends', () => {
    const text = '#include "x.h"\nint a; /* c */ char *s = "q";\n#define Y 2\nvoid f(void) { a = 1; }\n';
    for (const next of [text, '', 'int b;', text + 'int z;', 'int z;' + text, text.slice(1), text.slice(0, -1), '#' + text, text.replace('\n#define', ' #define')]) {
      // A fresh previous version each time: retokenizing uses it up.
      assert.deepStrictEqual(retokenizeC({ text, tokens: tokenizeC(text) }, next), tokenizeC(next), JSON.stringify(next));
    }
    assert.deepStrictEqual(retokenizeC({ text: '', tokens: [] }, text), tokenizeC(text));
    // A `#` in the middle of a line is a token; moved to the start of one, it starts a directive.
    const midLine = 'x = a # b;\nint c;\n';
    const atLineStart = 'x = a\n# b;\nint c;\n';
    assert.deepStrictEqual(retokenizeC({ text: midLine, tokens: tokenizeC(midLine) }, atLineStart), tokenizeC(atLineStart));
    assert.deepStrictEqual(retokenizeC({ text: atLineStart, tokens: tokenizeC(atLineStart) }, midLine), tokenizeC(midLine));
  });
});
