#!/usr/bin/env node
// Opens examples/ in a real VS Code with the extension, for a person to try. Builds nothing: run
// the build first (npm run build), or give a .vsix.
//
//   node scripts/editors/start.mjs [--vsix FILE | --package] [--port N] [--folder DIR] [--code-server]
//
// With desktop VS Code on PATH (`code`), opens it with --extensionDevelopmentPath. Otherwise
// starts code-server (provisioned on first use) on 127.0.0.1 with a fresh profile, the extension
// installed from FILE (--vsix), from a .vsix packaged now (--package: node scripts/package.mjs,
// whose vscode:prepublish step builds), or by default as a development extension from this
// checkout, and prints the URL. Ctrl+C stops it and removes everything it made. code-server binds
// 127.0.0.1 only: from another machine, forward the port (ssh -L PORT:127.0.0.1:PORT host).
import { spawnSync } from 'child_process';
import { join, resolve } from 'path';
import { EXAMPLES, ROOT, cleanupOnSignals, createScratch, installVsix, log, startCodeServer } from './lib.mjs';
import { provision } from './provision.mjs';

const args = process.argv.slice(2);
const option = (name) => (args.includes(name) ? args[args.indexOf(name) + 1] : undefined);
const folder = resolve(option('--folder') ?? EXAMPLES);

function desktopCode() {
  if (args.includes('--code-server')) return undefined;
  const found = spawnSync('sh', ['-c', 'command -v code'], { encoding: 'utf8' });
  return found.status === 0 ? found.stdout.trim() : undefined;
}

async function main() {
  const code = desktopCode();
  if (code) {
    log(`desktop VS Code: ${code} --extensionDevelopmentPath=${ROOT} ${folder}`);
    const result = spawnSync(code, ['--new-window', `--extensionDevelopmentPath=${ROOT}`, folder], { stdio: 'inherit' });
    process.exit(result.status ?? 1);
  }

  provision(['vscode'], { quiet: true });
  const scratch = createScratch('start');
  cleanupOnSignals(scratch);
  try {
    const userDataDir = scratch.sub('user-data');
    const extensionsDir = scratch.sub('extensions');
    let vsix = option('--vsix') && resolve(option('--vsix'));
    if (!vsix && args.includes('--package')) {
      vsix = join(scratch.dir, 'bpf-kptr.vsix');
      const packed = spawnSync(process.execPath, [join(ROOT, 'scripts', 'package.mjs'), vsix], { cwd: ROOT, stdio: 'inherit' });
      if (packed.status !== 0) throw new Error('packaging failed');
    }
    if (vsix) installVsix(scratch, { vsix, userDataDir, extensionsDir });
    const port = option('--port') ? Number(option('--port')) : undefined;
    const server = await startCodeServer(scratch, { userDataDir, extensionsDir, smokeTestDriver: !vsix, port });
    const payload = vsix ? undefined : [['extensionDevelopmentPath', server.remoteUri(ROOT)]];
    console.log(`\nBPF kptr in code-server (${vsix ? `installed from ${vsix}` : `development extension from ${ROOT}`}):\n`);
    console.log(`  ${server.url(folder, payload)}\n`);
    console.log('Open it in a browser; Ctrl+C stops code-server and removes its profile.');
    await new Promise((resolveExit) => {
      const timer = setInterval(() => {
        try {
          process.kill(server.pid, 0);
        } catch {
          clearInterval(timer);
          log(`code-server exited; its log was ${server.logFile}`);
          resolveExit();
        }
      }, 1000);
    });
  } catch (error) {
    log(error instanceof Error ? error.message : String(error));
    process.exitCode = 1;
  } finally {
    await scratch.cleanup();
  }
}

void main();
