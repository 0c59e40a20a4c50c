import * as assert from 'assert';
import * as fs from 'fs';
import { availableCores, smallerPoolSize } from '../../../server/src/v8Pool';
import { openExample, waitFor } from './helpers';

/** The command lines of this extension host's child processes (Linux: read from /proc). */
function childCommandLines(): string[][] {
  const lines: string[][] = [];
  for (const task of fs.readdirSync(`/proc/${process.pid}/task`)) {
    let children: string[] = [];
    try {
      children = fs.readFileSync(`/proc/${process.pid}/task/${task}/children`, 'utf8').trim().split(/\s+/).filter(Boolean);
    } catch {
      continue;
    }
    for (const child of children) {
      try {
        lines.push(fs.readFileSync(`/proc/${child}/cmdline`, 'utf8').split('\0').filter(Boolean));
      } catch {
        // the child ended meanwhile
      }
    }
  }
  return lines;
}

describe('the language server process', () => {
  it('runs with a V8 pool that leaves it a core where the extension host is Node, and unchanged on Electron', async () => {
    await openExample('cpumask_per_task.bpf.c');
    const server = await waitFor('the server process', () => childCommandLines().find((argv) => argv.some((a) => a.endsWith('dist/server.js'))));
    const pools = server.filter((a) => a.startsWith('--v8-pool-size'));
    const pool = smallerPoolSize(availableCores());
    const expected = process.versions.electron || pool === undefined ? [] : [`--v8-pool-size=${pool}`];
    assert.deepStrictEqual(pools, expected, `the server was started as: ${server.join(' ')}`);
  });
});
