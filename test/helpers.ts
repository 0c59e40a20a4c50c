import * as fs from 'fs';
import * as path from 'path';
import { Analyzer } from '../server/src/analyzer';

export const REPO_ROOT = path.resolve(__dirname, '..', '..');
export const EXAMPLES = path.join(REPO_ROOT, 'examples');
export const FIXTURES = path.join(REPO_ROOT, 'test', 'fixtures');

let shared: Promise<Analyzer> | undefined;

/** One analyzer on the real WASM parser, shared by a test run. */
export function sharedAnalyzer(): Promise<Analyzer> {
  shared ??= Analyzer.create();
  return shared;
}

export function listFiles(dir: string, pattern: RegExp): string[] {
  const out: string[] = [];
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) out.push(...listFiles(full, pattern));
    else if (pattern.test(entry.name)) out.push(full);
  }
  return out.sort();
}

/** Offset of the `occurrence`-th appearance of `needle` in `text`, plus `delta`. */
export function offsetOf(text: string, needle: string, delta = 0, occurrence = 1): number {
  let index = -1;
  for (let i = 0; i < occurrence; i++) {
    index = text.indexOf(needle, index + 1);
    if (index < 0) throw new Error(`"${needle}" (occurrence ${occurrence}) not found`);
  }
  return index + delta;
}
