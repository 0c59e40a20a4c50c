import * as fs from 'fs';
import { isMainThread, parentPort, Worker, workerData } from 'worker_threads';
import { Analyzer } from '../analyzer';
import { ParserSetupError } from '../parsing/cParser';
import { CheckJob, CheckOutcome, checkFile } from './check';

const WORKER_ROLE = 'bpf-kptr-lint-worker';

type ToWorker = { index: number; job: CheckJob };
type FromWorker = { ready: true } | { setupError: string } | { index: number; outcome: CheckOutcome };

/** The parser could not start: the whole run stops with this message. */
export class SetupFailed extends Error {}

function sizeOf(file: string): number {
  try {
    return fs.statSync(file).size;
  } catch {
    return 0;
  }
}

/**
 * Checks every job and hands each outcome to `onOutcome` in the order of `jobs`, whatever order
 * they finish in, so the output does not depend on the threads. With `threads` > 1 the files are
 * spread over worker threads, largest first, each thread with its own parser.
 */
export async function checkAll(jobs: CheckJob[], threads: number, onOutcome: (index: number, outcome: CheckOutcome) => void): Promise<void> {
  if (threads <= 1 || jobs.length <= 1) {
    let analyzer: Analyzer;
    try {
      analyzer = await Analyzer.create();
    } catch (error) {
      throw error instanceof ParserSetupError ? new SetupFailed(error.message) : error;
    }
    try {
      jobs.forEach((job, index) => onOutcome(index, checkFile(analyzer, job)));
    } finally {
      analyzer.dispose();
    }
    return;
  }

  const order = jobs.map((job, index) => ({ index, size: sizeOf(job.file) })).sort((a, b) => b.size - a.size || a.index - b.index);
  const finished = new Map<number, CheckOutcome>();
  let next = 0;
  let emitted = 0;
  const emitInOrder = () => {
    while (finished.has(emitted)) {
      const outcome = finished.get(emitted)!;
      finished.delete(emitted);
      onOutcome(emitted++, outcome);
    }
  };

  const workers: Worker[] = [];
  try {
    await new Promise<void>((resolve, reject) => {
      const dispatch = (worker: Worker) => {
        if (next < order.length) {
          const { index } = order[next++];
          worker.postMessage({ index, job: jobs[index] } satisfies ToWorker);
        } else if (emitted === jobs.length) {
          resolve();
        }
      };
      for (let i = 0; i < Math.min(threads, jobs.length); i++) {
        const worker = new Worker(__filename, { workerData: { role: WORKER_ROLE } });
        workers.push(worker);
        worker.on('message', (message: FromWorker) => {
          if ('setupError' in message) return reject(new SetupFailed(message.setupError));
          if ('outcome' in message) {
            finished.set(message.index, message.outcome);
            emitInOrder();
          }
          dispatch(worker);
        });
        worker.on('error', reject);
        worker.on('exit', (code) => {
          if (emitted < jobs.length) reject(new Error(`a checking thread stopped (exit ${code}) before every file was checked`));
        });
      }
    });
  } finally {
    await Promise.all(workers.map((w) => w.terminate()));
  }
}

/** The worker thread's side: one analyzer, one file at a time, until the main thread ends it. */
async function serveAsWorker(): Promise<void> {
  const port = parentPort!;
  let analyzer: Analyzer;
  try {
    analyzer = await Analyzer.create();
  } catch (error) {
    port.postMessage({ setupError: error instanceof Error ? error.message : String(error) } satisfies FromWorker);
    return;
  }
  port.on('message', ({ index, job }: ToWorker) => {
    port.postMessage({ index, outcome: checkFile(analyzer, job) } satisfies FromWorker);
  });
  port.postMessage({ ready: true } satisfies FromWorker);
}

if (!isMainThread && (workerData as { role?: string } | undefined)?.role === WORKER_ROLE) void serveAsWorker();
