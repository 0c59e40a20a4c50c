import * as v8 from 'v8';
import * as vm from 'vm';

const MiB = 1024 * 1024;

/**
 * V8 sizes its heap by the allocation rate: a burst of edits (each a new model and analysis) grows
 * the reserved heap far past what stays alive, and an ordinary full collection frees the objects
 * but leaves the pages they were scattered over mapped. Once the server has been idle for a
 * while after work, a collection that compacts every page gives that memory back.
 */
export class IdleCompaction {
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly idleMs = 1000,
    /** Collect only when the heap holds at least this much more than is in use. */
    private readonly slackBytes = 32 * MiB,
    private readonly collect: (() => void) | undefined = compactingCollector(),
  ) {}

  /** The server just worked: collect once it has been idle for `idleMs`. */
  noteWork(): void {
    if (!this.collect) return;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.collectIfWorthIt(), this.idleMs);
    this.timer.unref();
  }

  dispose(): void {
    clearTimeout(this.timer);
  }

  private collectIfWorthIt(): void {
    this.timer = undefined;
    const heap = v8.getHeapStatistics();
    if (heap.total_heap_size - heap.used_heap_size < this.slackBytes) return;
    this.collect?.();
  }
}

/** A full collection that compacts every page, or undefined where the runtime does not offer one. */
export function compactingCollector(): (() => void) | undefined {
  try {
    v8.setFlagsFromString('--expose-gc');
    const gc = vm.runInNewContext('gc') as unknown;
    if (typeof gc !== 'function') return undefined;
    return () => {
      v8.setFlagsFromString('--compact-on-every-full-gc');
      try {
        gc();
      } finally {
        v8.setFlagsFromString('--no-compact-on-every-full-gc');
      }
    };
  } catch {
    return undefined;
  }
}
