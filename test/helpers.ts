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

/**
 * A header that declares a map whose value has a `__kptr` field, and a program that includes it
 * and stores into that field directly: with the tag, the store is reported (kptr-direct-store);
 * without it, not. For tests of headers open in the editor; the program is `store.bpf.c`.
 */
export const SLOT_HEADER = {
  name: 'slots.bpf.h',
  text: [
    '#include "kptr_common.bpf.h"',
    'struct slot { struct bpf_cpumask __kptr *mask; };',
    'struct {',
    '\t__uint(type, BPF_MAP_TYPE_ARRAY);',
    '\t__uint(max_entries, 1);',
    '\t__type(key, u32);',
    '\t__type(value, struct slot);',
    '} slots SEC(".maps");',
    '',
  ].join('\n'),
  program: [
    '#include "slots.bpf.h"',
    'SEC("tp_btf/task_newtask")',
    'int BPF_PROG(store, struct task_struct *task, u64 clone_flags)',
    '{',
    '\tstruct slot *s;',
    '\tu32 key = 0;',
    '',
    '\ts = bpf_map_lookup_elem(&slots, &key);',
    '\tif (!s)',
    '\t\treturn 0;',
    '\ts->mask = NULL;',
    '\treturn 0;',
    '}',
    '',
  ].join('\n'),
};
