// Delta debugging (ddmin) of a failing input: first whole lines, then
// characters, keeping every reduction that still fails the same way. Bounded
// in time: whatever is smallest when the budget runs out is the result.

function split(text, unit) {
  if (unit === 'line') return text.match(/[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+$/g) ?? [];
  return [...text];
}

/**
 * @param {string} text the failing input
 * @param {(candidate: string) => Promise<boolean>} fails whether a candidate still fails the same way
 * @param {{ budgetMs?: number, log?: (s: string) => void }} options
 */
export async function minimize(text, fails, options = {}) {
  const deadline = Date.now() + (options.budgetMs ?? 60000);
  const log = options.log ?? (() => undefined);
  let best = text;
  let tries = 0;
  const attempt = async (candidate) => {
    if (candidate === best || Date.now() > deadline) return false;
    tries++;
    if (await fails(candidate)) {
      best = candidate;
      return true;
    }
    return false;
  };

  const ddmin = async (unit) => {
    let parts = split(best, unit);
    let chunks = 2;
    while (parts.length >= 2 && Date.now() < deadline) {
      const size = Math.ceil(parts.length / chunks);
      let reduced = false;
      for (let start = 0; start < parts.length && Date.now() < deadline; start += size) {
        const candidate = [...parts.slice(0, start), ...parts.slice(start + size)].join('');
        if (await attempt(candidate)) {
          parts = split(best, unit);
          chunks = Math.max(chunks - 1, 2);
          reduced = true;
          break;
        }
      }
      if (!reduced) {
        if (chunks >= parts.length) break;
        chunks = Math.min(parts.length, chunks * 2);
      }
    }
    log(`  minimised by ${unit}: ${best.length} characters after ${tries} tries`);
  };
  // Repetitive inputs (deep nesting, long lines) shrink faster by halving runs of the same text.
  const halveRuns = async () => {
    for (let changed = true; changed && Date.now() < deadline; ) {
      changed = false;
      for (const run of best.matchAll(/(.{1,48}?)\1{15,}/gs)) {
        const unit = run[1];
        const count = run[0].length / unit.length;
        const candidate = best.slice(0, run.index) + unit.repeat(Math.ceil(count / 2)) + best.slice(run.index + run[0].length);
        if (await attempt(candidate)) {
          changed = true;
          break;
        }
      }
    }
    log(`  halved repetitions: ${best.length} characters after ${tries} tries`);
  };

  await ddmin('line');
  await halveRuns();
  if (best.length <= 20000) await ddmin('char');
  return { text: best, tries };
}
