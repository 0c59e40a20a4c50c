import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { fileURLToPath } from 'url';
import type { Diagnostic } from 'vscode-languageserver-types';
import { CLI_FIXTURES, fixture, JsonReport, lineOf, lint, lintJson, Run, SGR } from './harness';

/** Every property an LSP 3.17 Diagnostic may have. */
const LSP_DIAGNOSTIC_KEYS = ['range', 'severity', 'code', 'codeDescription', 'source', 'message', 'tags', 'relatedInformation', 'data'];
const SEVERITY_NAME: Record<number, string> = { 1: 'error', 2: 'warning', 3: 'info', 4: 'hint' };

function assertPosition(position: unknown, where: string): void {
  assert.ok(position && typeof position === 'object', `${where} is a position`);
  assert.deepStrictEqual(Object.keys(position as object).sort(), ['character', 'line'], `${where} has only line and character`);
  const { line, character } = position as { line: number; character: number };
  assert.ok(Number.isInteger(line) && line >= 0, `${where}.line is a 0-based line`);
  assert.ok(Number.isInteger(character) && character >= 0, `${where}.character is a 0-based character`);
}

function assertRange(range: Diagnostic['range'], where: string): void {
  assert.deepStrictEqual(Object.keys(range).sort(), ['end', 'start'], `${where} has only start and end`);
  assertPosition(range.start, `${where}.start`);
  assertPosition(range.end, `${where}.end`);
  assert.ok(range.end.line > range.start.line || (range.end.line === range.start.line && range.end.character >= range.start.character), `${where} does not end before it starts`);
}

/** What the text format must print for these diagnostics, built from the JSON of the same run. */
function expectedText(shownPath: string, source: string, diagnostics: Diagnostic[], cwd: string): string {
  const lines = source.split(/\r?\n/);
  const out: string[] = [];
  for (const d of diagnostics) {
    const { start, end } = d.range;
    out.push(`${shownPath}:${start.line + 1}:${start.character + 1}: ${SEVERITY_NAME[d.severity!]}: ${d.message} [${d.code}]`);
    const text = lines[start.line];
    const number = String(start.line + 1);
    const last = end.line === start.line ? Math.max(start.character + 1, Math.min(end.character, text.length)) : text.length;
    out.push(` ${number} | ${text}`);
    out.push(` ${' '.repeat(number.length)} | ${text.slice(0, start.character).replace(/[^\t]/g, ' ')}^${'~'.repeat(last - start.character - 1)}`);
    for (const related of d.relatedInformation ?? []) {
      const file = path.relative(cwd, fileURLToPath(related.location.uri));
      out.push(`${file}:${related.location.range.start.line + 1}:${related.location.range.start.character + 1}: note: ${related.message}`);
    }
  }
  return out.map((l) => l + '\n').join('');
}

