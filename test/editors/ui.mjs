#!/usr/bin/env node
// UI-level test in the real VS Code workbench (code-server) in headless chromium: the extension is
// installed from a .vsix as a user would, examples/ is opened, a file is opened from the explorer
// and the hover widget on `__kptr` is read from the screen.
//
//   node test/editors/ui.mjs [--vsix FILE | --dev] [--screenshots DIR]
//
// Without --vsix a fresh one is packaged (node scripts/package.mjs, which builds first); --dev
// loads the working tree as a development extension instead. --screenshots DIR saves the pictures
// the README shows (npm run screenshots writes docs/images/); without it they go to the scratch
// folder and are discarded.
//
// Checks are a list: one session, each check a function of the page. Add a check for each
// feature as it lands (diagnostics: `.squiggly-warning`, Ctrl+Shift+M and `.markers-panel
// .monaco-list-row`; completion: Ctrl+Space and `.suggest-widget .monaco-list-row`; grammar
// scopes: "Developer: Inspect Editor Tokens and Scopes").
import { spawnSync } from 'child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'fs';
import { tmpdir } from 'os';
import { join, resolve } from 'path';
import { EXAMPLES, ROOT, cleanupOnSignals, log, sleep } from '../../scripts/editors/lib.mjs';
import { hoverWord, notificationTexts, openFromExplorer, openWorkbench, screenshot } from '../../scripts/editors/workbench.mjs';

const args = process.argv.slice(2);
const option = (name) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};
const screenshotsDir = option('--screenshots') && resolve(option('--screenshots'));

const CHECKS = [
  {
    name: 'hover on __kptr in cpumask_per_task.bpf.c, opened from the explorer',
    async run(page, shots) {
      await openFromExplorer(page, 'cpumask_per_task.bpf.c', '__kptr *birth_cpu');
      const text = await hoverWord(page, '__kptr *birth_cpu', '__kptr', /referenced kptr/);
      const expected = [/__kptr: referenced kptr/, /BTF type tag "kptr"/, /On field birth_cpu of struct task_cpus/, /bpf_kptr_xchg/];
      const missing = expected.filter((re) => !re.test(text));
      if (missing.length) throw new Error(`the hover widget showed ${JSON.stringify(text.slice(0, 400))}; missing ${missing.join(', ')}`);
      await sleep(600); // the widget fades in
      await screenshot(page, join(shots, 'hover.png'));
      const errors = (await notificationTexts(page)).filter((t) => /BPF kptr/.test(t));
      if (errors.length) throw new Error(`the extension showed: ${errors.join(' | ')}`);
    },
  },
];

async function packageVsix(dir) {
  const out = join(dir, 'bpf-kptr.vsix');
  log(`packaging ${out}`);
  const result = spawnSync(process.execPath, [join(ROOT, 'scripts', 'package.mjs'), out], { cwd: ROOT, encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`packaging failed:\n${result.stdout}${result.stderr}`);
  return out;
}

async function main() {
  const own = mkdtempSync(join(tmpdir(), 'bpf-kptr-ui-'));
  let failures = 0;
  let session;
  try {
    const vsix = args.includes('--dev') ? undefined : option('--vsix') ? resolve(option('--vsix')) : await packageVsix(own);
    const shots = screenshotsDir ?? join(own, 'screenshots');
    mkdirSync(shots, { recursive: true });
    const started = Date.now();
    session = await openWorkbench({ folder: EXAMPLES, vsix, developmentPath: ROOT });
    session.scratch.onCleanup(() => {
      if (!process.env.BPF_KPTR_KEEP_SCRATCH) rmSync(own, { recursive: true, force: true });
    });
    cleanupOnSignals(session.scratch);
    log(`workbench up in ${((Date.now() - started) / 1000).toFixed(1)} s (${vsix ? `installed ${vsix}` : 'development extension'})`);
    for (const check of CHECKS) {
      const t0 = Date.now();
      try {
        await check.run(session.page, shots);
        console.log(`  ✔ ${check.name} (${Date.now() - t0} ms)`);
      } catch (error) {
        failures++;
        console.log(`  ✘ ${check.name}\n    ${(error instanceof Error ? error.message : String(error)).replace(/\n/g, '\n    ')}`);
        const shot = join(own, `failed-${failures}.png`);
        await session.page.screenshot({ path: shot }).catch(() => undefined);
        if (process.env.BPF_KPTR_KEEP_SCRATCH) log(`failure screenshot: ${shot}`);
      }
    }
  } catch (error) {
    failures++;
    console.log(`  ✘ could not run the UI checks: ${error instanceof Error ? error.message : String(error)}`);
  } finally {
    await session?.close();
    if (!process.env.BPF_KPTR_KEEP_SCRATCH) rmSync(own, { recursive: true, force: true });
  }
  console.log(failures ? `\n  ${failures} UI check(s) failed` : `\n  ${CHECKS.length} UI check(s) passing`);
  process.exit(failures ? 1 : 0);
}

void main();
