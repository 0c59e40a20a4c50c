// Runs every test suite: build, type-check, then the suites in order.
// `npm test -- --grep PATTERN` passes the pattern on to mocha.
import { spawnSync } from 'child_process';
import { dirname, join } from 'path';
import { fileURLToPath } from 'url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const extra = process.argv.slice(2);

function run(title, command, args) {
  console.log(`\n== ${title}`);
  const result = spawnSync(command, args, { cwd: root, stdio: 'inherit' });
  if (result.status !== 0) {
    console.error(`\n${title} failed (exit ${result.status ?? result.signal}).`);
    process.exit(result.status || 1);
  }
}

const mocha = join(root, 'node_modules', 'mocha', 'bin', 'mocha.js');
run('build', process.execPath, [join(root, 'scripts', 'build.mjs')]);
run('type-check and compile tests', process.execPath, [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', root]);
run('unit, server and package tests', process.execPath, [
  mocha,
  '--timeout', '30000',
  'out/test/unit/**/*.test.js',
  'out/test/server/**/*.test.js',
  'out/test/package/**/*.test.js',
  ...extra,
]);
