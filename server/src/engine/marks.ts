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

/** One place's mark: `mixed` once two paths (or two callers) disagree there. */
interface PlaceMark {
  fn: string;
  span: RelSpan;
  mark: Mark | 'mixed';
}

/**
 * Marks by place; a place seen with two different marks (two paths, two callers) keeps none.
 * The engine notes a place at every step of every path through it, so places are found by
 * function and offsets, without building a key per note.
 */
export class MarkSet {
  /** Function key, then span start, then the places that start there (spans differ in their end). */
  private readonly byFunction = new Map<string, Map<number, PlaceMark[]>>();
  /** Every place in the order it was first noted. */
  private readonly places: PlaceMark[] = [];

  /** `recording` false: what the engine notes is dropped (a run only for findings, as the CLI's). */
  constructor(private readonly recording = true) {}

  note(fn: string, span: RelSpan, mark: Mark | undefined): void {
    if (this.recording) this.noteAt(fn, span, mark ?? 'mixed');
  }

  addAll(spans: readonly MarkedSpan[]): void {
    for (const s of spans) this.noteAt(s.fn, s.span, s.mark);
  }

  private noteAt(fn: string, span: RelSpan, mark: Mark | 'mixed'): void {
    let byStart = this.byFunction.get(fn);
    if (!byStart) this.byFunction.set(fn, (byStart = new Map()));
    let here = byStart.get(span.start);
    if (!here) byStart.set(span.start, (here = []));
    for (const place of here) {
      if (place.span.end !== span.end) continue;
      if (place.mark !== mark) place.mark = 'mixed';
      return;
    }
    const place = { fn, span, mark };
    here.push(place);
    this.places.push(place);
  }

  list(): MarkedSpan[] {
    const out: MarkedSpan[] = [];
    for (const place of this.places) if (place.mark !== 'mixed') out.push({ fn: place.fn, span: place.span, mark: place.mark });
    return out;
  }
}

/** Whether two readings tell a hover the same thing: the object and its state, or only the kind of value. */
function sameReading(a: VariableAtPoint, b: VariableAtPoint): boolean {
  if (!a.obj || !b.obj) return !a.obj && !b.obj && a.value.k === b.value.k;
  const x = a.obj;
  const y = b.obj;
  return x.id === y.id && x.trust === y.trust && x.life === y.life && x.nullness === y.nullness && (x.releasedBy ?? '') === (y.releasedBy ?? '');
}

/** Whether `reading` would add to `list`: it is new there and the list is not full. */
function addsTo(list: readonly VariableAtPoint[], reading: VariableAtPoint): boolean {
  return list.length < MAX_READINGS_PER_PLACE && !list.some((known) => sameReading(known, reading));
}

/** The distinct states each variable occurrence was seen in, collected while the engine runs. */
export class ReadingRecorder {
  /** Function key, then the offset of the occurrence. */
  private readonly byFunction = new Map<string, Map<number, VariableAtPoint[]>>();
  /** Every place in the order it was first noted, with its key built once. */
  private readonly places: Array<{ fn: string; start: number; readings: VariableAtPoint[] }> = [];

  /** `recording` false: what the engine notes is dropped (a run only for findings, as the CLI's). */
  constructor(private readonly recording = true) {}

  note(fn: string, start: number, value: Value, obj: Obj | undefined): void {
    if (!this.recording) return;
    let byStart = this.byFunction.get(fn);
    if (!byStart) this.byFunction.set(fn, (byStart = new Map()));
    let readings = byStart.get(start);
    if (!readings) {
      byStart.set(start, (readings = []));
      this.places.push({ fn, start, readings });
    }
    const reading = { value, obj };
    if (addsTo(readings, reading)) readings.push(reading);
  }

  record(): VariableReadings {
    const out: VariableReadings = {};
    for (const place of this.places) out[readingKey(place.fn, place.start)] = place.readings;
    return out;
  }
}

/** Readings of several programs at the same places, merged: the first program's list is shared, not copied. */
class ReadingSet {
  private readonly byPlace = new Map<string, { readings: VariableAtPoint[]; shared: boolean }>();

  addAt(place: string, list: VariableAtPoint[]): void {
    const entry = this.byPlace.get(place);
    if (!entry) {
      this.byPlace.set(place, { readings: list, shared: true });
      return;
    }
    for (const reading of list) {
      if (!addsTo(entry.readings, reading)) continue;
      if (entry.shared) (entry.readings = entry.readings.slice()), (entry.shared = false);
      entry.readings.push(reading);
    }
  }

  at(place: string): VariableAtPoint[] | undefined {
    return this.byPlace.get(place)?.readings;
  }
}

/**
 * The readings of every program of a document, merged place by place when a hover asks for one.
 * Merging them all after each edit cost about a tenth of the edit's time, and most places are
 * never hovered. The result for a place is the same as a merge of every program in order.
 */
export class MergedReadings {
  private readonly merged = new ReadingSet();
  private readonly done = new Set<string>();
  private functionKeys?: Set<string>;

  /** `sources`: the readings of each program, in the order of the programs. */
  constructor(private readonly sources: readonly VariableReadings[] = []) {}

  /** What the variable written at `place` held on the analysed paths; undefined: not analysed there. */
  at(place: string): VariableAtPoint[] | undefined {
    if (!this.done.has(place)) {
      this.done.add(place);
      for (const source of this.sources) {
        const list = source[place];
        if (list) this.merged.addAt(place, list);
      }
    }
    return this.merged.at(place);
  }

  /** Keys of the functions some analysed path went through. */
  functions(): ReadonlySet<string> {
    if (!this.functionKeys) {
      this.functionKeys = new Set();
      for (const source of this.sources) for (const place in source) this.functionKeys.add(place.slice(0, place.lastIndexOf('|')));
    }
    return this.functionKeys;
  }
}

export function readingKey(fn: string, start: number): string {
  return `${fn}|${start}`;
}

/** The mark a variable read gets from the object it holds (undefined: nothing to say). */
export function markOfHeld(obj: Obj | undefined): Mark | undefined {
  if (!obj || obj.trust !== 'owned' || obj.nullness === 'null') return undefined;
  if (obj.life === 'live') return 'owned';
  if (obj.life === 'released' || obj.life === 'moved') return 'released';
  return undefined;
}
