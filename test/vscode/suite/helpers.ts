/**
 * What the extension-host tests share: where the examples are, opening them, finding text,
 * waiting for the language server, and the extension itself. New feature tests (completion,
 * diagnostics, quick fixes, snippets) go in their own <feature>.test.ts beside this file and
 * use these; see test/vscode/README.md.
 */
import * as assert from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as vscode from 'vscode';

export const ROOT = path.resolve(__dirname, '..', '..', '..', '..');
export const EXAMPLES = path.join(ROOT, 'examples');
const PACKAGE = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { name: string; publisher: string };
export const EXTENSION_ID = `${PACKAGE.publisher}.${PACKAGE.name}`;

export function extension(): vscode.Extension<unknown> {
  const found = vscode.extensions.getExtension(EXTENSION_ID);
  assert.ok(found, `${EXTENSION_ID} is loaded in the extension host`);
  return found;
}

/** Polls probe until it returns something other than undefined; fails with `what` after the timeout. */
export async function waitFor<T>(what: string, probe: () => T | undefined | Promise<T | undefined>, timeoutMs = 30000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Opens examples/<name> in an editor. */
export async function openExample(name: string): Promise<vscode.TextDocument> {
  const document = await vscode.workspace.openTextDocument(path.join(EXAMPLES, name));
  await vscode.window.showTextDocument(document);
  assert.strictEqual(document.languageId, 'c', `${name} opens as C`);
  return document;
}

/** The position `delta` characters into the (first, or only) occurrence of `needle`. */
export function positionOf(document: vscode.TextDocument, needle: string, delta = 0): vscode.Position {
  const offset = document.getText().indexOf(needle);
  assert.ok(offset >= 0, `${path.basename(document.fileName)} contains ${JSON.stringify(needle)}`);
  return document.positionAt(offset + delta);
}

/** The range of `word` inside the first occurrence of `needle`. */
export function rangeOf(document: vscode.TextDocument, needle: string, word: string): vscode.Range {
  const at = needle.indexOf(word);
  assert.ok(at >= 0, `${JSON.stringify(needle)} contains ${JSON.stringify(word)}`);
  const start = positionOf(document, needle, at);
  return new vscode.Range(start, start.translate(0, word.length));
}

export async function hoversAt(document: vscode.TextDocument, position: vscode.Position): Promise<vscode.Hover[]> {
  return (await vscode.commands.executeCommand<vscode.Hover[]>('vscode.executeHoverProvider', document.uri, position)) ?? [];
}

export function hoverMarkdown(hovers: vscode.Hover[]): string {
  return hovers
    .flatMap((h) => h.contents)
    .map((c) => (typeof c === 'string' ? c : c.value))
    .join('\n');
}

/** The hovers at a position once the language server answers with a kptr hover (it starts with the extension). */
export async function kptrHoversAt(document: vscode.TextDocument, position: vscode.Position, timeoutMs = 30000): Promise<vscode.Hover[]> {
  return waitFor(
    `a kptr hover at ${position.line + 1}:${position.character + 1}`,
    async () => {
      const hovers = await hoversAt(document, position);
      return hoverMarkdown(hovers).includes('kptr') ? hovers : undefined;
    },
    timeoutMs,
  );
}

/** Opens an example and waits until the extension is active and its language server answers. */
export async function openAndWaitForServer(name = 'cpumask_per_task.bpf.c'): Promise<vscode.TextDocument> {
  const document = await openExample(name);
  await waitFor('the extension to activate', () => extension().isActive || undefined);
  return document;
}

/**
 * Pids of the language-server processes this extension host started (Linux only: read from
 * /proc; an empty list elsewhere). The client forks dist/server.js from the extension host.
 */
export function serverPids(): number[] {
  if (process.platform !== 'linux') return [];
  const serverJs = path.join(extension().extensionPath, 'dist', 'server.js');
  const pids: number[] = [];
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid !== process.pid) continue;
      const argv = fs.readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0');
      if (argv.some((a) => a === serverJs)) pids.push(Number(entry));
    } catch {
      /* the process ended meanwhile */
    }
  }
  return pids;
}

/** The code of a diagnostic as VS Code holds it: a string, or `{ value, target }` when it links to a rule page. */
export function codeOf(diagnostic: vscode.Diagnostic): string {
  const code = diagnostic.code;
  return typeof code === 'object' && code !== null ? String(code.value) : String(code);
}

/** This extension's diagnostics on a document (source `bpf-kptr`), in document order. */
export function ownDiagnostics(uri: vscode.Uri): vscode.Diagnostic[] {
  return vscode.languages
    .getDiagnostics(uri)
    .filter((d) => d.source === 'bpf-kptr')
    .sort((a, b) => a.range.start.compareTo(b.range.start));
}

/** Waits until the document's bpf-kptr diagnostics carry exactly these codes (in document order). */
export async function waitForCodes(uri: vscode.Uri, codes: string[], timeoutMs = 30000): Promise<vscode.Diagnostic[]> {
  let last: string[] = [];
  try {
    return await waitFor(
      `the diagnostics ${JSON.stringify(codes)} on ${path.basename(uri.fsPath)}`,
      () => {
        const diagnostics = ownDiagnostics(uri);
        last = diagnostics.map(codeOf);
        return JSON.stringify(last) === JSON.stringify(codes) ? diagnostics : undefined;
      },
      timeoutMs,
    );
  } catch (error) {
    throw new Error(`${(error as Error).message}; VS Code holds ${JSON.stringify(last)}`);
  }
}

/**
 * A scratch folder outside examples/ (examples are never modified on disk): copies of the given
 * examples, plus the header they include. dispose() closes its editors without saving and removes it.
 */
export function scratchCopy(label: string, names: string[]): { dir: string; file: (name: string) => string; dispose: () => Promise<void> } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `bpf-kptr-${label}-`));
  for (const name of [...names, 'kptr_common.bpf.h']) fs.copyFileSync(path.join(EXAMPLES, name), path.join(dir, name));
  return {
    dir,
    file: (name) => path.join(dir, name),
    async dispose() {
      for (const group of vscode.window.tabGroups.all) {
        for (const tab of group.tabs) {
          const input = tab.input as { uri?: vscode.Uri } | undefined;
          if (input?.uri?.fsPath.startsWith(dir)) {
            await vscode.window.showTextDocument(input.uri, { preview: false });
            await vscode.commands.executeCommand('workbench.action.revertAndCloseActiveEditor');
          }
        }
      }
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Opens a file (outside examples/ too) in an editor, as C. */
export async function openFile(file: string): Promise<vscode.TextEditor> {
  const document = await vscode.workspace.openTextDocument(file);
  const editor = await vscode.window.showTextDocument(document, { preview: false });
  assert.strictEqual(document.languageId, 'c', `${path.basename(file)} opens as C`);
  await waitFor('the extension to activate', () => extension().isActive || undefined);
  return editor;
}

/** Types text at the cursor as the keyboard does (the `type` command: auto-closing pairs and all). */
export async function typeText(text: string): Promise<void> {
  await vscode.commands.executeCommand('type', { text });
}
