// Where the benchmark reads and writes.
import { tmpdir } from 'os';
import { dirname, join } from 'path';
import { fileURLToPath } from 'url';

export const REPO_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
/** Generated workloads, the vmlinux.h, clangd's compile databases, the in-process library bundle. */
export const SCRATCH = process.env.BPF_KPTR_BENCH_SCRATCH || join(tmpdir(), 'bpf-kptr-bench');
/** Results (git-ignored). */
export const RESULTS_DIR = join(REPO_ROOT, 'bench-results');
/**
 * The server and CLI measured. run.mjs points these at a copy of bin/ and dist/ taken right after
 * the build, so that a rebuild during a long run (another checkout's tests) cannot change what
 * is measured halfway.
 */
export const BINS = {
  server: join(REPO_ROOT, 'bin', 'bpf-kptr-language-server.js'),
  lint: join(REPO_ROOT, 'bin', 'bpf-kptr-lint.js'),
};
