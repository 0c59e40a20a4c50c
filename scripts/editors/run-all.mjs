#!/usr/bin/env node
// Runs the product in real editors: provisions them (first run only), builds, then runs each suite
// and exits non-zero if any failed.
//
//   node scripts/editors/run-all.mjs [--only vscode,ui,neovim,emacs] [--no-build]
//
//   vscode  the @vscode/test-electron extension-host suite (test/vscode/) inside code-server's
//           extension host, through scripts/editors/vscode-stand-in.mjs: activation, contributions,
//           hovers, diagnostics, quick fixes, completion, signature help, snippets
//   ui      the VS Code workbench in headless chromium with the extension installed from a
//           freshly packaged .vsix (test/editors/ui.mjs): hover widgets, TextMate scopes,
//           squiggles and the Problems panel, the suggest widget, the light bulb's quick fix
//   neovim  Neovim with the README's and the recommended init.lua (test/editors/neovim.mjs):
//           hover, vim.diagnostic, vim.lsp.buf.code_action(), completion
//   emacs   Emacs with Eglot, the README's and the recommended init.el (test/editors/emacs.mjs):
//           hover, Flymake, eglot-code-actions, completion-at-point
//
// scripts/editors/prove-red.mjs runs these suites on a broken copy to show that each check fails
// when its feature does.
//
// --no-build uses dist/ and out/ as they are (the ui suite's packaging still builds: vsce runs
// vscode:prepublish).
import { spawn, spawnSync } from 'child_process';
import { mkdtempSync, rmSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { ROOT } from './lib.mjs';
import { provision } from './provision.mjs';

const SUITES = ['vscode', 'ui', 'neovim', 'emacs'];
const args = process.argv.slice(2);
const only = args.includes('--only') ? args[args.indexOf('--only') + 1].split(',') : SUITES;
for (const s of only) if (!SUITES.includes(s)) throw new Error(`unknown suite ${s}; one of ${SUITES.join(', ')}`);
const TIMEOUT_MS = 10 * 60 * 1000;

const seconds = (ms) => `${(ms / 1000).toFixed(1)} s`;

function step(title, command, commandArgs) {
  console.log(`\n== ${title}`);
  const t0 = Date.now();
  const result = spawnSync(command, commandArgs, { cwd: ROOT, stdio: 'inherit' });
  if (result.status !== 0) {
    console.error(`${title} failed (exit ${result.status ?? result.signal})`);
    process.exit(1);
  }
  console.log(`   (${seconds(Date.now() - t0)})`);
}

/** Runs one suite with inherited output; resolves to its exit code (1 on timeout). */
function suite(title, command, commandArgs, env = {}) {
  console.log(`\n== ${title}`);
  return new Promise((resolve) => {
    const child = spawn(command, commandArgs, { cwd: ROOT, stdio: 'inherit', env: { ...process.env, ...env } });
    const timer = setTimeout(() => {
      console.error(`${title}: no result after ${seconds(TIMEOUT_MS)}; stopping it`);
      child.kill('SIGTERM');
    }, TIMEOUT_MS);
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      resolve(code ?? (signal ? 1 : 0));
    });
  });
}

async function main() {
  const started = Date.now();
  const groups = [...new Set(only.map((s) => (s === 'ui' ? 'vscode' : s)))];
  console.log(`== provision (${groups.join(', ')})`);
  provision(groups);

  if (!args.includes('--no-build')) {
    step('build', process.execPath, [join(ROOT, 'scripts', 'build.mjs')]);
    if (only.includes('vscode')) step('compile the extension-host suite (tsc)', process.execPath, [join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', ROOT]);
  }

  const scratch = mkdtempSync(join(tmpdir(), 'bpf-kptr-run-all-'));
  const results = [];
  // Ctrl+C reaches the running suite too (same terminal process group); it cleans up after itself.
  let interrupted = false;
  for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => (interrupted = true));
  try {
    let vsix;
    if (only.includes('ui')) {
      vsix = join(scratch, 'bpf-kptr.vsix');
      step('package the .vsix', process.execPath, [join(ROOT, 'scripts', 'package.mjs'), vsix]);
    }
    const node = process.execPath;
    const plan = {
      vscode: ['extension-host suite in code-server', node, [join(ROOT, 'out', 'test', 'vscode', 'runTests.js')], { VSCODE_EXECUTABLE: join(ROOT, 'scripts', 'editors', 'vscode-stand-in.mjs') }],
      ui: ['workbench UI in headless chromium', node, [join(ROOT, 'test', 'editors', 'ui.mjs'), '--vsix', vsix]],
      neovim: ['Neovim', node, [join(ROOT, 'test', 'editors', 'neovim.mjs')]],
      emacs: ['Emacs + Eglot', node, [join(ROOT, 'test', 'editors', 'emacs.mjs')]],
    };
    for (const name of only) {
      if (interrupted) break;
      const [title, command, commandArgs, env] = plan[name];
      const t0 = Date.now();
      const code = await suite(`${name}: ${title}`, command, commandArgs, env);
      results.push({ name, code, ms: Date.now() - t0 });
    }
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
  if (interrupted) {
    console.error('\ninterrupted');
    process.exit(130);
  }

  console.log('\n== summary');
  for (const { name, code, ms } of results) console.log(`  ${code === 0 ? 'pass' : 'FAIL'}  ${name.padEnd(7)} ${seconds(ms)}${code === 0 ? '' : ` (exit ${code})`}`);
  const failed = results.filter((r) => r.code !== 0);
  console.log(`  ${failed.length ? `${failed.length} of ${results.length} suites failed` : `all ${results.length} suites passed`} in ${seconds(Date.now() - started)}`);
  process.exit(failed.length ? 1 : 0);
}

main().catch((error) => {
  console.error(error instanceof Error ? error.message : String(error));
  process.exit(1);
});
