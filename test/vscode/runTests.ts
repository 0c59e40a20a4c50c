/**
 * Runs the extension-host suite inside a real VS Code with @vscode/test-electron.
 *
 * Which VS Code:
 *  - VSCODE_EXECUTABLE, when set: an installed VS Code, or anything that speaks its command line
 *    (scripts/editors/vscode-stand-in.mjs runs the suite in code-server's extension host);
 *  - otherwise a downloaded VS Code (test-electron's default);
 *  - and where VS Code cannot be downloaded (no access to the update host), the code-server
 *    stand-in, provisioned on first use (scripts/editors/provision.mjs).
 * Every run gets a fresh user-data and extensions folder, removed afterwards.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { downloadAndUnzipVSCode, runTests } from '@vscode/test-electron';

const root = path.resolve(__dirname, '..', '..', '..');
const STAND_IN = path.join(root, 'scripts', 'editors', 'vscode-stand-in.mjs');

const message = (error: unknown) => (error instanceof Error ? error.message : String(error));

async function chooseExecutable(): Promise<string> {
  if (process.env.VSCODE_EXECUTABLE) return process.env.VSCODE_EXECUTABLE;
  try {
    return await downloadAndUnzipVSCode();
  } catch (error) {
    console.error(`VS Code could not be downloaded (${message(error)}).\nRunning the suite in code-server instead: ${STAND_IN}`);
    return STAND_IN;
  }
}

async function main(): Promise<void> {
  const workspace = path.join(root, 'examples');
  const userData = fs.mkdtempSync(path.join(os.tmpdir(), 'bpf-kptr-vscode-'));
  try {
    const executable = await chooseExecutable();
    if (executable === STAND_IN) {
      // runTests spawns the file itself, so it must be executable (a checkout may have lost the bit).
      try {
        fs.accessSync(STAND_IN, fs.constants.X_OK);
      } catch {
        fs.chmodSync(STAND_IN, 0o755);
      }
    }
    const code = await runTests({
      extensionDevelopmentPath: root,
      extensionTestsPath: path.join(__dirname, 'suite', 'index'),
      vscodeExecutablePath: executable,
      launchArgs: [
        workspace,
        '--disable-extensions',
        '--skip-welcome',
        '--skip-release-notes',
        `--user-data-dir=${path.join(userData, 'user-data')}`,
        `--extensions-dir=${path.join(userData, 'extensions')}`,
      ],
    });
    process.exitCode = code;
  } catch (error) {
    console.error(
      `The extension-host suite failed or could not start VS Code: ${message(error)}\n` +
        'Set VSCODE_EXECUTABLE to an installed VS Code, or to scripts/editors/vscode-stand-in.mjs ' +
        '(code-server; `node scripts/editors/provision.mjs vscode` installs what it needs).',
    );
    process.exitCode = 1;
  } finally {
    fs.rmSync(userData, { recursive: true, force: true });
  }
}

void main();
