import type { RuleCode } from '../rules/catalog';
import type { Site } from './state';

/** Data a quick fix needs, so the fix does not have to re-run the analysis. */
export type FixHint =
  | { kind: 'insert-release'; before: Site; variable: string; release: string; mayBeNull: boolean }
  | { kind: 'insert-null-check'; after: Site; variable: string }
  | { kind: 'release-xchg-result'; call: Site; release?: string }
  | { kind: 'store-with-xchg'; assignment: Site; target: string; value: string; release?: string };

export interface RelatedSite {
  site: Site;
  message: string;
}

/** One ownership mistake on some path, located in a function by key and relative span. */
export interface Finding {
  code: RuleCode;
  message: string;
  site: Site;
  related: RelatedSite[];
  fix?: FixHint;
  /** The programs (or global functions) whose analysis found it; empty for declaration-level findings. */
  roots?: string[];
}

/** A function the engine left alone, with the reason (budget, unsupported syntax). */
export interface SkippedFunction {
  fn: string;
  reason: string;
}
