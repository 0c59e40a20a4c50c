import * as assert from 'assert';
import { spawn, spawnSync } from 'child_process';
import * as path from 'path';
import * as fs from 'fs';
import { relaunchOptions } from '../../server/src/cli/relaunch';
import { assertBuilt, childEnv, fixture, fixtureProject, LINT, lint, lintOnOneCore, REPO_ROOT } from './harness';

describe('bpf-kptr-lint leaves a core to the check', function () {
  this.timeout(60000);

  describe('when it starts a second process', () => {
    it('on fewer than five cores, with one V8 background thread fewer than the cores', () => {
      assert.deepStrictEqual(relaunchOptions([], {}, 2), ['--v8-pool-size=1']);
      assert.deepStrictEqual(relaunchOptions([], {}, 1), ['--v8-pool-size=1']);
      assert.deepStrictEqual(relaunchOptions(['--max-old-space-size=512'], {}, 4), ['--max-old-space-size=512', '--v8-pool-size=3']);
    });

    it('never on five cores or more, where Node already leaves one', () => {
      assert.strictEqual(relaunchOptions([], {}, 5), undefined);
      assert.strictEqual(relaunchOptions([], {}, 64), undefined);
    });

    it('never when the user chose a pool size, or once relaunched', () => {
      assert.strictEqual(relaunchOptions(['--v8-pool-size=3'], {}, 2), undefined);
      assert.strictEqual(relaunchOptions([], { NODE_OPTIONS: '--trace-warnings --v8-pool-size=2' }, 2), undefined);
      assert.strictEqual(relaunchOptions([], { BPF_KPTR_LINT_RELAUNCHED: '1' }, 2), undefined);
    });
  });

  /** A project whose text report is far larger than a pipe holds, so the checker waits on a reader that does not read. */
  function noisyProject(): string {
    const files: Record<string, string> = {};
    for (let i = 0; i < 300; i++) files[`src/findings_${i}.bpf.c`] = fixture('src/findings.bpf.c');
    return fixtureProject('relaunch', files);
  }

  function childrenOf(pid: number): number[] {
    try {
      return fs.readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
    } catch {
      return [];
    }
  }

  async function until<T>(what: string, probe: () => T | undefined): Promise<T> {
    for (let waited = 0; waited < 20000; waited += 10) {
      const found = probe();
      if (found !== undefined) return found;
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    throw new Error(`timed out waiting for ${what}`);
  }

  // Reads /proc, as the CI machines run Linux.
  it('runs the check in a child started with the smaller pool, and a signal to it ends both', async () => {
    assertBuilt();
    const root = noisyProject();
    // On one core (taskset), whatever the machine has: the relaunch happens on fewer than five.
    const parent = spawn('taskset', ['-c', '0', process.execPath, LINT, '-I', 'include', 'src'], { cwd: root, env: childEnv({ BPF_KPTR_LINT_RELAUNCHED: undefined }), stdio: ['ignore', 'pipe', 'pipe'] });
    // Not reading stdout yet: the checker blocks once the pipe is full, so it is still there below.
    parent.stdout.pause();
    // 'exit', not 'close': the streams stay open as long as anything holds them, a stray child included.
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => parent.on('exit', (code, signal) => resolve({ code, signal })));
    // Between fork and exec the child is still a copy of this command: wait for its own command line.
    const commandLine = (pid: number) => {
      try {
        return fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8');
      } catch {
        return undefined;
      }
    };
    const execed = (pid: number) => {
      const line = commandLine(pid);
      return line !== undefined && line !== '' && line !== commandLine(parent.pid!);
    };
    const child = await until('the checking process', () => childrenOf(parent.pid!).find(execed));
    const options = commandLine(child)!.split('\0');
    assert.ok(options.includes('--v8-pool-size=1'), `the child was started with ${options.join(' ')}`);
    parent.kill('SIGTERM');
    const end = await exited;
    const outlived = fs.existsSync(`/proc/${child}`);
    if (outlived) process.kill(child, 'SIGKILL');
    parent.stdout.destroy();
    assert.deepStrictEqual(end, { code: null, signal: 'SIGTERM' });
    assert.ok(!outlived, 'the checking process outlived the command');
  });

  it('checks in this process when the second one cannot start, with no signal handler left behind', () => {
    assertBuilt();
    // A Node that is not there: the spawn fails, and the fallback must run and find the signals as they were.
    const probe = `
      process.execPath = '/nonexistent/node';
      require(${JSON.stringify(path.join(REPO_ROOT, 'dist', 'relaunch.js'))}).relaunch('script.js', [], ['--v8-pool-size=1'], () => {
        console.log(JSON.stringify(['SIGINT', 'SIGTERM', 'SIGHUP'].map((s) => process.listenerCount(s))));
      });`;
    const run = spawnSync(process.execPath, ['-e', probe], { encoding: 'utf8', timeout: 20000 });
    assert.strictEqual(run.status, 0, run.stderr);
    assert.strictEqual(run.stdout.trim(), '[0,0,0]');
  });

  it('gives the same report and exit status in one process as in two', async () => {
    const root = fixtureProject('relaunch-same');
    const args = ['-I', 'include', '--format', 'json', 'src'];
    const [relaunched, inProcess] = await Promise.all([lintOnOneCore(args, { cwd: root }), lint(args, { cwd: root, env: { NODE_OPTIONS: '--v8-pool-size=1' } })]);
    assert.strictEqual(relaunched.code, 1, relaunched.stderr);
    assert.strictEqual(inProcess.code, relaunched.code);
    assert.strictEqual(inProcess.stdout, relaunched.stdout);
    assert.strictEqual(inProcess.stderr, relaunched.stderr);
  });
});
