#!/usr/bin/env node
// Neovim (Debian's 0.7.2) as an LSP client: Neovim runs with a user's init.lua from
// ~/.config/nvim, which starts `bpf-kptr-language-server --stdio` from PATH, in a scratch copy of
// examples/. A probe (neovim/probe.lua) hovers `__kptr` and reads the floating window, reads the
// ownership diagnostics of mistakes.bpf.c from vim.diagnostic, applies the leak's quick fix with
// vim.lsp.buf.code_action() and sees the diagnostic go, and asks for completion after
// `bpf_cpumask_` (with <C-x><C-o> too when the config sets the LSP omnifunc).
//
//   node test/editors/neovim.mjs [--config FILE]
//
// Without --config it runs two configurations: the README's snippet (taken from README.md, so the
// documented configuration is what is tested) and test/editors/neovim/init.lua (the recommended
// one: also .bpf.h files, one server for all buffers, K mapped).
import { readFileSync, writeFileSync } from 'fs';
import { join, resolve } from 'path';
import { cleanupOnSignals, log } from '../../scripts/editors/lib.mjs';
import { provision, TOOLS } from '../../scripts/editors/provision.mjs';
import { check, editorScratch, ensureDir, examplesCopy, expectHover, expectMistakes, expectPlainCall, LEAK_FIXES, MISTAKES, readmeSnippet, report, runGroup } from './common.mjs';

const HERE = join(resolve(new URL('.', import.meta.url).pathname), 'neovim');
const args = process.argv.slice(2);
const configArg = args.includes('--config') ? resolve(args[args.indexOf('--config') + 1]) : undefined;

const VARIANTS = configArg
  ? [{ name: configArg, config: readFileSync(configArg, 'utf8'), hover: 'K', more: ['task_stash.bpf.c', 'kptr_common.bpf.h'], strict: true }]
  : [
      { name: 'README snippet', config: readmeSnippet('lua'), hover: 'K', more: ['task_stash.bpf.c', 'kptr_common.bpf.h'], strict: true },
      { name: 'test/editors/neovim/init.lua', config: readFileSync(join(HERE, 'init.lua'), 'utf8'), hover: 'K', more: ['task_stash.bpf.c', 'kptr_common.bpf.h'], strict: true },
    ];

