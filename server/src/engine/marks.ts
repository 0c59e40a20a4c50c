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

const placesOf = new WeakMap<readonly MarkedSpan[], string[]>();

function placeOf(fn: string, span: RelSpan): string {
  return `${fn}|${span.start}|${span.end}`;
}

/** Marks by place; a place seen with two different marks (two paths, two callers) keeps none. */
export class MarkSet {
  private readonly byPlace = new Map<string, { fn: string; span: RelSpan; mark: Mark | 'mixed' }>();

  /** `recording` false: what the engine notes is dropped (a run only for findings, as the CLI's). */
  constructor(private readonly recording = true) {}

  note(fn: string, span: RelSpan, mark: Mark | undefined): void {
    if (!this.recording) return;
    this.noteAt(placeOf(fn, span), fn, span, mark);
  }

  addAll(spans: readonly MarkedSpan[]): void {
    // A program's marks come from its cached result, edit after edit: their keys are kept with them.
    let places = placesOf.get(spans);
    if (!places) placesOf.set(spans, (places = spans.map((s) => placeOf(s.fn, s.span))));
    spans.forEach((s, i) => this.noteAt(places![i], s.fn, s.span, s.mark));
  }

  private noteAt(place: string, fn: string, span: RelSpan, mark: Mark | undefined): void {
    const known = this.byPlace.get(place);
    const next = mark ?? 'mixed';
    if (!known) this.byPlace.set(place, { fn, span, mark: next });
    else if (known.mark !== next) known.mark = 'mixed';
  }

  list(): MarkedSpan[] {
    const out: MarkedSpan[] = [];
    for (const entry of this.byPlace.values()) if (entry.mark !== 'mixed') out.push({ fn: entry.fn, span: entry.span, mark: entry.mark });
    return out;
  }
}

/** The distinct states each variable occurrence was seen in, collected while the engine runs. */
export class ReadingSet {
  /**
   * Most places are seen by one program only: its cached list is shared as it is, and copied (with
   * `keys` built) only when a second source adds to the place.
   */
  private readonly byPlace = new Map<string, { readings: VariableAtPoint[]; keys?: Set<string>; shared?: boolean }>();

  /** `recording` false: what the engine notes is dropped (a run only for findings, as the CLI's). */
  constructor(private readonly recording = true) {}

  note(fn: string, start: number, value: Value, obj: Obj | undefined): void {
    if (!this.recording) return;
    this.add(readingKey(fn, start), { value, obj });
  }

  /** Adds what one source saw at `place`: the first source's list is shared, not copied. */
  addAt(place: string, list: VariableAtPoint[]): void {
    if (!this.byPlace.has(place)) this.byPlace.set(place, { readings: list, shared: true });
    else for (const reading of list) this.add(place, reading);
  }

  at(place: string): VariableAtPoint[] | undefined {
    return this.byPlace.get(place)?.readings;
  }

  record(): VariableReadings {
    const out: VariableReadings = {};
    for (const [place, entry] of this.byPlace) out[place] = entry.readings;
    return out;
  }

  private add(place: string, reading: VariableAtPoint): void {
    let entry = this.byPlace.get(place);
    if (!entry) this.byPlace.set(place, (entry = { readings: [] }));
    if (entry.readings.length >= MAX_READINGS_PER_PLACE) return;
    if (entry.shared) (entry.readings = entry.readings.slice()), (entry.shared = false);
    entry.keys ??= new Set(entry.readings.map(readingIdentity));
    const key = readingIdentity(reading);
    if (entry.keys.has(key)) return;
    entry.keys.add(key);
    entry.readings.push(reading);
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

function readingIdentity({ value, obj }: VariableAtPoint): string {
  return obj ? `${obj.id}|${obj.trust}|${obj.life}|${obj.nullness}|${obj.releasedBy ?? ''}` : value.k;
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
