import * as assert from 'assert';
import { spawn } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { assertBuilt, childEnv, fixture, fixtureProject, LINT, tempDir } from './harness';

/** How the command is started: checking in its own process, or in the second one it starts on few cores. */
const LAUNCHES = [
  { name: 'checking in its own process', command: process.execPath, prefix: [LINT], env: { BPF_KPTR_LINT_RELAUNCHED: '1' } },
  { name: 'checking in a relaunched process', command: 'taskset', prefix: ['-c', '0', process.execPath, LINT], env: { BPF_KPTR_LINT_RELAUNCHED: undefined } },
];

interface Ended {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

describe('bpf-kptr-lint writes its whole report, or says it could not', function () {
  this.timeout(60000);

  /** 400 files with findings: a text report of several hundred kilobytes, far more than a pipe holds. */
  let project: string;
  before(() => {
    assertBuilt();
    const files: Record<string, string> = {};
    for (let i = 0; i < 400; i++) files[`src/findings_${i}.bpf.c`] = fixture('src/findings.bpf.c');
    project = fixtureProject('output', files);
  });

  const ARGS = ['-I', 'include', 'src'];

  /** Runs the command with stdout going to `stdout` (a pipe read by `read`, or a file descriptor). */
  function run(launch: (typeof LAUNCHES)[number], stdout: 'pipe' | number, read?: (out: NodeJS.ReadableStream, stop: () => void) => void, where = { cwd: project, stderr: 'pipe' as 'pipe' | number }): Promise<Ended> {
    return new Promise((resolve, reject) => {
      const child = spawn(launch.command, [...launch.prefix, ...ARGS], { cwd: where.cwd, env: childEnv(launch.env), stdio: ['ignore', stdout, where.stderr] });
      let text = '';
      let stderr = '';
      child.stderr?.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
      if (child.stdout) {
        child.stdout.setEncoding('utf8');
        if (read) read(child.stdout, () => child.stdout!.destroy());
        else child.stdout.on('data', (chunk: string) => (text += chunk));
      }
      const timer = setTimeout(() => child.kill('SIGKILL'), 50000);
      child.on('error', reject);
      child.on('close', (code, signal) => {
        clearTimeout(timer);
        resolve({ code, signal, stdout: text, stderr });
      });
    });
  }

  for (const launch of LAUNCHES) {
    describe(launch.name, () => {
      it('a reader that stops early (`| head`): no error, and the exit status of the check', async () => {
        let seen = '';
        const ended = await run(launch, 'pipe', (out, stop) =>
          out.once('data', (chunk: string) => {
            seen = chunk;
            stop();
          }),
        );
        assert.match(seen, /findings_\d+\.bpf\.c:\d+:\d+: (error|warning)/, 'the report began');
        assert.deepStrictEqual({ code: ended.code, signal: ended.signal, stderr: ended.stderr }, { code: 1, signal: null, stderr: '' });
      });

      it('a reader slow to start gets every byte of the report, the same as a file does', async () => {
        const file = path.join(tempDir('output-file'), 'report.txt');
        const fd = fs.openSync(file, 'w');
        const toFile = await run(launch, fd);
        fs.closeSync(fd);
        let text = '';
        const toPipe = await run(launch, 'pipe', (out) => {
          out.pause();
          setTimeout(() => out.on('data', (chunk: string) => (text += chunk)).resume(), 1000);
        });
        const expected = fs.readFileSync(file, 'utf8');
        assert.ok(expected.length > 4 * 64 * 1024, `the report is ${expected.length} characters: not several times what a pipe holds (64 KiB)`);
        assert.deepStrictEqual([toFile.code, toPipe.code], [1, 1], toPipe.stderr);
        assert.strictEqual(text, expected);
      });

      it('an output that cannot be written (a full disk): exit 2 and why, never a result', async () => {
        const fd = fs.openSync('/dev/full', 'w');
        const ended = await run(launch, fd);
        fs.closeSync(fd);
        assert.strictEqual(ended.code, 2, ended.stderr);
        assert.match(ended.stderr, /^bpf-kptr-lint: cannot write the report: ENOSPC/);
        assert.doesNotMatch(ended.stderr, /\n\s+at /, 'no stack trace');
      });

      it('messages that cannot be written (stderr on a full disk): the report and the status of the check still stand', async () => {
        // A binary file is named on stderr and skipped; the other files are checked, with findings.
        const root = fixtureProject('output-stderr', { 'src/findings.bpf.c': fixture('src/findings.bpf.c'), 'src/blob.bpf.c': Buffer.from([0x7f, 0x45, 0x4c, 0x46, 0, 0, 1, 2]) });
        const text = await run(launch, 'pipe', undefined, { cwd: root, stderr: 'pipe' });
        assert.match(text.stderr, /blob\.bpf\.c: binary file, not checked/);
        const fd = fs.openSync('/dev/full', 'w');
        let report = '';
        const ended = await run(launch, 'pipe', (out) => out.on('data', (chunk: string) => (report += chunk)), { cwd: root, stderr: fd });
        fs.closeSync(fd);
        assert.strictEqual(ended.code, text.code);
        assert.strictEqual(ended.code, 1);
        assert.strictEqual(report, text.stdout);
      });
    });
  }
});
