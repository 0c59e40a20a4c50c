#!/usr/bin/env node
// Proves the real-editor suites catch a broken product: copies the checkout to a scratch folder,
// breaks the copy on purpose, runs each suite there and expects each to FAIL. The checkout itself
// is never modified; the copy shares node_modules/ and the editor cache (.vscode-test/) by symlink.
//
//   node scripts/editors/prove-red.mjs [--break NAME[,NAME...]] [--only vscode,ui,neovim,emacs]
//   node scripts/editors/prove-red.mjs --all      every breakage, each against its own suites
//
//   hover          (default) hoverAt() in server/src/features/hover.ts returns nothing: every suite
//                  must fail (the extension host, the workbench widget, Neovim and Emacs).
//   kfunc-hover    kfuncs get no hover (the tag hovers still work): the extension host and the
//                  workbench's kfunc check must fail.
//   diagnostics    the server publishes every document with no diagnostics: every suite must fail
//                  (getDiagnostics, the squiggles and Problems panel, vim.diagnostic, Flymake).
//   refresh        the server does not re-check a document after an edit (only when it is opened):
//                  every suite must fail, on the quick fix whose diagnostic then stays.
//   quickfix       the server offers no code actions: every suite must fail.
//   completion     the server completes nothing: every suite must fail (Emacs fails on completion
//                  already while the server sends snippets to clients that cannot take them; the
//                  evidence shows the other reason, "not among the 0 candidates").
//   signature      no signature help: the extension-host suite must fail.
//   snippets       the copy's package.json contributes no snippets: the extension-host suite must fail.
//   grammar        the injection grammar's kptr-tag scope is renamed (in scripts/grammar.mjs, which
//                  the build writes syntaxes/ from): the workbench UI must fail
//                  (the scopes are not reachable through the extension API, see test/vscode/README.md).
//   contributions  the copy's package.json loses the bpfKptr.restartServer command and the
//                  bpfKptr.trace.server setting: the extension-host suite must fail.
//   activation     the copy activates at start-up (activationEvents ["*"]): the extension-host suite
//                  must fail.
//   restart        the copy's bpfKptr.restartServer does nothing: the extension-host suite must fail.
// A suite counts as red only if it fails where the breakage must show (FAILS below), so a suite
// already red for another reason (a known product bug) proves nothing by its exit status alone.
// Exits 0 when every suite run failed where it should, 1 otherwise.
import { spawnSync } from 'child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { join, relative } from 'path';
import { ROOT } from './lib.mjs';

const args = process.argv.slice(2);
const EVERY = ['vscode', 'ui', 'neovim', 'emacs'];
const DEFAULT_SUITES = {
  hover: EVERY,
  'kfunc-hover': ['vscode', 'ui'],
  diagnostics: EVERY,
  refresh: EVERY,
  quickfix: EVERY,
  completion: EVERY,
  signature: ['vscode'],
  snippets: ['vscode'],
  grammar: ['ui'],
  contributions: ['vscode'],
  activation: ['vscode'],
  restart: ['vscode'],
};
/**
 * What must fail for each breakage, per suite: a suite that is red for another reason (a known
 * product bug, say) proves nothing. Matched against the suite's output: mocha's `N) title` lines,
 * the editors' `✘ name` lines and the reason printed under them.
 */
