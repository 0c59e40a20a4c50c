// Mutations of BPF C sources: token and line edits, random bytes, truncation,
// line-ending changes, amplification, and a few structural "bombs" (deep
// nesting, huge lines and functions, many functions, include cycles).
import * as fs from 'fs';
import * as path from 'path';

const TOKEN = /\s+|\/\/[^\n]*|\/\*[\s\S]*?\*\/|"(?:\\.|[^"\\\n])*"|'(?:\\.|[^'\\\n])*'|[A-Za-z_]\w*|\d\w*|->|\+\+|--|<<=|>>=|&&|\|\||<<|>>|[<>=!&|^+\-*/%]=|[\s\S]/g;

/** Tokens with their offsets, whitespace included, so joining them gives the text back. */
export function tokens(text) {
  const out = [];
  TOKEN.lastIndex = 0;
  for (let m = TOKEN.exec(text); m; m = TOKEN.exec(text)) out.push({ text: m[0], start: m.index, space: /^\s+$/.test(m[0]) });
  return out;
}

/** Words that make interesting trouble in BPF C: half-typed idioms, brackets, comments. */
const DICTIONARY = [
  '{', '}', '(', ')', '[', ']', ';', ',', '*', '&', '->', '.', '=', '==', '!', '&&', '||', '?', ':',
  'if (', 'else', 'while (1)', 'for (;;)', 'do', 'switch (x) {', 'case 1:', 'default:', 'break;', 'continue;',
  'return 0;', 'return', 'goto out;', 'out:', 'NULL', '0', '1', 'x', 'p', 'mask', 'task', 'v',
  'struct bpf_cpumask *', 'struct task_struct *', 'struct bpf_cpumask __kptr *', '__kptr', '__kptr_untrusted',
  '__percpu_kptr', '__uptr', 'SEC("tp_btf/task_newtask")', 'SEC("struct_ops/x")', 'SEC(', 'SEC("',
  'BPF_PROG(', 'BPF_STRUCT_OPS(', 'BPF_KPROBE(', '__uint(type, BPF_MAP_TYPE_HASH)', '__type(value, struct v)',
  '__uint(', '__type(', 'bpf_kptr_xchg(', 'bpf_kptr_xchg(&v->mask, mask)', 'bpf_cpumask_create()',
  'bpf_cpumask_release(', 'bpf_cpumask_release(mask);', 'bpf_task_acquire(task)', 'bpf_task_release(',
  'bpf_obj_new(struct v)', 'bpf_obj_drop(', 'bpf_rcu_read_lock();', 'bpf_rcu_read_unlock();', 'bpf_map_lookup_elem(&m, &k)',
  'bpf_for(i, 0, 10)', 'bpf_repeat(5)', 'bpf_throw(0);', '__attribute__((cleanup(f)))', '__free(bpf_cpumask)',
  'static', 'static __always_inline', '__weak', '__hidden', 'int', 'void', 'u64', 'typedef', 'struct', 'union', 'enum',
  '#include "kptr_common.bpf.h"', '#include "common.bpf.h"', '#include "missing.bpf.h"', '#include "', '#include <vmlinux.h>',
  '#if 0', '#ifdef X', '#else', '#endif', '#define X(a) a', '\\\n', '/*', '*/', '//', '"', "'", '// bpf-kptr-ignore: kptr-leak',
  '/* bpf-kptr-ignore: kptr-maybe-null */', 'sizeof(struct v)', '(struct bpf_cpumask *)', '__builtin_unreachable()',
];

/** Code units that stress decoders and offset arithmetic. */
const ODD_CHARS = [
  '\0', '\r', '\n', '\r\n', '\t', '\v', '\f', '\x1b', '\x7f', '\u00a0', '\u00e9', '\u2028', '\u2029', '\ufeff', '\ufffd',
  '\ud800', '\udbff', '\udc00', '\udfff', '\ud83d\ude00', '\u200b', '\u0301', '\uffff', '\\', '"', "'", '`', '$', '@',
];

function randomChars(rng, count) {
  let out = '';
  for (let i = 0; i < count; i++) {
    const kind = rng.int(4);
    if (kind === 0) out += rng.pick(ODD_CHARS);
    else if (kind === 1) out += String.fromCharCode(rng.int(0x80));
    else if (kind === 2) out += String.fromCharCode(rng.int(0x10000));
    else out += String.fromCharCode(0x20 + rng.int(0x5f));
  }
  return out;
}

