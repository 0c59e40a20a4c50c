import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { REPO_ROOT, SLOT_HEADER } from '../helpers';
import { fuzz, LspSession, ROBUSTNESS_FIXTURES, sleep, startServer, tempDir, uriOf } from './harness';

/**
 * Incremental state never drifts: after any sequence of edits, a document's
 * diagnostics equal those of a fresh open of its final text in a server that
 * never saw the earlier versions. Edits are sent as fast as a client can send
 * them (incremental ranges, computed against a mirror that uses the server's
 * own TextDocument implementation, so the mirror's text is the server's).
 */

const EXAMPLES = path.join(REPO_ROOT, 'examples');
let counter = 0;

describe('robustness: incremental state never drifts', function () {
  this.timeout(180000);
  let subject: LspSession;
  let reference: LspSession;
  let normalize: (d: LspSession['published'][number]['diagnostics'], uri: string) => string[];

  before(async () => {
    normalize = (await fuzz()).normalizeDiagnostics;
    [subject, reference] = await Promise.all([startServer(), startServer()]);
  });
  after(async () => Promise.all([subject?.shutdown(), reference?.shutdown()]));

  /** The subject's diagnostics for the mirror's current text must equal a fresh open in the reference. */
  async function assertNoDrift(uri: string, what: string): Promise<void> {
    const current = await subject.diagnosticsOfCurrent(uri, 60000);
    const text = subject.text(uri)!;
    const fresh = await freshDiagnostics(uri, text);
    assert.deepStrictEqual(normalize(current.diagnostics, uri), normalize(fresh, uri), `${what}: the incremental diagnostics differ from a fresh open of the same text`);
  }

  async function freshDiagnostics(uri: string, text: string) {
    reference.open(uri, text);
    const published = await reference.diagnosticsOfCurrent(uri, 60000);
    reference.close(uri);
    return published.diagnostics;
  }

  it('random edit sequences over the protocol (seeded): token and line edits, random bytes, truncation, line ends', async () => {
    const { Rng, mutate, loadCorpus } = await fuzz();
    const corpus = loadCorpus(REPO_ROOT).filter((c) => !c.file.startsWith(ROBUSTNESS_FIXTURES) && c.text.length < 20000);
    for (let session = 0; session < 12; session++) {
      const rng = new Rng(`incremental-${session}`);
      const source = rng.pick(corpus);
      const uri = uriOf(path.join(path.dirname(source.file), `drift-${process.pid}-${++counter}.bpf.c`));
      subject.open(uri, source.text);
      const steps = rng.range(10, 40);
      for (let i = 0; i < steps; i++) subject.editTo(uri, mutate(rng, subject.text(uri)!, { corpus }, rng.logInt(3)).text);
      await assertNoDrift(uri, `session ${session} from ${path.relative(REPO_ROOT, source.file)} after ${steps} edits`);
      subject.close(uri);
    }
  });

  it('typing a program character by character, then deleting it backwards', async () => {
    const text = fs.readFileSync(path.join(EXAMPLES, 'mistakes.bpf.c'), 'utf8');
    const uri = uriOf(path.join(EXAMPLES, `typing-${process.pid}-${++counter}.bpf.c`));
    subject.open(uri, '');
    for (let i = 0; i < text.length; i++) subject.edit(uri, i, i, text[i]);
    await assertNoDrift(uri, 'after typing the whole file');
    for (let i = text.length; i > text.length / 2; i--) subject.edit(uri, i - 1, i, '');
    await assertNoDrift(uri, 'after deleting the second half backwards');
    subject.close(uri);
  });

  it('the same function text in a new context is lowered again (body-lowering cache)', async () => {
    // Found by the fuzzer: the cache of lowered bodies was keyed by the function's text alone,
    // so a function whose surroundings changed how it parses (here an unterminated comment
    // before it) kept the IR of its earlier context.
    const meta = JSON.parse(fs.readFileSync(path.join(ROBUSTNESS_FIXTURES, 'drift-lowering-cache-context.json'), 'utf8')) as { versions: string[] };
    const versions = meta.versions.map((f) => fs.readFileSync(path.join(ROBUSTNESS_FIXTURES, f), 'utf8'));
    const uri = uriOf(path.join(EXAMPLES, `lowering-cache-${process.pid}-${++counter}.bpf.c`));
    subject.open(uri, versions[0]);
    await subject.diagnosticsOfCurrent(uri, 60000);
    for (const next of versions.slice(1)) subject.editTo(uri, next);
    await assertNoDrift(uri, 'after the context of an unchanged function changed');
    subject.close(uri);
  });

  describe('headers open in the editor', () => {
    let lab: { dir: string; remove: () => void };
    let programUri: string;
    let headerUri: string;
    const headerText = SLOT_HEADER.text;
    const programText = SLOT_HEADER.program;
    const edited = headerText.replace(' __kptr', '');

    /** The last diagnostics for `uri` published after `mark` (an index into `published`), once the server has settled. */
    const publishedAfter = async (uri: string, mark: number, timeoutMs = 15000) => {
      if (!subject.published.slice(mark).some((p) => p.uri === uri)) await subject.waitForDiagnostics(uri, () => true, timeoutMs, false).catch(() => undefined);
      await sleep(600);
      return subject.published.slice(mark).filter((p) => p.uri === uri).pop();
    };

    before(() => {
      lab = tempDir();
      fs.copyFileSync(path.join(EXAMPLES, 'kptr_common.bpf.h'), path.join(lab.dir, 'kptr_common.bpf.h'));
      fs.writeFileSync(path.join(lab.dir, 'slots.bpf.h'), headerText);
      fs.writeFileSync(path.join(lab.dir, 'store.bpf.c'), programText);
      programUri = uriOf(path.join(lab.dir, 'store.bpf.c'));
      headerUri = uriOf(path.join(lab.dir, 'slots.bpf.h'));
    });
    after(() => lab.remove());

    it('editing an open header re-checks the files that include it', async () => {
      subject.open(programUri, programText);
      const first = await subject.diagnosticsOfCurrent(programUri, 60000);
      assert.ok(first.diagnostics.some((d) => d.code === 'kptr-direct-store'), 'the plain store into the __kptr field declared in the header is reported');
      subject.open(headerUri, headerText);
      await subject.diagnosticsOfCurrent(headerUri, 60000);
      // Opening the header re-checks the program once more; let that settle first.
      await sleep(600);
      const mark = subject.published.length;
      subject.editTo(headerUri, edited);
      await subject.diagnosticsOfCurrent(headerUri, 60000);
      const after = await publishedAfter(programUri, mark);
      // What a server that never saw the old header says about the program.
      reference.open(headerUri, edited);
      const fresh = await freshDiagnostics(programUri, programText);
      reference.close(headerUri);
      const shown = after ?? subject.published.filter((p) => p.uri === programUri).slice(-1)[0];
      assert.deepStrictEqual(
        normalize(shown.diagnostics, programUri),
        normalize(fresh, programUri),
        `after the header lost its __kptr tag (unsaved), the program shows ${JSON.stringify(shown.diagnostics.map((d) => d.code))}${after ? '' : ' (not re-published)'}; a fresh open shows ${JSON.stringify(fresh.map((d) => d.code))}`,
      );
    });

    it('closing an edited, unsaved header re-checks the files that include it against the header on disk', async () => {
      // Continues from the previous test: the header is open with unsaved edits.
      const mark = subject.published.length;
      subject.close(headerUri);
      const after = await publishedAfter(programUri, mark, 10000);
      const fresh = await freshDiagnostics(programUri, programText);
      const shown = after ?? subject.published.filter((p) => p.uri === programUri).slice(-1)[0];
      assert.deepStrictEqual(
        normalize(shown.diagnostics, programUri),
        normalize(fresh, programUri),
        `after closing the unsaved header the program shows ${JSON.stringify(shown.diagnostics.map((d) => d.code))}${after ? '' : ' (not re-published)'}; a fresh open (header on disk) shows ${JSON.stringify(fresh.map((d) => d.code))}`,
      );
      subject.close(programUri);
    });
  });
});