describe('bpf-kptr-lint output: text and JSON', function () {
  this.timeout(60000);
  const args = ['-I', 'include', 'src/findings.bpf.c', 'src/clean.bpf.c'];
  const findings = fixture('src/findings.bpf.c');
  let text: Run;
  let json: Run & { report: JsonReport };

  before(async () => {
    [text, json] = await Promise.all([lint(args), lintJson(args)]);
  });

  it('text: one compiler-style line per finding, the source line, a caret under the range, notes for related locations', () => {
    assert.strictEqual(text.code, 1, text.stderr);
    const diagnostics = json.report.files[0].diagnostics;
    assert.strictEqual(text.stdout, expectedText('src/findings.bpf.c', findings, diagnostics, CLI_FIXTURES));

    // And the facts, independently of the JSON: the leak is at the early return (line and column 1-based).
    const leakLine = lineOf(findings, 'if (clone_flags & 1)') + 2;
    const lines = text.stdout.split('\n');
    const header = lines.findIndex((l) => l.includes('[kptr-leak]'));
    assert.match(lines[header], new RegExp(`^src/findings\\.bpf\\.c:${leakLine}:3: error: .*Unreleased reference.* \\[kptr-leak\\]$`));
    assert.strictEqual(lines[header + 1], ` ${leakLine} | \t\treturn 0;`);
    assert.strictEqual(lines[header + 2], `    | \t\t^~~~~~~~~`, 'the caret keeps the tabs of the line so it lines up under `return 0;`');
    assert.match(lines[header + 3], new RegExp(`^src/findings\\.bpf\\.c:${lineOf(findings, 'mask = bpf_cpumask_create();') + 1}:9: note: the reference is acquired here by bpf_cpumask_create$`));
    assert.match(text.stdout, /^src\/findings\.bpf\.c:\d+:2: error: `slot->mask` is a referenced kptr .* \[kptr-direct-store\]$/m);
  });

  it('text: nothing for a clean file, no colour and nothing on stderr when piped', () => {
    assert.ok(!text.stdout.includes('clean.bpf.c'), 'the clean file prints nothing');
    assert.doesNotMatch(text.stdout, SGR);
    assert.strictEqual(text.stderr, '', 'no progress line or summary when stderr is not a terminal');
    assert.strictEqual(json.stderr, '');
  });

  it('json: exactly {"version":1,"files":[{"path","diagnostics"}]}, one entry per checked file, in order', () => {
    assert.strictEqual(json.code, 1);
    assert.ok(json.stdout.endsWith('}\n') && !json.stdout.slice(0, -1).includes('\n'), 'one line of JSON');
    assert.deepStrictEqual(Object.keys(json.report), ['version', 'files']);
    assert.strictEqual(json.report.version, 1);
    assert.deepStrictEqual(
      json.report.files.map((f) => Object.keys(f)),
      [
        ['path', 'diagnostics'],
        ['path', 'diagnostics'],
      ],
    );
    assert.deepStrictEqual(
      json.report.files.map((f) => f.path),
      ['src/findings.bpf.c', 'src/clean.bpf.c'],
    );
    assert.deepStrictEqual(json.report.files[1].diagnostics, [], 'a clean file is listed with no diagnostics');
  });

  it('json: diagnostics are LSP Diagnostic objects (0-based ranges, severity 1-4, code, message, relatedInformation)', () => {
    const diagnostics = json.report.files[0].diagnostics;
    assert.deepStrictEqual(
      diagnostics.map((d) => d.code),
      ['kptr-leak', 'kptr-direct-store'],
    );
    for (const [i, d] of diagnostics.entries()) {
      const where = `diagnostics[${i}]`;
      for (const key of Object.keys(d)) assert.ok(LSP_DIAGNOSTIC_KEYS.includes(key), `${where}.${key} is a property of an LSP Diagnostic`);
      assertRange(d.range, `${where}.range`);
      assert.ok([1, 2, 3, 4].includes(d.severity!), `${where}.severity is 1-4`);
      assert.strictEqual(typeof d.code, 'string');
      assert.strictEqual(typeof d.message, 'string');
      assert.ok(String(d.message).length > 0);
      assert.strictEqual(d.source, 'bpf-kptr');
      for (const [j, related] of (d.relatedInformation ?? []).entries()) {
        assert.deepStrictEqual(Object.keys(related).sort(), ['location', 'message']);
        assert.deepStrictEqual(Object.keys(related.location).sort(), ['range', 'uri']);
        assert.ok(fs.existsSync(fileURLToPath(related.location.uri)), `${where}.relatedInformation[${j}] points at a file`);
        assertRange(related.location.range, `${where}.relatedInformation[${j}].location.range`);
        assert.strictEqual(typeof related.message, 'string');
      }
    }
    const leak = diagnostics[0];
    const leakLine = lineOf(findings, 'if (clone_flags & 1)') + 1;
    assert.deepStrictEqual(leak.range, { start: { line: leakLine, character: 2 }, end: { line: leakLine, character: 11 } }, '0-based: the `return 0;` after two tabs');
    assert.strictEqual(leak.severity, 1);
    assert.ok(leak.relatedInformation!.some((r) => r.message === 'the reference is acquired here by bpf_cpumask_create' && r.location.range.start.line === lineOf(findings, 'mask = bpf_cpumask_create();')));
  });

  it('json: paths exactly as given: relative, ./relative, absolute; as found under a directory; as matched by a glob', async () => {
    const absolute = path.join(CLI_FIXTURES, 'src', 'warnings.bpf.c');
    const [given, directory, absoluteDirectory, glob] = await Promise.all([
      lintJson(['./src/clean.bpf.c', absolute, 'src/unicode.bpf.c']),
      lintJson(['src']),
      lintJson([path.join(CLI_FIXTURES, 'src')]),
      lintJson(['src/*s.bpf.c']),
    ]);
    assert.deepStrictEqual(
      given.report.files.map((f) => f.path),
      ['./src/clean.bpf.c', absolute, 'src/unicode.bpf.c'],
    );
    const sources = ['clean.bpf.c', 'findings.bpf.c', 'unicode.bpf.c', 'warnings.bpf.c'];
    assert.deepStrictEqual(
      directory.report.files.map((f) => f.path),
      sources.map((f) => `src/${f}`),
    );
    assert.deepStrictEqual(
      absoluteDirectory.report.files.map((f) => f.path),
      sources.map((f) => path.join(CLI_FIXTURES, 'src', f)),
    );
    assert.deepStrictEqual(
      glob.report.files.map((f) => f.path),
      ['src/findings.bpf.c', 'src/warnings.bpf.c'],
    );
  });

  it('text: a note in the same file names it the way the finding does, also for an absolute path', async () => {
    const absolute = path.join(CLI_FIXTURES, 'src', 'findings.bpf.c');
    const run = await lint(['-I', 'include', absolute], { cwd: path.join(CLI_FIXTURES, 'include') });
    const headers = run.stdout.split('\n').filter((l) => /: (error|warning|note): /.test(l));
    assert.ok(headers.some((l) => l.includes(': note: ')), 'the leak has notes');
    for (const line of headers) assert.ok(line.startsWith(`${absolute}:`), `"${line}" names ${absolute}`);
  });

  it('text and JSON: columns count UTF-16 code units, and the caret lines up after non-ASCII text', async () => {
    const source = fixture('src/unicode.bpf.c');
    const line = lineOf(source, 'Maße');
    const lineText = source.split('\n')[line];
    const character = lineText.indexOf('mask);');
    const [t, j] = await Promise.all([lint(['src/unicode.bpf.c']), lintJson(['src/unicode.bpf.c'])]);
    const d = j.report.files[0].diagnostics[0];
    assert.strictEqual(d.code, 'kptr-maybe-null');
    assert.deepStrictEqual(d.range, { start: { line, character }, end: { line, character: character + 4 } });
    const lines = t.stdout.split('\n');
    assert.ok(lines[0].startsWith(`src/unicode.bpf.c:${line + 1}:${character + 1}: error: `), lines[0]);
    assert.strictEqual(lines[2], `    | ${lineText.slice(0, character).replace(/[^\t]/g, ' ')}^~~~`);
  });
});
