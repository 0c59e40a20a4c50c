// A small LSP client over stdio for the fuzzer and the robustness tests: it
// spawns the real server (bin/bpf-kptr-language-server.js --stdio), keeps a
// mirror of every open document with the same TextDocument implementation the
// server uses (so the mirror's text is exactly the server's), and records
// every diagnostics notification in arrival order.
import { spawn } from 'child_process';
import { createRequire } from 'module';
import * as path from 'path';
import { fileURLToPath } from 'url';
import { processMemory } from './common.mjs';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const require = createRequire(path.join(ROOT, 'package.json'));
const rpc = require('vscode-languageserver-protocol/node');
const { TextDocument } = require('vscode-languageserver-textdocument');

export const SERVER_BIN = path.join(ROOT, 'bin', 'bpf-kptr-language-server.js');

/** The error lines of a crashed server's stderr, without the minified source line Node prints above them. */
export function errorLines(stderr) {
  const lines = String(stderr)
    .split('\n')
    .filter((l) => l.length < 300 && /(Error|error|at |Exception|FATAL)/.test(l));
  return lines.slice(0, 8).join(' | ') || '(nothing on stderr)';
}

export class LspSession {
  /**
   * @param {{ nodeArgs?: string[], env?: NodeJS.ProcessEnv, settings?: unknown, command?: string, args?: string[] }} options
   */
  constructor(options = {}) {
    const args = options.args ?? [...(options.nodeArgs ?? []), SERVER_BIN, '--stdio'];
    this.child = spawn(options.command ?? process.execPath, args, { stdio: ['pipe', 'pipe', 'pipe'], env: options.env ?? process.env });
    this.stderr = '';
    this.child.stderr.on('data', (chunk) => {
      this.stderr = (this.stderr + chunk.toString()).slice(-50000);
    });
    this.exit = new Promise((resolve) =>
      this.child.on('exit', (code, signal) => {
        this.exitStatus = { code, signal };
        for (const w of this.waiters.splice(0)) {
          clearTimeout(w.timer);
          w.reject(Object.assign(new Error(`the server exited (${code ?? signal}) before diagnostics for ${w.uri} came: ${errorLines(this.stderr)}`), { code: 'EXITED' }));
        }
        resolve(this.exitStatus);
      }),
    );
    this.connection = rpc.createProtocolConnection(new rpc.StreamMessageReader(this.child.stdout), new rpc.StreamMessageWriter(this.child.stdin));
    this.connection.onError(() => undefined);
    this.connection.onClose(() => undefined);
    this.settings = options.settings ?? {};
    this.docs = new Map();
    /** Every publishDiagnostics, in order: { uri, version, diagnostics, at }. */
    this.published = [];
    this.messages = [];
    this.waiters = [];
    this.connection.onNotification('textDocument/publishDiagnostics', (params) => {
      this.published.push({ ...params, at: Date.now() });
      for (let i = this.waiters.length - 1; i >= 0; i--) {
        const w = this.waiters[i];
        if (w.uri === params.uri && w.accept(params)) {
          this.waiters.splice(i, 1);
          clearTimeout(w.timer);
          w.resolve(params);
        }
      }
    });
    this.connection.onNotification('window/showMessage', (params) => this.messages.push(params));
    this.connection.onNotification('window/logMessage', () => undefined);
    this.connection.onNotification('$/logTrace', () => undefined);
    this.connection.onNotification('telemetry/event', () => undefined);
    this.connection.onRequest('workspace/configuration', (params) => (params?.items ?? []).map(() => this.settings));
    this.connection.onRequest('client/registerCapability', () => null);
    this.connection.onRequest('client/unregisterCapability', () => null);
    this.connection.onRequest('window/showMessageRequest', (params) => {
      this.messages.push(params);
      return null;
    });
    this.connection.onRequest('window/workDoneProgress/create', () => null);
    this.connection.onRequest('workspace/workspaceFolders', () => null);
    this.connection.listen();
  }

  get pid() {
    return this.child.pid;
  }

  get alive() {
    return this.exitStatus === undefined;
  }

  memory() {
    return processMemory(this.child.pid);
  }

  async initialize(capabilities = { textDocument: { publishDiagnostics: { relatedInformation: true, versionSupport: true } } }, initializationOptions) {
    this.capabilities = capabilities;
    const result = await this.request('initialize', { processId: process.pid, rootUri: null, capabilities, initializationOptions }, 30000);
    this.notify('initialized', {});
    this.serverCapabilities = result?.capabilities ?? {};
    return result;
  }

  notify(method, params) {
    if (!this.alive) return;
    void this.connection.sendNotification(method, params).catch(() => undefined);
  }

  /** Sends a request; rejects on an error response or after `timeoutMs`. */
  request(method, params, timeoutMs = 20000, token) {
    const sent = token ? this.connection.sendRequest(method, params, token) : this.connection.sendRequest(method, params);
    let timer;
    const timeout = new Promise((_, reject) => {
      timer = setTimeout(() => reject(Object.assign(new Error(`${method}: no answer within ${timeoutMs} ms`), { code: 'TIMEOUT' })), timeoutMs);
    });
    return Promise.race([sent, timeout]).finally(() => clearTimeout(timer));
  }