function spliceText(text, start, end, insert) {
  return text.slice(0, start) + insert + text.slice(end);
}

function lineSpans(text) {
  const spans = [];
  let start = 0;
  for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) {
    spans.push({ start, end: i + 1 });
    start = i + 1;
  }
  if (start < text.length) spans.push({ start, end: text.length });
  return spans;
}

function nonSpaceTokens(text) {
  return tokens(text).filter((t) => !t.space);
}

/** The mutators: each takes (rng, text, context) and returns new text. */
export const MUTATORS = {
  deleteToken(rng, text) {
    const ts = nonSpaceTokens(text);
    if (!ts.length) return text;
    const t = rng.pick(ts);
    return spliceText(text, t.start, t.start + t.text.length, '');
  },
  duplicateToken(rng, text) {
    const ts = nonSpaceTokens(text);
    if (!ts.length) return text;
    const t = rng.pick(ts);
    return spliceText(text, t.start, t.start, t.text + (rng.chance(0.5) ? ' ' : ''));
  },
  swapTokens(rng, text) {
    const ts = nonSpaceTokens(text);
    if (ts.length < 2) return text;
    let a = rng.pick(ts);
    let b = rng.pick(ts);
    if (a.start === b.start) return text;
    if (a.start > b.start) [a, b] = [b, a];
    return text.slice(0, a.start) + b.text + text.slice(a.start + a.text.length, b.start) + a.text + text.slice(b.start + b.text.length);
  },
  insertWord(rng, text) {
    const ts = tokens(text);
    const at = ts.length ? rng.pick(ts).start : 0;
    return spliceText(text, at, at, ` ${rng.pick(DICTIONARY)} `);
  },
  replaceToken(rng, text) {
    const ts = nonSpaceTokens(text);
    if (!ts.length) return text;
    const t = rng.pick(ts);
    return spliceText(text, t.start, t.start + t.text.length, rng.pick(DICTIONARY));
  },
  deleteLine(rng, text) {
    const ls = lineSpans(text);
    if (!ls.length) return text;
    const l = rng.pick(ls);
    return spliceText(text, l.start, l.end, '');
  },
  duplicateLine(rng, text) {
    const ls = lineSpans(text);
    if (!ls.length) return text;
    const l = rng.pick(ls);
    const line = text.slice(l.start, l.end);
    return spliceText(text, l.start, l.start, line.endsWith('\n') ? line : line + '\n');
  },
  swapLines(rng, text) {
    const ls = lineSpans(text);
    if (ls.length < 2) return text;
    let a = rng.pick(ls);
    let b = rng.pick(ls);
    if (a.start === b.start) return text;
    if (a.start > b.start) [a, b] = [b, a];
    const la = text.slice(a.start, a.end);
    const lb = text.slice(b.start, b.end);
    const fix = (l) => (l.endsWith('\n') ? l : l + '\n');
    return text.slice(0, a.start) + fix(lb) + text.slice(a.end, b.start) + fix(la) + text.slice(b.end);
  },
  insertRandomBytes(rng, text) {
    const at = rng.int(text.length + 1);
    return spliceText(text, at, at, randomChars(rng, rng.logInt(64)));
  },
  overwriteRandomBytes(rng, text) {
    if (!text.length) return text;
    const at = rng.int(text.length);
    const n = Math.min(rng.logInt(32), text.length - at);
    return spliceText(text, at, at + n, randomChars(rng, n));
  },
  truncate(rng, text) {
    return text.slice(0, rng.int(text.length + 1));
  },
  deleteRange(rng, text) {
    const a = rng.int(text.length + 1);
    const b = Math.min(text.length, a + rng.logInt(400));
    return spliceText(text, a, b, '');
  },
  splice(rng, text, context) {
    const other = rng.pick(context.corpus).text;
    const a = rng.int(other.length + 1);
    const chunk = other.slice(a, a + rng.logInt(600));
    const at = rng.int(text.length + 1);
    return spliceText(text, at, at, chunk);
  },
  lineEndings(rng, text) {
    const lf = text.replace(/\r\n?/g, '\n');
    const style = rng.int(3);
    if (style === 0) return lf.replace(/\n/g, '\r\n');
    if (style === 1) return lf.replace(/\n/g, '\r');
    return lf.replace(/\n/g, () => rng.pick(['\n', '\r\n', '\r']));
  },
  bomAndTabs(rng, text) {
    let out = rng.chance(0.5) ? '\ufeff' + text : text;
    if (rng.chance(0.5)) out = out.replace(/ {2,}/g, '\t');
    if (rng.chance(0.3)) out = out.replace(/\n/g, ' \t\n');
    return out;
  },
  amplify(rng, text) {
    if (!text.length) return text;
    const a = rng.int(text.length);
    const chunk = text.slice(a, a + rng.logInt(200));
    return spliceText(text, a, a, chunk.repeat(rng.logInt(60)));
  },
  nest(rng, text) {
    const ls = lineSpans(text);
    if (!ls.length) return text;
    const from = rng.int(ls.length);
    const to = Math.min(ls.length - 1, from + rng.int(6));
    const depth = rng.logInt(rng.chance(0.1) ? 2000 : 40);
    const open = rng.pick(['{', 'if (x) {', 'while (x) {', 'do {', 'bpf_for(i, 0, 3) {', 'switch (x) { case 0: {']);
    const close = open === 'do {' ? '} while (0);' : open.startsWith('switch') ? '}}' : '}';
    return text.slice(0, ls[from].start) + open.repeat(depth) + '\n' + text.slice(ls[from].start, ls[to].end) + '\n' + close.repeat(depth) + '\n' + text.slice(ls[to].end);
  },
  unbalance(rng, text) {
    const what = rng.pick(['{', '}', '(', ')', '/*', '*/', '"', "'", '#if 1\n', '#endif\n', '\\\n']);
    const at = rng.int(text.length + 1);
    return spliceText(text, at, at, what);
  },
};

