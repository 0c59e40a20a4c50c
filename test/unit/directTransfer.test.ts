import * as assert from 'assert';
import type { Node } from 'web-tree-sitter';
import { CParser, usesDirectTransfer } from '../../server/src/parsing/cParser';
import { EmscriptenTransfer, installDirectTransfer } from '../../server/src/parsing/directTransfer';

/** A stand-in module whose own accessors record what reaches them. */
function recordingModule(words = 16) {
  const calls: string[] = [];
  const module: EmscriptenTransfer = {
    HEAP32: new Int32Array(words),
    setValue: (pointer, value, type) => void calls.push(`set ${pointer} ${value} ${type}`),
    getValue: (pointer, type) => (calls.push(`get ${pointer} ${type}`), -1),
  };
  return { module, calls };
}

/** The named nodes under `node`, written as an S-expression with field names, read node by node through the JavaScript API. */
function sexpOf(node: Node, field?: string): string {
  const head = `${field ? `${field}: ` : ''}(${node.type}`;
  const children: string[] = [];
  for (let i = 0; i < node.childCount; i++) {
    const child = node.child(i)!;
    if (child.isNamed) children.push(sexpOf(child, node.fieldNameForChild(i) ?? undefined));
    else if (child.isMissing) children.push(`(MISSING ${JSON.stringify(child.type)})`);
  }
  return children.length ? `${head} ${children.join(' ')})` : `${head})`;
}

describe('direct 32-bit transfers between the parser runtime and JavaScript', () => {
  it('32-bit words go straight to WASM memory at the word of their address; every other type to the runtime', () => {
    const { module, calls } = recordingModule();
    assert.strictEqual(installDirectTransfer(module, 'LE'), true);
    module.setValue!(8, -7, 'i32');
    module.setValue!(13, 42, 'i32');
    module.setValue!(4, 9, 'i8');
    module.setValue!(4, 9, '*');
    module.setValue!(4, 9);
    const heap = module.HEAP32 as Int32Array;
    assert.deepStrictEqual([heap[2], heap[3]], [-7, 42], 'address 13 is the word at 12');
    assert.deepStrictEqual([module.getValue!(8, 'i32'), module.getValue!(15, 'i32'), module.getValue!(4, 'i16')], [-7, 42, -1]);
    assert.deepStrictEqual(calls, ['set 4 9 i8', 'set 4 9 *', 'set 4 9 undefined', 'get 4 i16']);
  });

  it('follows the memory when it grows (Emscripten puts a new view on the module)', () => {
    const { module } = recordingModule(4);
    installDirectTransfer(module, 'LE');
    module.HEAP32 = new Int32Array(64);
    module.setValue!(200, 5, 'i32');
    assert.strictEqual((module.HEAP32 as Int32Array)[50], 5);
    assert.strictEqual(module.getValue!(200, 'i32'), 5);
  });

  it('changes nothing on a big-endian machine or a module of another shape', () => {
    const bigEndian = recordingModule();
    const before = { ...bigEndian.module };
    assert.strictEqual(installDirectTransfer(bigEndian.module, 'BE'), false);
    assert.deepStrictEqual(bigEndian.module, before);
    for (const shape of [{}, { HEAP32: new Int32Array(4) }, { ...recordingModule().module, HEAP32: new Uint8Array(16) }] as EmscriptenTransfer[]) {
      const copy = { ...shape };
      assert.strictEqual(installDirectTransfer(shape, 'LE'), false);
      assert.deepStrictEqual(shape, copy);
    }
  });

  describe('with the pinned web-tree-sitter runtime', () => {
    let parser: CParser;
    before(async () => {
      parser = await CParser.create();
    });

    it('is in use (a runtime upgrade that changes the module loses it, and this says so)', () => {
      assert.strictEqual(usesDirectTransfer(), true);
    });

    // 8,000 functions need more than the 32 MiB of WASM memory the runtime starts with, so the
    // reads below go through the views Emscripten put on the module when the memory grew.
    it('every node read through it matches the runtime\'s own rendering of the tree, on a file that needs more WASM memory than the runtime starts with', () => {
      const body = (i: number) => `static int helper_${i}(struct task_struct *p, int cpu)\n{\n\tif (cpu < 0 || !p)\n\t\treturn -${i};\n\treturn p->pid + cpu * ${i};\n}\n`;
      const small = body(0);
      const large = Array.from({ length: 8000 }, (_, i) => body(i)).join('\n') + 'int broken(void) { return ; ; }} \n';
      for (const text of [small, large, small]) {
        const tree = parser.parse(text)!;
        try {
          assert.strictEqual(sexpOf(tree.rootNode), tree.rootNode.toString());
        } finally {
          tree.delete();
        }
      }
    });
  });
});
