import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { REPO_ROOT } from '../helpers';
import { EngineHost, errorLines, fuzz, LspSession, ROBUSTNESS_FIXTURES, startServer, uriOf } from './harness';

/**
 * Every failure the fuzzer found, minimised, stays fixed: each fixture in
 * test/fixtures/robustness/ (a NAME.json naming its versions, or a lone
 * .bpf.c) goes through the library (no exception, no hang, incremental equals
 * fresh) and through the server (it survives, and its diagnostics equal a
 * fresh open's).
 */

interface Fixture {
  name: string;
  kind: string;
  versions: string[];
}

function fixtures(): Fixture[] {
  if (!fs.existsSync(ROBUSTNESS_FIXTURES)) return [];
  const entries = fs.readdirSync(ROBUSTNESS_FIXTURES).sort();
  const described = new Set<string>();
  const out: Fixture[] = [];
  for (const file of entries.filter((f) => f.endsWith('.json'))) {
    const meta = JSON.parse(fs.readFileSync(path.join(ROBUSTNESS_FIXTURES, file), 'utf8')) as { kind: string; versions: string[] };
    meta.versions.forEach((v) => described.add(v));
    out.push({ name: file.replace(/\.json$/, ''), kind: meta.kind, versions: meta.versions.map((v) => fs.readFileSync(path.join(ROBUSTNESS_FIXTURES, v), 'utf8')) });
  }
  for (const file of entries.filter((f) => /\.bpf\.[ch]$/.test(f) && !described.has(f))) {
    out.push({ name: file, kind: 'crash', versions: [fs.readFileSync(path.join(ROBUSTNESS_FIXTURES, file), 'utf8')] });
  }
  return out;
}

describe('robustness: minimised fuzzer findings stay fixed', function () {
  this.timeout(120000);
  const all = fixtures();
  // Analysed as if beside the examples, so their includes resolve as they did when found.
  const file = path.join(REPO_ROOT, 'examples', 'robustness-fixture.bpf.c');
  let host: EngineHost;
  let subject: LspSession;
  let reference: LspSession;
  let normalize: (d: LspSession['published'][number]['diagnostics'], uri: string) => string[];

  before(async () => {
    const modules = await fuzz();
    normalize = modules.normalizeDiagnostics;
    host = new modules.EngineHost({ timeoutMs: 30000 });
    [subject, reference] = await Promise.all([startServer(), startServer()]);
  });
  after(async () => Promise.all([host?.stop(), subject?.shutdown(), reference?.shutdown()]));

  it('there are fixtures', () => assert.ok(all.length > 0));

  for (const fixture of all) {
    it(`${fixture.name} (${fixture.kind}): the library`, async () => {
      const reply = await host.check({ file, versions: fixture.versions, drift: true, probes: 8, probeAll: true, resetCaches: true });
      assert.ok(!reply.hang && !reply.died, `${reply.hang ? 'hang' : 'the analysis process died'}: ${reply.error?.message}`);
      assert.ok(reply.ok, `threw ${reply.error?.name}: ${reply.error?.message} ${reply.error?.stack?.split('\n').slice(1, 4).map((l) => l.trim()).join(' < ')}`);
      assert.ok(!reply.drift, `incremental ${JSON.stringify(reply.drift?.incremental)} but fresh ${JSON.stringify(reply.drift?.fresh)}`);
    });

    it(`${fixture.name} (${fixture.kind}): the server`, async () => {
      // A fixture that killed a server must not fail the ones after it.
      if (!subject.alive) subject = await startServer();
      if (!reference.alive) reference = await startServer();
      const uri = uriOf(path.join(REPO_ROOT, 'examples', `fixture-${process.pid}-${fixture.name}.bpf.c`));
      subject.open(uri, fixture.versions[0]);
      for (const next of fixture.versions.slice(1)) subject.editTo(uri, next);
      const incremental = await subject.diagnosticsOfCurrent(uri, 60000).catch((error: Error) => {
        throw new Error(`${error.message} (server ${subject.alive ? 'alive' : `exited: ${errorLines(subject.stderr)}`})`);
      });
      subject.close(uri);
      reference.open(uri, fixture.versions[fixture.versions.length - 1]);
      const fresh = await reference.diagnosticsOfCurrent(uri, 60000);
      reference.close(uri);
      assert.deepStrictEqual(normalize(incremental.diagnostics, uri), normalize(fresh.diagnostics, uri));
      // Every request inside every identifier (up to 200) is answered without an internal error.
      const text = fixture.versions[fixture.versions.length - 1];
      reference.open(uri, text);
      const lines = text.split(/\r\n|\r|\n/);
      const positions = lines.flatMap((line, i) => [...line.matchAll(/[A-Za-z_]\w*/g)].map((m) => ({ line: i, character: m.index! + 1 }))).slice(0, 200);
      const failures: string[] = [];
      for (const position of positions) {
        for (const method of ['textDocument/hover', 'textDocument/completion', 'textDocument/signatureHelp']) {
          const outcome = await reference.settle(method, { textDocument: { uri }, position }, 30000);
          if (outcome.error) failures.push(`${method} at ${position.line + 1}:${position.character + 1}: ${outcome.error.message}`);
        }
      }
      const tokens = await reference.settle('textDocument/semanticTokens/full', { textDocument: { uri } }, 30000);
      if (tokens.error) failures.push(`semantic tokens: ${tokens.error.message}`);
      reference.close(uri);
      assert.deepStrictEqual(failures.slice(0, 5), [], `${failures.length} requests failed`);
    });
  }
});
