import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { REPO_ROOT } from '../helpers';
import { fuzz, LspSession, Published, ROBUSTNESS_FIXTURES, sleep, startServer, uriOf } from './harness';

/**
 * Many documents changing at once, and typing at hundreds of edits a second:
 * each document's diagnostics end up right for its latest version, versions
 * published for a document never go backwards, and nothing older is published
 * after the latest version's diagnostics.
 */

const EXAMPLES = path.join(REPO_ROOT, 'examples');
let counter = 0;

describe('robustness: concurrent documents and rapid typing', function () {
  this.timeout(240000);
  let subject: LspSession;
  let reference: LspSession;
  let normalize: (d: Published['diagnostics'], uri: string) => string[];

  before(async () => {
    normalize = (await fuzz()).normalizeDiagnostics;
    [subject, reference] = await Promise.all([startServer(), startServer()]);
  });
  after(async () => Promise.all([subject?.shutdown(), reference?.shutdown()]));

  async function fresh(uri: string, text: string) {
    reference.open(uri, text);
    const published = await reference.diagnosticsOfCurrent(uri, 60000);
    reference.close(uri);
    return published.diagnostics;
  }

  /** Every document's last diagnostics are for its final version and equal a fresh open; versions never go backwards. */
  async function assertSettled(uris: string[]): Promise<void> {
    for (const uri of uris) await subject.diagnosticsOfCurrent(uri, 60000);
    await sleep(400);
    for (const uri of uris) {
      const versions = subject.published.filter((p) => p.uri === uri).map((p) => p.version);
      const final = subject.version(uri);
      const backwards = versions.findIndex((v, i) => i > 0 && (v ?? 0) < (versions[i - 1] ?? 0));
      assert.strictEqual(backwards, -1, `${uri}: diagnostics of version ${versions[backwards]} were published after version ${versions[backwards - 1]} (${versions.join(', ')})`);
      assert.strictEqual(versions[versions.length - 1], final, `${uri}: the last diagnostics published are for version ${versions[versions.length - 1]}, the document is at ${final}`);
      const last = subject.published.filter((p) => p.uri === uri).slice(-1)[0];
      assert.deepStrictEqual(normalize(last.diagnostics, uri), normalize(await fresh(uri, subject.text(uri)!), uri), `${uri}: the diagnostics of the final version differ from a fresh open`);
    }
  }

  it('20 documents edited at once, interleaved, as fast as the client can send', async () => {
    const { Rng, mutate, loadCorpus } = await fuzz();
    const corpus = loadCorpus(REPO_ROOT).filter((c) => !c.file.startsWith(ROBUSTNESS_FIXTURES) && c.text.length < 20000);
    const rng = new Rng('concurrency');
    const uris: string[] = [];
    for (let d = 0; d < 20; d++) {
      const source = corpus[d % corpus.length];
      const uri = uriOf(path.join(path.dirname(source.file), `concurrent-${process.pid}-${++counter}.bpf.c`));
      subject.open(uri, source.text);
      uris.push(uri);
    }
    for (let round = 0; round < 30; round++) {
      for (const uri of uris) subject.editTo(uri, mutate(rng, subject.text(uri)!, { corpus }, 1).text);
      if (round % 10 === 9) await sleep(80);
    }
    await assertSettled(uris);
    for (const uri of uris) subject.close(uri);
  });

  it('typing at hundreds of edits a second into one document while another changes', async () => {
    const text = fs.readFileSync(path.join(EXAMPLES, 'mistakes.bpf.c'), 'utf8');
    const typing = uriOf(path.join(EXAMPLES, `rapid-${process.pid}-${++counter}.bpf.c`));
    const other = uriOf(path.join(EXAMPLES, `rapid-other-${process.pid}-${++counter}.bpf.c`));
    subject.open(typing, text);
    subject.open(other, text);
    await subject.diagnosticsOfCurrent(typing, 60000);
    const insertAt = text.indexOf('return 0;');
    const started = Date.now();
    const line = '\tbpf_cpumask_release(mask); /* typed */\n';
    for (let i = 0; i < 600; i++) {
      subject.edit(typing, insertAt + i, insertAt + i, line[i % line.length]);
      if (i % 50 === 0) subject.editTo(other, subject.text(other)! + `\n// ${i}\n`);
      // Bursts of a few milliseconds: several hundred edits a second.
      if (i % 20 === 19) await sleep(5);
    }
    const rate = 600 / ((Date.now() - started) / 1000);
    assert.ok(rate > 200, `only ${Math.round(rate)} edits a second were sent`);
    await assertSettled([typing, other]);
    subject.close(typing);
    subject.close(other);
  });

  it('a slow document does not delay or mix up the results of the others', async () => {
    const slowText = fs.readFileSync(path.join(EXAMPLES, 'mistakes.bpf.c'), 'utf8').repeat(200);
    const slow = uriOf(path.join(EXAMPLES, `slow-${process.pid}-${++counter}.bpf.c`));
    const quick = uriOf(path.join(EXAMPLES, `quick-${process.pid}-${++counter}.bpf.c`));
    subject.open(slow, slowText);
    subject.open(quick, 'int x;\n');
    for (let i = 0; i < 20; i++) {
      subject.edit(slow, 0, 0, `// ${i}\n`);
      subject.editTo(quick, subject.text(quick) + `int y${i};\n`);
    }
    await assertSettled([slow, quick]);
    subject.close(slow);
    subject.close(quick);
  });
});
