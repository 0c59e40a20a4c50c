import * as assert from 'assert';
import * as vscode from 'vscode';
import { codeOf, openFile, scratchCopy, waitForCodes } from './helpers';

const CODES = ['kptr-leak', 'kptr-maybe-null', 'kptr-direct-store', 'kptr-xchg-discarded'];

/** The quick fixes VS Code offers for one diagnostic: what the light bulb and Ctrl+. list. */
async function quickFixesFor(uri: vscode.Uri, diagnostic: vscode.Diagnostic): Promise<vscode.CodeAction[]> {
  const actions = (await vscode.commands.executeCommand<(vscode.CodeAction | vscode.Command)[]>('vscode.executeCodeActionProvider', uri, diagnostic.range, vscode.CodeActionKind.QuickFix.value)) ?? [];
  return actions.filter((a): a is vscode.CodeAction => 'kind' in a || 'edit' in a || 'diagnostics' in a);
}

/** Applies the fix titled `title` for the diagnostic with `code` and waits for VS Code to hold `remaining`. */
async function applyFix(document: vscode.TextDocument, code: string, title: string | RegExp, remaining: string[]): Promise<vscode.CodeAction> {
  const diagnostic = vscode.languages.getDiagnostics(document.uri).find((d) => d.source === 'bpf-kptr' && codeOf(d) === code);
  assert.ok(diagnostic, `a ${code} diagnostic to fix`);
  const fixes = await quickFixesFor(document.uri, diagnostic);
  const fix = fixes.find((a) => (typeof title === 'string' ? a.title === title : title.test(a.title)));
  assert.ok(fix, `a quick fix ${title} for ${code}; offered: ${JSON.stringify(fixes.map((a) => a.title))}`);
  assert.strictEqual(fix.kind?.value, vscode.CodeActionKind.QuickFix.value);
  assert.ok(fix.edit, `${fix.title} carries an edit`);
  // (fix.diagnostics is not passed back by vscode.executeCodeActionProvider: the command's result
  // converter copies title, kind, edit, command and isPreferred only. The range asked for is the diagnostic's.)
  const version = document.version;
  assert.strictEqual(await vscode.workspace.applyEdit(fix.edit), true, `VS Code applied ${fix.title}`);
  assert.ok(document.version > version, 'the document changed');
  await waitForCodes(document.uri, remaining);
  return fix;
}

/** The text with every run of white space made one space. */
const squash = (text: string) => text.replace(/\s+/g, ' ');

/** Fails with the document's text when `expected` is not in it. */
function assertIncludes(document: vscode.TextDocument, expected: string, what: string): void {
  const text = document.getText();
  if (text.includes(expected)) return;
  // Show the neighbourhood of the expected text's first line, where the fix went.
  const lines = text.split('\n');
  const first = expected.split('\n').find((l) => l.trim())!.trim();
  const at = Math.max(0, lines.findIndex((l) => l.trim().startsWith(first.slice(0, 10))));
  const shown = lines.slice(Math.max(0, at - 3), at + 8).map((l, i) => `${String(Math.max(0, at - 3) + i + 1).padStart(4)} | ${l}`);
  assert.fail(`${what}: expected\n${expected}\nVS Code's editor holds:\n${shown.join('\n')}`);
}

describe('quick fixes', () => {
  let scratch: ReturnType<typeof scratchCopy>;
  beforeEach(() => {
    scratch = scratchCopy('quickfix', ['mistakes.bpf.c']);
  });
  afterEach(async () => scratch.dispose());

  it('offers a fix and a suppression for each of the four mistakes, the fix preferred', async () => {
    const { document } = await openFile(scratch.file('mistakes.bpf.c'));
    const diagnostics = await waitForCodes(document.uri, CODES);
    const offered: Record<string, string[]> = {};
    for (const d of diagnostics) {
      const fixes = await quickFixesFor(document.uri, d);
      offered[codeOf(d)] = fixes.map((a) => `${a.isPreferred ? '*' : ''}${a.title}`);
    }
    assert.deepStrictEqual(offered, {
      'kptr-leak': ['*Release `mask` with bpf_cpumask_release before this exit', 'Suppress kptr-leak on this line'],
      'kptr-maybe-null': ['*Return early when `mask` is NULL', 'Suppress kptr-maybe-null on this line'],
      'kptr-direct-store': ['*Store with bpf_kptr_xchg and release the old value', 'Suppress kptr-direct-store on this line'],
      'kptr-xchg-discarded': ['*Release the old value with bpf_cpumask_release', 'Suppress kptr-xchg-discarded on this line'],
    });
  });

  it('applies each preferred fix through VS Code; each removes its own diagnostic and raises none', async () => {
    const { document } = await openFile(scratch.file('mistakes.bpf.c'));
    await waitForCodes(document.uri, CODES);

    await applyFix(document, 'kptr-leak', 'Release `mask` with bpf_cpumask_release before this exit', CODES.slice(1));
    // (Layout aside, which the next test checks: the early return became a block that releases first.)
    assert.ok(squash(document.getText()).includes('if (!slot) { bpf_cpumask_release(mask); return 0; }'), 'the early return became a block that releases the mask first');

    await applyFix(document, 'kptr-maybe-null', 'Return early when `mask` is NULL', CODES.slice(2));
    assertIncludes(document, '\tmask = bpf_cpumask_create();\n\tif (!mask)\n\t\treturn 0;\n\tbpf_cpumask_set_cpu(0, mask);', 'a NULL check after the create');

    await applyFix(document, 'kptr-direct-store', 'Store with bpf_kptr_xchg and release the old value', CODES.slice(3));
    assertIncludes(document, '\tstruct bpf_cpumask *old = bpf_kptr_xchg(&slot->mask, NULL);\n\n\tif (old)\n\t\tbpf_cpumask_release(old);', 'the store goes through bpf_kptr_xchg');

    await applyFix(document, 'kptr-xchg-discarded', 'Release the old value with bpf_cpumask_release', []);
    assertIncludes(document, '\tstruct bpf_cpumask *old = bpf_kptr_xchg(&slot->mask, mask);\n\n\tif (old)\n\t\tbpf_cpumask_release(old);', 'the old value is released');
    assert.deepStrictEqual(vscode.languages.getDiagnostics(document.uri).filter((d) => d.source === 'bpf-kptr'), [], 'nothing left, no unused suppression either');
  });

  it('keeps the code\'s brace style when the leak fix turns a lone `return` into a block', async () => {
    const { document } = await openFile(scratch.file('mistakes.bpf.c'));
    await waitForCodes(document.uri, CODES);
    await applyFix(document, 'kptr-leak', 'Release `mask` with bpf_cpumask_release before this exit', CODES.slice(1));
    // What a person would write (and what the file's other blocks look like): the brace on the
    // `if` line, the block's lines one level in, the closing brace under the `if`.
    assertIncludes(document, '\tif (!slot) {\n\t\tbpf_cpumask_release(mask);\n\t\treturn 0;\n\t}\n', 'the block is laid out as C is');
  });

  it('suppresses a rule on its line with a comment; the diagnostic goes and no unused-suppression comes', async () => {
    const { document } = await openFile(scratch.file('mistakes.bpf.c'));
    await waitForCodes(document.uri, CODES);
    await applyFix(document, 'kptr-maybe-null', 'Suppress kptr-maybe-null on this line', ['kptr-leak', 'kptr-direct-store', 'kptr-xchg-discarded']);
    assertIncludes(document, '\t// bpf-kptr-ignore: kptr-maybe-null\n\tbpf_cpumask_set_cpu(0, mask);', 'the comment sits above the line, indented as it');
  });
});