  /** Sends a request and never rejects: { result } or { error }. */
  async settle(method, params, timeoutMs = 20000, token) {
    try {
      return { result: await this.request(method, params, timeoutMs, token) };
    } catch (error) {
      return { error };
    }
  }

  open(uri, text, version = 1) {
    this.docs.set(uri, TextDocument.create(uri, 'c', version, text));
    this.notify('textDocument/didOpen', { textDocument: { uri, languageId: 'c', version, text } });
  }

  /** Replaces [start, end) of the mirror with `insert`, sent as an incremental change. */
  edit(uri, start, end, insert) {
    const doc = this.docs.get(uri);
    const range = { start: doc.positionAt(start), end: doc.positionAt(end) };
    this.change(uri, [{ range, text: insert }]);
  }

  /** Sends changes with the next version and applies them to the mirror exactly as the server does. */
  change(uri, changes) {
    const doc = this.docs.get(uri);
    const version = doc.version + 1;
    TextDocument.update(doc, changes, version);
    this.notify('textDocument/didChange', { textDocument: { uri, version }, contentChanges: changes });
    return version;
  }

  /** Turns the mirror into `next` with one minimal incremental change. */
  editTo(uri, next) {
    const doc = this.docs.get(uri);
    const old = doc.getText();
    let prefix = 0;
    const shorter = Math.min(old.length, next.length);
    while (prefix < shorter && old.charCodeAt(prefix) === next.charCodeAt(prefix)) prefix++;
    let suffix = 0;
    while (suffix < shorter - prefix && old.charCodeAt(old.length - 1 - suffix) === next.charCodeAt(next.length - 1 - suffix)) suffix++;
    // Keep CR LF pairs whole: a position between them does not exist for the server.
    while (prefix > 0 && old[prefix - 1] === '\r' && (old[prefix] === '\n' || next[prefix] === '\n')) prefix--;
    while (suffix > 0 && old[old.length - suffix] === '\n' && old[old.length - suffix - 1] === '\r') suffix--;
    while (suffix > 0 && next[next.length - suffix] === '\n' && next[next.length - suffix - 1] === '\r') suffix--;
    this.edit(uri, prefix, old.length - suffix, next.slice(prefix, next.length - suffix));
    if (doc.getText() !== next) {
      // The position arithmetic could not express this edit (odd line ends): send the whole text.
      this.change(uri, [{ text: next }]);
    }
    return doc.version;
  }

  close(uri) {
    this.docs.delete(uri);
    this.notify('textDocument/didClose', { textDocument: { uri } });
  }

  text(uri) {
    return this.docs.get(uri)?.getText();
  }

  version(uri) {
    return this.docs.get(uri)?.version;
  }

  /** The next (or an already received, when `past`) diagnostics for `uri` that satisfy `accept`. */
  waitForDiagnostics(uri, accept = () => true, timeoutMs = 20000, past = true) {
    if (past) {
      for (let i = this.published.length - 1; i >= 0; i--) {
        const p = this.published[i];
        if (p.uri === uri) {
          if (accept(p)) return Promise.resolve(p);
          break;
        }
      }
    }
    if (!this.alive) return Promise.reject(Object.assign(new Error(`the server has exited: ${errorLines(this.stderr)}`), { code: 'EXITED' }));
    return new Promise((resolve, reject) => {
      const waiter = { uri, accept, resolve, reject };
      waiter.timer = setTimeout(() => {
        this.waiters.splice(this.waiters.indexOf(waiter), 1);
        reject(Object.assign(new Error(`no diagnostics for ${uri} within ${timeoutMs} ms`), { code: 'TIMEOUT' }));
      }, timeoutMs);
      this.waiters.push(waiter);
    });
  }

  /** Waits for the diagnostics of the mirror's current version. */
  diagnosticsOfCurrent(uri, timeoutMs = 20000) {
    const version = this.version(uri);
    return this.waitForDiagnostics(uri, (p) => p.version === version, timeoutMs);
  }

  /** Whether the server still answers a request within `timeoutMs`. */
  async responsive(timeoutMs = 10000) {
    if (!this.alive) return false;
    const outcome = await this.settle('textDocument/hover', { textDocument: { uri: 'file:///bpf-kptr-liveness-probe.bpf.c' }, position: { line: 0, character: 0 } }, timeoutMs);
    return !outcome.error || outcome.error.code !== 'TIMEOUT';
  }

  async shutdown(timeoutMs = 5000) {
    if (this.alive) {
      await this.settle('shutdown', undefined, timeoutMs);
      this.notify('exit');
    }
    const status = await Promise.race([this.exit, new Promise((r) => setTimeout(() => r(undefined), timeoutMs))]);
    if (!status) this.child.kill('SIGKILL');
    this.connection.dispose();
    return status;
  }

  kill() {
    this.child.kill('SIGKILL');
    this.connection.dispose();
  }
}

export const CancellationTokenSource = rpc.CancellationTokenSource;
