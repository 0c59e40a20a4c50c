// Summarises a V8 CPU profile (.cpuprofile): where the time goes, by function and by source file.
import { readFileSync } from 'fs';

/** Maps lines of an unminified esbuild bundle to the source file each came from (`// path` markers). */
function bundleSources(bundleFile) {
  const marks = [];
  let lines = [];
  try {
    lines = readFileSync(bundleFile, 'utf8').split('\n');
    lines.forEach((line, i) => {
      const m = /^\/\/ (?:\S*\/)?((?:server|node_modules)\/\S+\.(?:ts|js|mjs|cjs))$/.exec(line);
      if (m) marks.push({ line: i, source: m[1] });
    });
  } catch {
    // not a bundle we can read: sources stay unknown
  }
  const sourceOf = (line) => {
    let lo = 0;
    let hi = marks.length - 1;
    let found = undefined;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (marks[mid].line <= line) {
        found = marks[mid].source;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    return found;
  };
  /** The code at a bundle line, to name an anonymous function. */
  const codeAt = (line) => (lines[line] ?? '').trim().slice(0, 70);
  return { sourceOf, codeAt };
}

/**
 * Returns { totalMs, self: [{name, source, ms, pct}], inclusive: [...], bySource: [...] },
 * top `limit` of each. `bundleFile` names the bundle the profile ran, to attribute lines to
 * source files.
 */
export function summarizeProfile(profile, { bundleFile, limit = 25 } = {}) {
  const { sourceOf, codeAt } = bundleFile ? bundleSources(bundleFile) : { sourceOf: () => undefined, codeAt: () => '' };
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const keyOf = new Map();
  const info = new Map();
  for (const n of profile.nodes) {
    const cf = n.callFrame;
    const inBundle = Boolean(cf.url && bundleFile && /library(-\d+)?\.cjs$/.test(cf.url));
    const name = cf.functionName || (inBundle ? `(anonymous: ${codeAt(cf.lineNumber)})` : cf.url ? '(anonymous)' : '(native)');
    const source = inBundle ? sourceOf(cf.lineNumber) : cf.url ? cf.url.replace(/^.*\//, '') : undefined;
    const key = `${name} ${source ?? ''}`;
    keyOf.set(n.id, key);
    if (!info.has(key)) info.set(key, { name, source });
  }
  const selfUs = new Map();
  const inclUs = new Map();
  const sourceUs = new Map();
  let total = 0;
  const samples = profile.samples ?? [];
  const deltas = profile.timeDeltas ?? [];
  for (let i = 0; i < samples.length; i++) {
    const dt = Math.max(0, deltas[i + 1] ?? deltas[i] ?? 0);
    total += dt;
    const id = samples[i];
    const key = keyOf.get(id);
    selfUs.set(key, (selfUs.get(key) ?? 0) + dt);
    const src = info.get(key)?.source ?? info.get(key)?.name ?? '(vm)';
    sourceUs.set(src, (sourceUs.get(src) ?? 0) + dt);
    const seen = new Set();
    for (let cur = id; cur !== undefined; cur = parent.get(cur)) {
      const k = keyOf.get(cur);
      if (seen.has(k)) continue;
      seen.add(k);
      inclUs.set(k, (inclUs.get(k) ?? 0) + dt);
    }
  }
  const top = (map) =>
    [...map.entries()]
      .filter(([k]) => !/^\((root|program|idle)\)/.test(k))
      .sort((a, b) => b[1] - a[1])
      .slice(0, limit)
      .map(([k, us]) => ({ ...(info.get(k) ?? { name: k }), ms: Math.round(us / 10) / 100, pct: Math.round((1000 * us) / total) / 10 }));
  const bySource = [...sourceUs.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, limit)
    .map(([source, us]) => ({ source, ms: Math.round(us / 10) / 100, pct: Math.round((1000 * us) / total) / 10 }));
  void byId;
  return { totalMs: Math.round(total / 10) / 100, self: top(selfUs), inclusive: top(inclUs), bySource };
}
