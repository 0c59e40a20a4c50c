import type { RelSpan } from './ir';
import type { Obj, Value } from './state';

/**
 * What the engine saw at a place in the code, for semantic highlighting: a
 * variable that holds a live owned reference on every path that reaches it,
 * one whose reference is released or moved on every such path, or an access
 * to a kptr field.
 */
export type Mark = 'owned' | 'released' | 'kptr-field';

export interface MarkedSpan {
  fn: string;
  span: RelSpan;
  mark: Mark;
}

/** What one variable holds at one place, on one or more of the paths that reach it. */
export interface VariableAtPoint {
  value: Value;
  obj?: Obj;
}

/** Per function key and span start: what the variable written there held, path by path (for hovers). */
export type VariableReadings = Record<string, VariableAtPoint[]>;

/** More distinct states than this at one place are not worth listing in a hover. */
const MAX_READINGS_PER_PLACE = 8;

/** Marks by place; a place seen with two different marks (two paths, two callers) keeps none. */
export class MarkSet {
  private readonly byPlace = new Map<string, { fn: string; span: RelSpan; mark: Mark | 'mixed' }>();

  note(fn: string, span: RelSpan, mark: Mark | undefined): void {
    const key = `${fn}|${span.start}|${span.end}`;
    const known = this.byPlace.get(key);
    const next = mark ?? 'mixed';
    if (!known) this.byPlace.set(key, { fn, span, mark: next });
    else if (known.mark !== next) known.mark = 'mixed';
  }

  addAll(spans: readonly MarkedSpan[]): void {
    for (const s of spans) this.note(s.fn, s.span, s.mark);
  }

  list(): MarkedSpan[] {
    const out: MarkedSpan[] = [];
    for (const entry of this.byPlace.values()) if (entry.mark !== 'mixed') out.push({ fn: entry.fn, span: entry.span, mark: entry.mark });
    return out;
  }
}

/** The distinct states each variable occurrence was seen in, collected while the engine runs. */
export class ReadingSet {
  private readonly byPlace = new Map<string, { readings: VariableAtPoint[]; keys: Set<string> }>();

  note(fn: string, start: number, value: Value, obj: Obj | undefined): void {
    const place = readingKey(fn, start);
    let entry = this.byPlace.get(place);
    if (!entry) this.byPlace.set(place, (entry = { readings: [], keys: new Set() }));
    if (entry.readings.length >= MAX_READINGS_PER_PLACE) return;
    const key = obj ? `${obj.id}|${obj.trust}|${obj.life}|${obj.nullness}|${obj.releasedBy ?? ''}` : value.k;
    if (entry.keys.has(key)) return;
    entry.keys.add(key);
    entry.readings.push({ value, obj });
  }

  addAll(readings: VariableReadings): void {
    for (const [place, list] of Object.entries(readings)) {
      const [fn, start] = splitKey(place);
      for (const r of list) this.note(fn, start, r.value, r.obj);
    }
  }

  record(): VariableReadings {
    const out: VariableReadings = {};
    for (const [place, entry] of this.byPlace) out[place] = entry.readings;
    return out;
  }
}

export function readingKey(fn: string, start: number): string {
  return `${fn}|${start}`;
}

function splitKey(place: string): [string, number] {
  const bar = place.lastIndexOf('|');
  return [place.slice(0, bar), Number(place.slice(bar + 1))];
}

/** The mark a variable read gets from the object it holds (undefined: nothing to say). */
export function markOfHeld(obj: Obj | undefined): Mark | undefined {
  if (!obj || obj.trust !== 'owned' || obj.nullness === 'null') return undefined;
  if (obj.life === 'live') return 'owned';
  if (obj.life === 'released' || obj.life === 'moved') return 'released';
  return undefined;
}
