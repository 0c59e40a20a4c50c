import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import type { Diagnostic, TextEdit } from 'vscode-languageserver-types';
import { Analyzer } from '../../server/src/analyzer';
import { codeActions } from '../../server/src/features/codeActions';
import { ownershipDiagnostics } from '../../server/src/features/diagnostics';
import { LineIndex } from '../../server/src/model/lineIndex';
import { DEFAULT_SETTINGS } from '../../server/src/settings';
import { EXAMPLES, FIXTURES, listFiles, REPO_ROOT, sharedAnalyzer } from '../helpers';

const URI = 'file:///fixture.bpf.c';

function diagnose(analyzer: Analyzer, file: string, text: string): Diagnostic[] {
  const analysis = analyzer.update(file, text);
  const ownership = analyzer.ownership(file, DEFAULT_SETTINGS.kernelVersion)!;
  return ownershipDiagnostics(analysis, ownership, {
    severities: {},
    disabled: new Set(),
    uriOf: (f) => (f ? `file://${f}` : URI),
    textOf: (f) => analyzer.textOf(f),
  });
}

function apply(text: string, edits: TextEdit[]): string {
  const index = new LineIndex(text);
  const sorted = [...edits].sort((a, b) => index.offsetAt(b.range.start) - index.offsetAt(a.range.start));
  let out = text;
  for (const edit of sorted) out = out.slice(0, index.offsetAt(edit.range.start)) + edit.newText + out.slice(index.offsetAt(edit.range.end));
  return out;
}

function codes(diagnostics: Diagnostic[]): string[] {
  return diagnostics.map((d) => String(d.code)).sort();
}

const files = [...listFiles(path.join(FIXTURES, 'ownership'), /\.bpf\.c$/), ...listFiles(EXAMPLES, /\.bpf\.c$/)];

describe('quick fixes: each one removes its diagnostic and raises no other', () => {
  let fixesSeen = 0;
  const kinds = new Set<string>();

  for (const file of files) {
    it(path.relative(REPO_ROOT, file), async () => {
      const analyzer = await sharedAnalyzer();
      const text = fs.readFileSync(file, 'utf8');
      try {
        const before = diagnose(analyzer, file, text);
        const syntaxErrorsBefore = analyzer.get(file)!.model.syntaxErrors.length;
        for (const diagnostic of before) {
          const actions = codeActions({
            analysis: analyzer.get(file)!,
            withTree: (use) => analyzer.withTree(file, use),
            uri: URI,
            diagnostics: [diagnostic],
          });
          for (const action of actions) {
            const fixed = apply(text, action.edit!.changes![URI]);
            const after = diagnose(analyzer, file, fixed);
            const expected = codes(before);
            expected.splice(expected.indexOf(String(diagnostic.code)), 1);
            assert.deepStrictEqual(
              codes(after),
              expected,
              `"${action.title}" for ${diagnostic.code} at line ${diagnostic.range.start.line + 1} left ${JSON.stringify(codes(after))}\n--- fixed text ---\n${fixed}`,
            );
            assert.ok(analyzer.get(file)!.model.syntaxErrors.length <= syntaxErrorsBefore, `"${action.title}" broke the syntax`);
            if (action.isPreferred) {
              fixesSeen++;
              kinds.add(action.title.split(' ')[0]);
            }
            diagnose(analyzer, file, text);
          }
        }
      } finally {
        analyzer.close(file);
      }
    });
  }

  it('braces a lone if body in the file\'s own style: the brace on the condition\'s line', async () => {
    const analyzer = await sharedAnalyzer();
    const file = path.join(EXAMPLES, 'mistakes.bpf.c');
    const text = fs.readFileSync(file, 'utf8');
    try {
      const leak = diagnose(analyzer, file, text).find((d) => d.code === 'kptr-leak')!;
      const [fix] = codeActions({ analysis: analyzer.get(file)!, withTree: (use) => analyzer.withTree(file, use), uri: URI, diagnostics: [leak] });
      const fixed = apply(text, fix.edit!.changes![URI]);
      assert.ok(fixed.includes('\tif (!slot) {\n\t\tbpf_cpumask_release(mask);\n\t\treturn 0;\n\t}\n'), fixed);
    } finally {
      analyzer.close(file);
    }
  });

  it('covered every kind of fix', () => {
    assert.ok(fixesSeen >= 6, `only ${fixesSeen} fixes were tried`);
    assert.deepStrictEqual([...kinds].sort(), ['Release', 'Return', 'Store'].sort(), `fix kinds tried: ${[...kinds].join(', ')}`);
  });
});