const MUTATOR_WEIGHTS = [
  [10, 'deleteToken'],
  [6, 'duplicateToken'],
  [6, 'swapTokens'],
  [10, 'insertWord'],
  [8, 'replaceToken'],
  [6, 'deleteLine'],
  [5, 'duplicateLine'],
  [5, 'swapLines'],
  [5, 'insertRandomBytes'],
  [3, 'overwriteRandomBytes'],
  [3, 'truncate'],
  [4, 'deleteRange'],
  [4, 'splice'],
  [2, 'lineEndings'],
  [2, 'bomAndTabs'],
  [2, 'amplify'],
  [3, 'nest'],
  [4, 'unbalance'],
];

/** Applies `count` mutations; returns the text and the names of what was applied. */
export function mutate(rng, text, context, count = rng.logInt(8)) {
  const applied = [];
  let out = text;
  for (let i = 0; i < count; i++) {
    const name = rng.weighted(MUTATOR_WEIGHTS);
    out = MUTATORS[name](rng, out, context);
    applied.push(name);
    if (out.length > 2_000_000) out = out.slice(0, 2_000_000);
  }
  return { text: out, applied };
}

// ---- structural bombs ---------------------------------------------------------

const PROGRAM_HEAD = '#include "kptr_common.bpf.h"\n\nSEC("tp_btf/task_newtask")\nint BPF_PROG(bomb, struct task_struct *task, u64 clone_flags)\n{\n';

