import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import * as vscode from 'vscode';
import { extension, openFile, scratchCopy, typeText, waitFor, waitForCodes } from './helpers';

const labelOf = (item: vscode.CompletionItem) => (typeof item.label === 'string' ? item.label : item.label.label);
const insertOf = (item: vscode.CompletionItem) => (item.insertText instanceof vscode.SnippetString ? item.insertText.value : item.insertText);
const rangeOf = (item: vscode.CompletionItem) => (item.range instanceof vscode.Range ? item.range : item.range?.replacing);
const show = (r: vscode.Range | undefined) => (r ? `${r.start.line + 1}:${r.start.character + 1}-${r.end.line + 1}:${r.end.character + 1}` : 'none');

/**
 * What VS Code's suggest widget gets at a position: every provider's items (the snippet provider's
 * too), resolved as the widget resolves the items it shows (kfunc pages come on resolve).
 */
async function completionsAt(uri: vscode.Uri, position: vscode.Position, trigger?: string): Promise<vscode.CompletionItem[]> {
  const list = await vscode.commands.executeCommand<vscode.CompletionList>('vscode.executeCompletionItemProvider', uri, position, trigger, 500);
  return list?.items ?? [];
}

/** A scratch .bpf.c with one program whose body is ready for typing; the cursor at the end of `\t|`. */
const PROGRAM = [
  '#include "kptr_common.bpf.h"',
  '',
  'char LICENSE[] SEC("license") = "GPL";',
  '',
  'SEC("tp_btf/task_newtask")',
  'int BPF_PROG(typing_here, struct task_struct *task, u64 clone_flags)',
  '{',
  '\t',
  '\treturn 0;',
  '}',
  '',
].join('\n');

