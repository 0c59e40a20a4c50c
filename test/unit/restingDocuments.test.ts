import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { Analyzer } from '../../server/src/analyzer';
import { DEFAULT_SETTINGS } from '../../server/src/settings';
import { EXAMPLES, FIXTURES, listFiles } from '../helpers';

const kernel = DEFAULT_SETTINGS.kernelVersion;

describe('resting documents (the analyzer)', () => {
  let analyzer: Analyzer;
  before(async () => (analyzer = await Analyzer.create()));
  after(() => analyzer.dispose());

  it('a document that rested is analysed again from its text to the same model and findings', () => {
    const files = [...listFiles(EXAMPLES, /\.bpf\.c$/), ...listFiles(path.join(FIXTURES, 'ownership'), /\.bpf\.c$/)];
    assert.ok(files.length >= 30, `found ${files.length} files`);
    for (const file of files) {
      const name = path.relative(FIXTURES, file);
      analyzer.configure({ includePaths: [path.dirname(file)] });
      const analysed = analyzer.update(file, fs.readFileSync(file, 'utf8'), 3);
      const ownership = analyzer.ownership(file, kernel)!;
      analyzer.rest(file);
      assert.ok(analyzer.isResting(file), name);
      assert.strictEqual(analyzer.versionOf(file), 3, name);
      const again = analyzer.get(file)!;
      assert.notStrictEqual(again, analysed, `${name}: analysed again, not kept`);
      assert.ok(!analyzer.isResting(file), `${name}: awake once used`);
      assert.deepStrictEqual(again.model, analysed.model, name);
      const { elapsedMs: _a, ...before } = ownership;
      const { elapsedMs: _b, ...now } = analyzer.ownership(file, kernel)!;
      assert.deepStrictEqual(now, before, name);
      assert.ok(analyzer.withTree(file, (tree) => tree.rootNode.childCount > 0), `${name}: a tree again for quick fixes`);
      analyzer.close(file);
    }
  });

  it('tells the headers a resting document includes without analysing it, and rests only open documents', () => {
    const file = path.join(EXAMPLES, 'task_stash.bpf.c');
    analyzer.configure({ includePaths: [] });
    analyzer.update(file, fs.readFileSync(file, 'utf8'), 1);
    const headers = analyzer.includedHeaders(file);
    assert.deepStrictEqual(headers, [path.join(EXAMPLES, 'kptr_common.bpf.h')]);
    analyzer.rest(file);
    assert.deepStrictEqual(analyzer.includedHeaders(file), headers);
    assert.ok(analyzer.isResting(file), 'asking for the headers did not wake it');
    analyzer.rest(file);
    analyzer.rest('/nowhere/never-opened.bpf.c');
    assert.ok(!analyzer.isResting('/nowhere/never-opened.bpf.c'));
    assert.strictEqual(analyzer.versionOf('/nowhere/never-opened.bpf.c'), undefined);
    analyzer.close(file);
  });

  it('an edit to a resting document is analysed as a fresh open of the new text', async () => {
    const file = path.join(EXAMPLES, 'mistakes.bpf.c');
    const text = fs.readFileSync(file, 'utf8');
    const edited = text.replace(/\n\tmask = bpf_cpumask_create\(\);/, '\n\tmask = NULL;');
    assert.notStrictEqual(edited, text, 'the edit applies');
    analyzer.configure({ includePaths: [] });
    analyzer.update(file, text, 1);
    const codesBefore = analyzer.ownership(file, kernel)!.findings.map((f) => f.code);
    analyzer.rest(file);
    analyzer.update(file, edited, 2);
    const { elapsedMs: _a, ...afterRest } = analyzer.ownership(file, kernel)!;
    analyzer.close(file);
    const fresh = await Analyzer.create();
    try {
      fresh.update(file, edited, 2);
      const { elapsedMs: _b, ...expected } = fresh.ownership(file, kernel)!;
      assert.deepStrictEqual(afterRest, expected);
      assert.notDeepStrictEqual(afterRest.findings.map((f) => f.code), codesBefore, 'the edit changed the findings: the new text was analysed');
    } finally {
      fresh.dispose();
    }
  });

  it('opening records the text and version; the first use analyses them', () => {
    const file = path.join(EXAMPLES, 'global_busy_mask.bpf.c');
    analyzer.open(file, fs.readFileSync(file, 'utf8'), 5);
    assert.strictEqual(analyzer.versionOf(file), 5);
    analyzer.rest(file);
    assert.ok(!analyzer.isResting(file), 'nothing analysed yet, so nothing to give up: its analysis is due');
    assert.ok(analyzer.openFiles().includes(file));
    assert.strictEqual(analyzer.get(file)!.version, 5);
    assert.throws(() => analyzer.open(file, 42 as unknown as string, 6), /Analyzer\.open\(.*\): the text is number/);
    analyzer.close(file);
  });
});
