#!/usr/bin/env node
// Proves the real-editor suites catch a broken product: copies the checkout to a scratch folder,
// breaks the copy on purpose, runs each suite there and expects each to FAIL. The checkout itself
// is never modified; the copy shares node_modules/ and the editor cache (.vscode-test/) by symlink.
//
//   node scripts/editors/prove-red.mjs [--break hover|contributions] [--only vscode,ui,neovim,emacs]
//
//   hover          (default) hoverAt() in server/src/features/hover.ts returns nothing: every suite
//                  must fail (the extension host, the workbench widget, Neovim and Emacs).
//   contributions  the copy's package.json loses the bpfKptr.restartServer command and the
//                  bpfKptr.trace.server setting: the extension-host suite must fail.
//   activation     the copy activates at start-up (activationEvents ["*"]): the extension-host suite
//                  must fail.
//   restart        the copy's bpfKptr.restartServer does nothing: the extension-host suite must fail.
// Exits 0 when every suite run failed as it should, 1 if any passed.
import { spawnSync } from 'child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { join, relative } from 'path';
import { ROOT } from './lib.mjs';

const args = process.argv.slice(2);
const breakage = args.includes('--break') ? args[args.indexOf('--break') + 1] : 'hover';
const DEFAULT_SUITES = { hover: ['vscode', 'ui', 'neovim', 'emacs'], contributions: ['vscode'], activation: ['vscode'], restart: ['vscode'] };
if (!DEFAULT_SUITES[breakage]) throw new Error(`unknown --break ${breakage}; one of ${Object.keys(DEFAULT_SUITES).join(', ')}`);
const suites = args.includes('--only') ? args[args.indexOf('--only') + 1].split(',') : DEFAULT_SUITES[breakage];

function replaceOnce(file, from, to) {
  const text = readFileSync(file, 'utf8');
  const at = text.indexOf(from);
  if (at < 0 || text.indexOf(from, at + 1) >= 0) throw new Error(`${file}: expected exactly one ${JSON.stringify(from)}`);
  writeFileSync(file, text.slice(0, at) + to + text.slice(at + from.length));
}

const BREAK = {
  hover(copy) {
    // Type-correct, so the copy still builds and type-checks: the real function is kept under another name.
    replaceOnce(
      join(copy, 'server', 'src', 'features', 'hover.ts'),
      'export function hoverAt(',
      '// prove-red: broken on purpose, the hover returns nothing.\n' +
        'export function hoverAt(..._args: Parameters<typeof hoverAtWorking>): HoverResult | undefined {\n  return undefined;\n}\n\n' +
        'export function hoverAtWorking(',
    );
  },
  contributions(copy) {
    const file = join(copy, 'package.json');
    const pkg = JSON.parse(readFileSync(file, 'utf8'));
    pkg.contributes.commands = pkg.contributes.commands.filter((c) => c.command !== 'bpfKptr.restartServer');
    delete pkg.contributes.configuration.properties['bpfKptr.trace.server'];
    writeFileSync(file, `${JSON.stringify(pkg, null, 2)}\n`);
  },
  activation(copy) {
    const file = join(copy, 'package.json');
    const pkg = JSON.parse(readFileSync(file, 'utf8'));
    pkg.activationEvents = ['*'];
    writeFileSync(file, `${JSON.stringify(pkg, null, 2)}\n`);
  },
  restart(copy) {
    replaceOnce(join(copy, 'client', 'src', 'extension.ts'), 'restart(context).catch(', 'Promise.resolve().catch(');
  },
};

const SKIP = new Set(['.git', 'node_modules', 'out', 'dist', '.vscode-test', '.cache', 'bench-results']);

function main() {
  const copy = mkdtempSync(join(tmpdir(), 'bpf-kptr-broken-'));
  const outcomes = [];
  try {
    cpSync(ROOT, copy, {
      recursive: true,
      filter: (source) => {
        const rel = relative(ROOT, source);
        return !(SKIP.has(rel.split('/')[0]) || rel.endsWith('.vsix'));
      },
    });
    symlinkSync(join(ROOT, 'node_modules'), join(copy, 'node_modules'));
    symlinkSync(join(ROOT, '.vscode-test'), join(copy, '.vscode-test'));
    BREAK[breakage](copy);
    console.log(`== broken copy (${breakage}) in ${copy}`);

    // The copy must build and type-check: a red suite must come from the breakage, not a broken build.
    for (const [title, script] of [
      ['build', join(copy, 'scripts', 'build.mjs')],
      ['tsc', join(copy, 'node_modules', 'typescript', 'bin', 'tsc')],
    ]) {
      const result = spawnSync(process.execPath, title === 'tsc' ? [script, '-p', copy] : [script], { cwd: copy, encoding: 'utf8' });
      if (result.status !== 0) throw new Error(`the broken copy does not ${title}:\n${result.stdout}${result.stderr}`);
    }

    for (const suite of suites) {
      const t0 = Date.now();
      const result = spawnSync(process.execPath, [join(copy, 'scripts', 'editors', 'run-all.mjs'), '--only', suite, '--no-build'], { cwd: copy, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
      const output = `${result.stdout}${result.stderr}`;
      const red = result.status !== 0;
      const evidence = output
        .split('\n')
        .filter((line) => /✘|failing|^\s+\d+\) |AssertionError|Error:|missing|timed out/.test(line))
        .slice(0, 12)
        .join('\n');
      outcomes.push({ suite, red, seconds: ((Date.now() - t0) / 1000).toFixed(1) });
      console.log(`\n== ${suite}: ${red ? 'FAILED, as it must' : 'PASSED on a broken product: this suite does not catch it'} (exit ${result.status}, ${((Date.now() - t0) / 1000).toFixed(1)} s)`);
      console.log(evidence || output.slice(-3000));
    }
  } finally {
    rmSync(copy, { recursive: true, force: true });
  }
  console.log('\n== summary');
  for (const o of outcomes) console.log(`  ${o.red ? 'red (good)' : 'GREEN (bad)'}  ${o.suite}  ${o.seconds} s`);
  process.exit(outcomes.every((o) => o.red) && outcomes.length === suites.length ? 0 : 1);
}

main();
