import * as v8 from 'v8';

/**
 * Runs the parser's WebAssembly on V8's baseline compiler (Liftoff) only, never its optimizing
 * one. Measured with 150 files open, a server at rest holds about 20 MiB less this way, and its
 * latencies do not change: a parse is a small part of each analysis (docs/performance.md). The
 * CLI, which parses whole directories and exits, keeps the default: there it costs 7 % of the
 * time. It must run before the parser's modules are compiled.
 */
export function baselineWasmOnly(): void {
  v8.setFlagsFromString('--liftoff-only');
}