const FAILS = {
  hover: { vscode: /\d+\) explains __kptr on a map-value field/, ui: /✘ hover on __kptr/, neovim: /✘ hover on __kptr/, emacs: /✘ hover on __kptr/ },
  'kfunc-hover': { vscode: /\d+\) explains a cpumask kfunc/, ui: /✘ kfunc hover on bpf_cpumask_create/ },
  diagnostics: { vscode: /\d+\) shows the four ownership mistakes/, ui: /✘ diagnostics on mistakes\.bpf\.c/, neovim: /✘ the ownership diagnostics/, emacs: /✘ the ownership diagnostics/ },
  refresh: { vscode: /\d+\) applies each preferred fix/, ui: /✘ quick fix from the light bulb/, neovim: /✘ the leak's quick fix/, emacs: /✘ the leak's quick fix/ },
  quickfix: { vscode: /\d+\) offers a fix and a suppression/, ui: /✘ quick fix from the light bulb/, neovim: /✘ the leak's quick fix/, emacs: /✘ the leak's quick fix/ },
  completion: {
    vscode: /\d+\) after typing bpf_cpumask_ offers/,
    ui: /✘ completion: typing bpf_cpumask_/,
    neovim: /✘ completion after bpf_cpumask_/,
    // Red already while the server sends snippets to Eglot; broken, it offers nothing at all.
    emacs: /✘ completion after bpf_cpumask_[^\n]*\n[^\n]*not among the 0 candidates/,
  },
  signature: { vscode: /\d+\) gives signature help/ },
  snippets: { vscode: /\d+\) contributes its snippets for C/ },
  grammar: { ui: /✘ TextMate scopes[^\n]*\n[^\n]*storage\.modifier\.kptr\.bpf/ },
  contributions: { vscode: /\d+\) contributes (the bpfKptr\.\* settings|and registers its commands)/ },
  activation: { vscode: /\d+\) is not active before a C file is opened/ },
  restart: { vscode: /\d+\) bpfKptr\.restartServer replaces the language server/ },
};
const breakages = args.includes('--all') ? Object.keys(DEFAULT_SUITES) : (args.includes('--break') ? args[args.indexOf('--break') + 1] : 'hover').split(',');
for (const b of breakages) if (!DEFAULT_SUITES[b]) throw new Error(`unknown --break ${b}; one of ${Object.keys(DEFAULT_SUITES).join(', ')}`);
const onlySuites = args.includes('--only') ? args[args.indexOf('--only') + 1].split(',') : undefined;

function replaceOnce(file, from, to) {
  const text = readFileSync(file, 'utf8');
  const at = text.indexOf(from);
  if (at < 0 || text.indexOf(from, at + 1) >= 0) throw new Error(`${file}: expected exactly one ${JSON.stringify(from)}`);
  writeFileSync(file, text.slice(0, at) + to + text.slice(at + from.length));
  return file;
}

/** Keeps an exported function under another name and puts a type-correct stub returning `value` in its place. */
function stubExport(file, name, value, returns) {
  return replaceOnce(
    file,
    `export function ${name}(`,
    `// prove-red: broken on purpose.\nexport function ${name}(..._args: Parameters<typeof ${name}Working>): ${returns} {\n  return ${value};\n}\n\nexport function ${name}Working(`,
  );
}

function editPackage(copy, edit) {
  const file = join(copy, 'package.json');
  const pkg = JSON.parse(readFileSync(file, 'utf8'));
  edit(pkg);
  writeFileSync(file, `${JSON.stringify(pkg, null, 2)}\n`);
  return file;
}

/** Each breakage edits the copy and returns the files it touched. */
const BREAK = {
  hover(copy) {
    return [stubExport(join(copy, 'server', 'src', 'features', 'hover.ts'), 'hoverAt', 'undefined', 'HoverResult | undefined')];
  },
  'kfunc-hover'(copy) {
    return [replaceOnce(join(copy, 'server', 'src', 'features', 'hover.ts'), '  if (kfunc) return kfuncMarkdown(kfunc, context.kernelVersion);\n', '  if (kfunc) return undefined; // prove-red: broken on purpose\n')];
  },
  diagnostics(copy) {
    return [replaceOnce(join(copy, 'server', 'src', 'server.ts'), 'void connection.sendDiagnostics({ uri, version: doc.version, diagnostics });', 'void diagnostics; // prove-red: broken on purpose\n    void connection.sendDiagnostics({ uri, version: doc.version, diagnostics: [] });')];
  },
  refresh(copy) {
    return [replaceOnce(join(copy, 'server', 'src', 'server.ts'), '    scheduleDiagnostics(event.document.uri, options.debounceMs ?? 75);\n    scheduleDependents(event.document.uri);', '    // prove-red: broken on purpose, no re-check after an edit.\n    scheduleDependents(event.document.uri);')];
  },
  quickfix(copy) {
    return [stubExport(join(copy, 'server', 'src', 'features', 'codeActions.ts'), 'codeActions', '[]', 'CodeAction[]')];
  },
  completion(copy) {
    return [stubExport(join(copy, 'server', 'src', 'features', 'completion.ts'), 'completionsAt', 'undefined', 'CompletionResult | undefined')];
  },
  signature(copy) {
    return [stubExport(join(copy, 'server', 'src', 'features', 'signatureHelp.ts'), 'signatureHelpAt', 'undefined', 'SignatureHelp | undefined')];
  },
  snippets(copy) {
    return [editPackage(copy, (pkg) => delete pkg.contributes.snippets)];
  },
  grammar(copy) {
    // The build writes syntaxes/ from scripts/grammar.mjs: break the generator, not its output.
    return [replaceOnce(join(copy, 'scripts', 'grammar.mjs'), "name: 'storage.modifier.kptr.bpf'", "name: 'storage.modifier.broken.bpf'")];
  },
  contributions(copy) {
    return [
      editPackage(copy, (pkg) => {
        pkg.contributes.commands = pkg.contributes.commands.filter((c) => c.command !== 'bpfKptr.restartServer');
        delete pkg.contributes.configuration.properties['bpfKptr.trace.server'];
      }),
    ];
  },
  activation(copy) {
    return [editPackage(copy, (pkg) => (pkg.activationEvents = ['*']))];
  },
  restart(copy) {
    return [replaceOnce(join(copy, 'client', 'src', 'extension.ts'), 'restart(context).catch(', 'Promise.resolve().catch(')];
  },
};

