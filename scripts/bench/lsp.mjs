// A real LSP client over stdio for the benchmark: it spawns a server (bpf-kptr or clangd) as an
// editor does, speaks JSON-RPC to it, and times what a user waits for.
import { spawn } from 'child_process';
import { readFileSync } from 'fs';
import { performance } from 'perf_hooks';
import { pathToFileURL } from 'url';
import rpc from 'vscode-languageserver-protocol/node';

const { createProtocolConnection, StreamMessageReader, StreamMessageWriter } = rpc;

export const fileUri = (file) => pathToFileURL(file).toString();

/** The capabilities a current VS Code announces for what the benchmark asks. */
const CLIENT_CAPABILITIES = {
  general: { positionEncodings: ['utf-16'] },
  textDocument: {
    synchronization: { dynamicRegistration: false, didSave: false },
    publishDiagnostics: { relatedInformation: true, versionSupport: true, codeDescriptionSupport: true, dataSupport: true },
    hover: { dynamicRegistration: false, contentFormat: ['markdown', 'plaintext'] },
    completion: {
      dynamicRegistration: false,
      completionItem: { snippetSupport: false, documentationFormat: ['markdown', 'plaintext'], insertReplaceSupport: true },
      contextSupport: true,
    },
    codeAction: { dynamicRegistration: false },
  },
  window: { workDoneProgress: false },
};

export class TimeoutError extends Error {}

/** Resident memory of a process from /proc (Linux): current and peak, in bytes. */
export function processMemory(pid) {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (key) => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN) * 1024;
    return { rss: kb('VmRSS'), peak: kb('VmHWM') };
  } catch {
    return { rss: NaN, peak: NaN };
  }
}

export class BenchClient {
  /**
   * Spawns `command args` with piped stdio. `name` labels errors; `timingMethod`, when the
   * server advertises one, is the notification that reports its own compute time.
   */
  constructor(name, command, args, { cwd, env } = {}) {
    this.name = name;
    this.spawnedAt = performance.now();
    this.child = spawn(command, args, { stdio: ['pipe', 'pipe', 'pipe'], cwd, env: env ?? process.env });
    this.stderr = [];
    this.child.stderr.on('data', (chunk) => {
      this.stderr.push(chunk.toString());
      if (this.stderr.length > 200) this.stderr.splice(0, 100);
    });
    this.exited = new Promise((resolve) => this.child.on('exit', (code, signal) => resolve(code ?? signal)));
    this.spawnError = undefined;
    this.child.on('error', (error) => (this.spawnError = error));
    this.connection = createProtocolConnection(new StreamMessageReader(this.child.stdout), new StreamMessageWriter(this.child.stdin));
    /** Latest diagnostics per URI, with the time they arrived. */
    this.latest = new Map();
    this.waiters = [];
    this.timings = [];
    this.messages = [];
    this.connection.onNotification('textDocument/publishDiagnostics', (params) => {
      const at = performance.now();
      if (typeof params.version === 'number') this.sendsVersions = true;
      this.latest.set(params.uri, { params, at });
      for (let i = this.waiters.length - 1; i >= 0; i--) {
        const w = this.waiters[i];
        if (w.uri === params.uri && w.accept(params)) {
          this.waiters.splice(i, 1);
          clearTimeout(w.timer);
          w.resolve({ params, at });
        }
      }
    });
    this.connection.onNotification('window/showMessage', (p) => this.messages.push(p));
    this.connection.onNotification('window/logMessage', () => undefined);
    this.connection.onNotification('$/progress', () => undefined);
    this.connection.onNotification('textDocument/clangd.fileStatus', () => undefined);
    this.connection.onRequest('workspace/configuration', (p) => p.items.map(() => null));
    this.connection.onRequest('client/registerCapability', () => null);
    this.connection.onRequest('window/workDoneProgress/create', () => null);
    this.connection.onRequest('window/showMessageRequest', () => null);
    this.connection.onError(() => undefined);
    this.connection.listen();
  }

  get pid() {
    return this.child.pid;
  }

  memory() {
    return processMemory(this.child.pid);
  }

  /** Sends initialize and initialized; returns the result and the time from spawn to the answer. */
  async initialize({ rootUri = null, initializationOptions } = {}) {
    const result = await this.withTimeout(
      this.connection.sendRequest('initialize', {
        processId: process.pid,
        rootUri,
        capabilities: CLIENT_CAPABILITIES,
        initializationOptions,
        clientInfo: { name: 'bpf-kptr-bench' },
      }),
      30000,
      'initialize',
    );
    const spawnToInit = performance.now() - this.spawnedAt;
    this.capabilities = result.capabilities ?? {};
    const experimental = this.capabilities.experimental?.bpfKptr;
    if (experimental?.timingNotification) {
      this.connection.onNotification(experimental.timingNotification, (t) => this.timings.push(t));
    }
    await this.connection.sendNotification('initialized', {});
    return { result, spawnToInit };
  }

  async open(file, text, version = 1) {
    const uri = fileUri(file);
    await this.connection.sendNotification('textDocument/didOpen', { textDocument: { uri, languageId: 'c', version, text } });
    return uri;
  }

  async change(uri, version, contentChanges) {
    await this.connection.sendNotification('textDocument/didChange', { textDocument: { uri, version }, contentChanges });
  }

  async close(uri) {
    await this.connection.sendNotification('textDocument/didClose', { textDocument: { uri } });
  }

  /**
   * Resolves with the next diagnostics for `uri` at `version` or later (from a server that sends
   * no versions: the next diagnostics at all), with the time they arrived.
   */
  waitForDiagnostics(uri, version, timeoutMs = 120000) {
    return new Promise((resolve, reject) => {
      const waiter = {
        uri,
        // Diagnostics without a version (what servers send on close) count only from a server
        // that never sends versions.
        accept: (p) => version === undefined || (typeof p.version === 'number' ? p.version >= version : !this.sendsVersions),
        resolve,
        timer: setTimeout(() => {
          const i = this.waiters.indexOf(waiter);
          if (i >= 0) this.waiters.splice(i, 1);
          reject(new TimeoutError(`${this.name}: no diagnostics for ${uri} v${version} within ${timeoutMs} ms`));
        }, timeoutMs),
      };
      this.waiters.push(waiter);
    });
  }

  /** Sends a request and returns { ms, result } or { ms, error } (never throws for a server error). */
  async timedRequest(method, params, timeoutMs = 30000) {
    const started = performance.now();
    try {
      const result = await this.withTimeout(this.connection.sendRequest(method, params), timeoutMs, method);
      return { ms: performance.now() - started, result };
    } catch (error) {
      return { ms: performance.now() - started, error };
    }
  }

  withTimeout(promise, ms, what) {
    let timer;
    return Promise.race([
      promise,
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new TimeoutError(`${this.name}: ${what} took more than ${ms} ms`)), ms);
      }),
    ]).finally(() => clearTimeout(timer));
  }

  async shutdown() {
    try {
      await this.withTimeout(this.connection.sendRequest('shutdown'), 10000, 'shutdown');
      await this.connection.sendNotification('exit');
    } catch {
      this.child.kill('SIGTERM');
    }
    const code = await Promise.race([this.exited, new Promise((r) => setTimeout(() => r('timeout'), 5000))]);
    if (code === 'timeout') this.child.kill('SIGKILL');
    for (const w of this.waiters) clearTimeout(w.timer);
    this.waiters = [];
    this.connection.dispose();
    return code;
  }
}