/** Inputs far outside what the mutators reach: each is named, sized by `scale` (1 = the sizes the issue names). */
export const BOMBS = {
  deepBlocks: (n) => PROGRAM_HEAD + '{'.repeat(n) + 'return 0;' + '}'.repeat(n) + '\n}\n',
  deepIf: (n) => PROGRAM_HEAD + '\tint x = 0;\n' + 'if (x) {'.repeat(n) + 'x++;' + '}'.repeat(n) + '\n\treturn x;\n}\n',
  deepElseIf: (n) => PROGRAM_HEAD + '\tint x = 0;\n' + 'if (x == 1) x++; else '.repeat(n) + 'x--;\n\treturn x;\n}\n',
  deepParens: (n) => PROGRAM_HEAD + '\tint x = ' + '('.repeat(n) + '1' + ')'.repeat(n) + ';\n\treturn x;\n}\n',
  deepBinary: (n) => PROGRAM_HEAD + '\tint x = 1' + ' + 1'.repeat(n) + ';\n\treturn x;\n}\n',
  deepTernary: (n) => PROGRAM_HEAD + '\tint x = 1;\n\tx = ' + 'x ? 1 : '.repeat(n) + '0;\n\treturn x;\n}\n',
  deepCalls: (n) => PROGRAM_HEAD + '\tint x = ' + 'f('.repeat(n) + '1' + ')'.repeat(n) + ';\n\treturn x;\n}\n',
  deepFields: (n) => PROGRAM_HEAD + '\tint x = task' + '->real_parent'.repeat(n) + '->pid;\n\treturn x;\n}\n',
  deepIndex: (n) => PROGRAM_HEAD + '\tint a[2] = {0};\n\tint x = a' + '[0]'.repeat(n) + ';\n\treturn x;\n}\n',
  deepAssign: (n) => PROGRAM_HEAD + '\tint a;\n\t' + 'a = '.repeat(n) + '1;\n\treturn a;\n}\n',
  deepCast: (n) => PROGRAM_HEAD + '\tint a = ' + '(int)'.repeat(n) + '1;\n\treturn a;\n}\n',
  deepLoops: (n) => PROGRAM_HEAD + '\tint a = 1;\n\t' + 'while (a) '.repeat(n) + 'a--;\n\treturn 0;\n}\n',
  deepLabels: (n) => PROGRAM_HEAD + '\tint a = 1;\n\t' + Array.from({ length: n }, (_, i) => `l${i}: `).join('') + 'a--;\n\treturn 0;\n}\n',
  deepStruct: (n) => 'struct outer {' + 'struct {'.repeat(n) + 'int x;' + '};'.repeat(n) + '};\n',
  deepPreprocessor: (n) => '#if 1\n'.repeat(n) + 'int x;\n' + '#endif\n'.repeat(n),
  deepInitializer: (n) => 'int x[] = ' + '{'.repeat(n) + '1' + '}'.repeat(n) + ';\n',
  longLine: (n) => PROGRAM_HEAD + '\tint x = ' + '1+'.repeat(n * 10) + '1; // ' + 'y'.repeat(n * 10) + '\n\treturn x;\n}\n',
  bigFunction: (n) => PROGRAM_HEAD + Array.from({ length: n * 4 }, (_, i) => `\tint v${i} = ${i};`).join('\n') + '\n\treturn 0;\n}\n',
  bigBranchyFunction: (n) =>
    PROGRAM_HEAD + '\tint v = 0;\n\tstruct bpf_cpumask *m = bpf_cpumask_create();\n\tif (!m)\n\t\treturn 0;\n' + Array.from({ length: n * 4 }, (_, i) => `\tif (v == ${i}) v++;`).join('\n') + '\n\tbpf_cpumask_release(m);\n\treturn v;\n}\n',
  manyFunctions: (n) =>
    '#include "kptr_common.bpf.h"\n' + Array.from({ length: n }, (_, i) => `SEC("tp_btf/task_newtask")\nint BPF_PROG(p${i}, struct task_struct *task, u64 f)\n{\n\tstruct bpf_cpumask *m = bpf_cpumask_create();\n\tif (!m)\n\t\treturn 0;\n\treturn 0;\n}\n`).join(''),
  typeArguments: (n) => 'x' + ', struct a'.repeat(n * 10) + ';\n',
  openMacros: (n) => 'SEC( '.repeat(n * 10),
  manyKptrFields: (n) => 'struct v {\n' + Array.from({ length: n * 4 }, (_, i) => `\tstruct bpf_cpumask __kptr *m${i};`).join('\n') + '\n};\n',
  randomBytes: (n, rng) => randomChars(rng, n * 20),
};

/** A bomb at a random size, up to the sizes (5,000 deep, 20,000 lines, 100,000-character lines). */
export function bomb(rng, name = rng.pick(Object.keys(BOMBS))) {
  const n = rng.chance(0.5) ? rng.range(200, 5000) : rng.logInt(5000);
  return { name, size: n, text: BOMBS[name](n, rng) };
}

// ---- the corpus -----------------------------------------------------------------

function listSources(dir, into) {
  let entries;
  try {
    entries = fs.readdirSync(dir, { withFileTypes: true });
  } catch {
    return;
  }
  for (const entry of entries.sort((a, b) => a.name.localeCompare(b.name))) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) listSources(full, into);
    else if (/\.(c|h)$/.test(entry.name)) into.push(full);
  }
}

/** Seed inputs: every C source under test/fixtures and examples, in a stable order. */
export function loadCorpus(root) {
  const files = [];
  listSources(path.join(root, 'test', 'fixtures'), files);
  listSources(path.join(root, 'examples'), files);
  return files.map((file) => ({ file, text: fs.readFileSync(file, 'utf8') }));
}
