import { ChildProcess, spawn } from 'child_process';
import * as os from 'os';
import { availableCores, smallerPoolSize } from '../v8Pool';

/** Set in the relaunched process, so it never relaunches again. */
const RELAUNCHED = 'BPF_KPTR_LINT_RELAUNCHED';

/**
 * The Node options to start the checking process with, or undefined to check in this one.
 * A check is one busy thread, and with fewer V8 background threads it keeps a core (see
 * v8Pool.ts). The pool size can only be chosen when Node starts, hence a second process. A size
 * the user chose (on the command line or in NODE_OPTIONS) is left alone.
 */
export function relaunchOptions(execArgv: readonly string[], env: NodeJS.ProcessEnv, cores: number): string[] | undefined {
  if (env[RELAUNCHED]) return undefined;
  const chosen = (option: string) => option.startsWith('--v8-pool-size');
  if (execArgv.some(chosen) || (env.NODE_OPTIONS ?? '').split(/\s+/).some(chosen)) return undefined;
  const pool = smallerPoolSize(cores);
  return pool === undefined ? undefined : [...execArgv, `--v8-pool-size=${pool}`];
}

const FORWARDED_SIGNALS: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];

/**
 * Runs `script` again in a new Node process started with `options`, sharing this one's
 * standard streams, and ends this process as that one ends: same exit code, same signal.
 * Calls `fallback` instead when the new process cannot be started.
 */
export function relaunch(script: string, argv: readonly string[], options: string[], fallback: () => void): void {
  // The handlers come before the child: a signal in the moment after it starts would otherwise
  // end this process alone and leave the child checking on its own.
  let child: ChildProcess | undefined;
  const stopForwarding = () => {
    for (const name of FORWARDED_SIGNALS) process.off(name, forward);
  };
  const forward = (signal: NodeJS.Signals) => {
    if (child?.pid !== undefined) child.kill(signal);
    else {
      // No child to pass it to: this process takes it as it would have without the handlers.
      stopForwarding();
      process.kill(process.pid, signal);
    }
  };
  for (const signal of FORWARDED_SIGNALS) process.on(signal, forward);
  child = spawn(process.execPath, [...options, script, ...argv], { stdio: 'inherit', env: { ...process.env, [RELAUNCHED]: '1' } });
  child.on('error', () => {
    // A pid means the child started and the error is a later one (a failed kill); none, that it never did.
    if (child?.pid !== undefined) return;
    stopForwarding();
    fallback();
  });
  child.on('exit', (code, signal) => {
    stopForwarding();
    if (signal) {
      // As a shell reports a death by signal, in case this process survives its own (Node ignores SIGPIPE).
      process.exitCode = 128 + (os.constants.signals[signal] ?? 0);
      process.kill(process.pid, signal);
    } else process.exitCode = code ?? 1;
  });
}

/**
 * What bin/bpf-kptr-lint.js runs before it loads the checker: `check` here, or `script` again in a
 * process with fewer V8 background threads where that is faster. This module is bundled on its
 * own, so the process that only starts another does not load the checker too.
 */
export function launch(script: string, argv: readonly string[], check: () => void): void {
  const options = relaunchOptions(process.execArgv, process.env, availableCores());
  if (options) relaunch(script, argv, options, check);
  else check();
}
