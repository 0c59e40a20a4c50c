import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { CParser } from '../../server/src/parsing/cParser';
import { ParsedSource } from '../../server/src/parsing/parsedSource';
import { commonPrefix, commonSuffix } from '../../server/src/parsing/textDiff';
import { EXAMPLES } from '../helpers';

function seeded(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state * 1664525 + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}

/** Every node's type and span, in tree order: a tree reused over a wrong edit range keeps stale spans. */
function shape(source: ParsedSource): string {
  const cursor = source.tree!.walk();
  const out: string[] = [];
  for (;;) {
    out.push(`${cursor.nodeType}@${cursor.startIndex}-${cursor.endIndex}`);
    if (cursor.gotoFirstChild()) continue;
    while (!cursor.gotoNextSibling()) if (!cursor.gotoParent()) return out.join(' ');
  }
}

describe('where two versions of a text differ', () => {
  const byCharacter = (a: string, b: string, limit: number, fromEnd: boolean) => {
    let n = 0;
    while (n < limit && (fromEnd ? a.charCodeAt(a.length - 1 - n) === b.charCodeAt(b.length - 1 - n) : a.charCodeAt(n) === b.charCodeAt(n))) n++;
    return n;
  };

  it('agrees with a character-by-character comparison, at and around every chunk boundary', () => {
    const random = seeded(7);
    const base = Array.from({ length: 5000 }, () => String.fromCharCode(32 + Math.floor(random() * 90))).join('') + '\ud800x';
    const places = [0, 1, base.length - 1, base.length];
    for (let k = 1024; k < base.length; k += 1024) places.push(k - 1, k, k + 1, base.length - k - 1, base.length - k, base.length - k + 1);
    let compared = 0;
    for (const at of places) {
      for (const [remove, insert] of [[0, 'Q'], [1, ''], [1, '\udc00'], [3, 'ab'], [1100, ''], [0, 'z'.repeat(2100)]] as const) {
        const edited = base.slice(0, at) + insert + base.slice(at + remove);
        const shorter = Math.min(base.length, edited.length);
        const prefix = commonPrefix(base, edited, shorter);
        assert.strictEqual(prefix, byCharacter(base, edited, shorter, false), `prefix, edit at ${at}`);
        assert.strictEqual(commonSuffix(base, edited, shorter - prefix), byCharacter(base, edited, shorter - prefix, true), `suffix, edit at ${at}`);
        compared++;
      }
    }
    assert.strictEqual(commonPrefix(base, base, base.length), base.length);
    assert.strictEqual(commonSuffix('', '', 0), 0);
    assert.ok(compared > 50);
  });
});

describe('incremental parsing', () => {
  it('gives the same tree as a fresh parse after random edits', async () => {
    const parser = await CParser.create();
    const original = fs.readFileSync(path.join(EXAMPLES, 'task_stash.bpf.c'), 'utf8');
    const random = seeded(42);
    const pieces = ['SEC("x")', '__kptr ', '{', '}', ';', '\n', 'bpf_kptr_xchg(', ')', ' ', 'if (p) ', '/*', '*/', '"'];
    const incremental = new ParsedSource(parser);
    let text = original;
    incremental.update(text);
    for (let step = 0; step < 200; step++) {
      const at = Math.floor(random() * text.length);
      const remove = Math.floor(random() * 6);
      const insert = random() < 0.7 ? pieces[Math.floor(random() * pieces.length)] : '';
      text = text.slice(0, at) + insert + text.slice(at + remove);
      incremental.update(text);
      if (step % 20 === 19) {
        const fresh = new ParsedSource(parser);
        fresh.update(text);
        assert.strictEqual(incremental.tree!.rootNode.toString(), fresh.tree!.rootNode.toString(), `diverged at step ${step}`);
        fresh.dispose();
      }
    }
    incremental.dispose();
    assert.strictEqual(incremental.tree, undefined);
  });

  it('finds where a long text changed at and around every chunk the comparison steps over', async () => {
    const parser = await CParser.create();
    const examples = fs.readdirSync(EXAMPLES).filter((f) => f.endsWith('.bpf.c')).sort();
    const original = examples.map((f) => fs.readFileSync(path.join(EXAMPLES, f), 'utf8')).join('\n');
    assert.ok(original.length > 6 * 1024, `a text of ${original.length} characters`);
    const places = [0, 1, original.length - 1, original.length];
    for (let k = 1024; k < original.length; k += 1024) places.push(k - 1, k, k + 1, original.length - k - 1, original.length - k, original.length - k + 1);
    const changes = [
      { remove: 0, insert: 'int added;\n' },
      { remove: 1, insert: '' },
      { remove: 2, insert: ';{' },
      { remove: 1030, insert: '' },
      { remove: 0, insert: 'x'.repeat(1500) },
    ];
    const incremental = new ParsedSource(parser);
    incremental.update(original);
    let checked = 0;
    for (const at of places) {
      for (const { remove, insert } of changes) {
        const text = original.slice(0, at) + insert + original.slice(at + remove);
        for (const version of [text, original]) {
          incremental.update(version);
          const fresh = new ParsedSource(parser);
          fresh.update(version);
          assert.strictEqual(shape(incremental), shape(fresh), `edit at ${at} (remove ${remove}, insert ${insert.length})`);
          fresh.dispose();
          checked++;
        }
      }
    }
    incremental.dispose();
    assert.ok(checked > 200, `${checked} versions compared`);
  });

  it('gives up on a parse that runs past its budget instead of stalling', async () => {
    const parser = await CParser.create();
    const huge = 'int f(void) { ' + 'x = (1 + '.repeat(60000) + '1' + ')'.repeat(60000) + '; }';
    const started = Date.now();
    const tree = parser.parse(huge, undefined, 1);
    assert.ok(Date.now() - started < 2000, 'returned promptly');
    assert.strictEqual(tree, undefined, 'the budget stopped the parse');
    const again = parser.parse('int ok;');
    assert.ok(again, 'the parser still works after a timeout');
    again.delete();
  });
});
