#!/usr/bin/env node
// A stand-in for the VS Code executable that @vscode/test-electron spawns: it takes the same
// command line and runs the extension-host suite inside code-server's extension host instead,
// driven from headless chromium through VS Code's smoke-test-driver payload route.
//
//   vscode-stand-in.mjs [FOLDER] --extensionDevelopmentPath=DIR... --extensionTestsPath=FILE
//                       [--user-data-dir=DIR] [--extensions-dir=DIR] [--disable-extensions] [other flags]
//
// The suite's exit code becomes this program's. Its output goes to stdout: the suite writes it to
// the file named by BPF_KPTR_TEST_OUTPUT (test/vscode/suite/index.ts does), which is followed;
// for a suite that does not, the workbench's log (where the extension host's console ends up,
// mixed with the workbench's own messages) is printed at the end instead. Flags meant for desktop
// VS Code (--no-sandbox, --skip-welcome, --disable-updates, ...) are accepted and ignored;
// --disable-extensions becomes the payload's disableExtensions. Every run gets a fresh profile
// (the given --user-data-dir/--extensions-dir, else new ones in scratch), XDG folders and TMPDIR
// in scratch, code-server on a free 127.0.0.1 port in its own process group, all ended and removed
// at the end. BPF_KPTR_STAND_IN_TIMEOUT (seconds, default 600) bounds a run;
// BPF_KPTR_STAND_IN_VERBOSE=1 shows the workbench's log as it comes; BPF_KPTR_KEEP_SCRATCH=1 keeps
// the scratch folder.
//
// Use it with runTests({ vscodeExecutablePath: '<this file>' }) or VSCODE_EXECUTABLE=<this file>.
import { closeSync, existsSync, openSync, readSync } from 'fs';
import { isAbsolute, join, resolve } from 'path';
import { format } from 'util';
import { cleanupOnSignals, createScratch, launchChromium, log, startCodeServer } from './lib.mjs';
import { provision } from './provision.mjs';

function parseArgs(argv) {
  const options = { extensionDevelopmentPaths: [], extensionTestsPath: undefined, userDataDir: undefined, extensionsDir: undefined, folder: undefined, disableExtensions: false, ignored: [] };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const [flag, inline] = arg.startsWith('--') && arg.includes('=') ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)] : [arg, undefined];
    const value = () => inline ?? argv[++i];
    switch (flag) {
      case '--extensionDevelopmentPath':
        options.extensionDevelopmentPaths.push(resolve(value()));
        break;
      case '--extensionTestsPath':
        options.extensionTestsPath = resolve(value());
        break;
      case '--user-data-dir':
        options.userDataDir = resolve(value());
        break;
      case '--extensions-dir':
        options.extensionsDir = resolve(value());
        break;
      case '--disable-extensions':
        options.disableExtensions = true;
        break;
      default:
        if (!arg.startsWith('-')) {
          if (options.folder) throw new Error(`only one workspace folder is supported (got ${options.folder} and ${arg})`);
          options.folder = isAbsolute(arg) ? arg : resolve(arg);
        } else options.ignored.push(arg);
    }
  }
  if (options.extensionDevelopmentPaths.length === 0) throw new Error('--extensionDevelopmentPath= is required');
  if (!options.extensionTestsPath) throw new Error('--extensionTestsPath= is required');
  return options;
}

async function main() {
  const options = parseArgs(process.argv.slice(2));
  provision(['vscode'], { quiet: true });
  const scratch = createScratch('vscode-host');
  cleanupOnSignals(scratch);
  let exitCode = 1;
  try {
    // A fresh profile every run: the given folders if the caller made them, else ones in scratch.
    const userDataDir = options.userDataDir ?? scratch.sub('user-data');
    const extensionsDir = options.extensionsDir ?? scratch.sub('extensions');
    const outputFile = join(scratch.dir, 'suite-output.log');
    scratch.env.BPF_KPTR_TEST_OUTPUT = outputFile;
    const output = follow(outputFile);
    const server = await startCodeServer(scratch, { userDataDir, extensionsDir, smokeTestDriver: true });
    const folder = options.folder ?? scratch.sub('empty-workspace');
    const payload = [
      ...options.extensionDevelopmentPaths.map((p) => ['extensionDevelopmentPath', server.remoteUri(p)]),
      ['extensionTestsPath', server.remoteUri(options.extensionTestsPath)],
      ...(options.disableExtensions ? [['disableExtensions', 'true']] : []),
    ];
    log(`code-server ${server.base} (user data ${userDataDir}); running ${options.extensionTestsPath}`);

    const browser = await launchChromium(scratch);
    const page = await browser.newPage();
    let finish;
    const finished = new Promise((r) => (finish = r));
    // The workbench sends its own log and the extension host's console here, mixed. The suite
    // also writes its output to BPF_KPTR_TEST_OUTPUT (see test/vscode/suite/index.ts), which is
    // what is forwarded; a suite that does not is shown this log instead.
    const automationLog = [];
    await page.exposeFunction('codeAutomationLog', (level, args) => {
      const text = Array.isArray(args) ? format(...args) : String(args);
      automationLog.push({ level, text });
      if (verbose) process.stderr.write(`[workbench ${level}] ${text}\n`);
    });
    await page.exposeFunction('codeAutomationExit', (code) => finish(Number(code)));
    page.on('pageerror', (error) => {
      if (verbose) log(`page error: ${error.message}`);
    });
    await page.goto(server.url(folder, payload));
    const timeoutSeconds = Number(process.env.BPF_KPTR_STAND_IN_TIMEOUT || 600);
    const timeout = sleep(timeoutSeconds * 1000).then(() => 'timeout');
    const result = await Promise.race([finished, timeout]);
    await output.stop();
    if (!output.seen && !verbose) for (const { level, text } of automationLog) (level === 'error' ? process.stderr : process.stdout).write(`${text}\n`);
    if (result === 'timeout') {
      log(`the extension-host suite did not finish within ${timeoutSeconds} s`);
      exitCode = 1;
    } else exitCode = result;
  } catch (error) {
    log(error instanceof Error ? error.message : String(error));
    exitCode = 1;
  } finally {
    await scratch.cleanup();
  }
  process.exit(exitCode);
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms).unref());
const verbose = Boolean(process.env.BPF_KPTR_STAND_IN_VERBOSE);

/** Copies what is appended to a file to stdout as it comes. */
function follow(file) {
  let fd;
  let position = 0;
  const state = { seen: false };
  const buffer = Buffer.alloc(64 * 1024);
  const pump = () => {
    if (fd === undefined) {
      if (!existsSync(file)) return;
      fd = openSync(file, 'r');
    }
    for (;;) {
      const n = readSync(fd, buffer, 0, buffer.length, position);
      if (n <= 0) break;
      state.seen = true;
      position += n;
      process.stdout.write(buffer.subarray(0, n));
    }
  };
  const timer = setInterval(pump, 100);
  return Object.assign(state, {
    async stop() {
      clearInterval(timer);
      pump();
      if (fd !== undefined) closeSync(fd);
    },
  });
}

main().catch((error) => {
  log(error instanceof Error ? error.stack : String(error));
  process.exit(1);
});
