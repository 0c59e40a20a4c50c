import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import type { Analyzer } from '../../server/src/analyzer';
import { modelParts } from '../../server/src/model/extractModel';
import { EXAMPLES, FIXTURES, listFiles, sharedAnalyzer } from '../helpers';

/**
 * An edited document reuses the items of its previous version that did not change (their spans
 * moved); the model must be exactly the one a fresh open of the same text gives, lowered bodies
 * included.
 */
describe('document model after edits', () => {
  let analyzer: Analyzer;
  let counter = 0;
  before(async () => {
    analyzer = await sharedAnalyzer();
  });

  function modelJson(file: string, text: string): string {
    return JSON.stringify(analyzer.update(file, text, ++counter).model);
  }

  /** Opens `versions[0]`, edits through the others, and compares each version with a fresh open. */
  function assertSameAsFresh(versions: string[], what: string): void {
    const edited = path.join(FIXTURES, `edited-${process.pid}.bpf.c`);
    const fresh = path.join(FIXTURES, `fresh-${process.pid}.bpf.c`);
    try {
      versions.forEach((text, i) => {
        const incremental = modelJson(edited, text);
        analyzer.close(fresh);
        assert.strictEqual(incremental, modelJson(fresh, text), `${what}: version ${i} differs from a fresh open`);
      });
    } finally {
      analyzer.close(edited);
      analyzer.close(fresh);
    }
  }

  const program = [
    'struct slot { struct bpf_cpumask __kptr *mask; };',
    'struct other { int x; };',
    'typedef struct slot slot_t;',
    'struct {',
    '\t__uint(type, BPF_MAP_TYPE_ARRAY);',
    '\t__uint(max_entries, 1);',
    '\t__type(key, int);',
    '\t__type(value, slot_t);',
    '} slots SEC(".maps");',
    'int bpf_cpumask_test_cpu(unsigned int cpu, const struct cpumask *mask) __ksym;',
    'int bpf_cpumask_test_cpu(unsigned int cpu, const struct cpumask *mask) __ksym;',
    'static int helper(slot_t *s) { return s != 0; }',
    'SEC("tp_btf/task_newtask")',
    'int prog(void *ctx) { int k = 0; slot_t *s = bpf_map_lookup_elem(&slots, &k); return s ? helper(s) : 0; }',
    '',
  ].join('\n');

  it('a typedef that names another struct changes the items after it', () => {
    assertSameAsFresh([program, program.replace('typedef struct slot slot_t;', 'typedef struct other slot_t;'), program], 'typedef retargeted');
  });

  it('a changed SEC before an unchanged function changes its section', () => {
    assertSameAsFresh([program, program.replace('SEC("tp_btf/task_newtask")', 'SEC("fentry/do_exit")')], 'section changed');
  });

  it('text inserted or removed above moves every item after it', () => {
    assertSameAsFresh([program, `// a comment\n\n${program}`, `#include "x.h"\n${program}`, program.slice(program.indexOf('struct other'))], 'items moved');
  });

  it('items that are reordered, duplicated and deleted', () => {
    const lines = program.split('\n');
    const reordered = [...lines.slice(11), ...lines.slice(0, 11)].join('\n');
    const duplicated = `${program}\n${lines[11]}\n${lines[11]}\n`;
    const deleted = lines.filter((_, i) => i !== 11).join('\n');
    assertSameAsFresh([program, reordered, duplicated, deleted, program], 'reordered, duplicated, deleted');
  });

  it('lists its declarations item by item, sharing the parts of the items an edit did not touch', () => {
    const file = path.join(FIXTURES, `parts-${process.pid}.bpf.c`);
    try {
      const before = analyzer.update(file, program, ++counter).model;
      const after = analyzer.update(file, program.replace('return s != 0;', 'return s == 0;'), ++counter).model;
      const [partsBefore, partsAfter] = [modelParts(before)!, modelParts(after)!];
      assert.strictEqual(partsAfter.length, partsBefore.length);
      const changed = partsAfter.map((part, i) => part !== partsBefore[i]);
      assert.deepStrictEqual(
        partsAfter.filter((_, i) => changed[i]).map((part) => part.functions.map((f) => f.name)),
        [['helper']],
        'only the edited function is read again',
      );
      assert.deepStrictEqual(
        partsAfter.flatMap((part) => part.structs.map((st) => st.name)),
        after.structs.map((st) => st.name),
        'the parts hold the model\'s declarations in order',
      );
      assert.deepStrictEqual(
        partsAfter.flatMap((part) => part.functions.map((f) => f.name)),
        after.functions.map((f) => f.name),
      );
    } finally {
      analyzer.close(file);
    }
  });

  it('random edits to every example and fixture (seeded)', () => {
    let seed = 7;
    const random = (n: number) => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed % n;
    };
    const files = [...listFiles(EXAMPLES, /\.bpf\.c$/), ...listFiles(path.join(FIXTURES, 'ownership'), /\.bpf\.c$/)];
    assert.ok(files.length >= 15, `found ${files.length} files`);
    const pieces = ['{', '}', ';', '/*', '*/', '"', '\n', 'SEC("xdp")', 'typedef int u32_t;', 'static ', ' __kptr', 'if (x) ', 'return 0;'];
    for (const file of files) {
      let text = fs.readFileSync(file, 'utf8');
      const versions = [text];
      for (let i = 0; i < 12; i++) {
        const at = random(text.length + 1);
        const end = Math.min(text.length, at + random(3) * random(40));
        text = text.slice(0, at) + (random(2) ? pieces[random(pieces.length)] : '') + text.slice(end);
        versions.push(text);
      }
      assertSameAsFresh(versions, path.relative(FIXTURES, file));
    }
  });
});
