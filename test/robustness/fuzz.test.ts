import * as assert from 'assert';
import { spawn } from 'child_process';
import * as path from 'path';
import { REPO_ROOT } from '../helpers';
import { tempDir } from './harness';

/**
 * A short, fixed-seed run of the fuzzer (scripts/fuzz/fuzz.mjs): a fixed
 * number of mutated inputs through the library and of editing sessions
 * through the server, so the run is the same on every machine. A long run
 * is `npm run fuzz -- --time 1800` (see scripts/fuzz/README.md).
 */

const ENGINE_INPUTS = 150;
const SERVER_SESSIONS = 8;

interface Summary {
  engine: { inputs: number; crashes: number; hangs: number; drifts: number };
  server: { sessions: number; edits: number; crashes: number; hangs: number; drifts: number; stale: number };
  failures: Array<{ kind: string; signature: string; count: number; where: string; dir: string }>;
  harnessErrors: string[];
}

describe('robustness: a short fixed-seed fuzz run', function () {
  this.timeout(480000);

  it(`seed 1: ${ENGINE_INPUTS} mutated inputs through the library and ${SERVER_SESSIONS} editing sessions through the server`, async () => {
    const out = tempDir('bpf-kptr-fuzz-');
    try {
      const args = [
        path.join(REPO_ROOT, 'scripts', 'fuzz', 'fuzz.mjs'),
        '--seed', '1',
        '--engine-inputs', String(ENGINE_INPUTS),
        '--server-sessions', String(SERVER_SESSIONS),
        '--time', '400',
        '--hang-ms', '10000',
        '--no-minimize',
        // The suite runs on what was just built; rebuilding here would rewrite out/ under the other tests.
        '--no-build',
        '--json',
        '--quiet',
        '--out', out.dir,
      ];
      const child = spawn(process.execPath, args, { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
      child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
      await new Promise((resolve) => child.on('close', resolve));
      let summary: Summary;
      try {
        summary = JSON.parse(stdout) as Summary;
      } catch {
        throw new Error(`the fuzzer printed no summary:\n${stderr.slice(-3000)}`);
      }
      assert.deepStrictEqual(summary.harnessErrors, [], 'the fuzzer itself failed');
      const failures = summary.failures.map((f) => `${f.kind} x${f.count}: ${f.signature}\n    first: ${f.where}`);
      assert.deepStrictEqual(failures, [], `replay one with: node scripts/fuzz/fuzz.mjs --seed 1 --only N --target engine`);
      assert.strictEqual(summary.engine.inputs, ENGINE_INPUTS, 'every engine input ran');
      assert.strictEqual(summary.server.sessions, SERVER_SESSIONS, 'every server session ran');
    } finally {
      out.remove();
    }
  });
});
