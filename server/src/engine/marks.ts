import type { RelSpan } from './ir';
import type { Obj } from './state';

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

/** The mark a variable read gets from the object it holds (undefined: nothing to say). */
export function markOfHeld(obj: Obj | undefined): Mark | undefined {
  if (!obj || obj.trust !== 'owned' || obj.nullness === 'null') return undefined;
  if (obj.life === 'live') return 'owned';
  if (obj.life === 'released' || obj.life === 'moved') return 'released';
  return undefined;
}
