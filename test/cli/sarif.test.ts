import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { fileURLToPath, pathToFileURL } from 'url';
import type { Log, ReportingDescriptor, Result } from 'sarif';
// ajv 8 for JSON Schema draft-04, the draft the SARIF 2.1.0 schema is written in.
import Ajv, { ValidateFunction } from 'ajv-draft-04';
import { CLI_FIXTURES, fixture, fixtureProject, JsonReport, lineOf, lint, lintJson, REPO_ROOT, RULES_DIR } from './harness';

const SCHEMA_FILE = path.join(REPO_ROOT, 'node_modules', '@microsoft', 'jest-sarif', 'lib', 'schemas', 'sarif-2.1.0-rtm.5.json');

/** RFC 3986: a URI reference has no spaces and only these characters (or %XX escapes). */
const URI_REFERENCE = /^(?:[A-Za-z0-9\-._~:/?#[\]@!$&'()*+,;=]|%[0-9A-Fa-f]{2})*$/;

function validator(): ValidateFunction {
  // The schema's one `language` pattern is not a valid regular expression in Unicode mode.
  const ajv = new Ajv({ allErrors: true, strict: false, unicodeRegExp: false });
  ajv.addFormat('uri', (value) => URI_REFERENCE.test(value) && /^[A-Za-z][A-Za-z0-9+.-]*:/.test(value) && URL.canParse(value));
  ajv.addFormat('uri-reference', (value) => URI_REFERENCE.test(value));
  ajv.addFormat('date-time', (value) => /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$/.test(value));
  return ajv.compile(JSON.parse(fs.readFileSync(SCHEMA_FILE, 'utf8')) as object);
}

function parseSarif(stdout: string): Log {
  try {
    return JSON.parse(stdout) as Log;
  } catch (error) {
    throw new Error(`the SARIF output is not JSON: ${(error as Error).message}\n${stdout}`);
  }
}

const RULE_PAGES = fs
  .readdirSync(RULES_DIR)
  .filter((f) => /^kptr-.*\.md$/.test(f))
  .map((f) => f.replace(/\.md$/, ''))
  .sort();

describe('bpf-kptr-lint --format sarif', function () {
  this.timeout(60000);
  let validate: ValidateFunction;
  const args = ['-I', 'include', 'src/findings.bpf.c', 'src/warnings.bpf.c', 'src/clean.bpf.c'];
  let sarif: Log;
  let json: JsonReport;
  let exitCode: number | null;

  before(async () => {
    validate = validator();
    const [s, j] = await Promise.all([lint(['--format', 'sarif', ...args]), lintJson(args)]);
    assert.strictEqual(s.stderr, '');
    exitCode = s.code;
    sarif = parseSarif(s.stdout);
    json = j.report;
  });

  const assertValid = (log: unknown) => assert.ok(validate(log), `valid SARIF 2.1.0:\n${JSON.stringify(validate.errors, null, 2)}`);

  it('the schema check itself rejects what GitHub would reject', () => {
    const broken = JSON.parse(JSON.stringify(sarif)) as Log;
    (broken.runs[0].results![0] as { level: string }).level = 'fatal';
    assert.ok(!validate(broken), 'an unknown level is caught');
    const spaced = JSON.parse(JSON.stringify(sarif)) as Log;
    spaced.runs[0].results![0].locations![0].physicalLocation!.artifactLocation!.uri = 'a b.bpf.c';
    assert.ok(!validate(spaced), 'an unencoded space in a URI is caught');
  });

  it('is valid against the SARIF 2.1.0 schema, with findings, and with none', async () => {
    assertValid(sarif);
    const clean = await lint(['--format', 'sarif', 'src/clean.bpf.c']);
    assert.strictEqual(clean.code, 0);
    const log = parseSarif(clean.stdout);
    assertValid(log);
    assert.deepStrictEqual(log.runs[0].results, [], 'a clean run has an empty results array, which closes old alerts');
  });

  it('exits like the other formats: 1 with errors, 0 with warnings only', async () => {
    assert.strictEqual(exitCode, 1);
    const warnings = await lint(['--format', 'sarif', 'src/warnings.bpf.c']);
    assert.strictEqual(warnings.code, 0);
    assert.deepStrictEqual(
      parseSarif(warnings.stdout).runs[0].results!.map((r) => r.level),
      ['warning'],
    );
  });

  it('has one run of bpf-kptr-lint with a rule for every code, each with a help link and the rule page', () => {
    assert.strictEqual(sarif.version, '2.1.0');
    assert.match(sarif.$schema!, /sarif.*2\.1\.0/);
    assert.strictEqual(sarif.runs.length, 1);
    const driver = sarif.runs[0].tool.driver;
    assert.strictEqual(driver.name, 'bpf-kptr-lint');
    const pkg = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string };
    assert.strictEqual(driver.version, pkg.version);
    const rules = driver.rules!;
    const ids = rules.map((r) => r.id);
    assert.strictEqual(new Set(ids).size, ids.length, 'rule ids are unique');
    for (const code of [...RULE_PAGES, 'unused-suppression', 'analysis-skipped']) assert.ok(ids.includes(code), `a rule for ${code}`);
    for (const rule of rules) {
      assert.ok(rule.shortDescription?.text, `${rule.id}: shortDescription.text`);
      assert.ok(rule.fullDescription?.text, `${rule.id}: fullDescription.text`);
      assert.ok(rule.help?.text, `${rule.id}: help.text`);
      assert.ok(['error', 'warning', 'note'].includes(rule.defaultConfiguration!.level!), `${rule.id}: default level`);
      assert.ok(rule.helpUri, `${rule.id}: helpUri`);
    }
    for (const code of RULE_PAGES) {
      const rule = rules.find((r) => r.id === code)!;
      const page = path.join(RULES_DIR, `${code}.md`);
      assert.strictEqual(rule.helpUri, pathToFileURL(page).toString(), `${code}: by default the help link is the installed rule page`);
      assert.strictEqual(rule.help!.markdown, fs.readFileSync(page, 'utf8'), `${code}: the page is embedded for GitHub to show`);
    }
  });

  it('links the rules to BPF_KPTR_RULE_BASE_URL when it is set (a repository URL, for CI)', async () => {
    const run = await lint(['--format', 'sarif', 'src/clean.bpf.c'], { env: { BPF_KPTR_RULE_BASE_URL: 'https://github.com/acme/bpf-kptr/blob/v1/docs/rules' } });
    const log = parseSarif(run.stdout);
    assertValid(log);
    for (const rule of log.runs[0].tool.driver.rules!) assert.strictEqual(rule.helpUri, `https://github.com/acme/bpf-kptr/blob/v1/docs/rules/${rule.id}.md`);
  });

  it('has one result per finding, with ruleId, ruleIndex, level, message and a located region', () => {
    const run = sarif.runs[0];
    const rules = run.tool.driver.rules!;
    const expected = json.files.flatMap((f) => f.diagnostics.map((d) => ({ file: f.path, d })));
    const results = run.results!;
    assert.strictEqual(results.length, expected.length);
    assert.deepStrictEqual(
      results.map((r) => r.ruleId),
      ['kptr-leak', 'kptr-direct-store', 'unused-suppression'],
    );
    const LEVEL: Record<number, Result.level> = { 1: 'error', 2: 'warning', 3: 'note', 4: 'note' };
    results.forEach((result, i) => {
      const { file, d } = expected[i];
      assert.strictEqual(result.ruleId, d.code);
      assert.strictEqual((rules[result.ruleIndex!] as ReportingDescriptor).id, result.ruleId, 'ruleIndex points at the rule');
      assert.strictEqual(result.level, LEVEL[d.severity!]);
      assert.strictEqual(result.message.text, d.message);
      assert.strictEqual(result.locations!.length, 1);
      const physical = result.locations![0].physicalLocation!;
      assert.deepStrictEqual(physical.artifactLocation, { uri: file, uriBaseId: '%SRCROOT%' }, 'a path relative to the checkout, as GitHub wants it');
      assert.deepStrictEqual(physical.region, {
        startLine: d.range.start.line + 1,
        startColumn: d.range.start.character + 1,
        endLine: d.range.end.line + 1,
        endColumn: d.range.end.character + 1,
      });
      assert.deepStrictEqual(
        (result.relatedLocations ?? []).map((r) => [r.message!.text, r.physicalLocation!.region!.startLine]),
        (d.relatedInformation ?? []).map((r) => [r.message, r.location.range.start.line + 1]),
      );
    });
    assert.strictEqual(run.originalUriBaseIds!['%SRCROOT%'].uri, pathToFileURL(CLI_FIXTURES + path.sep).toString(), '%SRCROOT% is the directory it ran in');
    const leakLine = lineOf(fixture('src/findings.bpf.c'), 'if (clone_flags & 1)') + 2;
    assert.deepStrictEqual(results[0].locations![0].physicalLocation!.region, { startLine: leakLine, startColumn: 3, endLine: leakLine, endColumn: 12 });
  });

  it('says columns are UTF-16 code units, and they are', async () => {
    const run = await lint(['--format', 'sarif', 'src/unicode.bpf.c']);
    const log = parseSarif(run.stdout);
    assertValid(log);
    assert.strictEqual(log.runs[0].columnKind, 'utf16CodeUnits');
    const region = log.runs[0].results![0].locations![0].physicalLocation!.region!;
    const lineText = fixture('src/unicode.bpf.c').split('\n')[region.startLine! - 1];
    assert.ok(/[^\x00-\x7f]/.test(lineText.slice(0, region.startColumn! - 1)), 'the line has non-ASCII text before the finding');
    assert.strictEqual(lineText.slice(region.startColumn! - 1, region.endColumn! - 1), 'mask', 'JavaScript string indices are UTF-16 code units');
  });

  it('gives an absolute path as a file: URI, without a base', async () => {
    const absolute = path.join(CLI_FIXTURES, 'src', 'unicode.bpf.c');
    const log = parseSarif((await lint(['--format', 'sarif', absolute])).stdout);
    assertValid(log);
    assert.deepStrictEqual(log.runs[0].results![0].locations![0].physicalLocation!.artifactLocation, { uri: pathToFileURL(absolute).toString() });
  });

  it('percent-encodes file names in URIs (spaces, #, %), so they resolve to the file', async () => {
    const root = fixtureProject('sarif-names');
    const name = path.join('odd dir', 'a #1 100%.bpf.c');
    fs.mkdirSync(path.join(root, 'odd dir'));
    fs.copyFileSync(path.join(root, 'src', 'unicode.bpf.c'), path.join(root, name));
    const run = await lint(['--format', 'sarif', name], { cwd: root });
    const log = parseSarif(run.stdout);
    const location = log.runs[0].results![0].locations![0].physicalLocation!.artifactLocation!;
    const base = log.runs[0].originalUriBaseIds![location.uriBaseId!].uri!;
    assert.strictEqual(fileURLToPath(new URL(location.uri!, base)), path.join(root, name), `"${location.uri}" resolves to the file`);
    assertValid(log);
  });
});
