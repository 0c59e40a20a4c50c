// Seeded, reproducible randomness for the fuzzer: every input is a pure function of (seed, index).

/** A 32-bit hash of a string (FNV-1a), to derive independent streams from (seed, index). */
export function hash32(text) {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

/** mulberry32: small, fast and good enough to drive mutations. */
export class Rng {
  constructor(seed) {
    this.state = (typeof seed === 'number' ? seed : hash32(String(seed))) >>> 0;
  }

  static for(seed, ...parts) {
    return new Rng(hash32([seed, ...parts].join(':')));
  }

  next() {
    let t = (this.state = (this.state + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** An integer in [0, n). */
  int(n) {
    return n <= 0 ? 0 : Math.floor(this.next() * n);
  }

  /** An integer in [lo, hi]. */
  range(lo, hi) {
    return lo + this.int(hi - lo + 1);
  }

  chance(p) {
    return this.next() < p;
  }

  pick(list) {
    return list[this.int(list.length)];
  }

  /** Picks from [weight, value] pairs. */
  weighted(pairs) {
    const total = pairs.reduce((s, [w]) => s + w, 0);
    let r = this.next() * total;
    for (const [w, v] of pairs) {
      if ((r -= w) < 0) return v;
    }
    return pairs[pairs.length - 1][1];
  }

  /** Small numbers much more often than big ones (log-uniform in [1, max]). */
  logInt(max) {
    return Math.max(1, Math.floor(Math.exp(this.next() * Math.log(max + 1))));
  }
}
