import * as assert from 'assert';
import { fork, spawn } from 'child_process';
import * as net from 'net';
import * as os from 'os';
import * as path from 'path';
import {
  createProtocolConnection,
  IPCMessageReader,
  IPCMessageWriter,
  InitializeResult,
  SocketMessageReader,
  SocketMessageWriter,
} from 'vscode-languageserver-protocol/node';
import { SERVER_BIN } from '../lspClient';

describe('server transports', function () {
  this.timeout(20000);

  it('serves over node IPC, as VS Code starts it', async () => {
    const child = fork(SERVER_BIN, ['--node-ipc'], { stdio: ['ignore', 'ignore', 'pipe', 'ipc'] });
    const connection = createProtocolConnection(new IPCMessageReader(child), new IPCMessageWriter(child));
    connection.listen();
    try {
      const result = (await connection.sendRequest('initialize', { processId: process.pid, rootUri: null, capabilities: {} })) as InitializeResult;
      assert.strictEqual(result.serverInfo?.name, 'bpf-kptr-language-server');
      await connection.sendRequest('shutdown');
    } finally {
      connection.dispose();
      child.kill();
    }
  });

  it('serves over a pipe', async () => {
    const pipe = path.join(os.tmpdir(), `bpf-kptr-${process.pid}-${Date.now()}.sock`);
    const accepted = new Promise<net.Socket>((resolve) => {
      const server = net.createServer((socket) => {
        server.close();
        resolve(socket);
      });
      server.listen(pipe);
    });
    const child = spawn(process.execPath, [SERVER_BIN, `--pipe=${pipe}`], { stdio: 'ignore' });
    const socket = await accepted;
    const connection = createProtocolConnection(new SocketMessageReader(socket), new SocketMessageWriter(socket));
    connection.listen();
    try {
      const result = (await connection.sendRequest('initialize', { processId: process.pid, rootUri: null, capabilities: {} })) as InitializeResult;
      assert.strictEqual(result.capabilities.hoverProvider, true);
    } finally {
      connection.dispose();
      child.kill();
    }
  });

  it('explains itself when started without a transport', async () => {
    const child = spawn(process.execPath, [SERVER_BIN], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    assert.strictEqual(code, 2);
    assert.match(stderr, /choose a transport/);
    assert.match(stderr, /--stdio/);
  });
});
