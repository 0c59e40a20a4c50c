import { createConnection, LSPErrorCodes, Message, ProposedFeatures, ResponseError, ResponseMessage } from 'vscode-languageserver/node';
import { Analyzer } from './analyzer';
import { ParserSetupError } from './parsing/cParser';
import { SERVER_NAME, startServer } from './server';
import { baselineWasmOnly } from './wasmTiering';

declare const BPF_KPTR_VERSION: string | undefined;
const version = typeof BPF_KPTR_VERSION === 'string' ? BPF_KPTR_VERSION : 'development';

const USAGE = `Usage: ${SERVER_NAME} --stdio | --node-ipc | --pipe=NAME | --socket=PORT

Serves BPF C ownership analysis over the Language Server Protocol.
  --stdio        talk JSON-RPC over standard input and output (Neovim, Emacs, Helix...)
  --node-ipc     talk over the Node IPC channel (VS Code)
  --pipe=NAME    talk over a named pipe or Unix socket
  --socket=PORT  talk over a TCP socket on 127.0.0.1
  --version      print the version
  --help         print this text`;

/** A request cancelled while it still waits in the queue is answered at once and never computed. */
function answerCancelled(message: Message): ResponseMessage | undefined {
  const id = (message as { id?: number | string | null }).id;
  if (id === undefined) return undefined;
  const error = new ResponseError(LSPErrorCodes.RequestCancelled, 'The request was cancelled before it started.').toJson();
  return { jsonrpc: '2.0', id, error } as ResponseMessage;
}

export async function main(argv: string[]): Promise<void> {
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(USAGE + '\n');
    return;
  }
  if (argv.includes('--version')) {
    process.stdout.write(`${SERVER_NAME} ${version}\n`);
    return;
  }
  const transport = argv.some((a) => a === '--stdio' || a === '--node-ipc' || a.startsWith('--pipe') || a.startsWith('--socket'));
  if (!transport) {
    process.stderr.write(`${SERVER_NAME}: choose a transport.\n\n${USAGE}\n`);
    process.exitCode = 2;
    return;
  }
  baselineWasmOnly();
  let analyzer: Analyzer | undefined;
  let startupError: string | undefined;
  try {
    analyzer = await Analyzer.create();
  } catch (error) {
    startupError = error instanceof ParserSetupError ? error.message : `bpf-kptr cannot start: ${String(error)}`;
    process.stderr.write(startupError + '\n');
  }
  const connection = createConnection(ProposedFeatures.all, { cancelUndispatched: answerCancelled });
  startServer(connection, analyzer, { version, startupError, bundleDir: __dirname });
}

if (require.main === module) void main(process.argv.slice(2));
