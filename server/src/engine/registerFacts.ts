import type { Expr } from './ir';

/**
 * What a path has learnt about an integer clang keeps in a register, from tests such as `x & 3`,
 * `(x & 6) == 2`, `x == 4`, `x > 100` and `switch (x & 3)`. The verifier tracks known bits and
 * ranges, so when one test settles another, clang or the verifier drops the other side as dead
 * code; the engine must not report on paths that never run.
 *
 * Each test is kept as an atomic fact in the state's facts, `(V & MASK) == VALUE` or `V <= C` /
 * `V >= C`, true or false, keyed by the register's text, so the existing forgetting (on
 * assignment, at loop heads, for dead variables) applies to them unchanged. Constants are taken
 * only when non-negative, where signed and unsigned comparisons agree.
 */
export type RegisterTest = MaskTest | RangeTest;

export interface RangeTest {
  kind: 'range';
  register: string;
  bound: 'le' | 'ge';
  limit: number;
  negated: boolean;
}

export interface MaskTest {
  kind: 'mask';
  /** The register's text, from registerText. */
  register: string;
  mask: number;
  value: number;
  /** The condition holds when the test is false (`x & 1` is true when `(x & 1) == 0` is false). */
  negated: boolean;
}

const ALL = 0xffffffff;

/** A condition of one of the shapes above, or undefined. `textOf` gives a register's text. */
export function registerTestOf(cond: Expr, textOf: (expr: Expr) => string | undefined): RegisterTest | undefined {
  const e = stripCasts(cond);
  if (e.k === 'unary' && e.op === '!') {
    const inner = registerTestOf(e.of, textOf);
    return inner && { ...inner, negated: !inner.negated };
  }
  if (e.k === 'binary' && COMPARISONS[e.op]) {
    const constantOnRight = numberOf(e.right) !== undefined;
    const limit = constantOnRight ? numberOf(e.right) : numberOf(e.left);
    const register = registerOnly(constantOnRight ? e.left : e.right, textOf);
    if (limit === undefined || register === undefined) return undefined;
    const [bound, negated] = COMPARISONS[constantOnRight ? e.op : MIRRORED[e.op]];
    return { kind: 'range', register, bound, limit, negated };
  }
  if (e.k === 'binary' && (e.op === '==' || e.op === '!=')) {
    const [side, constant] = numberOf(e.right) !== undefined ? [e.left, numberOf(e.right)] : [e.right, numberOf(e.left)];
    if (constant === undefined) return undefined;
    const masked = maskedRegister(side, textOf);
    return masked && { kind: 'mask', ...masked, value: constant >>> 0, negated: e.op === '!=' };
  }
  const masked = maskedRegister(e, textOf);
  // Truthiness: `x & M` holds when `(x & M) == 0` does not.
  return masked && { kind: 'mask', ...masked, value: 0, negated: true };
}

/** `switch (x & M)` case VALUE, as a test. */
export function switchTestOf(value: Expr, caseValue: number, textOf: (expr: Expr) => string | undefined): MaskTest | undefined {
  const masked = maskedRegister(stripCasts(value), textOf);
  return masked && { kind: 'mask', ...masked, value: caseValue >>> 0, negated: false };
}

/** Whether the facts settle the test's proposition (before `negated`): true, false, or undefined. */
export function decide(facts: Readonly<Record<string, boolean>>, test: RegisterTest): boolean | undefined {
  const exact = facts[factKey(test)];
  if (exact !== undefined) return exact;
  const known = knownAbout(facts, test.register);
  if (test.kind === 'range') {
    if (test.bound === 'le') return known.hi <= test.limit ? true : known.lo > test.limit ? false : undefined;
    return known.lo >= test.limit ? true : known.hi < test.limit ? false : undefined;
  }
  const { mask, value } = test;
  if ((value & ~mask) >>> 0 !== 0) return false;
  const equal = known.equalUnder.get(mask);
  if (equal !== undefined && equal !== value) return false;
  if ((value & known.zeros) !== 0 || (mask & ~value & known.ones) !== 0) return false;
  if (mask === ALL) {
    if (value < known.lo || value > known.hi) return false;
    // Bits cover the low 32 only: a whole-register equality is settled by its own fact or by the range.
    return known.lo === value && known.hi === value ? true : undefined;
  }
  const settled = (known.ones | known.zeros) >>> 0;
  return (mask & ~settled) >>> 0 === 0 ? true : undefined;
}

