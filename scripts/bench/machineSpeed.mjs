// How fast the machine itself is at the moment: a fixed JavaScript workload that uses none of
// bpf-kptr's code, timed in a fresh Node process before and after a bench run. Shared machines
// change speed from hour to hour (the same loop has taken 410 to 700 ms here within a minute), so
// a figure that moved between two runs means something only if this reference did not move too.
//
//   node scripts/bench/machineSpeed.mjs        prints the reference in ms (lower is faster)
import { spawnSync } from 'child_process';
import { fileURLToPath } from 'url';
import { summarize } from './stats.mjs';

const ROUNDS = 9;

/**
 * One round of the kind of work the analysis does: small objects, string keys, maps, arrays
 * copied and sorted, JSON. Returns a checksum, so that nothing can be optimised away.
 */
function referenceRound() {
  let checksum = 0;
  const byName = new Map();
  for (let i = 0; i < 150000; i++) {
    const name = `v${i % 997}_${i & 15}`;
    const entry = { name, start: i, end: i + name.length, kind: i % 3 === 0 ? 'obj' : 'int' };
    byName.set(name, { ...(byName.get(name) ?? {}), [entry.kind]: entry });
  }
  const entries = [...byName.values()].map((e) => e.obj?.start ?? e.int?.start ?? 0);
  entries.sort((a, b) => (a % 101) - (b % 101) || a - b);
  for (let i = 0; i < entries.length; i += 7) checksum = (checksum + entries[i]) | 0;
  const text = JSON.stringify([...byName.entries()].slice(0, 4000));
  checksum = (checksum + JSON.parse(text).length + text.length) | 0;
  return checksum;
}

/** Times ROUNDS rounds after one that warms up, in this process; milliseconds per round. */
function timeRounds() {
  referenceRound();
  const times = [];
  for (let i = 0; i < ROUNDS; i++) {
    const started = performance.now();
    referenceRound();
    times.push(performance.now() - started);
  }
  return times;
}

/** The reference, measured in a fresh Node process (as every server and CLI run starts): { n, median, p95, ... } ms. */
export function measureMachineSpeed() {
  const child = spawnSync(process.execPath, [fileURLToPath(import.meta.url), '--rounds'], { encoding: 'utf8' });
  if (child.status !== 0) throw new Error(`the machine reference failed: ${child.stderr}`);
  return summarize(JSON.parse(child.stdout));
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  if (process.argv[2] === '--rounds') process.stdout.write(JSON.stringify(timeRounds()));
  else process.stdout.write(`${measureMachineSpeed().median} ms\n`);
}
