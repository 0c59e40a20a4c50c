// Shared plumbing for the real-editor suites: scratch folders, process groups, code-server, chromium.
//
// Every run gets its own scratch folder (user data, extensions, XDG folders, TMPDIR, HOME for the
// browser), binds 127.0.0.1 on a free port, starts each long-lived program in its own session
// (setsid) and ends by killing the whole process group, then sweeps for any process that still
// carries this run's marker in its environment. The scratch folder is removed at the end.
import { spawn, spawnSync } from 'child_process';
import { randomBytes } from 'crypto';
import { createWriteStream, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'fs';
import { createServer } from 'net';
import { tmpdir } from 'os';
import { dirname, join } from 'path';
import { loadPlaywright, node24Env, ROOT, TOOLS } from './provision.mjs';

export { ROOT };
export const EXAMPLES = join(ROOT, 'examples');
const MARKER = 'BPF_KPTR_EDITORS_RUN';

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
export const log = (message) => console.error(`[editors] ${message}`);

/** User settings for a test profile: nothing on start-up, no update checks, a quick hover, no trust prompt. */
export const TEST_SETTINGS = {
  'workbench.startupEditor': 'none',
  'workbench.welcomePage.walkthroughs.openOnInstall': false,
  'workbench.tips.enabled': false,
  'workbench.enableExperiments': false,
  'workbench.secondarySideBar.defaultVisibility': 'hidden',
  'chat.disableAIFeatures': true,
  'update.mode': 'none',
  'update.showReleaseNotes': false,
  'extensions.autoCheckUpdates': false,
  'extensions.autoUpdate': false,
  'extensions.ignoreRecommendations': true,
  'telemetry.telemetryLevel': 'off',
  'security.workspace.trust.enabled': false,
  'editor.hover.delay': 100,
  'editor.minimap.enabled': false,
  // Screenshots: no sticky scroll header half covering the lines under it.
  'editor.stickyScroll.enabled': false,
  'files.hotExit': 'off',
  'window.restoreWindows': 'none',
  'git.enabled': false,
};

/**
 * A scratch folder for one run, with the environment its programs get: XDG folders and TMPDIR
 * inside it, and a marker variable by which leftovers are found. cleanup() ends everything.
 */
export function createScratch(label) {
  const dir = mkdtempSync(join(tmpdir(), `bpf-kptr-${label}-`));
  const token = `${label}-${process.pid}-${randomBytes(6).toString('hex')}`;
  const sub = (name) => {
    const path = join(dir, name);
    mkdirSync(path, { recursive: true });
    return path;
  };
  const env = {
    ...process.env,
    XDG_CONFIG_HOME: sub('xdg/config'),
    XDG_DATA_HOME: sub('xdg/data'),
    XDG_CACHE_HOME: sub('xdg/cache'),
    XDG_STATE_HOME: sub('xdg/state'),
    XDG_RUNTIME_DIR: sub('xdg/runtime'),
    TMPDIR: sub('tmp'),
    [MARKER]: token,
  };
  const groups = new Set();
  const cleanups = [];
  let cleaning;
  const scratch = {
    dir,
    env,
    token,
    sub,
    /** Starts a long-lived program in its own session; its whole group is killed at cleanup. */
    spawnGroup(command, args, options = {}) {
      const child = spawn(command, args, { cwd: dir, env, stdio: ['ignore', 'pipe', 'pipe'], ...options, detached: true });
      if (child.pid) groups.add(child.pid);
      return child;
    },
    onCleanup(fn) {
      cleanups.push(fn);
    },
    /** Ends everything this run started and removes the folder; a second call waits for the first. */
    cleanup({ keep = Boolean(process.env.BPF_KPTR_KEEP_SCRATCH) } = {}) {
      cleaning ??= (async () => {
        for (const fn of cleanups.reverse()) {
          try {
            // A hung browser must not stop the rest: its processes are killed below anyway.
            await Promise.race([fn(), new Promise((r) => setTimeout(r, 5000).unref())]);
          } catch (error) {
            log(`cleanup: ${error instanceof Error ? error.message : String(error)}`);
          }
        }
        for (const pgid of groups) await killGroup(pgid);
        const left = sweep(token);
        if (left.length) log(`killed ${left.length} leftover process(es) of this run: ${left.join(', ')}`);
        if (keep) log(`scratch kept: ${dir}`);
        else rmSync(dir, { recursive: true, force: true });
      })();
      return cleaning;
    },
  };
  return scratch;
}

const groupAlive = (pgid) => {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch {
    return false;
  }
};

/** SIGTERM to the whole group, then SIGKILL if anything is still there after a few seconds. */
export async function killGroup(pgid, graceMs = 3000) {
  if (!groupAlive(pgid)) return;
  try {
    process.kill(-pgid, 'SIGTERM');
  } catch {
    return;
  }
  const deadline = Date.now() + graceMs;
  while (Date.now() < deadline && groupAlive(pgid)) await sleep(50);
  if (groupAlive(pgid)) {
    try {
      process.kill(-pgid, 'SIGKILL');
    } catch {
      /* gone */
    }
    while (groupAlive(pgid)) await sleep(20);
  }
}

/** Kills (SIGKILL) every process whose environment carries this run's marker; returns them once they are gone. */
export function sweep(token) {
  const needle = Buffer.from(`${MARKER}=${token}\0`);
  const found = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    let environ;
    try {
      environ = readFileSync(`/proc/${entry}/environ`);
    } catch {
      continue;
    }
    if (environ.indexOf(needle) < 0) continue;
    let command = '';
    try {
      command = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0').join(' ').trim().slice(0, 120);
    } catch {
      /* gone */
    }
    try {
      process.kill(Number(entry), 'SIGKILL');
      found.push({ pid: Number(entry), command });
    } catch {
      /* gone */
    }
  }
  // Wait (up to 2 s) until they have exited, so that a later sweep does not count them again.
  const gone = (pid) => {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      return stat.slice(stat.lastIndexOf(')') + 2)[0] === 'Z';
    } catch {
      return true;
    }
  };
  const pause = new Int32Array(new SharedArrayBuffer(4));
  for (let i = 0; i < 100 && !found.every((p) => gone(p.pid)); i++) Atomics.wait(pause, 0, 0, 20);
  return found.map((p) => `${p.pid} (${p.command})`);
}

