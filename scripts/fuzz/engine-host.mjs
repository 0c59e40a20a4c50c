// The parent side of engine-worker.mjs: sends inputs, enforces a time limit
// per input (a hang kills and restarts the worker), and turns a dead worker
// (out of memory, a native crash) into a failure instead of a dead fuzzer.
import { fork } from 'child_process';
import * as path from 'path';
import { fileURLToPath } from 'url';
import { processCpuMs, processMemory } from './common.mjs';

const WORKER = path.join(path.dirname(fileURLToPath(import.meta.url)), 'engine-worker.mjs');

export class EngineHost {
  /**
   * @param {{ timeoutMs?: number, maxOldSpaceMb?: number, execArgv?: string[] }} options
   */
  constructor(options = {}) {
    this.timeoutMs = options.timeoutMs ?? 15000;
    this.execArgv = [...(options.execArgv ?? []), ...(options.maxOldSpaceMb ? [`--max-old-space-size=${options.maxOldSpaceMb}`] : [])];
    this.child = undefined;
    this.ready = undefined;
    this.nextId = 1;
    this.pending = new Map();
    this.peakRss = 0;
    this.restarts = 0;
  }

  start() {
    if (this.child) return this.ready;
    const child = fork(WORKER, [], { stdio: ['ignore', 'ignore', 'pipe', 'ipc'], execArgv: this.execArgv, serialization: 'advanced' });
    this.child = child;
    this.stderr = '';
    child.stderr.on('data', (chunk) => {
      this.stderr = (this.stderr + chunk.toString()).slice(-20000);
    });
    this.ready = new Promise((resolve, reject) => {
      const onMessage = (message) => {
        if (message?.ready) {
          child.off('message', onMessage);
          resolve();
        }
      };
      child.on('message', onMessage);
      child.once('exit', (code, signal) => reject(new Error(`engine worker exited before it was ready (${code ?? signal}): ${this.stderr}`)));
    });
    child.on('message', (message) => {
      const waiter = message?.id !== undefined ? this.pending.get(message.id) : undefined;
      if (!waiter) return;
      if (message.progress) {
        waiter.phase = message.progress;
        waiter.restart();
        return;
      }
      this.pending.delete(message.id);
      clearTimeout(waiter.timer);
      waiter.resolve(message);
    });
    child.on('exit', (code, signal) => {
      this.sample(child.pid);
      if (this.child === child) this.child = undefined;
      for (const [id, waiter] of this.pending) {
        // Only the checks this worker was running: a killed worker's exit comes after its successor started.
        if (waiter.child !== child) continue;
        clearTimeout(waiter.timer);
        this.pending.delete(id);
        waiter.resolve({ id, ok: false, died: true, error: { name: 'WorkerDied', message: `the engine worker died (${code ?? signal})`, stack: this.stderr } });
      }
    });
    return this.ready;
  }

  sample(pid = this.child?.pid) {
    const memory = pid ? processMemory(pid) : undefined;
    if (memory?.peak) this.peakRss = Math.max(this.peakRss, memory.peak);
    return memory;
  }

  /** Runs one check; resolves with the worker's reply, or a hang / death description. */
  async check(input, timeoutMs = this.timeoutMs) {
    await this.start();
    const id = this.nextId++;
    const child = this.child;
    const started = Date.now();
    return new Promise((resolve) => {
      const waiter = { resolve, child, timer: undefined, phase: 'start', cpuAtStart: undefined, wallAtStart: Date.now() };
      const expire = () => {
        // Measured in CPU time: on a loaded machine a starved worker gets more wall-clock time (up to 20 times the limit).
        const cpu = processCpuMs(child.pid);
        const used = cpu !== undefined && waiter.cpuAtStart !== undefined ? cpu - waiter.cpuAtStart : undefined;
        if (used !== undefined && used < timeoutMs && Date.now() - waiter.wallAtStart < timeoutMs * 20) {
          waiter.timer = setTimeout(expire, Math.max(1000, timeoutMs - used));
          return;
        }
        this.pending.delete(id);
        this.sample(child.pid);
        this.kill();
        resolve({ id, ok: false, hang: true, phase: waiter.phase, ms: Date.now() - started, error: { name: 'Hang', message: `${waiter.phase} took longer than ${timeoutMs} ms${used !== undefined ? ` (${Math.round(used)} ms of CPU)` : ''}`, stack: '' } });
      };
      /** Each operation the worker starts gets the full time limit. */
      waiter.restart = () => {
        clearTimeout(waiter.timer);
        waiter.cpuAtStart = processCpuMs(child.pid);
        waiter.wallAtStart = Date.now();
        waiter.timer = setTimeout(expire, timeoutMs);
      };
      waiter.restart();
      this.pending.set(id, waiter);
      child.send({ op: 'check', id, ...input });
    }).then((reply) => {
      this.sample(child.pid);
      if (reply.rss) this.peakRss = Math.max(this.peakRss, reply.rss);
      return reply;
    });
  }

  kill() {
    const child = this.child;
    if (!child) return;
    this.child = undefined;
    this.restarts++;
    child.kill('SIGKILL');
  }

  async stop() {
    const child = this.child;
    if (!child) return;
    this.child = undefined;
    child.disconnect?.();
    child.kill('SIGKILL');
  }
}
