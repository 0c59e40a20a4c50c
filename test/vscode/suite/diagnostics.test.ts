import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import * as vscode from 'vscode';
import { codeOf, openAndWaitForServer, positionOf, ROOT, waitForCodes } from './helpers';

const CODES = ['kptr-leak', 'kptr-maybe-null', 'kptr-direct-store', 'kptr-xchg-discarded'];

/** The range of the last `word` inside the `nth` (0-based) occurrence of `needle`. */
function rangeIn(document: vscode.TextDocument, needle: string, word: string, nth = 0): vscode.Range {
  const text = document.getText();
  let at = -1;
  for (let i = 0; i <= nth; i++) at = text.indexOf(needle, at + 1);
  assert.ok(at >= 0, `occurrence ${nth + 1} of ${JSON.stringify(needle)}`);
  const start = document.positionAt(at + needle.lastIndexOf(word));
  return new vscode.Range(start, start.translate(0, word.length));
}

const show = (r: vscode.Range) => `${r.start.line + 1}:${r.start.character + 1}-${r.end.line + 1}:${r.end.character + 1}`;

describe('diagnostics', () => {
  it('shows the four ownership mistakes of mistakes.bpf.c in VS Code, source bpf-kptr, as errors', async () => {
    const document = await openAndWaitForServer('mistakes.bpf.c');
    const diagnostics = await waitForCodes(document.uri, CODES);
    for (const d of diagnostics) {
      assert.strictEqual(d.source, 'bpf-kptr');
      assert.strictEqual(d.severity, vscode.DiagnosticSeverity.Error, `${codeOf(d)} is an error`);
    }
    // Where each one is, as the squiggle shows it.
    const expected = [
      rangeIn(document, 'if (!slot)\n\t\treturn 0;', 'return 0;'),
      rangeIn(document, 'bpf_cpumask_set_cpu(0, mask);', 'mask'),
      rangeIn(document, 'slot->mask = NULL;', 'slot->mask = NULL'),
      rangeIn(document, '\tbpf_kptr_xchg(&slot->mask, mask);', 'bpf_kptr_xchg(&slot->mask, mask)'),
    ];
    assert.deepStrictEqual(diagnostics.map((d) => show(d.range)), expected.map(show));
    // Each one is inside the function its comment announces.
    const functions = ['leak_on_early_return', 'missing_null_check', 'plain_store_into_kptr', 'old_value_ignored'];
    diagnostics.forEach((d, i) => assert.ok(d.range.start.isAfter(positionOf(document, `BPF_PROG(${functions[i]},`)), `${codeOf(d)} in ${functions[i]}`));
  });

  it('links each code to its rule page and says where the leaked reference was acquired', async () => {
    const document = await openAndWaitForServer('mistakes.bpf.c');
    const diagnostics = await waitForCodes(document.uri, CODES);
    for (const d of diagnostics) {
      const code = d.code as { value: string; target: vscode.Uri };
      assert.ok(code && typeof code === 'object' && code.target instanceof vscode.Uri, `${codeOf(d)} has a link`);
      assert.strictEqual(path.basename(code.target.fsPath), `${code.value}.md`);
      assert.ok(fs.existsSync(code.target.fsPath), `the rule page ${code.target.fsPath} exists`);
      assert.ok(code.target.fsPath.startsWith(path.join(ROOT, 'docs', 'rules')) || code.target.fsPath.includes(`${path.sep}docs${path.sep}rules${path.sep}`));
    }
    const leak = diagnostics[0];
    assert.match(leak.message, /Unreleased reference/);
    assert.match(leak.message, /Release it with bpf_cpumask_release/);
    const acquired = leak.relatedInformation?.find((r) => /acquired here by bpf_cpumask_create/.test(r.message));
    assert.ok(acquired, `related information: ${JSON.stringify(leak.relatedInformation?.map((r) => r.message))}`);
    assert.strictEqual(acquired.location.uri.toString(), document.uri.toString());
    assert.strictEqual(acquired.location.range.start.line, positionOf(document, 'mask = bpf_cpumask_create();').line);
    assert.match(diagnostics[1].message, /Possibly NULL pointer passed to trusted arg1/);
  });
});