/** Ends the run cleanly on Ctrl+C or SIGTERM: cleanup, then exit with 130/143. */
export function cleanupOnSignals(scratch) {
  for (const [signal, code] of [
    ['SIGINT', 130],
    ['SIGTERM', 143],
    ['SIGHUP', 129],
  ]) {
    process.once(signal, () => {
      log(`${signal}: stopping`);
      void scratch.cleanup().finally(() => process.exit(code));
    });
  }
}

/** A port that was free on 127.0.0.1 a moment ago. */
export function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

export function writeUserSettings(userDataDir, settings = TEST_SETTINGS) {
  const file = join(userDataDir, 'User', 'settings.json');
  mkdirSync(dirname(file), { recursive: true });
  let current = {};
  if (existsSync(file)) {
    try {
      current = JSON.parse(readFileSync(file, 'utf8'));
    } catch {
      current = {};
    }
  }
  writeFileSync(file, `${JSON.stringify({ ...settings, ...current }, null, 2)}\n`);
}

function codeServerArgs() {
  return [join(TOOLS.codeServerHome, 'out', 'node', 'entry.js')];
}

/** Installs a .vsix into an extensions folder with code-server's CLI. */
export function installVsix(scratch, { vsix, userDataDir, extensionsDir }) {
  const result = spawnSync(
    TOOLS.node24,
    [...codeServerArgs(), '--user-data-dir', userDataDir, '--extensions-dir', extensionsDir, '--install-extension', vsix, '--force'],
    { cwd: scratch.dir, env: node24Env(scratch.env), encoding: 'utf8' },
  );
  if (result.status !== 0) throw new Error(`code-server --install-extension ${vsix} failed:\n${result.stdout}${result.stderr}`);
}

/**
 * Starts code-server on 127.0.0.1 in its own process group and waits for /healthz.
 * smokeTestDriver makes the built workbench honour ?payload= (development extension and tests).
 */
export async function startCodeServer(scratch, { userDataDir, extensionsDir, smokeTestDriver = false, port: fixedPort, attempts = fixedPort ? 1 : 3 }) {
  writeUserSettings(userDataDir);
  let lastError;
  for (let attempt = 1; attempt <= attempts; attempt++) {
    const port = fixedPort ?? (await freePort());
    const logFile = join(scratch.dir, `code-server-${port}.log`);
    const out = createWriteStream(logFile);
    const args = [
      ...codeServerArgs(),
      '--auth', 'none',
      '--bind-addr', `127.0.0.1:${port}`,
      '--disable-telemetry',
      '--disable-update-check',
      '--disable-workspace-trust',
      '--disable-getting-started-override',
      '--disable-proxy',
      '--ignore-last-opened',
      '--reconnection-grace-time', '30',
      '--user-data-dir', userDataDir,
      '--extensions-dir', extensionsDir,
      ...(smokeTestDriver ? ['--vscode-option', 'enable-smoke-test-driver'] : []),
    ];
    const child = scratch.spawnGroup(TOOLS.node24, args, { env: node24Env(scratch.env) });
    child.stdout.pipe(out);
    child.stderr.pipe(out);
    let exited = null;
    child.on('exit', (code, signal) => (exited = code ?? signal));
    const deadline = Date.now() + 30000;
    while (Date.now() < deadline && exited === null) {
      try {
        const response = await fetch(`http://127.0.0.1:${port}/healthz`);
        if (response.ok) {
          const base = `http://127.0.0.1:${port}`;
          return {
            port,
            base,
            logFile,
            pid: child.pid,
            /** The workbench URL for a folder, with an optional VS Code payload. */
            url(folder, payload) {
              const params = new URLSearchParams({ folder });
              if (payload) params.set('payload', JSON.stringify(payload));
              return `${base}/?${params.toString().replace(/%2F/g, '/')}`;
            },
            remoteUri(path) {
              return `vscode-remote://127.0.0.1:${port}${path}`;
            },
            async stop() {
              await killGroup(child.pid);
            },
          };
        }
      } catch {
        /* not yet */
      }
      await sleep(100);
    }
    await killGroup(child.pid);
    lastError = new Error(`code-server did not answer on 127.0.0.1:${port} (exit: ${exited}); log:\n${readFileSync(logFile, 'utf8').slice(-3000)}`);
    log(`attempt ${attempt}: ${lastError.message.split('\n')[0]}`);
  }
  throw lastError;
}

/** Headless Debian chromium through playwright-core, its profile and HOME inside the scratch folder. */
export async function launchChromium(scratch) {
  const { chromium } = loadPlaywright();
  // playwright makes its temporary profile under os.tmpdir(): keep it in the scratch folder too.
  process.env.TMPDIR = scratch.env.TMPDIR;
  const browser = await chromium.launch({
    executablePath: TOOLS.chromium,
    headless: true,
    // Our own handlers end the run (cleanupOnSignals); playwright's would exit before the cleanup.
    handleSIGINT: false,
    handleSIGTERM: false,
    handleSIGHUP: false,
    env: { ...scratch.env, HOME: scratch.sub('home') },
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--password-store=basic',
    ],
  });
  scratch.onCleanup(() => browser.close());
  return browser;
}
