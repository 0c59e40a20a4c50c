import * as fs from 'fs';
import * as path from 'path';
import { format } from 'util';
import Mocha from 'mocha';

/** Run first, in this order: activation is asserted before any other test opens a C file. */
const FIRST = ['activation.test.js'];

/**
 * When the suite runs inside code-server (scripts/editors/vscode-stand-in.mjs), the extension
 * host's console reaches the runner mixed with the workbench's own log; the stand-in therefore
 * names a file in BPF_KPTR_TEST_OUTPUT and the suite's output is also written there.
 */
function teeOutput(file: string | undefined): () => void {
  if (!file) return () => undefined;
  const fd = fs.openSync(file, 'a');
  const write = (args: unknown[]) => fs.writeSync(fd, `${format(...args)}\n`);
  const base = Mocha.reporters.Base;
  const original = { consoleLog: base.consoleLog, log: console.log, error: console.error, warn: console.warn, info: console.info };
  base.consoleLog = (...args: unknown[]) => {
    write(args);
    original.consoleLog(...args);
  };
  for (const name of ['log', 'error', 'warn', 'info'] as const) {
    console[name] = (...args: unknown[]) => {
      write(args);
      original[name].apply(console, args);
    };
  }
  return () => {
    base.consoleLog = original.consoleLog;
    Object.assign(console, { log: original.log, error: original.error, warn: original.warn, info: original.info });
    fs.closeSync(fd);
  };
}

/** Entry point VS Code calls in the extension host: runs every *.test.js beside this file. */
export async function run(): Promise<void> {
  const mocha = new Mocha({ ui: 'bdd', timeout: 60000, color: false });
  const files = fs.readdirSync(__dirname).filter((f) => f.endsWith('.test.js'));
  const ordered = [...FIRST.filter((f) => files.includes(f)), ...files.filter((f) => !FIRST.includes(f)).sort()];
  for (const file of ordered) mocha.addFile(path.join(__dirname, file));
  const restore = teeOutput(process.env.BPF_KPTR_TEST_OUTPUT);
  try {
    await new Promise<void>((resolve, reject) => {
      mocha.run((failures) => (failures > 0 ? reject(new Error(`${failures} extension-host tests failed`)) : resolve()));
    });
  } finally {
    restore();
  }
}
