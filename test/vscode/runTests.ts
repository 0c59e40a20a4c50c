/**
 * Runs the extension-host suite inside a real VS Code with
 * @vscode/test-electron. By default it downloads VS Code; set
 * VSCODE_EXECUTABLE to run an installed one (or a stand-in that speaks
 * test-electron's command line). Where VS Code can be had neither way, it
 * says so and exits non-zero.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { runTests } from '@vscode/test-electron';

async function main(): Promise<void> {
  const root = path.resolve(__dirname, '..', '..', '..');
  const workspace = path.join(root, 'examples');
  const userData = fs.mkdtempSync(path.join(os.tmpdir(), 'bpf-kptr-vscode-'));
  try {
    const code = await runTests({
      extensionDevelopmentPath: root,
      extensionTestsPath: path.join(__dirname, 'suite', 'index'),
      vscodeExecutablePath: process.env.VSCODE_EXECUTABLE || undefined,
      launchArgs: [workspace, '--disable-extensions', '--skip-welcome', '--skip-release-notes', `--user-data-dir=${userData}`],
    });
    process.exitCode = code;
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    console.error(
      `The extension-host suite could not start VS Code: ${reason}\n` +
        'This machine cannot download VS Code. Set VSCODE_EXECUTABLE to an installed VS Code, ' +
        'or run the real-editor suite, which provides one through code-server.',
    );
    process.exitCode = 1;
  } finally {
    fs.rmSync(userData, { recursive: true, force: true });
  }
}

void main();
