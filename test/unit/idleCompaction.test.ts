import * as assert from 'assert';
import * as v8 from 'v8';
import { compactingCollector, IdleCompaction } from '../../server/src/idleCompaction';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('idle heap compaction', () => {
  it('collects once, after the work stops for the idle delay', async () => {
    let collections = 0;
    const idle = new IdleCompaction(40, 0, () => collections++);
    for (let i = 0; i < 5; i++) {
      idle.noteWork();
      await sleep(10);
    }
    assert.strictEqual(collections, 0, 'not while work keeps coming');
    await sleep(80);
    assert.strictEqual(collections, 1);
    idle.dispose();
  });

  it('does not collect when the heap holds little more than it uses, or once disposed', async () => {
    let collections = 0;
    const roomy = new IdleCompaction(10, Number.MAX_SAFE_INTEGER, () => collections++);
    roomy.noteWork();
    const disposed = new IdleCompaction(10, 0, () => collections++);
    disposed.noteWork();
    disposed.dispose();
    await sleep(50);
    assert.strictEqual(collections, 0);
  });

  it('the collector is available on this Node and gives back the heap that garbage left', () => {
    const collect = compactingCollector();
    assert.ok(collect, 'a compacting collection is available');
    let garbage: unknown[] | undefined = Array.from({ length: 200000 }, (_, i) => ({ i, text: `item ${i}` }));
    const before = v8.getHeapStatistics().total_heap_size;
    garbage = undefined;
    void garbage;
    collect();
    const after = v8.getHeapStatistics();
    assert.ok(after.total_heap_size < before, `the heap went from ${before} to ${after.total_heap_size} bytes`);
  });
});
