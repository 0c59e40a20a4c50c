import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { functionKey } from '../../server/src/engine/analyze';
import { DOCUMENT_SITE } from '../../server/src/engine/fieldChecks';
import type { Finding } from '../../server/src/engine/findings';
import { KernelVersion } from '../../server/src/knowledge/kernelVersion';
import { LineIndex } from '../../server/src/model/lineIndex';
import { EXAMPLES, FIXTURES, listFiles, REPO_ROOT, sharedAnalyzer } from '../helpers';

interface Bound {
  op: string;
  major: number;
  minor: number;
}

interface Expectation {
  name: string;
  /** The kernel's verdict. */
  expect: null | 'ok' | string[];
  kernel: Bound[];
  /** Where bpf-kptr knowingly answers otherwise, and why. */
  engine: null | { expect: 'ok' | string[]; why: string };
}

/** A kernel the program's `kernel:` range allows, preferring the newest the tables know. */
function kernelFor(bounds: Bound[]): KernelVersion {
  let version: KernelVersion = { major: 6, minor: 18 };
  for (const b of bounds) {
    if (b.op === '<') version = b.minor > 0 ? { major: b.major, minor: b.minor - 1 } : { major: b.major - 1, minor: 19 };
    if (b.op === '<=' || b.op === '=') version = { major: b.major, minor: b.minor };
  }
  return version;
}

/**
 * Findings outside any program (a field or map declaration) are expected by
 * a `// expect-decl: CODE` comment on the line above the one they are on.
 */
function declarationProblems(text: string, findings: Finding[]): string[] {
  const lines = text.split('\n');
  const expected = new Map<number, string[]>();
  lines.forEach((line, i) => {
    const match = /\/\/\s*expect-decl:\s*(.+)$/.exec(line);
    if (match) expected.set(i + 1, match[1].split(',').map((c) => c.trim()));
  });
  const index = new LineIndex(text);
  const got = new Map<number, string[]>();
  for (const f of findings.filter((x) => x.site.fn === DOCUMENT_SITE)) {
    const line = index.positionAt(f.site.span.start).line;
    got.set(line, [...(got.get(line) ?? []), f.code].sort());
  }
  const problems: string[] = [];
  for (const line of new Set([...expected.keys(), ...got.keys()])) {
    const want = [...(expected.get(line) ?? [])].sort();
    const have = got.get(line) ?? [];
    if (JSON.stringify(want) !== JSON.stringify(have)) problems.push(`line ${line + 1}: declaration findings [${have.join(', ')}], expected [${want.join(', ')}]`);
  }
  return problems;
}

// Differential fixtures the kernel rejected for reasons outside every rule state no expectation.
const differential = listFiles(path.join(FIXTURES, 'differential'), /\.bpf\.c$/).filter((f) => !path.basename(f).startsWith('outside-'));
const files = [...listFiles(path.join(FIXTURES, 'ownership'), /\.bpf\.c$/), ...differential, ...listFiles(EXAMPLES, /\.bpf\.c$/)];

describe('ownership fixtures: each program gets exactly the codes its comment expects', () => {
  let readExpectations: (source: string) => Expectation[];
  before(async () => {
    const module = await import(path.join(REPO_ROOT, 'scripts', 'verifier', 'expectations.mjs'));
    readExpectations = module.readExpectations;
  });

  for (const file of files) {
    it(path.relative(REPO_ROOT, file), async () => {
      const analyzer = await sharedAnalyzer();
      const text = fs.readFileSync(file, 'utf8');
      const programs = readExpectations(text).filter((p) => p.expect !== null);
      assert.ok(programs.length > 0, 'the file states expectations');
      const problems: string[] = [];
      try {
        const analysis = analyzer.update(file, text);
        for (const program of programs) {
          const kernel = kernelFor(program.kernel);
          const ownership = analyzer.ownership(file, kernel)!;
          const fn = analysis.model.functions.find((f) => f.name === program.name && !f.isPrototype);
          if (!fn) {
            problems.push(`${program.name}: no such function in the model`);
            continue;
          }
          const key = functionKey(undefined, fn);
          // A program the engine leaves alone may expect silence, never a finding.
          if (!fn.ir && (program.engine?.expect ?? program.expect) !== 'ok') problems.push(`${program.name}: not analysed (${fn.irMissingReason ?? 'no IR'})`);
          const reach = new Set([key, ...(ownership.globalCalls[key] ?? [])]);
          const codes = [
            ...new Set(
              ownership.findings
                .filter((f) => (f.roots ?? []).some((r) => reach.has(r)))
                .map((f) => f.code),
            ),
          ].sort();
          const want = program.engine?.expect ?? program.expect;
          const expected = want === 'ok' ? [] : [...new Set(want as string[])].sort();
          if (JSON.stringify(codes) !== JSON.stringify(expected)) {
            const detail = ownership.findings
              .filter((f) => (f.roots ?? []).some((r) => reach.has(r)))
              .map((f) => `    ${f.code}: ${f.message}`)
              .join('\n');
            problems.push(`${program.name} (kernel ${kernel.major}.${kernel.minor}): expected [${expected.join(', ')}], got [${codes.join(', ')}]\n${detail}`);
          }
        }
        problems.push(...declarationProblems(text, analyzer.ownership(file, { major: 6, minor: 18 })!.findings));
      } finally {
        analyzer.close(file);
      }
      assert.deepStrictEqual(problems, []);
    });
  }
});
