import * as assert from 'assert';
import * as v8 from 'v8';
import { compactingCollector, HeapFigures, heapFigures, IdleCompaction } from '../../server/src/idleCompaction';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const NEVER = 1e9;

describe('idle heap compaction', () => {
  it('collects once, after the work stops for the idle delay', async () => {
    let collections = 0;
    const idle = new IdleCompaction({ idleMs: 40, slackBytes: 0, restMs: NEVER }, () => collections++);
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
    const roomy = new IdleCompaction({ idleMs: 10, slackBytes: Number.MAX_SAFE_INTEGER, restMs: 10, youngBytes: Number.MAX_SAFE_INTEGER }, () => collections++);
    roomy.noteWork();
    const disposed = new IdleCompaction({ idleMs: 10, slackBytes: 0, restMs: 10, youngBytes: 0 }, () => collections++);
    disposed.noteWork();
    disposed.dispose();
    await sleep(50);
    assert.strictEqual(collections, 0);
  });

  it('measures the heap against what was alive after the last collection, not against used bytes that still hold garbage', async () => {
    let collections = 0;
    let heap: HeapFigures = { total: 60, used: 55, young: 1 };
    const idle = new IdleCompaction({ idleMs: 5, slackBytes: 16, restMs: NEVER }, () => {
      collections++;
      heap = { total: 20, used: 12, young: 1 };
    }, () => heap);
    heap = { total: 80, used: 70, young: 1 };
    idle.noteWork();
    await sleep(30);
    assert.strictEqual(collections, 1, 'the heap reserves 25 over the 55 alive at start, though only 10 of it is unused');
    heap = { total: 26, used: 25, young: 1 };
    idle.noteWork();
    await sleep(30);
    assert.strictEqual(collections, 1, 'grown by 14 over the 12 alive after the collection: below the slack of 16');
    heap = { total: 29, used: 14, young: 1 };
    idle.noteWork();
    await sleep(30);
    assert.strictEqual(collections, 2, 'grown by 17');
    idle.dispose();
  });

  it('collects again after a longer rest while the young generation is still large', async () => {
    let collections = 0;
    let heap: HeapFigures = { total: 10, used: 10, young: 32 };
    const idle = new IdleCompaction({ idleMs: 5, slackBytes: NEVER, restMs: 40, youngBytes: 4 }, () => {
      collections++;
      heap = { ...heap, young: 2 };
    }, () => heap);
    idle.noteWork();
    await sleep(20);
    assert.strictEqual(collections, 0, 'not before the rest delay');
    await sleep(60);
    assert.strictEqual(collections, 1);
    idle.noteWork();
    await sleep(80);
    assert.strictEqual(collections, 1, 'the young generation is small again: nothing to do');
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

  it('on this Node, the collection after a rest shrinks a young generation that a burst grew', async function () {
    this.timeout(20000);
    let kept: unknown[] = [];
    for (let i = 0; i < 3e6; i++) {
      kept.push({ i, list: [i] });
      if (kept.length > 1000) kept = [];
    }
    const grown = heapFigures().young;
    assert.ok(grown > 8 * 1024 * 1024, `the burst grew the young generation to ${grown} bytes`);
    const idle = new IdleCompaction();
    idle.noteWork();
    let rested = grown;
    for (let waited = 0; waited < 9000 && rested > 4 * 1024 * 1024; waited += 250) {
      await sleep(250);
      rested = heapFigures().young;
    }
    idle.dispose();
    assert.ok(rested <= 4 * 1024 * 1024, `after the rest the young generation is ${rested} bytes (grown: ${grown})`);
  });
});
