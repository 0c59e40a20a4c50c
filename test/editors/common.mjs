// Shared by the Neovim and Emacs suites: the README's snippets, a scratch home with the server on
// PATH (as `npm install -g .` would put it), running an editor in its own process group.
import { once } from 'events';
import { cpSync, mkdirSync, readFileSync, symlinkSync } from 'fs';
import { join } from 'path';
import { EXAMPLES, ROOT, createScratch, killGroup, sweep } from '../../scripts/editors/lib.mjs';

/** The fenced block with this info string in the README's "Other editors" section. */
export function readmeSnippet(info) {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const section = readme.split(/^## /m).find((s) => s.startsWith('Other editors'));
  if (!section) throw new Error('README.md has no "## Other editors" section');
  const match = section.match(new RegExp('^```' + info + '\\n([\\s\\S]*?)^```', 'm'));
  if (!match) throw new Error(`README.md "Other editors" has no \`\`\`${info} block`);
  return match[1];
}

/** A scratch folder whose PATH starts with a bin/ holding bpf-kptr-language-server, and a HOME. */
export function editorScratch(label) {
  const scratch = createScratch(label);
  const bin = scratch.sub('bin');
  symlinkSync(join(ROOT, 'bin', 'bpf-kptr-language-server.js'), join(bin, 'bpf-kptr-language-server'));
  scratch.env.PATH = `${bin}:${scratch.env.PATH ?? ''}`;
  scratch.env.HOME = scratch.sub('home');
  return scratch;
}

/** Runs a program in its own process group (the server it starts included), killed at the end or on timeout. */
export async function runGroup(scratch, command, args, { cwd, env, timeoutMs = 60000 }) {
  const child = scratch.spawnGroup(command, args, { cwd, env: { ...scratch.env, ...env } });
  let output = '';
  child.stdout.on('data', (d) => (output += d));
  child.stderr.on('data', (d) => (output += d));
  const timer = setTimeout(() => void killGroup(child.pid, 500), timeoutMs);
  const [code, signal] = await once(child, 'exit');
  clearTimeout(timer);
  await killGroup(child.pid, 500); // the language server, if the editor left it behind
  // Emacs starts each subprocess in a session of its own, out of reach of the group kill:
  // end whatever else this run started (found by the marker in its environment).
  sweep(scratch.token);
  return { code, signal, output, timedOut: signal !== null };
}

export function ensureDir(path) {
  mkdirSync(path, { recursive: true });
  return path;
}

/** Prints ✔/✘ lines like mocha; returns the number of failures. */
export function report(title, results) {
  console.log(`\n  ${title}`);
  let failures = 0;
  for (const { name, error, note, info } of results) {
    if (info) {
      console.log(`    - ${name}: ${info}`);
      continue;
    }
    if (error) {
      failures++;
      console.log(`    ✘ ${name}\n      ${error.replace(/\n/g, '\n      ')}`);
    } else console.log(`    ✔ ${name}`);
    if (note) console.log(`      note: ${note}`);
  }
  return failures;
}

/** Runs named checks on a probe result; a check throws to fail. */
export function check(results, name, fn) {
  try {
    const note = fn();
    results.push({ name, note: typeof note === 'string' ? note : undefined });
  } catch (error) {
    results.push({ name, error: error instanceof Error ? error.message : String(error) });
  }
}

export function expectHover(text) {
  const expected = [/__kptr.*referenced kptr/, /bpf_kptr_xchg/, /birth_cpu/];
  const missing = expected.filter((re) => !re.test(text ?? ''));
  if (missing.length) throw new Error(`hover was ${JSON.stringify((text ?? '').slice(0, 300))}; missing ${missing.join(', ')}`);
}

/** Line and column (1-based) of `word` inside the `nth` occurrence of `needle` in an example; `nth` on its line too. */
export function locate(file, needle, word = needle, nth = 0) {
  const text = readFileSync(join(EXAMPLES, file), 'utf8');
  let at = -1;
  for (let i = 0; i <= nth; i++) at = text.indexOf(needle, at + 1);
  if (at < 0) throw new Error(`${file} has no occurrence ${nth + 1} of ${JSON.stringify(needle)}`);
  const offset = at + needle.lastIndexOf(word);
  const before = text.slice(0, offset);
  const lineStart = before.lastIndexOf('\n') + 1;
  // Which occurrence of `word` on its line (`mask` in `bpf_cpumask_set_cpu(0, mask)` is the second).
  const nthOnLine = text.slice(lineStart, offset).split(word).length - 1;
  return { line: before.split('\n').length, column: offset - lineStart + 1, word, nth: nthOnLine };
}

/** The four mistakes of examples/mistakes.bpf.c: the code each editor must show, and where (the start of the range). */
export const MISTAKES = [
  { code: 'kptr-leak', ...locate('mistakes.bpf.c', 'if (!slot)\n\t\treturn 0;', 'return 0;') },
  { code: 'kptr-maybe-null', ...locate('mistakes.bpf.c', 'bpf_cpumask_set_cpu(0, mask);', 'mask') },
  { code: 'kptr-direct-store', ...locate('mistakes.bpf.c', 'slot->mask = NULL;', 'slot->mask = NULL') },
  { code: 'kptr-xchg-discarded', ...locate('mistakes.bpf.c', '\tbpf_kptr_xchg(&slot->mask, mask);', 'bpf_kptr_xchg(&slot->mask, mask)') },
];

/** The titles of the quick fixes for the leak, in the order the server lists them. */
export const LEAK_FIXES = ['Release `mask` with bpf_cpumask_release before this exit', 'Suppress kptr-leak on this line'];

/** Compares [code, line, column] triples with MISTAKES; throws with both lists. */
export function expectMistakes(found, what) {
  const expected = MISTAKES.map((m) => [m.code, m.line, m.column]);
  if (JSON.stringify(found) !== JSON.stringify(expected)) throw new Error(`${what}: ${JSON.stringify(found)}; expected ${JSON.stringify(expected)}`);
}

/** A scratch copy of examples/ (editors may write lock, backup or auto-save files beside what they edit). */
export function examplesCopy(scratch) {
  const dir = join(scratch.dir, 'examples');
  cpSync(EXAMPLES, dir, { recursive: true });
  return dir;
}

/** What an inserted completion must look like: the name, and no snippet syntax left in the text. */
export function expectPlainCall(text, name, what = 'inserted') {
  if (typeof text !== 'string' || !text.trim().startsWith(name)) throw new Error(`${what} ${JSON.stringify(text)}; expected ${name}...`);
  if (/\$\{?\d/.test(text)) throw new Error(`${what} ${JSON.stringify(text)}: snippet syntax ${what === 'inserted' ? 'left in the buffer' : 'shown to the user'}`);
}
