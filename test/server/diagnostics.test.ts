import * as assert from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { CodeAction, Diagnostic } from 'vscode-languageserver-protocol';
import { EXAMPLES } from '../helpers';
import { TestClient } from '../lspClient';

const MISTAKES = path.join(EXAMPLES, 'mistakes.bpf.c');

describe('ownership diagnostics and quick fixes over the protocol', function () {
  this.timeout(20000);
  let client: TestClient;
  const text = fs.readFileSync(MISTAKES, 'utf8');

  before(async () => {
    client = TestClient.start();
    await client.initialize({ textDocument: { publishDiagnostics: { relatedInformation: true, versionSupport: true, codeDescriptionSupport: true } } });
  });
  after(async () => client.shutdown());

  it('publishes one diagnostic per mistake, with codes, links and related locations', async () => {
    const uri = await client.open(MISTAKES, text);
    const diagnostics = await client.waitForDiagnostics(uri);
    assert.deepStrictEqual(diagnostics.map((d) => d.code), ['kptr-leak', 'kptr-maybe-null', 'kptr-direct-store', 'kptr-xchg-discarded']);
    const leak = diagnostics[0];
    assert.strictEqual(leak.source, 'bpf-kptr');
    assert.strictEqual(leak.severity, 1);
    assert.match(leak.codeDescription!.href, /docs\/rules\/kptr-leak\.md$/);
    assert.ok(fs.existsSync(new URL(leak.codeDescription!.href)), 'the rule page exists where the link points');
    assert.match(String(leak.message), /Unreleased reference/);
    assert.ok(leak.relatedInformation?.some((r) => /acquired here by bpf_cpumask_create/.test(r.message)));
    await client.close(uri);
  });

  it('applies the quick fix for a leak and the diagnostic goes away', async () => {
    const uri = await client.open(MISTAKES, text, 1);
    const diagnostics = await client.waitForDiagnostics(uri, (p) => p.version === 1);
    const leak = diagnostics.find((d) => d.code === 'kptr-leak')!;
    const actions = await client.request<CodeAction[]>('textDocument/codeAction', {
      textDocument: { uri },
      range: leak.range,
      context: { diagnostics: [leak], only: ['quickfix'] },
    });
    const fix = actions.find((a) => a.isPreferred)!;
    assert.match(fix.title, /Release `mask` with bpf_cpumask_release/);
    const edits = fix.edit!.changes![uri];
    const next = client.waitForDiagnostics(uri, (p) => p.version === 2);
    await client.change(uri, 2, edits.map((e) => ({ range: e.range, text: e.newText })));
    const after: Diagnostic[] = await next;
    assert.deepStrictEqual(after.map((d) => d.code), ['kptr-maybe-null', 'kptr-direct-store', 'kptr-xchg-discarded']);
    await client.close(uri);
  });

  it('honours a suppression comment and reports one that suppresses nothing', async () => {
    const source = [
      '#include "kptr_common.bpf.h"',
      'SEC("tp_btf/task_newtask")',
      'int BPF_PROG(p, struct task_struct *task, u64 f)',
      '{',
      '\tstruct bpf_cpumask *m = bpf_cpumask_create();',
      '\t// bpf-kptr-ignore: kptr-maybe-null',
      '\tbpf_cpumask_set_cpu(0, m);',
      '\tbpf_cpumask_release(m); // bpf-kptr-ignore: kptr-leak',
      '\treturn 0;',
      '}',
    ].join('\n');
    const uri = await client.open(path.join(EXAMPLES, 'suppressed.bpf.c'), source);
    const diagnostics = await client.waitForDiagnostics(uri);
    assert.deepStrictEqual(diagnostics.map((d) => [d.code, d.range.start.line]), [['unused-suppression', 7]]);
    await client.close(uri);
  });

  it('applies the project\'s .bpf-kptr.json, the file the CLI reads too', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bpf-kptr-project-'));
    try {
      fs.writeFileSync(path.join(dir, '.bpf-kptr.json'), JSON.stringify({ diagnostics: { disable: ['kptr-leak'], severity: { 'kptr-maybe-null': 'warning' } } }));
      fs.copyFileSync(path.join(EXAMPLES, 'kptr_common.bpf.h'), path.join(dir, 'kptr_common.bpf.h'));
      const uri = await client.open(path.join(dir, 'mistakes.bpf.c'), text);
      const diagnostics = await client.waitForDiagnostics(uri);
      assert.deepStrictEqual(diagnostics.map((d) => [d.code, d.severity]), [
        ['kptr-maybe-null', 2],
        ['kptr-direct-store', 1],
        ['kptr-xchg-discarded', 1],
      ]);
      await client.close(uri);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('reads bpfKptr settings from the client and rejects bad values with a message', async () => {
    const other = TestClient.start();
    other.settings = { kernelVersion: 'six', diagnostics: { disable: ['kptr-leak'] } };
    try {
      await other.initialize({ workspace: { configuration: true } });
      const uri = await other.open(MISTAKES, text);
      const diagnostics = await other.waitForDiagnostics(uri, (p) => p.diagnostics.length > 0);
      await new Promise((r) => setTimeout(r, 300));
      const latest = other.diagnostics.get(uri)!.diagnostics;
      assert.ok(!latest.some((d) => d.code === 'kptr-leak'), 'kptr-leak is disabled by the setting');
      assert.ok(diagnostics.length > 0);
      assert.ok(other.messages.some((m) => /kernelVersion: "six" is not a kernel version/.test(m.message)), JSON.stringify(other.messages));
    } finally {
      await other.shutdown();
    }
  });
});
