#!/usr/bin/env node
// Neovim (Debian's 0.7.2) as an LSP client: Neovim runs with a user's init.lua from
// ~/.config/nvim, which starts `bpf-kptr-language-server --stdio` from PATH; a probe hovers `__kptr`
// and reads the floating window.
//
//   node test/editors/neovim.mjs [--config FILE]
//
// Without --config it runs two configurations: the README's snippet (taken from README.md, so the
// documented configuration is what is tested) and test/editors/neovim/init.lua (the recommended
// one: also .bpf.h files, one server for all buffers, K mapped).
import { readFileSync, writeFileSync } from 'fs';
import { join, resolve } from 'path';
import { EXAMPLES, cleanupOnSignals, log } from '../../scripts/editors/lib.mjs';
import { provision, TOOLS } from '../../scripts/editors/provision.mjs';
import { check, editorScratch, ensureDir, expectHover, readmeSnippet, report, runGroup } from './common.mjs';

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
      cwd: EXAMPLES,
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
