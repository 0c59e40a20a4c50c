// Shared by the Neovim and Emacs suites: the README's snippets, a scratch home with the server on
// PATH (as `npm install -g .` would put it), running an editor in its own process group.
import { once } from 'events';
import { mkdirSync, readFileSync, symlinkSync } from 'fs';
import { join } from 'path';
import { ROOT, createScratch, killGroup, sweep } from '../../scripts/editors/lib.mjs';

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
