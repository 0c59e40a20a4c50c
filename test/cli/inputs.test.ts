import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { codesOf, fixture, fixtureProject, lint, lintJson, lintUnprivileged, tempDir, writeTree } from './harness';

const FINDINGS = 'src/findings.bpf.c';
const CLEAN = 'src/clean.bpf.c';

describe('bpf-kptr-lint inputs: files, directories, globs', function () {
  this.timeout(60000);
  let repo: string;

  before(() => {
    // A repository (a .git directory is what marks its top) with ignored and non-BPF files.
    repo = tempDir('walk');
    fs.mkdirSync(path.join(repo, '.git'));
    const clean = fixture(CLEAN);
    writeTree(repo, {
      '.gitignore': 'build/\n*.skip.bpf.c\n',
      'src/a.bpf.c': clean,
      'src/nested/deeper/b.bpf.c': clean,
      'src/nested/deeper/c.skip.bpf.c': clean,
      'src/nested/.gitignore': 'local.bpf.c\n',
      'src/nested/local.bpf.c': clean,
      'src/x.skip.bpf.c': clean,
      'src/helper.bpf.h': '/* a header: never a unit of its own */\n',
      'src/user.c': 'int main(void) { return 0; }\n',
      'build/generated.bpf.c': clean,
      'node_modules/dep/vendored.bpf.c': clean,
      '.git/hooks/x.bpf.c': clean,
      'docs/README.md': '# no BPF here\n',
    });
  });

  it('a directory is searched recursively for *.bpf.c, honouring every .gitignore up to the repository top', async () => {
    const [all, src, nested] = await Promise.all([lintJson(['.'], { cwd: repo }), lintJson(['src'], { cwd: repo }), lintJson(['nested'], { cwd: path.join(repo, 'src') })]);
    for (const run of [all, src]) {
      assert.strictEqual(run.code, 0, run.stderr);
      assert.deepStrictEqual(
        run.report.files.map((f) => f.path),
        ['src/a.bpf.c', 'src/nested/deeper/b.bpf.c'],
      );
    }
    assert.deepStrictEqual(
      nested.report.files.map((f) => f.path),
      ['nested/deeper/b.bpf.c'],
      'a .gitignore above the directory given still applies',
    );
  });

  it('a glob is expanded by bpf-kptr-lint itself (quoted in the shell), files are taken as given, each once', async () => {
    const [glob, explicit] = await Promise.all([
      lintJson(['src/**/*.bpf.c'], { cwd: repo }),
      lintJson(['src/user.c', 'src/a.bpf.c', './src/a.bpf.c', 'src', path.join(repo, 'src', 'a.bpf.c')], { cwd: repo }),
    ]);
    const globbed = glob.report.files.map((f) => f.path);
    for (const file of ['src/a.bpf.c', 'src/nested/deeper/b.bpf.c', 'src/x.skip.bpf.c']) assert.ok(globbed.includes(file), `the glob matches ${file}`);
    assert.ok(!globbed.some((f) => f.endsWith('.h') || f.endsWith('user.c')));
    assert.deepStrictEqual(
      explicit.report.files.map((f) => f.path),
      ['src/user.c', 'src/a.bpf.c', 'src/nested/deeper/b.bpf.c'],
      'a file named on the command line is checked whatever its name; the same file is checked once',
    );
  });
});

