// Where the benchmark edits, hovers and completes in a file: positions found in its text, spread
// evenly over it, the same for every server.

/** Line starts of `text`, for offset to position conversion. */
export function lineStarts(text) {
  const starts = [0];
  for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) starts.push(i + 1);
  return starts;
}

export function positionAt(starts, offset) {
  let lo = 0;
  let hi = starts.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (starts[mid] <= offset) lo = mid;
    else hi = mid - 1;
  }
  return { line: lo, character: offset - starts[lo] };
}

/** `count` items of `list` spread evenly over it (all of them when there are fewer). */
export function spread(list, count) {
  if (list.length <= count) return list.slice();
  const out = [];
  for (let i = 0; i < count; i++) out.push(list[Math.floor(((i + 0.5) * list.length) / count)]);
  return out;
}

/** Offsets covered by comments and string literals, so identifiers found there are skipped. */
function commentAndStringMask(text) {
  const mask = new Uint8Array(text.length);
  const re = /\/\*[\s\S]*?\*\/|\/\/[^\n]*|"(?:\\.|[^"\\\n])*"|'(?:\\.|[^'\\\n])*'/g;
  for (let m; (m = re.exec(text)); ) mask.fill(1, m.index, m.index + m[0].length);
  return mask;
}

const KEYWORDS = new Set(
  'if else for while do switch case default break continue return goto sizeof typeof struct union enum static const volatile inline extern int char long short unsigned signed void bool u8 u16 u32 u64 s8 s16 s32 s64 __u8 __u16 __u32 __u64 __s32 __s64 NULL true false'.split(
    ' ',
  ),
);

/**
 * Hover and completion targets of a file, by category:
 *  - tag: `__kptr`-family type tags (what bpf-kptr explains on hover)
 *  - kfunc: names of called kfuncs and helpers (`bpf_*(`)
 *  - field: uses of kptr fields (`->name` or `.name` where `name` is declared `__kptr`)
 *  - variable: uses of local variables
 * Each entry is { offset, length, name }.
 */
export function findTargets(text) {
  const mask = commentAndStringMask(text);
  const out = { tag: [], kfunc: [], field: [], variable: [] };
  const push = (kind, offset, name) => {
    if (!mask[offset]) out[kind].push({ offset, length: name.length, name });
  };
  for (let m, re = /\b(__kptr(?:_untrusted|_ref)?|__percpu_kptr|__uptr)\b/g; (m = re.exec(text)); ) push('tag', m.index, m[1]);
  for (let m, re = /\b(bpf_\w+)\s*\(/g; (m = re.exec(text)); ) {
    // a call, not a declaration: the name is not preceded by a type on the same line
    const lineStart = text.lastIndexOf('\n', m.index) + 1;
    const before = text.slice(lineStart, m.index);
    if (/^\s*(?:extern\s+|static\s+)?(?:const\s+)?(?:struct\s+)?\w+\s*\**\s*$/.test(before) && !/^\s*(?:return|else)\s*$/.test(before)) continue;
    if (/#\s*define/.test(before)) continue;
    push('kfunc', m.index, m[1]);
  }
  const kptrFields = new Set();
  for (let m, re = /__(?:percpu_)?kptr(?:_untrusted|_ref)?\s*\*\s*(\w+)/g; (m = re.exec(text)); ) kptrFields.add(m[1]);
  for (let m, re = /(?:->|\.)\s*(\w+)/g; (m = re.exec(text)); ) {
    if (kptrFields.has(m[1])) push('field', m.index + m[0].length - m[1].length, m[1]);
  }
  // Local variables: names declared inside function bodies (`type *name;`, `type name =`), then their uses.
  const locals = new Set();
  for (let m, re = /^\s+(?:const\s+)?(?:struct\s+\w+|u32|u64|s32|s64|int|bool|long|__u32|__u64)\s+\**\s*(\w+)\s*(?:=|;|,)/gm; (m = re.exec(text)); ) {
    if (!KEYWORDS.has(m[1])) locals.add(m[1]);
  }
  for (let m, re = /\b([A-Za-z_]\w*)\b/g; (m = re.exec(text)); ) {
    if (!locals.has(m[1])) continue;
    const prev = text[m.index - 1];
    const after = text.slice(m.index + m[1].length, m.index + m[1].length + 2);
    if (prev === '.' || prev === '>' || after.startsWith('(')) continue;
    push('variable', m.index, m[1]);
  }
  return out;
}

/**
 * Hover requests: up to `perKind` targets of each category, each hovered in the middle of its
 * name. Returns [{ kind, position, name }].
 */
export function hoverPositions(text, perKind) {
  const starts = lineStarts(text);
  const targets = findTargets(text);
  const out = [];
  for (const kind of Object.keys(targets)) {
    for (const t of spread(targets[kind], perKind)) out.push({ kind, name: t.name, position: positionAt(starts, t.offset + (t.length >> 1)) });
  }
  return out;
}

/**
 * Completion requests, where a user asks for them: after `bpf_` in a call name (kfunc), right
 * after `->` before a kptr field (field, triggered by `>`), and after the first two characters
 * of a variable (variable). Returns [{ kind, position, context }].
 */
export function completionPositions(text, perKind) {
  const starts = lineStarts(text);
  const targets = findTargets(text);
  const out = [];
  for (const t of spread(targets.kfunc, perKind)) {
    out.push({ kind: 'kfunc', name: t.name, position: positionAt(starts, t.offset + 4), context: { triggerKind: 1 } });
  }
  for (const t of spread(targets.field.filter((f) => text.slice(f.offset - 2, f.offset) === '->'), perKind)) {
    out.push({ kind: 'field', name: t.name, position: positionAt(starts, t.offset), context: { triggerKind: 2, triggerCharacter: '>' } });
  }
  for (const t of spread(targets.variable.filter((v) => v.length > 2), perKind)) {
    out.push({ kind: 'variable', name: t.name, position: positionAt(starts, t.offset + 2), context: { triggerKind: 1 } });
  }
  return out;
}

/**
 * One-character edits at different places: a space typed at the start of `count` lines spread
 * over the file (the edit the clangd baselines used). Lines are taken in an interleaved order so
 * consecutive edits are far apart. Returns line numbers.
 */
export function editLines(text, count) {
  const lines = text.split('\n');
  const candidates = [];
  for (let i = 0; i < lines.length; i++) if (lines[i].trim() !== '' && !lines[i].trimEnd().endsWith('\\')) candidates.push(i);
  const picked = spread(candidates, count);
  // interleave: 0, n/2, 1, n/2+1, ... so consecutive edits land in different functions
  const half = Math.ceil(picked.length / 2);
  const out = [];
  for (let i = 0; i < half; i++) {
    out.push(picked[i]);
    if (i + half < picked.length) out.push(picked[i + half]);
  }
  return out;
}
