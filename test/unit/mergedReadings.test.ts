import * as assert from 'assert';
import { MergedReadings, VariableAtPoint, VariableReadings } from '../../server/src/engine/marks';
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
