import * as assert from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { PassThrough } from 'stream';
import { createConnection } from 'vscode-languageserver/node';
import {
  CodeAction,
  createProtocolConnection,
  Diagnostic,
  Hover,
  ProtocolConnection,
  PublishDiagnosticsParams,
  StreamMessageReader,
  StreamMessageWriter,
} from 'vscode-languageserver-protocol/node';
import { Analyzer } from '../../server/src/analyzer';
import { DEFAULT_ANALYSED_DOCUMENTS } from '../../server/src/recentDocuments';
import { documentKey, startServer } from '../../server/src/server';
import { EXAMPLES, SLOT_HEADER } from '../helpers';
import { fileUri } from '../lspClient';

/**
 * The server keeps the documents used most recently analysed and lets the others rest. The server
 * runs in this process, over a real JSON-RPC connection, so the test can see which documents rest.
 */
class InProcessSession {
  readonly published: PublishDiagnosticsParams[] = [];
  readonly client: ProtocolConnection;
  private readonly waiters: Array<{ uri: string; version?: number; resolve: (d: Diagnostic[]) => void }> = [];

  constructor(readonly analyzer: Analyzer) {
    const toServer = new PassThrough();
    const toClient = new PassThrough();
    startServer(createConnection(new StreamMessageReader(toServer), new StreamMessageWriter(toClient)), analyzer, { version: 'test' });
    this.client = createProtocolConnection(new StreamMessageReader(toClient), new StreamMessageWriter(toServer));
    this.client.onNotification('textDocument/publishDiagnostics', (params: PublishDiagnosticsParams) => {
      this.published.push(params);
      for (let i = this.waiters.length - 1; i >= 0; i--) {
        const w = this.waiters[i];
        if (w.uri === params.uri && (w.version === undefined || params.version === w.version)) {
          this.waiters.splice(i, 1);
          w.resolve(params.diagnostics);
        }
      }
    });
    this.client.onNotification('window/logMessage', () => undefined);
    this.client.listen();
  }

  async initialize(): Promise<void> {
    await this.client.sendRequest('initialize', { processId: null, rootUri: null, capabilities: {} });
    await this.client.sendNotification('initialized', {});
  }

