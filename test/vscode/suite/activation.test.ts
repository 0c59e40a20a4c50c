import * as assert from 'assert';
import { extension, openExample, waitFor } from './helpers';

// Runs first (see index.ts): nothing has opened a C file yet.
describe('activation', () => {
  it('is not active before a C file is opened (activationEvents: onLanguage:c only)', () => {
    assert.strictEqual(extension().isActive, false, 'the extension must not activate at start-up');
    assert.deepStrictEqual(extension().packageJSON.activationEvents, ['onLanguage:c']);
  });

  it('activates when a .bpf.c file is opened', async () => {
    await openExample('cpumask_per_task.bpf.c');
    await waitFor('the extension to activate', () => extension().isActive || undefined);
  });
});
