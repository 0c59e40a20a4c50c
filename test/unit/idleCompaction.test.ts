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

  it('measures the heap against what was alive after the last collection, not against used bytes that still hold garbage', async () => {
    let collections = 0;
    let heap = { total_heap_size: 60, used_heap_size: 55 };
    const idle = new IdleCompaction(5, 16, () => {
      collections++;
      heap = { total_heap_size: 20, used_heap_size: 12 };
    }, () => heap);
    heap = { total_heap_size: 80, used_heap_size: 70 };
    idle.noteWork();
    await sleep(30);
    assert.strictEqual(collections, 1, 'the heap reserves 25 over the 55 alive at start, though only 10 of it is unused');
    heap = { total_heap_size: 26, used_heap_size: 25 };
    idle.noteWork();
    await sleep(30);
    assert.strictEqual(collections, 1, 'grown by 14 over the 12 alive after the collection: below the slack of 16');
    heap = { total_heap_size: 29, used_heap_size: 14 };
    idle.noteWork();
    await sleep(30);
    assert.strictEqual(collections, 2, 'grown by 17');
    idle.dispose();
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
