import * as assert from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { REPO_ROOT, sharedAnalyzer } from '../helpers';

interface SnippetProgram {
  title: string;
  prefix: string;
  expanded: string;
  file: string;
}

describe('snippets', () => {
  let programs: SnippetProgram[];
  let dir: string;
  before(async () => {
    const module = await import(path.join(REPO_ROOT, 'scripts', 'snippets', 'expand.mjs'));
    programs = module.snippetPrograms();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bpf-kptr-snippets-'));
    fs.copyFileSync(path.join(REPO_ROOT, 'test', 'fixtures', 'ownership', 'common.bpf.h'), path.join(dir, 'common.bpf.h'));
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('are contributed for C and number at least ten', () => {
    const manifest = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8'));
    assert.deepStrictEqual(manifest.contributes.snippets, [{ language: 'c', path: './snippets/bpf-kptr.code-snippets' }]);
    assert.ok(programs.length >= 10, `${programs.length} snippets`);
  });

  it('each expands into code that parses without errors and raises no ownership diagnostic', async () => {
    const analyzer = await sharedAnalyzer();
    const problems: string[] = [];
    for (const program of programs) {
      const file = path.join(dir, `${program.prefix}.bpf.c`);
      fs.writeFileSync(file, program.file);
      try {
        const analysis = analyzer.update(file, program.file);
        if (analysis.model.syntaxErrors.length) problems.push(`${program.prefix}: syntax errors`);
        const unanalysed = analysis.model.functions.filter((f) => f.bodySpan && !f.ir).map((f) => `${f.name} (${f.irMissingReason})`);
        if (unanalysed.length) problems.push(`${program.prefix}: not analysed: ${unanalysed.join(', ')}`);
        const findings = analyzer.ownership(file, { major: 6, minor: 18 })!.findings;
        for (const f of findings) problems.push(`${program.prefix}: ${f.code}: ${f.message}`);
      } finally {
        analyzer.close(file);
      }
    }
    assert.deepStrictEqual(problems, []);
  });
});