describe('bpf-kptr-lint bad input: named, skipped, the rest still checked', function () {
  this.timeout(60000);

  it('a missing file: exit 2 when nothing else was given, else the others decide', async () => {
    const [alone, withFindings, withClean, json] = await Promise.all([
      lint(['nope.bpf.c']),
      lint(['-I', 'include', 'nope.bpf.c', FINDINGS]),
      lint(['nope.bpf.c', CLEAN]),
      lintJson(['nope.bpf.c', CLEAN]),
    ]);
    for (const run of [alone, withFindings, withClean, json]) assert.match(run.stderr, /^bpf-kptr-lint: nope\.bpf\.c: no such file or directory$/m);
    assert.strictEqual(alone.code, 2);
    assert.strictEqual(alone.stdout, '');
    assert.strictEqual(withFindings.code, 1);
    assert.match(withFindings.stdout, /\[kptr-leak\]/, 'the other file is checked');
    assert.strictEqual(withClean.code, 0);
    assert.deepStrictEqual(json.report, { version: 1, files: [{ path: CLEAN, diagnostics: [] }] }, 'stdout stays valid JSON, without the missing file');
  });

  it('a directory without BPF sources, and a glob that matches nothing', async () => {
    const [dir, dirAndFile, glob] = await Promise.all([lint(['include']), lint(['include', CLEAN]), lint(['src/*.nothing.c'])]);
    assert.match(dir.stderr, /^bpf-kptr-lint: include: no \*\.bpf\.c files in this directory$/m);
    assert.strictEqual(dir.code, 2);
    assert.strictEqual(dirAndFile.code, 0);
    assert.match(dirAndFile.stderr, /include: no \*\.bpf\.c files/);
    assert.match(glob.stderr, /^bpf-kptr-lint: src\/\*\.nothing\.c: the pattern matches no file$/m);
    assert.strictEqual(glob.code, 2);
  });

  it('a binary file', async () => {
    const root = fixtureProject('binary', { 'src/object.bpf.c': Buffer.from([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1, 0, 0, 0, 0, 0]) });
    const [alone, withFindings] = await Promise.all([lint(['src/object.bpf.c'], { cwd: root }), lint(['-I', 'include', 'src/object.bpf.c', FINDINGS], { cwd: root })]);
    assert.match(alone.stderr, /^bpf-kptr-lint: src\/object\.bpf\.c: binary file, not checked$/m);
    assert.strictEqual(alone.code, 2);
    assert.strictEqual(withFindings.code, 1);
    assert.match(withFindings.stdout, /\[kptr-leak\]/);
  });

  it('an unreadable file and an unreadable directory', async () => {
    const root = fixtureProject('unreadable', { 'locked/inside.bpf.c': fixture(CLEAN) });
    fs.chmodSync(path.join(root, FINDINGS), 0o000);
    fs.chmodSync(path.join(root, 'locked'), 0o000);
    const [file, fileAndClean, dir] = await Promise.all([
      lintUnprivileged([FINDINGS], { cwd: root }),
      lintUnprivileged([FINDINGS, CLEAN], { cwd: root }),
      lintUnprivileged(['locked', CLEAN], { cwd: root }),
    ]);
    assert.match(file.stderr, /^bpf-kptr-lint: src\/findings\.bpf\.c: cannot read: EACCES$/m);
    assert.strictEqual(file.code, 2);
    assert.strictEqual(fileAndClean.code, 0, fileAndClean.stderr);
    assert.match(fileAndClean.stderr, /src\/findings\.bpf\.c: cannot read/);
    assert.match(dir.stderr, /^bpf-kptr-lint: locked: cannot read directory: .*EACCES/m);
    assert.strictEqual(dir.code, 0, 'the clean file was checked');
  });

  it('a file over the default size limit (4 MiB)', async () => {
    const root = fixtureProject('large', { 'src/huge.bpf.c': fixture(CLEAN) + `/*${' '.repeat(4 * 1024 * 1024)}*/\n` });
    const [alone, withClean] = await Promise.all([lint(['src/huge.bpf.c'], { cwd: root }), lint(['src/huge.bpf.c', CLEAN], { cwd: root })]);
    assert.match(alone.stderr, /^bpf-kptr-lint: src\/huge\.bpf\.c: \d+ characters, more than the limit of 4194304 \(maxFileSize\); not checked$/m);
    assert.strictEqual(alone.code, 2);
    assert.strictEqual(withClean.code, 0);
  });

  it('a path that exists but is neither a file nor a directory is not called missing', async () => {
    const run = await lint(['/dev/null', CLEAN]);
    assert.match(run.stderr, /^bpf-kptr-lint: \/dev\/null: /m, 'the message names the path');
    assert.doesNotMatch(run.stderr, /no such file or directory/, '/dev/null exists');
    assert.strictEqual(run.code, 0);
  });

  it('every kind of bad input at once: one message each, and the good file is still checked', async () => {
    const root = fixtureProject('all-bad', { 'src/object.bpf.c': Buffer.from([0, 1, 2, 3]), 'empty/README': 'nothing\n' });
    const run = await lintJson(['-I', 'include', 'missing.bpf.c', 'empty', 'src/object.bpf.c', 'none/*.bpf.c', FINDINGS], { cwd: root });
    const messages = run.stderr.trim().split('\n');
    assert.deepStrictEqual(
      messages.map((m) => m.split(': ')[1]),
      ['missing.bpf.c', 'empty', 'none/*.bpf.c', 'src/object.bpf.c'],
      run.stderr,
    );
    assert.deepStrictEqual(codesOf(run.report, FINDINGS), ['kptr-leak', 'kptr-direct-store']);
    assert.strictEqual(run.code, 1);
  });
});
