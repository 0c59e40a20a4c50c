import * as assert from 'assert';
import { LineIndex } from '../../server/src/model/lineIndex';

function seeded(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state * 1664525 + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}

describe('the line index', () => {
  it('ends a line at LF, CR LF and a lone CR', () => {
    const index = new LineIndex('a\nbc\r\nd\re\n');
    assert.strictEqual(index.lineCount, 5);
    assert.deepStrictEqual([0, 1, 2, 3, 4].map((line) => index.lineText(line)), ['a', 'bc', 'd', 'e', '']);
    assert.deepStrictEqual(index.positionAt(6), { line: 2, character: 0 });
    assert.deepStrictEqual(index.positionAt(8), { line: 3, character: 0 });
  });

  it('gives every offset the position a character-by-character count gives, with and without CR', () => {
    const random = seeded(3);
    const alphabet = ['a', 'b', ' ', '\n', '\n', '\r', '\r\n', '\u00e9', '\ud83d\ude00'];
    for (let round = 0; round < 40; round++) {
      const withCr = round % 2 === 0;
      const text = Array.from({ length: 300 }, () => alphabet[Math.floor(random() * alphabet.length)])
        .filter((piece) => withCr || !piece.includes('\r'))
        .join('');
      const index = new LineIndex(text);
      let line = 0;
      let character = 0;
      for (let offset = 0; offset <= text.length; offset++) {
        assert.deepStrictEqual(index.positionAt(offset), { line, character }, `offset ${offset} of ${JSON.stringify(text)}`);
        const c = text[offset];
        if (c === '\n' || (c === '\r' && text[offset + 1] !== '\n')) {
          line++;
          character = 0;
        } else character++;
      }
    }
  });
});
