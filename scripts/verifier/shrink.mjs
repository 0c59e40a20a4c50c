// Smaller versions of a generated program (scripts/verifier/generator.mjs),
// for minimising a disagreement between the engine and the kernel: every
// candidate is a copy with one part removed or unwrapped, still C that
// compiles (gotos keep their labels). scripts/verifier/fuzz.mjs keeps the
// smallest candidate that still shows the same disagreement and asks again,
// until no candidate does.
import { cloneProgram, labelsConsistent, renderProgram } from './generator.mjs';

/** Every statement list of a program (bodies, arms, cases; the helpers' too), outermost first. */
function lists(program) {
  const found = [];
  const walk = (stmts) => {
    found.push(stmts);
    for (const s of stmts) {
      if (s.k === 'if') {
        walk(s.then);
        if (s.else) walk(s.else);
      } else if (s.k === 'loop') walk(s.body);
      else if (s.k === 'switch') for (const c of s.cases) walk(c.body);
    }
  };
  walk(program.fn.body);
  for (const h of program.helpers) walk(h.body);
  return found;
}

/** Whether a loop body has a `continue` or `break` of its own (one that unwrapping would orphan). */
function jumpsOutOf(stmts) {
  return stmts.some((s) => {
    if (s.k === 's') return /^(continue|break);/.test(s.text);
    if (s.k === 'if') return jumpsOutOf(s.then) || (s.else ? jumpsOutOf(s.else) : false);
    // A `break` in a switch is the switch's own; a `continue` there is the loop's.
    if (s.k === 'switch') return s.cases.some((c) => continuesIn(c.body));
    return false;
  });
}

function continuesIn(stmts) {
  return stmts.some((s) => {
    if (s.k === 's') return /^continue;/.test(s.text);
    if (s.k === 'if') return continuesIn(s.then) || (s.else ? continuesIn(s.else) : false);
    if (s.k === 'switch') return s.cases.some((c) => continuesIn(c.body));
    return false;
  });
}

/**
 * Applies `edit` to list number `which` of a copy of `program` (lists are
 * numbered in the order lists() finds them, which a copy preserves).
 */
function edited(program, which, edit) {
  const copy = cloneProgram(program);
  const target = lists(copy)[which];
  edit(target);
  return copy;
}

/** The size shrinking minimises: characters of the rendered program. */
export function size(program) {
  return renderProgram(program).length;
}

/**
 * Candidates one step smaller than `program`, largest cuts first: whole
 * chunks of a statement list (halves, quarters, ... single statements), an
 * `if` replaced by one of its arms or losing its else, a loop replaced by its
 * body, a helper's statement dropped.
 */
export function candidates(program) {
  const out = [];
  const all = lists(program);
  all.forEach((list, which) => {
    const n = list.length;
    for (let chunk = Math.max(1, n >> 1); chunk >= 1; chunk = chunk === 1 ? 0 : Math.max(1, chunk >> 1)) {
      for (let start = 0; start + chunk <= n; start += chunk) {
        if (list.slice(start, start + chunk).some((s) => s.keep)) continue;
        out.push(edited(program, which, (l) => l.splice(start, chunk)));
      }
      if (chunk === 1) break;
    }
    list.forEach((s, i) => {
      if (s.k === 'if') {
        out.push(edited(program, which, (l) => l.splice(i, 1, ...l[i].then)));
        if (s.else) {
          out.push(edited(program, which, (l) => l.splice(i, 1, ...l[i].else)));
          out.push(edited(program, which, (l) => (l[i] = { ...l[i], else: null })));
        }
      } else if (s.k === 'loop' && !jumpsOutOf(s.body)) {
        out.push(edited(program, which, (l) => l.splice(i, 1, ...l[i].body)));
      } else if (s.k === 'switch') {
        // One case less, or the switch replaced by one case's statements (without its break).
        s.cases.forEach((c, j) => {
          if (s.cases.length > 1) out.push(edited(program, which, (l) => (l[i] = { ...l[i], cases: l[i].cases.filter((_, x) => x !== j) })));
          const body = c.body.filter((x) => !(x.k === 's' && x.text === 'break;'));
          if (!breaksIn(body)) out.push(edited(program, which, (l) => l.splice(i, 1, ...body)));
        });
      }
    });
  });
  const seen = new Set([renderProgram(program)]);
  return out.filter((c) => {
    if (!labelsConsistent(c)) return false;
    const text = renderProgram(c);
    if (seen.has(text)) return false;
    seen.add(text);
    return true;
  });
}

/** Whether statements have a `break` that belongs to an enclosing switch or loop. */
function breaksIn(stmts) {
  return stmts.some((s) => {
    if (s.k === 's') return /^break;/.test(s.text);
    if (s.k === 'if') return breaksIn(s.then) || (s.else ? breaksIn(s.else) : false);
    return false;
  });
}

/** Rewrites every identifier that starts with `from` (the program's name) to start with `to`. */
export function renameProgram(program, to) {
  const from = program.name;
  const re = new RegExp(`\\b${from}(?=\\b|_)`, 'g');
  const r = (t) => (typeof t === 'string' ? t.replace(re, to) : t);
  const mapStmts = (stmts) =>
    stmts.map((s) => {
      if (s.k === 's') return { ...s, text: r(s.text) };
      if (s.k === 'label') return { ...s, name: r(s.name) };
      if (s.k === 'if') return { ...s, cond: r(s.cond), then: mapStmts(s.then), else: s.else ? mapStmts(s.else) : null };
      if (s.k === 'loop') return { ...s, head: r(s.head), body: mapStmts(s.body) };
      if (s.k === 'switch') return { ...s, value: r(s.value), cases: s.cases.map((c) => ({ ...c, body: mapStmts(c.body) })) };
      return s;
    });
  const mapDecls = (decls) => new Map([...decls].map(([n, d]) => [n, { ...d, init: r(d.init) }]));
  return {
    ...program,
    name: to,
    fn: { ...program.fn, name: to, signature: r(program.fn.signature), decls: mapDecls(program.fn.decls), body: mapStmts(program.fn.body) },
    helpers: program.helpers.map((h) => ({ ...h, name: r(h.name), decls: mapDecls(h.decls), body: mapStmts(h.body) })),
  };
}