  diagnostics(uri: string, version?: number, timeoutMs = 20000): Promise<Diagnostic[]> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no diagnostics for ${uri} (version ${version}) within ${timeoutMs} ms`)), timeoutMs);
      this.waiters.push({ uri, version, resolve: (d) => (clearTimeout(timer), resolve(d)) });
    });
  }

  async open(file: string, text: string, version = 1): Promise<{ uri: string; diagnostics: Diagnostic[] }> {
    const uri = fileUri(file);
    const published = this.diagnostics(uri, version);
    await this.client.sendNotification('textDocument/didOpen', { textDocument: { uri, languageId: 'c', version, text } });
    return { uri, diagnostics: await published };
  }

  async replace(uri: string, version: number, text: string): Promise<void> {
    await this.client.sendNotification('textDocument/didChange', { textDocument: { uri, version }, contentChanges: [{ text }] });
  }

  hover(uri: string, line: number, character: number): Promise<Hover | null> {
    return this.client.sendRequest('textDocument/hover', { textDocument: { uri }, position: { line, character } });
  }

  dispose(): void {
    this.client.dispose();
    this.analyzer.dispose();
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('resting documents (the server)', function () {
  this.timeout(60000);
  let lab: string;
  let session: InProcessSession;
  const example = (name: string) => fs.readFileSync(path.join(EXAMPLES, name), 'utf8');
  const mistakes = example('mistakes.bpf.c');
  const fillers = ['cpumask_per_task.bpf.c', 'global_busy_mask.bpf.c', 'local_counter.bpf.c', 'task_stash.bpf.c'];

  /** Opens enough other documents, one after another, that everything opened before rests. */
  const openFillers = async (tag: string) => {
    const uris: string[] = [];
    for (let i = 0; i < DEFAULT_ANALYSED_DOCUMENTS; i++) {
      const name = fillers[i % fillers.length];
      uris.push((await session.open(path.join(lab, `${tag}-${i}-${name}`), example(name))).uri);
    }
    return uris;
  };
  const resting = (uri: string) => session.analyzer.isResting(documentKey(uri));

  beforeEach(async () => {
    lab = fs.mkdtempSync(path.join(os.tmpdir(), 'bpf-kptr-resting-'));
    fs.copyFileSync(path.join(EXAMPLES, 'kptr_common.bpf.h'), path.join(lab, 'kptr_common.bpf.h'));
    session = new InProcessSession(await Analyzer.create());
    await session.initialize();
  });
  afterEach(() => {
    session.dispose();
    fs.rmSync(lab, { recursive: true, force: true });
  });

  it(`keeps the ${DEFAULT_ANALYSED_DOCUMENTS} documents used last analysed; the others rest, and answer as before once used`, async () => {
    const first = await session.open(path.join(lab, 'mistakes.bpf.c'), mistakes);
    // On the variable that leaks: its hover tells what it holds, which comes from the analysis.
    const lines = mistakes.split('\n');
    const line = lines.findIndex((l) => l.includes('mask = bpf_cpumask_create();'));
    const character = lines[line].indexOf('mask') + 1;
    const hoverBefore = await session.hover(first.uri, line, character);
    assert.ok(hoverBefore, 'a hover on the variable');
    const others = await openFillers('a');
    assert.ok(resting(first.uri), 'the first document rests once enough others were used after it');
    assert.ok(others.every((uri) => !resting(uri)), 'the documents used last stay analysed');

    const hoverAfter = await session.hover(first.uri, line, character);
    assert.deepStrictEqual(hoverAfter, hoverBefore);
    assert.ok(!resting(first.uri), 'a request wakes the document');
    assert.ok(resting(others[0]), 'and the least recently used one rests in its place');

    session.analyzer.rest(documentKey(first.uri));
    const leak = first.diagnostics.find((d) => d.code === 'kptr-leak')!;
    const actions: CodeAction[] = await session.client.sendRequest('textDocument/codeAction', {
      textDocument: { uri: first.uri },
      range: leak.range,
      context: { diagnostics: [leak] },
    });
    assert.ok(actions.some((a) => a.isPreferred && /bpf_cpumask_release/.test(a.title)), 'the quick fix of a resting document');
  });

  it('an edit to a resting document publishes what a fresh open of the new text does', async () => {
    const first = await session.open(path.join(lab, 'mistakes.bpf.c'), mistakes);
    await openFillers('b');
    assert.ok(resting(first.uri));
    const edited = mistakes.replace(/\n\tmask = bpf_cpumask_create\(\);/, '\n\tmask = NULL;');
    const published = session.diagnostics(first.uri, 2);
    await session.replace(first.uri, 2, edited);
    const afterEdit = await published;
    const fresh = await session.open(path.join(lab, 'mistakes-fresh.bpf.c'), edited);
    const sameUri = (diagnostics: Diagnostic[]) => JSON.parse(JSON.stringify(diagnostics).split(fresh.uri).join(first.uri));
    assert.deepStrictEqual(afterEdit, sameUri(fresh.diagnostics));
    assert.notDeepStrictEqual(afterEdit.map((d) => d.code), first.diagnostics.map((d) => d.code), 'the edit changed what is reported');
  });

  it('editing an open header re-checks a resting document that includes it, and wakes no other', async () => {
    const header = SLOT_HEADER.text;
    fs.writeFileSync(path.join(lab, SLOT_HEADER.name), header);
    const includer = await session.open(path.join(lab, 'store.bpf.c'), SLOT_HEADER.program);
    assert.deepStrictEqual(includer.diagnostics.map((d) => d.code), ['kptr-direct-store']);
    const others = await openFillers('c');
    const headerDoc = await session.open(path.join(lab, SLOT_HEADER.name), header);
    await sleep(300);
    assert.ok(resting(others[0]), 'opened before the header and used no more since');

    const mark = session.published.length;
    const republished = session.diagnostics(includer.uri);
    await session.replace(headerDoc.uri, 2, header.replace(' __kptr', ''));
    assert.deepStrictEqual(await republished, [], 'without the __kptr tag, the plain store is fine');
    await sleep(300);
    const republishedUris = new Set(session.published.slice(mark).map((p) => p.uri));
    assert.deepStrictEqual([...republishedUris].sort(), [headerDoc.uri, includer.uri].sort(), 'only the header and its includer were checked again');
    assert.ok(resting(others[0]), 'finding the includers woke no resting document');
  });
});
