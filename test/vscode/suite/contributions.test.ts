import * as assert from 'assert';
import * as vscode from 'vscode';
import { extension, hoverMarkdown, kptrHoversAt, openAndWaitForServer, positionOf, serverPids, waitFor } from './helpers';

/** The settings and defaults the README documents. */
const SETTINGS: Record<string, unknown> = {
  kernelVersion: '6.18',
  includePaths: [],
  files: [],
  maxFileSize: 4194304,
  'trace.server': 'off',
};
const COMMANDS = ['bpfKptr.restartServer', 'bpfKptr.showOutput'];

describe('contributions', () => {
  before(async () => {
    await openAndWaitForServer();
  });

  it('contributes the bpfKptr.* settings with their documented defaults', () => {
    const declared = Object.keys(extension().packageJSON.contributes.configuration.properties).sort();
    assert.deepStrictEqual(declared, Object.keys(SETTINGS).map((k) => `bpfKptr.${k}`).sort());
    const configuration = vscode.workspace.getConfiguration('bpfKptr');
    for (const [key, value] of Object.entries(SETTINGS)) {
      assert.deepStrictEqual(configuration.inspect(key)?.defaultValue, value, `default of bpfKptr.${key} as VS Code registered it`);
    }
  });

  it('contributes and registers its commands', async () => {
    const contributed = (extension().packageJSON.contributes.commands as { command: string }[]).map((c) => c.command).sort();
    assert.deepStrictEqual(contributed, [...COMMANDS].sort());
    const registered = new Set(await vscode.commands.getCommands(true));
    for (const command of COMMANDS) assert.ok(registered.has(command), `${command} is registered`);
  });

  it('bpfKptr.restartServer replaces the language server, which answers again', async () => {
    const document = await openAndWaitForServer();
    const position = positionOf(document, '__kptr *birth_cpu', 2);
    await kptrHoversAt(document, position);
    const before = serverPids();
    if (process.platform === 'linux') assert.strictEqual(before.length, 1, `one server process before the restart (got ${before.join(', ')})`);

    await vscode.commands.executeCommand('bpfKptr.restartServer');

    if (process.platform === 'linux') {
      const after = await waitFor('a new server process', () => {
        const pids = serverPids();
        return pids.length === 1 && pids[0] !== before[0] ? pids : undefined;
      });
      assert.ok(!serverPids().includes(before[0]), `the old server ${before[0]} is gone (now ${after.join(', ')})`);
    }
    assert.match(hoverMarkdown(await kptrHoversAt(document, position)), /referenced kptr/);
  });
});
