import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { CParser } from '../../server/src/parsing/cParser';
import { ParsedSource } from '../../server/src/parsing/parsedSource';
import { EXAMPLES } from '../helpers';

function seeded(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state * 1664525 + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}

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
