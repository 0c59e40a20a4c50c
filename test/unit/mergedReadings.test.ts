import * as assert from 'assert';
import { MarkSet, MergedReadings, ReadingRecorder, VariableAtPoint, VariableReadings } from '../../server/src/engine/marks';
import type { Obj } from '../../server/src/engine/state';

const site = { fn: 'f.bpf.c#prog', span: { start: 0, end: 1 } };

function held(id: string, life: Obj['life'] = 'live'): VariableAtPoint {
  const obj: Obj = { id, trust: 'owned', nullness: 'nonnull', life, site };
  return { value: { k: 'obj', id }, obj };
}

const nothing: VariableAtPoint = { value: { k: 'null' } };

describe('variable readings merged on demand', () => {
  it('gives a place what every program saw there, in program order, without repeats', () => {
    const first: VariableReadings = { 'a#f|4': [held('1')], 'a#g|8': [nothing] };
    const second: VariableReadings = { 'a#f|4': [held('1'), held('2', 'released')], 'a#h|0': [held('3')] };
    const merged = new MergedReadings([first, second]);
    assert.deepStrictEqual(merged.at('a#f|4'), [held('1'), held('2', 'released')]);
    assert.deepStrictEqual(merged.at('a#g|8'), [nothing]);
    assert.deepStrictEqual(merged.at('a#h|0'), [held('3')]);
    assert.strictEqual(merged.at('a#f|5'), undefined, 'a place no path reached');
    assert.deepStrictEqual([...merged.functions()].sort(), ['a#f', 'a#g', 'a#h']);
  });

  it('shares a list only one program saw, and never changes a program\'s own list', () => {
    const only = [held('1')];
    const first: VariableReadings = { 'a#f|4': only };
    const second: VariableReadings = { 'a#f|4': [held('2')] };
    assert.strictEqual(new MergedReadings([first]).at('a#f|4'), only);
    const merged = new MergedReadings([first, second]);
    assert.deepStrictEqual(merged.at('a#f|4'), [held('1'), held('2')]);
    assert.deepStrictEqual(only, [held('1')], 'the first program\'s cached list is copied before it grows');
    assert.strictEqual(merged.at('a#f|4'), merged.at('a#f|4'), 'a place is merged once');
  });

  it('lists at most eight distinct states at one place', () => {
    const sources: VariableReadings[] = Array.from({ length: 12 }, (_, i) => ({ 'a#f|0': [held(String(i))] }));
    const list = new MergedReadings(sources).at('a#f|0')!;
    assert.deepStrictEqual(
      list.map((r) => r.obj!.id),
      ['0', '1', '2', '3', '4', '5', '6', '7'],
    );
  });

  it('has nothing for a run that kept no readings', () => {
    const merged = new MergedReadings([{}, {}]);
    assert.strictEqual(merged.at('a#f|0'), undefined);
    assert.strictEqual(merged.functions().size, 0);
  });
});

describe('readings and marks as the engine notes them', () => {
  it('keeps each place once, in the order first seen, with its distinct readings (at most eight)', () => {
    const recorder = new ReadingRecorder();
    const note = (fn: string, start: number, reading: VariableAtPoint) => recorder.note(fn, start, reading.value, reading.obj);
    note('a#f', 8, held('1'));
    note('a#f', 4, nothing);
    note('a#f', 8, held('1'));
    note('a#f', 8, held('1', 'released'));
    note('a#g', 8, nothing);
    note('a#f', 4, { value: { k: 'null' } });
    for (let i = 0; i < 12; i++) note('a#h', 0, held(String(i)));
    const record = recorder.record();
    assert.deepStrictEqual(Object.keys(record), ['a#f|8', 'a#f|4', 'a#g|8', 'a#h|0']);
    assert.deepStrictEqual(record['a#f|8'], [held('1'), held('1', 'released')]);
    assert.deepStrictEqual(record['a#f|4'], [{ value: { k: 'null' }, obj: undefined }]);
    assert.strictEqual(record['a#h|0'].length, 8);
  });

  it('notes nothing when not recording (a findings-only run)', () => {
    const recorder = new ReadingRecorder(false);
    recorder.note('a#f', 0, { k: 'null' }, undefined);
    assert.deepStrictEqual(recorder.record(), {});
    const marks = new MarkSet(false);
    marks.note('a#f', { start: 0, end: 1 }, 'owned');
    assert.deepStrictEqual(marks.list(), []);
  });

  it('keeps a mark only where every note agrees, per span, in the order first seen', () => {
    const marks = new MarkSet();
    marks.note('a#f', { start: 4, end: 8 }, 'owned');
    marks.note('a#f', { start: 0, end: 2 }, 'kptr-field');
    marks.note('a#f', { start: 4, end: 6 }, 'released');
    marks.note('a#f', { start: 4, end: 8 }, 'owned');
    marks.note('a#g', { start: 4, end: 8 }, 'owned');
    marks.note('a#f', { start: 0, end: 2 }, undefined);
    marks.addAll([{ fn: 'a#g', span: { start: 4, end: 8 }, mark: 'released' }, { fn: 'a#h', span: { start: 1, end: 3 }, mark: 'owned' }]);
    assert.deepStrictEqual(marks.list(), [
      { fn: 'a#f', span: { start: 4, end: 8 }, mark: 'owned' },
      { fn: 'a#f', span: { start: 4, end: 6 }, mark: 'released' },
      { fn: 'a#h', span: { start: 1, end: 3 }, mark: 'owned' },
    ]);
  });
});