/** The facts with the test's proposition (before `negated`) set to `holds`. */
export function learn(facts: Readonly<Record<string, boolean>>, test: RegisterTest, holds: boolean): Record<string, boolean> {
  return { ...facts, [factKey(test)]: holds };
}

interface Known {
  ones: number;
  zeros: number;
  lo: number;
  hi: number;
  /** The value the register was seen equal to under a mask. */
  equalUnder: Map<number, number>;
}

function knownAbout(facts: Readonly<Record<string, boolean>>, register: string): Known {
  const known: Known = { ones: 0, zeros: 0, lo: -Infinity, hi: Infinity, equalUnder: new Map() };
  const maskPrefix = `mask:${register}:`;
  const rangePrefix = `range:${register}:`;
  for (const [key, holds] of Object.entries(facts)) {
    if (key.startsWith(maskPrefix)) {
      const [m, v] = key.slice(maskPrefix.length).split(':').map(Number);
      if (holds) {
        known.ones |= v & m;
        known.zeros |= m & ~v;
        if (m === ALL) known.lo = known.hi = v;
        known.equalUnder.set(m, v);
      } else if (isSingleBit(m)) {
        // `(x & bit) == 0` false means the bit is set; `(x & bit) == bit` false means it is clear.
        if (v === 0) known.ones |= m;
        else known.zeros |= m;
      }
    } else if (key.startsWith(rangePrefix)) {
      const [bound, limitText] = key.slice(rangePrefix.length).split(':');
      const limit = Number(limitText);
      if (bound === 'le') {
        if (holds) known.hi = Math.min(known.hi, limit);
        else known.lo = Math.max(known.lo, limit + 1);
      } else if (holds) known.lo = Math.max(known.lo, limit);
      else known.hi = Math.min(known.hi, limit - 1);
    }
  }
  return known;
}

function factKey(test: RegisterTest): string {
  return test.kind === 'mask' ? `mask:${test.register}:${test.mask >>> 0}:${test.value >>> 0}` : `range:${test.register}:${test.bound}:${test.limit}`;
}

/** Comparison operators as a bound on the register and whether the condition is its negation. */
const COMPARISONS: Record<string, ['le' | 'ge', boolean]> = { '<=': ['le', false], '>': ['le', true], '>=': ['ge', false], '<': ['ge', true] };
/** `C < x` is `x > C`. */
const MIRRORED: Record<string, string> = { '<': '>', '<=': '>=', '>': '<', '>=': '<=' };

function maskedRegister(expr: Expr, textOf: (expr: Expr) => string | undefined): { register: string; mask: number } | undefined {
  const e = stripCasts(expr);
  if (e.k === 'binary' && e.op === '&') {
    const [side, mask] = numberOf(e.right) !== undefined ? [e.left, numberOf(e.right)] : [e.right, numberOf(e.left)];
    if (mask === undefined) return undefined;
    const register = registerOnly(side, textOf);
    return register === undefined ? undefined : { register, mask: mask >>> 0 };
  }
  const register = registerOnly(e, textOf);
  return register === undefined ? undefined : { register, mask: ALL };
}

/** A register, or arithmetic over registers (`x % 3`): the same text holds the same value on one path. */
function registerOnly(expr: Expr, textOf: (expr: Expr) => string | undefined): string | undefined {
  const e = stripCasts(expr);
  return e.k === 'local' || e.k === 'global' || (e.k === 'binary' && ARITHMETIC.has(e.op)) ? textOf(e) : undefined;
}

const ARITHMETIC = new Set(['+', '-', '*', '/', '%', '&', '|', '^', '<<', '>>']);

function numberOf(expr: Expr): number | undefined {
  const e = stripCasts(expr);
  return e.k === 'number' && Number.isInteger(e.value) && e.value >= 0 && e.value <= ALL ? e.value : undefined;
}

function stripCasts(expr: Expr): Expr {
  return expr.k === 'cast' ? stripCasts(expr.of) : expr;
}

function isSingleBit(m: number): boolean {
  return m !== 0 && (m & (m - 1)) === 0;
}