async function runVariant(variant) {
  const scratch = editorScratch('neovim');
  cleanupOnSignals(scratch);
  const results = [];
  try {
    writeFileSync(join(ensureDir(join(scratch.env.XDG_CONFIG_HOME, 'nvim')), 'init.lua'), variant.config);
    const out = join(scratch.dir, 'probe.json');
    const started = Date.now();
    const run = await runGroup(scratch, TOOLS.nvim, ['--headless', 'cpumask_per_task.bpf.c', '-c', `luafile ${join(HERE, 'probe.lua')}`], {
      cwd: examplesCopy(scratch),
      env: { BPF_KPTR_PROBE_OUT: out, BPF_KPTR_PROBE_HOVER: variant.hover, BPF_KPTR_PROBE_MORE: variant.more.join(':') },
      timeoutMs: 60000,
    });
    const elapsed = Date.now() - started;
    let probe;
    try {
      probe = JSON.parse(readFileSync(out, 'utf8'));
    } catch {
      probe = { error: `no probe result (exit ${run.code ?? run.signal}${run.timedOut ? ', timed out' : ''}):\n${run.output.slice(-2000)}` };
    }
    check(results, 'the config starts bpf-kptr-language-server and attaches it to a .bpf.c buffer', () => {
      if (probe.error) throw new Error(probe.error);
      if (!probe.attached) throw new Error(`no client attached to ${probe.file} (filetype ${probe.filetype})\n${run.output.slice(-1500)}`);
      return `attached in ${probe.attach_ms} ms; Neovim ran ${elapsed} ms in all`;
    });
    check(results, `hover on __kptr (${variant.hover === 'K' ? 'K' : ':lua vim.lsp.buf.hover()'}) shows the kptr explanation`, () => {
      if (probe.error) throw new Error(probe.error);
      expectHover(probe.hover);
      return `${probe.hover_ms} ms`;
    });
    for (const more of probe.more ?? []) {
      if (variant.strict) {
        check(results, `${more.file} (filetype ${more.filetype}) is attached to the same single server`, () => {
          if (!more.attached) throw new Error(`not attached`);
          if (JSON.stringify(more.clients) !== JSON.stringify(probe.clients)) throw new Error(`clients ${more.clients} differ from ${probe.clients}`);
          if ((probe.active_clients ?? []).length !== 1) throw new Error(`active clients: ${probe.active_clients}`);
        });
      } else if (!more.attached) {
        results.push({ name: `not asserted: ${more.file}`, info: `not attached: Neovim gives it the filetype ${more.filetype}, which the snippet's pattern does not match` });
      }
    }
    check(results, 'the ownership diagnostics of mistakes.bpf.c reach vim.diagnostic: the four codes, where they are, source bpf-kptr, errors', () => {
      if (probe.error) throw new Error(probe.error);
      const list = probe.diagnostics ?? [];
      expectMistakes(list.map((d) => [d.code, d.line, d.col]), 'vim.diagnostic.get()');
      const wrong = list.filter((d) => d.source !== 'bpf-kptr' || d.severity !== 1 || !d.has_data);
      if (wrong.length) throw new Error(`not a bpf-kptr error with its fix data: ${JSON.stringify(wrong)}`);
      return `${probe.diagnostics_ms} ms after opening`;
    });
    check(results, 'the leak\'s quick fix through vim.lsp.buf.code_action(): offered, applied, and its diagnostic goes', () => {
      if (probe.error) throw new Error(probe.error);
      const q = probe.quickfix;
      if (!q) throw new Error('no kptr-leak diagnostic to fix');
      if (JSON.stringify(q.offered) !== JSON.stringify(LEAK_FIXES)) throw new Error(`the menu offered ${JSON.stringify(q.offered)}; expected ${JSON.stringify(LEAK_FIXES)}`);
      if (!q.applied) throw new Error('the buffer did not change');
      const after = (q.after ?? []).map((d) => d.code);
      const expected = MISTAKES.slice(1).map((m) => m.code);
      if (JSON.stringify(after) !== JSON.stringify(expected)) throw new Error(`vim.diagnostic holds ${JSON.stringify(after)} after the fix; expected ${JSON.stringify(expected)}`);
      if (!(q.lines ?? []).some((l) => l.trim() === 'bpf_cpumask_release(mask);')) throw new Error(`no release inserted: ${JSON.stringify(q.lines)}`);
      return `diagnostics refreshed ${q.ms} ms after the edit`;
    });
    check(results, 'completion after bpf_cpumask_ (textDocument/completion): the cpumask kfuncs, replacing what was typed', () => {
      if (probe.error) throw new Error(probe.error);
      const c = probe.completion;
      if (!c || c.error) throw new Error(`no completion: ${c?.error ?? 'no result'}`);
      const missing = ['bpf_cpumask_create', 'bpf_cpumask_release', 'bpf_cpumask_set_cpu'].filter((l) => !c.labels.includes(l));
      if (missing.length) throw new Error(`missing ${missing.join(', ')} among ${c.labels.length} items`);
      const range = c.items.bpf_cpumask_set_cpu.range;
      const show = (r) => (r && r.start ? `${r.start.line}:${r.start.character}-${r.end.line}:${r.end.character}` : JSON.stringify(r));
      const typed = `${c.cursor.line}:1-${c.cursor.line}:${c.cursor.character}`; // after the tab, up to the cursor
      if (show(range) !== typed) throw new Error(`textEdit range ${show(range)}; expected ${typed}, the typed bpf_cpumask_`);
      // What the omnifunc inserts for each (Neovim turns a snippet into plain text itself).
      for (const [label, item] of Object.entries(c.items)) expectPlainCall(item.word, label, 'the omnifunc would insert');
      return `${c.ms} ms, ${c.labels.length} items`;
    });
    check(results, 'no snippet syntax is sent to Neovim 0.7, which declares snippetSupport false', () => {
      const snippets = Object.entries(probe.completion?.items ?? {}).filter(([, item]) => item.insertTextFormat === 2);
      if (snippets.length) throw new Error(`the server sends ${snippets.map(([l]) => l).join(', ')} as snippets (insertTextFormat 2)`);
      return `${Object.keys(probe.completion?.items ?? {}).length} items, all plain text`;
    });
    if (probe.completion?.omnifunc === 'v:lua.vim.lsp.omnifunc') {
      check(results, '<C-x><C-o> (the LSP omnifunc) completes bpf_cpumask_set_c in insert mode', () => {
        const omni = probe.completion.omni ?? {};
        if (!omni.items) throw new Error(`no completion menu (line ${JSON.stringify(omni.line_during)})`);
        expectPlainCall(omni.line, 'bpf_cpumask_set_cpu');
        return `${omni.ms} ms: ${JSON.stringify(omni.line)}`;
      });
    } else if (probe.completion) {
      results.push({ name: 'not asserted: <C-x><C-o>', info: `the config leaves omnifunc as ${JSON.stringify(probe.completion.omnifunc)} (Neovim sets the LSP omnifunc itself only from 0.10): completion reaches the server only through a plugin or by hand` });
    }
    if (variant.strict === false && (probe.active_clients ?? []).length > 1) {
      results.push({ name: 'not asserted: servers', info: `${probe.active_clients.length} clients for ${1 + (probe.more ?? []).length} buffers` });
    }
  } finally {
    await scratch.cleanup();
  }
  return report(`Neovim ${variant.name}`, results);
}

async function main() {
  provision(['neovim'], { quiet: true });
  let failures = 0;
  for (const variant of VARIANTS) failures += await runVariant(variant);
  console.log(failures ? `\n  ${failures} Neovim check(s) failed` : '\n  Neovim: all checks passing');
  process.exit(failures ? 1 : 0);
}

main().catch((error) => {
  log(error instanceof Error ? error.stack : String(error));
  process.exit(1);
});
