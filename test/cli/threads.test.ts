import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { fixture, fixtureProject, lint } from './harness';

describe('bpf-kptr-lint on several threads', function () {
  this.timeout(120000);

  /** 24 copies of the fixtures with findings, one binary file and one unreadable file, in several directories. */
  function project(): string {
    const files: Record<string, string | Buffer> = { 'src/b/object.bpf.c': Buffer.from([0x7f, 0x45, 0x4c, 0x46, 0, 0, 0]) };
    for (let i = 0; i < 8; i++) {
      files[`src/a/findings_${i}.bpf.c`] = fixture('src/findings.bpf.c');
      files[`src/b/warnings_${i}.bpf.c`] = fixture('src/warnings.bpf.c');
      files[`src/c/clean_${i}.bpf.c`] = `${'// padding\n'.repeat(i * 50)}${fixture('src/clean.bpf.c')}`;
    }
    files['src/c/locked.bpf.c'] = fixture('src/clean.bpf.c');
    const root = fixtureProject('threads', files);
    fs.chmodSync(path.join(root, 'src/c/locked.bpf.c'), 0o000);
    return root;
  }

  it('gives the same report, messages and exit status as one thread, in every format', async () => {
    const root = project();
    for (const format of ['json', 'text', 'sarif']) {
      const args = ['-I', 'include', '--format', format, 'src'];
      const [one, two, three] = await Promise.all([lint(['--jobs', '1', ...args], { cwd: root }), lint(['--jobs=2', ...args], { cwd: root }), lint(['-j', '3', ...args], { cwd: root })]);
      assert.strictEqual(one.code, 1, one.stderr);
      assert.match(one.stderr, /src\/b\/object\.bpf\.c: binary file, not checked/);
      if (process.getuid?.() !== 0) assert.match(one.stderr, /src\/c\/locked\.bpf\.c: cannot read/);
      assert.ok(one.stdout.includes('findings_7.bpf.c'), `--format ${format} reports every copy`);
      for (const [name, run] of [
        ['--jobs 2', two],
        ['-j 3', three],
      ] as const) {
        assert.strictEqual(run.stdout, one.stdout, `--format ${format}, ${name}: the report differs from --jobs 1`);
        assert.strictEqual(run.stderr, one.stderr, `--format ${format}, ${name}: the messages differ from --jobs 1`);
        assert.strictEqual(run.code, one.code, `--format ${format}, ${name}: the exit status differs`);
      }
    }
  });

  it('--jobs takes a whole number from 1 to 64', async () => {
    for (const bad of ['0', '-1', 'two', '1.5', '65']) {
      const run = await lint([`--jobs=${bad}`, 'src'], { cwd: fixtureProject('jobs') });
      assert.strictEqual(run.code, 2, `--jobs ${bad}`);
      assert.match(run.stderr, /--jobs takes a whole number from 1 to 64/);
    }
  });
});
