import * as os from 'os';

/** Node gives V8 four background threads unless told otherwise. */
const NODE_DEFAULT_POOL = 4;

/**
 * The V8 thread pool to start Node with so that the busy thread keeps a core: one thread fewer
 * than the cores. Undefined where Node's default of four already leaves one (five cores or more).
 *
 * V8's background threads (the optimising compiler, the collector's helpers) run beside the
 * thread that analyses. With more of them than spare cores they take turns on its core: on two
 * cores, bpf-kptr-lint over 70,000 lines took 1.86-1.93 s with four and 1.62-1.73 s with one, and
 * the server opened a 5,000-line file in 218-247 ms instead of 262-338 ms when fresh. The size
 * can only be chosen when Node starts.
 */
export function smallerPoolSize(cores: number): number | undefined {
  const pool = Math.max(1, cores - 1);
  return pool < NODE_DEFAULT_POOL ? pool : undefined;
}

/** How many cores this process may run on (its CPU affinity, not the machine's count). */
export function availableCores(): number {
  return os.availableParallelism();
}
