// Shared by the fuzzer, its workers and the robustness tests.
import * as fs from 'fs';

/** What a user sees of a diagnostic, as sortable strings, with the document's own URI made relative. */
export function normalizeDiagnostics(diagnostics, uri) {
  const pos = (p) => `${p.line}:${p.character}`;
  return diagnostics
    .map((d) =>
      JSON.stringify([
        pos(d.range.start),
        pos(d.range.end),
        d.code,
        d.severity,
        d.message,
        (d.relatedInformation ?? []).map((r) => [r.location.uri === uri ? '<self>' : r.location.uri, pos(r.location.range.start), pos(r.location.range.end), r.message]),
      ]),
    )
    .sort();
}

/** Peak and current resident memory of a process, in bytes, from /proc (Linux); undefined elsewhere. */
export function processMemory(pid) {
  try {
    const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (key) => {
      const m = new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(status);
      return m ? Number(m[1]) * 1024 : undefined;
    };
    return { rss: kb('VmRSS'), peak: kb('VmHWM') };
  } catch {
    return undefined;
  }
}

/** A short, stable name for a failure: the error's type and the product functions on top of its stack. */
export function signatureOf(kind, error) {
  if (!error) return kind;
  const frames = String(error.stack ?? '')
    .split('\n')
    .slice(1)
    .map((l) => /at (?:(?:new )?([\w$.<>]+) )?\(?([^():]+)/.exec(l.trim()))
    .filter((m) => m && /out[\\/]server[\\/]src|dist[\\/]/.test(m[2]))
    .map((m) => `${m[1] ?? '<anonymous>'}@${m[2].split(/[\\/]/).pop()}`);
  if (isStackOverflow(error)) {
    // Where the stack runs out varies with the input's size: name it by the function that recurses most.
    const counts = new Map();
    for (const f of frames) counts.set(f, (counts.get(f) ?? 0) + 1);
    const top = [...counts].sort((a, b) => b[1] - a[1])[0]?.[0];
    return `${kind}:stack overflow${top ? ` in ${top}` : ''}`;
  }
  const unique = [...new Set(frames)].slice(0, 3);
  const message = String(error.message ?? '').replace(/\d+/g, 'N').slice(0, 60);
  return `${kind}:${error.name}:${message}${unique.length ? ' @ ' + unique.join(' < ') : ''}`;
}

/**
 * CPU milliseconds a process has used (user + system, all threads), from
 * /proc (Linux); undefined elsewhere. A hang is measured in CPU time, so a
 * loaded machine that starves the process does not look like a hang.
 */
export function processCpuMs(pid) {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // Fields 14 and 15 of stat (utime, stime) are the 12th and 13th after the command name, in clock ticks (100 a second on Linux).
    return (Number(fields[11]) + Number(fields[12])) * 10;
  } catch {
    return undefined;
  }
}

export function isStackOverflow(error) {
  return error?.name === 'RangeError' && /call stack/i.test(String(error.message));
}
