import * as assert from 'assert';
import * as path from 'path';
import * as vscode from 'vscode';

const EXAMPLES = path.resolve(__dirname, '..', '..', '..', '..', 'examples');

async function hoverText(uri: vscode.Uri, position: vscode.Position): Promise<string> {
  // The server starts with the extension; ask until it answers or the time runs out.
  const deadline = Date.now() + 30000;
  for (;;) {
    const hovers = (await vscode.commands.executeCommand<vscode.Hover[]>('vscode.executeHoverProvider', uri, position)) ?? [];
    const text = hovers
      .flatMap((h) => h.contents)
      .map((c) => (typeof c === 'string' ? c : c.value))
      .join('\n');
    if (text.includes('kptr') || Date.now() > deadline) return text;
    await new Promise((r) => setTimeout(r, 250));
  }
}

describe('BPF kptr in VS Code', () => {
  it('activates on a .bpf.c file and hovers __kptr', async () => {
    const document = await vscode.workspace.openTextDocument(path.join(EXAMPLES, 'cpumask_per_task.bpf.c'));
    await vscode.window.showTextDocument(document);
    const offset = document.getText().indexOf('__kptr *birth_cpu');
    const text = await hoverText(document.uri, document.positionAt(offset + 2));
    assert.match(text, /referenced kptr/);
    assert.match(text, /bpf_kptr_xchg/);
    const extension = vscode.extensions.all.find((e) => e.packageJSON.name === 'bpf-kptr');
    assert.ok(extension?.isActive, 'the extension is active');
  });
});
