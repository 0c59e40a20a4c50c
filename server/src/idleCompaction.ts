import * as v8 from 'v8';
import * as vm from 'vm';

const MiB = 1024 * 1024;

/** What the decision needs to know about the V8 heap, in bytes. */
export interface HeapFigures {
  total: number;
  used: number;
  /** The young generation (new space), which V8 grows under a burst of allocation. */
  young: number;
}

export function heapFigures(): HeapFigures {
  const heap = v8.getHeapStatistics();
  const young = v8.getHeapSpaceStatistics().find((space) => space.space_name === 'new_space');
  return { total: heap.total_heap_size, used: heap.used_heap_size, young: young?.space_size ?? 0 };
}

export interface IdleCompactionOptions {
  /** Idle time before the compacting collection. */
  idleMs: number;
  /** Compact only when the heap reserves at least this much more than was alive after the last collection. */
  slackBytes: number;
  /** Idle time before the collection that lets V8 shrink its young generation. */
  restMs: number;
  /** Collect again at rest only while the young generation is larger than this... */
  youngBytes: number;
  /** ...and at most this many times, `idleMs` apart. */
  restAttempts: number;
}

const DEFAULT_IDLE_COMPACTION: IdleCompactionOptions = { idleMs: 1000, slackBytes: 16 * MiB, restMs: 5000, youngBytes: 4 * MiB, restAttempts: 3 };

/**
 * V8 sizes its heap by the allocation rate: a burst of work (opening a directory, a run of edits)
 * grows the reserved heap far past what stays alive, and an ordinary full collection frees the
 * objects but leaves the pages they were scattered over mapped. Once the server has been idle for
 * a while after work, a collection that compacts every page gives that memory back. The young
 * generation (up to 32 MiB after a burst) only shrinks in a collection that finds the allocation
 * rate low over the last seconds it measured, which takes a collection or two after a rest.
 */
export class IdleCompaction {
  private timers: NodeJS.Timeout[] = [];
  /** What was alive after the last compaction (or at start): the heap is measured against it. */
  private settledBytes: number;
  private readonly options: IdleCompactionOptions;

  constructor(
    options: Partial<IdleCompactionOptions> = {},
    private readonly collect: (() => void) | undefined = compactingCollector(),
    private readonly heap: () => HeapFigures = heapFigures,
  ) {
    this.options = { ...DEFAULT_IDLE_COMPACTION, ...options };
    this.settledBytes = heap().used;
  }

  /** The server just worked: collect once it has been idle for a while. */
  noteWork(): void {
    if (!this.collect) return;
    this.dispose();
    this.timers = [this.after(this.options.idleMs, () => this.compactIfWorthIt()), this.after(this.options.restMs, () => this.shrinkYoungGeneration(1))];
  }

  dispose(): void {
    for (const timer of this.timers) clearTimeout(timer);
    this.timers = [];
  }

  private after(ms: number, run: () => void): NodeJS.Timeout {
    const timer = setTimeout(run, ms);
    timer.unref();
    return timer;
  }

  private compactIfWorthIt(): void {
    // Used bytes still count garbage the collector has not reached, so they cannot say how much
    // a collection would give back; what was alive after the last one can.
    if (this.heap().total - this.settledBytes < this.options.slackBytes) return;
    this.collectAndSettle();
  }

  private shrinkYoungGeneration(attempt: number): void {
    if (this.heap().young <= this.options.youngBytes) return;
    this.collectAndSettle();
    if (attempt < this.options.restAttempts) this.timers.push(this.after(this.options.idleMs, () => this.shrinkYoungGeneration(attempt + 1)));
  }

  private collectAndSettle(): void {
    this.collect?.();
    this.settledBytes = this.heap().used;
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
