#!/usr/bin/env node
// Emacs 28 (Debian emacs-nox) with Eglot 1.9 (Debian elpa-eglot) as an LSP client: Emacs loads a
// user's init.el after activating packages as its start-up does, Eglot starts
// `bpf-kptr-language-server --stdio` from PATH, in a scratch copy of examples/. A probe
// (emacs/probe.el) asks Eglot's hover (the eldoc function behind the echo area) on `__kptr`, reads
// the ownership diagnostics of mistakes.bpf.c from Flymake, applies the leak's quick fix with
// M-x eglot-code-actions and sees the diagnostic go, and completes after `bpf_cpumask_` with
// completion-at-point (Eglot's capf), as a user without yasnippet has it.
//
//   node test/editors/emacs.mjs [--config FILE]
//
// Without --config it runs the README's snippet (from README.md, started with M-x eglot) and
// test/editors/emacs/init.el (the recommended one, which starts Eglot itself in *.bpf.[ch] buffers).
import { readFileSync, writeFileSync } from 'fs';
import { join, resolve } from 'path';
import { cleanupOnSignals, log } from '../../scripts/editors/lib.mjs';
import { provision, TOOLS } from '../../scripts/editors/provision.mjs';
import { check, editorScratch, ensureDir, examplesCopy, expectHover, expectMistakes, expectPlainCall, LEAK_FIXES, MISTAKES, readmeSnippet, report, runGroup } from './common.mjs';

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
    const examples = examplesCopy(scratch);
    const run = await runGroup(scratch, TOOLS.emacs, ['--batch', '--eval', '(package-activate-all)', '-l', init, '-l', join(HERE, 'probe.el')], {
      cwd: examples,
      env: { BPF_KPTR_PROBE_OUT: out, BPF_KPTR_PROBE_FILE: join(examples, 'cpumask_per_task.bpf.c'), BPF_KPTR_PROBE_START: variant.start },
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
    check(results, 'the ownership diagnostics of mistakes.bpf.c reach Flymake: the four codes, where they are, from bpf-kptr, errors', () => {
      if (probe.error || probe.diagnostics_error) throw new Error(probe.error ?? probe.diagnostics_error);
      if (probe.mistakes_managed !== true) throw new Error('Eglot does not manage mistakes.bpf.c (or Flymake is off there)');
      const list = probe.diagnostics ?? [];
      expectMistakes(list.map((d) => [/\[([a-z-]+)\]/.exec(d.text)?.[1] ?? d.text, d.line, d.col]), 'flymake-diagnostics');
      const wrong = list.filter((d) => d.type !== 'eglot-error' || !d.text.startsWith('bpf-kptr ['));
      if (wrong.length) throw new Error(`not a bpf-kptr error: ${JSON.stringify(wrong)}`);
      return `${probe.diagnostics_ms} ms after opening`;
    });
    check(results, 'the leak\'s quick fix through M-x eglot-code-actions: offered, applied, and its diagnostic goes', () => {
      if (probe.error || probe.diagnostics_error) throw new Error(probe.error ?? probe.diagnostics_error);
      if (JSON.stringify(probe.quickfix_offered) !== JSON.stringify(LEAK_FIXES)) throw new Error(`the prompt offered ${JSON.stringify(probe.quickfix_offered)}; expected ${JSON.stringify(LEAK_FIXES)}`);
      if (probe.quickfix_applied !== true) throw new Error('the buffer did not change');
      const expected = MISTAKES.slice(1).map((m) => m.code);
      if (JSON.stringify(probe.quickfix_after) !== JSON.stringify(expected)) throw new Error(`Flymake holds ${JSON.stringify(probe.quickfix_after)} after the fix; expected ${JSON.stringify(expected)}`);
      if (!/^\s*bpf_cpumask_release\(mask\);$/m.test(probe.quickfix_text ?? '')) throw new Error(`no release inserted:\n${probe.quickfix_text}`);
      return `diagnostics refreshed ${probe.quickfix_ms} ms after the edit`;
    });
    check(results, 'completion after bpf_cpumask_ (Eglot\'s completion-at-point): the cpumask kfuncs, as plain names', () => {
      if (probe.error || probe.completion_error) throw new Error(probe.error ?? probe.completion_error);
      if (probe.completion_prefix !== 'bpf_cpumask_') throw new Error(`Eglot completes ${JSON.stringify(probe.completion_prefix)}; expected the typed bpf_cpumask_`);
      const candidates = probe.completion_candidates ?? [];
      // What *Completions* lists: Eglot shows insertText when there is one, so a snippet shows as `${1:...}`.
      for (const name of ['bpf_cpumask_create', 'bpf_cpumask_release', 'bpf_cpumask_set_cpu']) {
        const shown = candidates.find((c) => c === name || c.startsWith(`${name}(`));
        if (!shown) throw new Error(`${name} is not among the ${candidates.length} candidates: ${candidates.slice(0, 8).join(', ')}...`);
        expectPlainCall(shown, name, 'the completion list shows');
      }
      return `${probe.completion_ms} ms, ${candidates.length} candidates`;
    });
    check(results, 'completion-at-point on bpf_cpumask_set_c inserts bpf_cpumask_set_cpu, with no snippet syntax left', () => {
      if (probe.error || probe.completion_error) throw new Error(probe.error ?? probe.completion_error);
      expectPlainCall(probe.capf_line, 'bpf_cpumask_set_cpu');
      return `${probe.capf_ms} ms: ${JSON.stringify(probe.capf_line)}`;
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
