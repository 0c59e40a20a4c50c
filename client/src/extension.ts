import * as path from 'path';
import * as vscode from 'vscode';
import { LanguageClient, LanguageClientOptions, Middleware, ServerOptions, TransportKind } from 'vscode-languageclient/node';
import { availableCores, smallerPoolSize } from '../../server/src/v8Pool';

const CLIENT_ID = 'bpfKptr';
const CLIENT_NAME = 'BPF kptr';
const DEFAULT_PATTERNS = ['**/*.bpf.c', '**/*.bpf.h'];

let client: LanguageClient | undefined;
let output: vscode.LogOutputChannel | undefined;

function documentSelector(): LanguageClientOptions['documentSelector'] {
  const extra = vscode.workspace.getConfiguration(CLIENT_ID).get<string[]>('files', []);
  const patterns = [...DEFAULT_PATTERNS, ...extra.filter((p) => typeof p === 'string' && p.length > 0)];
  return patterns.map((pattern) => ({ scheme: 'file', language: 'c', pattern }));
}

/** Shows a failed request the user asked for (a hover, a fix) instead of only logging it. */
function surfaced<A extends unknown[], R>(what: string, run: (...args: A) => Promise<R>): (...args: A) => Promise<R | undefined> {
  return async (...args: A) => {
    try {
      return await run(...args);
    } catch (error) {
      if (error instanceof vscode.CancellationError) return undefined;
      const message = error instanceof Error ? error.message : String(error);
      void vscode.window.showErrorMessage(`BPF kptr: ${what} failed: ${message}`);
      return undefined;
    }
  };
}

const middleware: Middleware = {
  provideHover: (document, position, token, next) => surfaced('hover', async () => next(document, position, token))(),
  provideCompletionItem: (document, position, context, token, next) =>
    surfaced('completion', async () => next(document, position, context, token))(),
  provideSignatureHelp: (document, position, context, token, next) =>
    surfaced('signature help', async () => next(document, position, context, token))(),
  provideCodeActions: (document, range, context, token, next) =>
    surfaced('quick fix', async () => next(document, range, context, token))(),
};

/**
 * Node options for the server: a V8 thread pool that leaves the server a core (v8Pool.ts). Only
 * where the extension host is Node itself (remote development, code-server): desktop VS Code
 * starts the server on its Electron binary, whose Node was not checked to take the option.
 */
function serverNodeOptions(): string[] {
  if (process.versions.electron) return [];
  const pool = smallerPoolSize(availableCores());
  return pool === undefined ? [] : [`--v8-pool-size=${pool}`];
}

function createClient(context: vscode.ExtensionContext): LanguageClient {
  const serverModule = context.asAbsolutePath(path.join('dist', 'server.js'));
  const serverOptions: ServerOptions = {
    run: { module: serverModule, transport: TransportKind.ipc, options: { execArgv: serverNodeOptions() } },
    debug: { module: serverModule, transport: TransportKind.ipc, options: { execArgv: ['--nolazy', '--inspect=127.0.0.1:6019'] } },
  };
  output ??= vscode.window.createOutputChannel(CLIENT_NAME, { log: true });
  const clientOptions: LanguageClientOptions = {
    documentSelector: documentSelector(),
    synchronize: { configurationSection: CLIENT_ID },
    outputChannel: output,
    middleware,
  };
  return new LanguageClient(CLIENT_ID, CLIENT_NAME, serverOptions, clientOptions);
}

async function restart(context: vscode.ExtensionContext): Promise<void> {
  if (client) {
    await client.stop().catch(() => undefined);
    client = undefined;
  }
  client = createClient(context);
  await client.start();
}

export async function activate(context: vscode.ExtensionContext): Promise<void> {
  context.subscriptions.push(
    vscode.commands.registerCommand('bpfKptr.restartServer', () =>
      restart(context).catch((error: unknown) => vscode.window.showErrorMessage(`BPF kptr: restart failed: ${String(error)}`)),
    ),
    vscode.commands.registerCommand('bpfKptr.showOutput', () => output?.show()),
    vscode.workspace.onDidChangeConfiguration((event) => {
      if (event.affectsConfiguration(`${CLIENT_ID}.files`)) void vscode.commands.executeCommand('bpfKptr.restartServer');
    }),
  );
  try {
    await restart(context);
  } catch (error) {
    void vscode.window.showErrorMessage(`BPF kptr: the language server did not start: ${error instanceof Error ? error.message : String(error)}`);
  }
}

export async function deactivate(): Promise<void> {
  await client?.stop();
  client = undefined;
}
