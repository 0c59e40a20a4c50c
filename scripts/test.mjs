// Runs every test suite: build, type-check, then the suites in order, stopping at the first failure.
//
//   node scripts/test.mjs                 everything (what `npm test` and CI run)
//   node scripts/test.mjs --suite unit    one suite: unit, robustness, verifier, editors (repeatable)
//   node scripts/test.mjs -- --grep TEXT  options after -- go to mocha
import { spawnSync } from 'child_process';
import { dirname, join } from 'path';
import { fileURLToPath } from 'url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const argv = process.argv.slice(2);
const dash = argv.indexOf('--');
const own = dash >= 0 ? argv.slice(0, dash) : argv;
const mochaExtra = dash >= 0 ? argv.slice(dash + 1) : [];
const SUITES = ['unit', 'robustness', 'verifier', 'editors'];
const chosen = own.flatMap((a, i) => (a === '--suite' ? [own[i + 1]] : []));
for (const s of chosen) if (!SUITES.includes(s)) throw new Error(`unknown suite "${s}"; one of ${SUITES.join(', ')}`);
const wanted = (suite) => chosen.length === 0 || chosen.includes(suite);

function run(title, command, args) {
  console.log(`\n== ${title}`);
  const started = Date.now();
  const result = spawnSync(command, args, { cwd: root, stdio: 'inherit' });
  if (result.status !== 0) {
    console.error(`\n${title} failed (exit ${result.status ?? result.signal}).`);
    process.exit(result.status || 1);
  }
  console.log(`   ${title}: ${((Date.now() - started) / 1000).toFixed(1)} s`);
}

const node = process.execPath;
run('build', node, [join(root, 'scripts', 'build.mjs')]);
run('type-check and compile tests', node, [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', root]);
if (wanted('unit')) {
  run('unit, server, CLI and package tests', node, [
    join(root, 'node_modules', 'mocha', 'bin', 'mocha.js'),
    '--timeout', '60000',
    'out/test/unit/**/*.test.js',
    'out/test/server/**/*.test.js',
    'out/test/cli/**/*.test.js',
    'out/test/package/**/*.test.js',
    // The benchmark harness on a tiny workload, so it keeps working (timings are not asserted).
    'out/test/bench/**/*.test.js',
    ...mochaExtra,
  ]);
  run('TextMate grammar tests', node, [
    join(root, 'node_modules', 'vscode-tmgrammar-test', 'dist', 'unit.js'),
    '-g', 'node_modules/tm-grammars/grammars/c.json',
    'test/grammar/*.bpf.c',
  ]);
}
if (wanted('robustness')) {
  // Hostile inputs, the protocol, limits, memory, safety and a fixed-seed fuzz run (about 2 minutes on 2 cores).
  run('robustness tests', node, [
    join(root, 'node_modules', 'mocha', 'bin', 'mocha.js'),
    '--timeout', '300000',
    'out/test/robustness/**/*.test.js',
    ...mochaExtra,
  ]);
}
if (wanted('verifier')) {
  run('every fixture through the kernel verifier', node, [join(root, 'scripts', 'verifier', 'run.mjs')]);
  const snippets = join(root, '.cache', 'snippets');
  run('expand the snippets', node, [join(root, 'scripts', 'snippets', 'expand.mjs'), snippets]);
  run('every expanded snippet through the kernel verifier', node, [join(root, 'scripts', 'verifier', 'run.mjs'), snippets]);
  run('verifier harness tests', node, [join(root, 'node_modules', 'mocha', 'bin', 'mocha.js'), '--timeout', '120000', 'test/verifier/*.test.mjs']);
}
if (wanted('editors')) run('real editors: VS Code (code-server), Neovim, Emacs', node, [join(root, 'scripts', 'editors', 'run-all.mjs'), '--no-build']);