const SKIP = new Set(['.git', 'node_modules', 'out', 'dist', '.vscode-test', '.cache', 'bench-results']);

/** tsc's complaints about the files a breakage touched (others' unfinished work elsewhere is not the breakage's). */
function typeErrorsIn(copy, touched) {
  const result = spawnSync(process.execPath, [join(copy, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', copy], { cwd: copy, encoding: 'utf8' });
  if (result.status === 0) return [];
  const rel = touched.map((f) => relative(copy, f));
  return `${result.stdout}${result.stderr}`.split('\n').filter((line) => rel.some((r) => line.startsWith(r)));
}

function proveOne(breakage, outcomes) {
  const copy = mkdtempSync(join(tmpdir(), 'bpf-kptr-broken-'));
  const suites = onlySuites ?? DEFAULT_SUITES[breakage];
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
    const touched = BREAK[breakage](copy);
    console.log(`\n==== broken copy (${breakage}: ${touched.map((f) => relative(copy, f)).join(', ')}) in ${copy}`);

    // The copy must build and type-check: a red suite must come from the breakage, not a broken build.
    const build = spawnSync(process.execPath, [join(copy, 'scripts', 'build.mjs')], { cwd: copy, encoding: 'utf8' });
    if (build.status !== 0) throw new Error(`the broken copy does not build:\n${build.stdout}${build.stderr}`);
    const typeErrors = typeErrorsIn(copy, touched);
    if (typeErrors.length) throw new Error(`the breakage does not type-check:\n${typeErrors.join('\n')}`);

    for (const suite of suites) {
      const t0 = Date.now();
      const result = spawnSync(process.execPath, [join(copy, 'scripts', 'editors', 'run-all.mjs'), '--only', suite, '--no-build'], { cwd: copy, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
      const output = `${result.stdout}${result.stderr}`;
      const expected = FAILS[breakage][suite];
      const red = result.status !== 0 && (!expected || expected.test(output));
      const evidence = output
        .split('\n')
        .filter((line) => /✘|failing|^\s+\d+\) |AssertionError|Error:|missing|timed out|expected/.test(line))
        .slice(0, 16)
        .join('\n');
      const seconds = ((Date.now() - t0) / 1000).toFixed(1);
      outcomes.push({ breakage, suite, red, seconds });
      const verdict = red
        ? `FAILED where it must (${expected ?? 'exit status'})`
        : result.status !== 0
          ? `failed, but not where it must (${expected}): this suite does not catch it`
          : 'PASSED on a broken product: this suite does not catch it';
      console.log(`\n== ${breakage} / ${suite}: ${verdict} (exit ${result.status}, ${seconds} s)`);
      console.log(evidence || output.slice(-3000));
    }
  } finally {
    rmSync(copy, { recursive: true, force: true });
  }
}

function main() {
  const outcomes = [];
  for (const breakage of breakages) proveOne(breakage, outcomes);
  console.log('\n== summary');
  for (const o of outcomes) console.log(`  ${o.red ? 'red (good)' : 'GREEN (bad)'}  ${o.breakage.padEnd(14)} ${o.suite.padEnd(7)} ${o.seconds} s`);
  const expected = breakages.reduce((n, b) => n + (onlySuites ?? DEFAULT_SUITES[b]).length, 0);
  process.exit(outcomes.every((o) => o.red) && outcomes.length === expected ? 0 : 1);
}

main();
