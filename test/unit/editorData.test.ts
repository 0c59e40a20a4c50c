import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { Analyzer } from '../../server/src/analyzer';
import { DEFAULT_SETTINGS } from '../../server/src/settings';
import { EXAMPLES, FIXTURES, listFiles } from '../helpers';

describe('a findings-only run (what bpf-kptr-lint does)', () => {
  it('finds exactly what an editor run finds, and keeps no marks or readings', async () => {
    const analyzer = await Analyzer.create();
    const files = [
      ...listFiles(EXAMPLES, /\.bpf\.c$/),
      ...listFiles(path.join(FIXTURES, 'ownership'), /\.bpf\.c$/),
      ...listFiles(path.join(FIXTURES, 'differential'), /\.bpf\.c$/),
    ];
    assert.ok(files.length >= 50, `found ${files.length} files`);
    let marked = 0;
    try {
      for (const file of files) {
        const text = fs.readFileSync(file, 'utf8');
        const run = (editorData: boolean) => {
          analyzer.configure({ includePaths: [path.dirname(file)], editorData });
          analyzer.update(file, text);
          return analyzer.ownership(file, DEFAULT_SETTINGS.kernelVersion)!;
        };
        const editor = run(true);
        const lint = run(false);
        assert.deepStrictEqual([lint.findings, lint.skipped, lint.roots], [editor.findings, editor.skipped, editor.roots], path.relative(FIXTURES, file));
        assert.deepStrictEqual([lint.marks, lint.readings.functions().size], [[], 0], `${path.relative(FIXTURES, file)}: marks or readings kept`);
        if (editor.marks.length > 0 && editor.readings.functions().size > 0) marked++;
        analyzer.close(file);
      }
    } finally {
      analyzer.dispose();
    }
    assert.ok(marked >= files.length / 2, `the editor run kept marks and readings in ${marked} of ${files.length} files`);
  });
});