describe('completion, signature help and snippets', () => {
  let scratch: ReturnType<typeof scratchCopy>;
  let editor: vscode.TextEditor;
  beforeEach(async () => {
    scratch = scratchCopy('completion', []);
    fs.writeFileSync(scratch.file('typing.bpf.c'), PROGRAM);
    editor = await openFile(scratch.file('typing.bpf.c'));
    const line = PROGRAM.split('\n').indexOf('\t');
    editor.selection = new vscode.Selection(line, 1, line, 1);
    await waitForCodes(editor.document.uri, []); // the server has the document
  });
  afterEach(async () => scratch.dispose());

  it('after typing bpf_cpumask_ offers the cpumask kfuncs as call snippets, replacing what was typed', async () => {
    await typeText('bpf_cpumask_');
    const position = editor.selection.active;
    // Until the server answers, VS Code falls back to the file's words (bpf_cpumask_create is one of
    // them); bpf_cpumask_acquire is not in the file: only the server offers it.
    const items = await waitFor('the server\'s completions', async () => {
      const found = await completionsAt(editor.document.uri, position);
      return found.some((i) => labelOf(i) === 'bpf_cpumask_acquire') ? found : undefined;
    });
    const guesses = items.filter((i) => i.kind === vscode.CompletionItemKind.Text).map(labelOf);
    assert.deepStrictEqual(guesses, [], 'no word-based guesses beside the server\'s items');
    const byLabel = new Map(items.map((i) => [labelOf(i), i]));
    const typed = new vscode.Range(position.translate(0, -'bpf_cpumask_'.length), position);
    const expected: Record<string, string> = {
      bpf_cpumask_create: 'bpf_cpumask_create()',
      bpf_cpumask_release: 'bpf_cpumask_release(${1:cpumask})',
      bpf_cpumask_set_cpu: 'bpf_cpumask_set_cpu(${1:cpu}, ${2:cpumask})',
    };
    for (const [label, snippet] of Object.entries(expected)) {
      const item = byLabel.get(label);
      assert.ok(item, `${label} offered`);
      assert.strictEqual(item.kind, vscode.CompletionItemKind.Function, `${label} is a function`);
      assert.ok(item.insertText instanceof vscode.SnippetString, `${label} inserts a snippet (got ${typeof item.insertText})`);
      assert.strictEqual(insertOf(item), snippet);
      assert.strictEqual(show(rangeOf(item)), show(typed), `${label} replaces the typed prefix`);
      const doc = item.documentation instanceof vscode.MarkdownString ? item.documentation.value : String(item.documentation ?? '');
      assert.match(doc, /\*\*Ownership:\*\*/, `${label} documents its ownership`);
    }
    assert.match(String(byLabel.get('bpf_cpumask_create')!.detail), /struct bpf_cpumask \*\s*bpf_cpumask_create\(/);
  });

  it('accepting bpf_cpumask_set_cpu from the suggest widget inserts the call with its arguments as tab stops', async () => {
    await typeText('bpf_cpumask_set_c');
    await waitFor('bpf_cpumask_set_cpu offered', async () => ((await completionsAt(editor.document.uri, editor.selection.active)).some((i) => labelOf(i) === 'bpf_cpumask_set_cpu') ? true : undefined));
    const line = editor.selection.active.line;
    // The suggest widget, through its commands: open it, wait for the (only) match, accept it.
    await waitFor('the call inserted', async () => {
      await vscode.commands.executeCommand('editor.action.triggerSuggest');
      await new Promise((r) => setTimeout(r, 300));
      await vscode.commands.executeCommand('acceptSelectedSuggestion');
      return editor.document.lineAt(line).text.includes('(') ? true : undefined;
    }, 10000);
    assert.strictEqual(editor.document.lineAt(line).text, '\tbpf_cpumask_set_cpu(cpu, cpumask)');
    assert.strictEqual(editor.document.getText(editor.selection), 'cpu', 'the first tab stop is selected');
  });

  it('offers the section names inside SEC(" when " is typed', async () => {
    const line = PROGRAM.split('\n').indexOf(''); // the blank line after LICENSE
    editor.selection = new vscode.Selection(line, 0, line, 0);
    await typeText('SEC(');
    await typeText('"');
    assert.match(editor.document.lineAt(line).text.slice(0, editor.selection.active.character), /^SEC\("$/);
    const position = editor.selection.active;
    const items = await waitFor('section names', async () => {
      const found = await completionsAt(editor.document.uri, position, '"');
      return found.some((i) => labelOf(i) === 'tp_btf/') ? found : undefined;
    });
    const labels = new Set(items.map(labelOf));
    for (const section of ['tp_btf/', 'struct_ops/', 'lsm.s/', 'fentry/', 'syscall', '.maps', 'license']) assert.ok(labels.has(section), `${section} offered`);
    assert.ok(!labels.has('bpf_cpumask_create'), 'no kfuncs inside a section string');
  });

  it('gives signature help inside a kfunc call, on the argument being typed', async () => {
    await typeText('bpf_cpumask_set_cpu(0, ');
    const help = await waitFor('signature help', async () =>
      (await vscode.commands.executeCommand<vscode.SignatureHelp>('vscode.executeSignatureHelpProvider', editor.document.uri, editor.selection.active, ',')) ?? undefined,
    );
    const signature = help.signatures[help.activeSignature];
    assert.match(signature.label, /bpf_cpumask_set_cpu\(u32 cpu, struct bpf_cpumask \*cpumask\)/);
    assert.strictEqual(help.activeParameter, 1);
    const [start, end] = signature.parameters[1].label as [number, number];
    assert.strictEqual(signature.label.slice(start, end), 'struct bpf_cpumask *cpumask');
  });

  it('contributes its snippets for C: offered by prefix in completion, and inserted by name', async () => {
    const contributed = extension().packageJSON.contributes.snippets as { language: string; path: string }[];
    assert.deepStrictEqual(contributed, [{ language: 'c', path: './snippets/bpf-kptr.code-snippets' }]);
    const file = JSON.parse(fs.readFileSync(path.join(extension().extensionPath, contributed[0].path), 'utf8')) as Record<string, { prefix: string }>;
    const prefixes = Object.values(file).map((s) => s.prefix);
    for (const prefix of ['kptr-array-map', 'kptr-store']) assert.ok(prefixes.includes(prefix), `${prefix} in the snippets file`);

    // Typing `kptr` lists them in the suggest widget (the snippet provider, not the server).
    await typeText('kptr');
    const items = await waitFor('the kptr snippets', async () => {
      const found = await completionsAt(editor.document.uri, editor.selection.active);
      return found.some((i) => labelOf(i) === 'kptr-store') ? found : undefined;
    });
    const store = items.find((i) => labelOf(i) === 'kptr-store')!;
    assert.strictEqual(store.kind, vscode.CompletionItemKind.Snippet);
    assert.match(String(insertOf(store)), /bpf_kptr_xchg\(&\$\{2:v\}->\$\{3:mask\}, \$\{4:mask\}\)/);
    const snippetLabels = items.filter((i) => i.kind === vscode.CompletionItemKind.Snippet).map(labelOf);
    for (const prefix of prefixes.filter((p) => p.startsWith('kptr'))) assert.ok(snippetLabels.includes(prefix), `${prefix} offered (got ${snippetLabels.join(', ')})`);

    // Insert Snippet by name, as the command palette's "Snippets: Insert Snippet" does.
    const line = editor.selection.active.line;
    await editor.edit((e) => e.delete(editor.document.lineAt(line).range));
    editor.selection = new vscode.Selection(line, 0, line, 0);
    await vscode.commands.executeCommand('editor.action.insertSnippet', { langId: 'c', name: 'store a kptr with bpf_kptr_xchg' });
    await waitFor('the snippet inserted', () => (editor.document.getText().includes('bpf_kptr_xchg(&v->mask, mask)') ? true : undefined), 5000);
    const inserted = editor.document.getText(new vscode.Range(line, 0, line + 3, 0));
    assert.strictEqual(inserted, 'old = bpf_kptr_xchg(&v->mask, mask);\nif (old)\n\tbpf_cpumask_release(old);\n');
    assert.strictEqual(editor.document.getText(editor.selection), 'old', 'the first placeholder is selected, ready to rename');
  });
});
