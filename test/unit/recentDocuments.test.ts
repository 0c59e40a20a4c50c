import * as assert from 'assert';
import { RecentDocuments } from '../../server/src/recentDocuments';

describe('the documents used last', () => {
  it('lets the least recently used fall out past the capacity; using one again makes it the most recent', () => {
    const recent = new RecentDocuments(2);
    assert.deepStrictEqual(recent.use('a'), []);
    assert.deepStrictEqual(recent.use('b'), []);
    assert.deepStrictEqual(recent.use('a'), [], 'already in: moved to the front');
    assert.deepStrictEqual(recent.use('c'), ['b']);
    assert.deepStrictEqual(recent.use('b'), ['a']);
    recent.forget('c');
    assert.deepStrictEqual(recent.use('d'), [], 'a closed document no longer takes a place');
    assert.deepStrictEqual(recent.use('e'), ['b']);
  });

  it('refuses a capacity that is not a positive integer', () => {
    for (const capacity of [0, -1, 1.5, Number.NaN]) assert.throws(() => new RecentDocuments(capacity), /not a positive integer/);
  });
});
