#!/usr/bin/env node
// Emacs 28 (Debian emacs-nox) with Eglot 1.9 (Debian elpa-eglot) as an LSP client: Emacs loads a
// user's init.el after activating packages as its start-up does, Eglot starts
// `bpf-kptr-language-server --stdio` from PATH, and a probe asks Eglot's hover (the eldoc function
// behind the echo area) on `__kptr`.
//
//   node test/editors/emacs.mjs [--config FILE]
//
// Without --config it runs the README's snippet (from README.md, started with M-x eglot) and
// test/editors/emacs/init.el (the recommended one, which starts Eglot itself in *.bpf.[ch] buffers).
import { readFileSync, writeFileSync } from 'fs';
import { join, resolve } from 'path';
import { EXAMPLES, cleanupOnSignals, log } from '../../scripts/editors/lib.mjs';
import { provision, TOOLS } from '../../scripts/editors/provision.mjs';
import { check, editorScratch, ensureDir, expectHover, readmeSnippet, report, runGroup } from './common.mjs';

const HERE = join(resolve(new URL('.', import.meta.url).pathname), 'emacs');
const args = process.argv.slice(2);
const configArg = args.includes('--config') ? resolve(args[args.indexOf('--config') + 1]) : undefined;

const VARIANTS = configArg
  ? [{ name: configArg, config: readFileSync(configArg, 'utf8'), start: 'hook' }]
  : [
      { name: 'README snippet (then M-x eglot)', config: readmeSnippet('elisp'), start: 'M-x eglot' },
      { name: 'test/editors/emacs/init.el', config: readFileSync(join(HERE, 'init.el'), 'utf8'), start: 'hook' },
    ];

async function runVariant(variant) {
  const scratch = editorScratch('emacs');
  cleanupOnSignals(scratch);
  const results = [];
  try {
    const init = join(ensureDir(join(scratch.env.HOME, '.emacs.d')), 'init.el');
    writeFileSync(init, variant.config);
    const out = join(scratch.dir, 'probe.json');
    const started = Date.now();
    // --batch skips the start-up's package activation and the init file: do both, in that order.
    const run = await runGroup(scratch, TOOLS.emacs, ['--batch', '--eval', '(package-activate-all)', '-l', init, '-l', join(HERE, 'probe.el')], {
      cwd: EXAMPLES,
      env: { BPF_KPTR_PROBE_OUT: out, BPF_KPTR_PROBE_FILE: join(EXAMPLES, 'cpumask_per_task.bpf.c'), BPF_KPTR_PROBE_START: variant.start },
      timeoutMs: 60000,
    });
    const elapsed = Date.now() - started;
    let probe;
    try {
      probe = JSON.parse(readFileSync(out, 'utf8'));
    } catch {
      probe = { error: `no probe result (exit ${run.code ?? run.signal}${run.timedOut ? ', timed out' : ''}):\n${run.output.slice(-2000)}` };
    }
    check(results, `Eglot (${variant.start}) starts bpf-kptr-language-server --stdio for a .bpf.c buffer`, () => {
      if (probe.error) throw new Error(`${probe.error}\n${run.output.slice(-1500)}`);
      if (probe.command !== 'bpf-kptr-language-server --stdio') throw new Error(`Eglot's server: ${probe.command ?? 'none'} (mode ${probe.mode})\n${run.output.slice(-1500)}`);
      return `Emacs ran ${elapsed} ms in all`;
    });
    check(results, 'hover on __kptr (Eglot eldoc) shows the kptr explanation', () => {
      if (probe.error) throw new Error(probe.error);
      expectHover(probe.hover);
      return `${probe.hover_ms} ms`;
    });
  } finally {
    await scratch.cleanup();
  }
  return report(`Emacs ${variant.name}`, results);
}

async function main() {
  provision(['emacs'], { quiet: true });
  let failures = 0;
  for (const variant of VARIANTS) failures += await runVariant(variant);
  console.log(failures ? `\n  ${failures} Emacs check(s) failed` : '\n  Emacs: all checks passing');
  process.exit(failures ? 1 : 0);
}

main().catch((error) => {
  log(error instanceof Error ? error.stack : String(error));
  process.exit(1);
});
