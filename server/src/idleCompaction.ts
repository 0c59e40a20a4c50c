import * as v8 from 'v8';
import * as vm from 'vm';

const MiB = 1024 * 1024;

/** The two figures of the V8 heap the decision needs, in bytes. */
export interface HeapFigures {
  total_heap_size: number;
  used_heap_size: number;
}

/**
 * V8 sizes its heap by the allocation rate: a burst of edits (each a new model and analysis) grows
 * the reserved heap far past what stays alive, and an ordinary full collection frees the objects
 * but leaves the pages they were scattered over mapped. Once the server has been idle for a
 * while after work, a collection that compacts every page gives that memory back.
 */
export class IdleCompaction {
  private timer: NodeJS.Timeout | undefined;
  /** What was alive after the last compaction (or at start): the heap is measured against it. */
  private settledBytes: number;

  constructor(
    private readonly idleMs = 1000,
    /** Collect only when the heap reserves at least this much more than was alive after the last collection. */
    private readonly slackBytes = 16 * MiB,
    private readonly collect: (() => void) | undefined = compactingCollector(),
    private readonly heap: () => HeapFigures = () => v8.getHeapStatistics(),
  ) {
    this.settledBytes = heap().used_heap_size;
  }

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
    // Used bytes still count garbage the collector has not reached, so they cannot say how much
    // a collection would give back; what was alive after the last one can.
    if (this.heap().total_heap_size - this.settledBytes < this.slackBytes) return;
    this.collect?.();
    this.settledBytes = this.heap().used_heap_size;
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
