import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { codesOf, fixture, fixtureProject, lineOf, lint, lintJson, REPO_ROOT, RULES_DIR, writeTree } from './harness';

const FINDINGS = 'src/findings.bpf.c';
const WARNINGS = 'src/warnings.bpf.c';
const CLEAN = 'src/clean.bpf.c';

describe('bpf-kptr-lint exit status and thresholds', function () {
  this.timeout(60000);

  it('0 for a clean file, 1 for errors, in every format', async () => {
    const runs = await Promise.all(
      ['text', 'json', 'sarif'].flatMap((format) => [
        lint(['--format', format, CLEAN]).then((r) => ({ format, file: CLEAN, r })),
        lint(['--format', format, '-I', 'include', FINDINGS]).then((r) => ({ format, file: FINDINGS, r })),
      ]),
    );
    for (const { format, file, r } of runs) {
      assert.strictEqual(r.code, file === CLEAN ? 0 : 1, `--format ${format} ${file}: ${r.stderr}`);
      assert.strictEqual(r.stderr, '', `--format ${format} ${file} says nothing on stderr`);
    }
    const text = runs.find((x) => x.format === 'text' && x.file === CLEAN)!.r;
    assert.strictEqual(text.stdout, '', 'a clean check prints nothing');
  });

  it('warnings alone exit 0; --max-warnings N exits 1 only with more than N', async () => {
    // warnings.bpf.c: one warning (unused-suppression); on 6.12 also kptr-kernel-version.
    const [plain, zero, one, oneOf2, twoOf2] = await Promise.all([
      lintJson([WARNINGS]),
      lint(['--max-warnings', '0', WARNINGS]),
      lint(['--max-warnings', '1', WARNINGS]),
      lint(['--max-warnings=1', '--kernel-version', '6.12', WARNINGS]),
      lint(['--max-warnings', '2', '--kernel-version', '6.12', WARNINGS]),
    ]);
    assert.strictEqual(plain.code, 0);
    assert.deepStrictEqual(
      plain.report.files[0].diagnostics.map((d) => [d.code, d.severity]),
      [['unused-suppression', 2]],
    );
    assert.strictEqual(zero.code, 1);
    assert.strictEqual(one.code, 0);
    assert.strictEqual(oneOf2.code, 1);
    assert.strictEqual(twoOf2.code, 0);
  });

  it('--severity CODE=warning|error moves a finding across the threshold', async () => {
    const [downgraded, downgradedCapped, upgraded, info] = await Promise.all([
      lintJson(['-I', 'include', '--severity', 'kptr-leak=warning', '--severity', 'kptr-direct-store=warning', FINDINGS]),
      lint(['-I', 'include', '--severity', 'kptr-leak=warning', '--severity', 'kptr-direct-store=warning', '--max-warnings', '1', FINDINGS]),
      lint(['--severity', 'unused-suppression=error', WARNINGS]),
      lint(['-I', 'include', '--severity', 'kptr-leak=information', '--severity', 'kptr-direct-store=hint', '--max-warnings', '0', FINDINGS]),
    ]);
    assert.strictEqual(downgraded.code, 0, 'warnings alone do not fail');
    assert.deepStrictEqual(
      downgraded.report.files[0].diagnostics.map((d) => d.severity),
      [2, 2],
    );
    assert.strictEqual(downgradedCapped.code, 1, 'two warnings, one allowed');
    assert.match(downgradedCapped.stdout, /: warning: .*\[kptr-leak\]/);
    assert.strictEqual(upgraded.code, 1);
    assert.match(upgraded.stdout, /^src\/warnings\.bpf\.c:\d+:\d+: error: .*\[unused-suppression\]$/m);
    assert.strictEqual(info.code, 0, 'information and hints never fail, even with --max-warnings 0');
    assert.match(info.stdout, /: info: .*\[kptr-leak\]/);
    assert.match(info.stdout, /: hint: .*\[kptr-direct-store\]/);
  });

  it('--disable CODE drops a rule; --kernel-version selects the kernel', async () => {
    const [disabled, oldKernel, newKernel] = await Promise.all([
      lintJson(['-I', 'include', '--disable', 'kptr-leak', '--disable', 'kptr-direct-store', FINDINGS]),
      lintJson(['--kernel-version', '6.12', WARNINGS]),
      lintJson(['--kernel-version', '6.13', WARNINGS]),
    ]);
    assert.strictEqual(disabled.code, 0);
    // (The `// bpf-kptr-ignore: kptr-leak` in the file then suppresses nothing, and says so.)
    assert.deepStrictEqual(
      codesOf(disabled.report, FINDINGS).filter((c) => c !== 'unused-suppression'),
      [],
    );
    assert.deepStrictEqual(codesOf(oldKernel.report, WARNINGS), ['kptr-kernel-version', 'unused-suppression']);
    assert.match(String(oldKernel.report.files[0].diagnostics[0].message), /bpf_task_from_vpid appeared in kernel 6\.13/);
    assert.deepStrictEqual(codesOf(newKernel.report, WARNINGS), ['unused-suppression']);
  });

  it('honours the editor suppression comments, above the line or on it, and reports one that suppresses nothing', async () => {
    const source = fixture(FINDINGS);
    const root = fixtureProject('suppressions', { 'src/unsuppressed.bpf.c': source.replace(/bpf-kptr-ignore/g, 'not-an-ignore') });
    const [withComments, without, unused] = await Promise.all([
      lintJson(['-I', 'include', FINDINGS], { cwd: root }),
      lintJson(['-I', 'include', 'src/unsuppressed.bpf.c'], { cwd: root }),
      lintJson([WARNINGS], { cwd: root }),
    ]);
    const at = (report: typeof without.report, file: string) => report.files.find((f) => f.path === file)!.diagnostics.map((d) => [d.code, d.range.start.line]);
    const setCpu = lineOf(source, 'bpf_cpumask_set_cpu(0, mask);');
    const onTheLine = lineOf(source, '// bpf-kptr-ignore: kptr-leak');
    assert.ok(!at(withComments.report, FINDINGS).some(([, line]) => line === setCpu || line === onTheLine), 'both are suppressed');
    assert.ok(!codesOf(withComments.report, FINDINGS).includes('unused-suppression'), 'and both are used');
    assert.deepStrictEqual(
      at(without.report, 'src/unsuppressed.bpf.c').filter(([, line]) => line === setCpu || line === onTheLine),
      [
        ['kptr-maybe-null', setCpu],
        ['kptr-leak', onTheLine],
      ],
      'without the comments the two findings are reported',
    );
    const warning = unused.report.files[0].diagnostics[0];
    assert.strictEqual(warning.code, 'unused-suppression');
    assert.strictEqual(warning.range.start.line, lineOf(fixture(WARNINGS), 'bpf-kptr-ignore: kptr-leak'));
  });
});

describe('bpf-kptr-lint include paths: -I, compile_commands.json, compile_flags.txt', function () {
  this.timeout(60000);
  // findings.bpf.c includes "slots.h", which is not beside it: kptr-direct-store is reported
  // only when an include path leads to include/slots.h (where the field is a __kptr).
  const WITH_HEADER = ['kptr-leak', 'kptr-direct-store'];
  const WITHOUT_HEADER = ['kptr-leak'];

  it('-I DIR finds the header; without any include path it is not found', async () => {
    const [none, include, plain, fromElsewhere] = await Promise.all([
      lintJson([FINDINGS]),
      lintJson(['-I', 'include', FINDINGS]),
      lintJson(['-I', 'include-plain', FINDINGS]),
      lintJson(['-I', '../include', 'findings.bpf.c'], { cwd: path.join(REPO_ROOT, 'test', 'cli', 'fixtures', 'src') }),
    ]);
    assert.deepStrictEqual(codesOf(none.report, FINDINGS), WITHOUT_HEADER);
    assert.deepStrictEqual(codesOf(include.report, FINDINGS), WITH_HEADER);
    assert.deepStrictEqual(codesOf(plain.report, FINDINGS), WITHOUT_HEADER, 'the other slots.h has no __kptr field');
    assert.deepStrictEqual(codesOf(fromElsewhere.report, 'findings.bpf.c'), WITH_HEADER, '-I is taken from the current directory');
  });

  it('without -I: compile_flags.txt in the directory of the file or above it', async () => {
    const beside = fixtureProject('flags-beside', { 'src/compile_flags.txt': '--target=bpf\n-I\n../include\n' });
    const above = fixtureProject('flags-above', { 'compile_flags.txt': '--target=bpf\n-Iinclude\n-D__TARGET_ARCH_x86\n' });
    const [b, a] = await Promise.all([lintJson([FINDINGS], { cwd: beside }), lintJson([FINDINGS], { cwd: above })]);
    assert.deepStrictEqual(codesOf(b.report, FINDINGS), WITH_HEADER);
    assert.deepStrictEqual(codesOf(a.report, FINDINGS), WITH_HEADER);
  });

  it('without -I: the entry for the file in compile_commands.json ("command" or "arguments")', async () => {
    const command = fixtureProject('commands-command');
    writeTree(command, {
      'compile_commands.json': JSON.stringify([
        { directory: path.join(command, 'src'), file: 'other.bpf.c', command: 'clang -O2 --target=bpf -I ../include-plain -c other.bpf.c' },
        { directory: command, file: FINDINGS, command: `clang -g -O2 --target=bpf -I "${path.join(command, 'include')}" -c ${FINDINGS} -o findings.bpf.o` },
      ]),
    });
    const args = fixtureProject('commands-arguments');
    writeTree(args, {
      'compile_commands.json': JSON.stringify([{ directory: args, file: path.join(args, FINDINGS), arguments: ['clang', '-O2', '--target=bpf', '-Iinclude', '-c', FINDINGS] }]),
    });
    const [c, a] = await Promise.all([lintJson([FINDINGS], { cwd: command }), lintJson([FINDINGS], { cwd: args })]);
    assert.deepStrictEqual(codesOf(c.report, FINDINGS), WITH_HEADER, 'the entry for the file, not the first one');
    assert.deepStrictEqual(codesOf(a.report, FINDINGS), WITH_HEADER);
  });

  it('without -I: compile_commands.json in a build/ directory above the file, where clangd also looks', async () => {
    const root = fixtureProject('commands-build');
    writeTree(root, {
      'build/compile_commands.json': JSON.stringify([{ directory: path.join(root, 'build'), file: path.join(root, FINDINGS), command: `clang --target=bpf -I${path.join(root, 'include')} -c ${path.join(root, FINDINGS)}` }]),
    });
    const run = await lintJson([FINDINGS], { cwd: root });
    assert.deepStrictEqual(codesOf(run.report, FINDINGS), WITH_HEADER);
  });

  it('each file gets the include paths of its own compile database, in one run', async () => {
    const source = fixture(FINDINGS);
    const root = fixtureProject('flags-per-file', {
      'kptr/findings.bpf.c': source,
      'kptr/compile_flags.txt': '-I../include\n',
      'plain/findings.bpf.c': source,
      'plain/compile_flags.txt': '-I../include-plain\n',
    });
    const run = await lintJson(['kptr/findings.bpf.c', 'plain/findings.bpf.c'], { cwd: root });
    assert.deepStrictEqual(codesOf(run.report, 'kptr/findings.bpf.c'), WITH_HEADER);
    assert.deepStrictEqual(codesOf(run.report, 'plain/findings.bpf.c'), WITHOUT_HEADER);
  });

  it('-I replaces the compile database', async () => {
    const root = fixtureProject('flags-overridden', { 'compile_flags.txt': '-Iinclude\n' });
    const run = await lintJson(['-I', 'include-plain', FINDINGS], { cwd: root });
    assert.deepStrictEqual(codesOf(run.report, FINDINGS), WITHOUT_HEADER);
  });
});

describe('bpf-kptr-lint settings from .bpf-kptr.json', function () {
  this.timeout(60000);

  it('diagnostics.disable, and --enable to bring a rule back', async () => {
    const root = fixtureProject('config-disable', { '.bpf-kptr.json': JSON.stringify({ diagnostics: { disable: ['kptr-leak'] } }) });
    const [off, on] = await Promise.all([lintJson([FINDINGS], { cwd: root }), lintJson(['--enable', 'kptr-leak', FINDINGS], { cwd: root })]);
    assert.deepStrictEqual(
      codesOf(off.report, FINDINGS).filter((c) => c !== 'unused-suppression'),
      [],
    );
    assert.strictEqual(off.code, 0);
    assert.deepStrictEqual(codesOf(on.report, FINDINGS), ['kptr-leak']);
    assert.strictEqual(on.code, 1);
  });

  it('diagnostics.severity, and --severity over it', async () => {
    const root = fixtureProject('config-severity', { '.bpf-kptr.json': JSON.stringify({ diagnostics: { severity: { 'kptr-leak': 'warning' } } }) });
    const [config, cli] = await Promise.all([lintJson([FINDINGS], { cwd: root }), lintJson(['--severity', 'kptr-leak=error', FINDINGS], { cwd: root })]);
    assert.strictEqual(config.report.files[0].diagnostics[0].severity, 2);
    assert.strictEqual(config.code, 0);
    assert.strictEqual(cli.report.files[0].diagnostics[0].severity, 1);
    assert.strictEqual(cli.code, 1);
  });

  it('kernelVersion, and --kernel-version over it', async () => {
    const root = fixtureProject('config-kernel', { '.bpf-kptr.json': JSON.stringify({ kernelVersion: '6.12' }) });
    const [config, cli] = await Promise.all([lintJson([WARNINGS], { cwd: root }), lintJson(['--kernel-version', '6.18', WARNINGS], { cwd: root })]);
    assert.deepStrictEqual(codesOf(config.report, WARNINGS), ['kptr-kernel-version', 'unused-suppression']);
    assert.deepStrictEqual(codesOf(cli.report, WARNINGS), ['unused-suppression']);
  });

  it('includePaths, relative to the config file, found from the file upwards (not from the current directory)', async () => {
    const root = fixtureProject('config-include', { '.bpf-kptr.json': JSON.stringify({ includePaths: ['include'] }) });
    const [fromRoot, fromSrc] = await Promise.all([lintJson([FINDINGS], { cwd: root }), lintJson(['findings.bpf.c'], { cwd: path.join(root, 'src') })]);
    assert.deepStrictEqual(codesOf(fromRoot.report, FINDINGS), ['kptr-leak', 'kptr-direct-store']);
    assert.deepStrictEqual(codesOf(fromSrc.report, 'findings.bpf.c'), ['kptr-leak', 'kptr-direct-store']);
  });

  it('maxFileSize: a larger file is named and not checked, the others are', async () => {
    const big = fixture(CLEAN) + `/* ${'x'.repeat(2000)} */\n`;
    const root = fixtureProject('config-size', { '.bpf-kptr.json': JSON.stringify({ maxFileSize: 1024 }), 'src/big.bpf.c': big });
    const run = await lintJson(['src/big.bpf.c', WARNINGS], { cwd: root });
    assert.match(run.stderr, /src\/big\.bpf\.c: \d+ characters, more than the limit of 1024 \(maxFileSize\); not checked/);
    assert.deepStrictEqual(
      run.report.files.map((f) => f.path),
      [WARNINGS],
    );
    assert.strictEqual(run.code, 0, 'something was checked, and it has no error');
  });

  it('--config FILE instead of the nearest .bpf-kptr.json', async () => {
    const root = fixtureProject('config-explicit', {
      '.bpf-kptr.json': JSON.stringify({ diagnostics: { disable: ['kptr-leak'] } }),
      'ci/strict.json': JSON.stringify({ includePaths: ['../include'] }),
    });
    const run = await lintJson(['--config', 'ci/strict.json', FINDINGS], { cwd: root });
    assert.deepStrictEqual(codesOf(run.report, FINDINGS), ['kptr-leak', 'kptr-direct-store']);
  });

  it('bad values and bad JSON are reported once, naming the file, and the check goes on with the defaults', async () => {
    const badValues = fixtureProject('config-values', { '.bpf-kptr.json': JSON.stringify({ kernelVersion: 'six', diagnostics: { disable: ['kptr-nope'] } }) });
    const badJson = fixtureProject('config-json', { '.bpf-kptr.json': '{ "kernelVersion": "6.12", }' });
    const [values, json] = await Promise.all([lintJson([FINDINGS, CLEAN], { cwd: badValues }), lintJson([FINDINGS, CLEAN], { cwd: badJson })]);
    const config = (root: string) => path.join(root, '.bpf-kptr.json');
    assert.match(values.stderr, /kernelVersion: "six" is not a kernel version/);
    assert.match(values.stderr, /"kptr-nope" is not a bpf-kptr rule code/);
    assert.ok(values.stderr.includes(config(badValues)), values.stderr);
    assert.strictEqual(values.stderr.split('"six"').length - 1, 1, 'said once for two files');
    assert.deepStrictEqual(codesOf(values.report, FINDINGS), ['kptr-leak']);
    assert.strictEqual(values.code, 1);
    assert.ok(json.stderr.includes(`${config(badJson)} is not valid JSON`), json.stderr);
    assert.strictEqual(json.stderr.split('is not valid JSON').length - 1, 1, 'said once for two files');
    assert.deepStrictEqual(codesOf(json.report, FINDINGS), ['kptr-leak']);
  });
});

describe('bpf-kptr-lint usage, --help, --version, --explain', function () {
  this.timeout(60000);

  it('usage errors exit 2 with the reason and the usage on stderr, nothing on stdout', async () => {
    const cases: Array<[string[], RegExp]> = [
      [[], /no path given/],
      [['--bogus', CLEAN], /bogus/],
      [['--format', 'xml', CLEAN], /--format must be text, json or sarif, not "xml"/],
      [['--severity', 'kptr-leak=fatal', CLEAN], /--severity takes CODE=error\|warning/],
      [['--severity', 'kptr-nope=error', CLEAN], /--severity: unknown rule code "kptr-nope"/],
      [['--disable', 'kptr-nope', CLEAN], /--disable: unknown rule code "kptr-nope"/],
      [['--enable', 'kptr-nope', CLEAN], /--enable: unknown rule code "kptr-nope"/],
      [['--max-warnings', 'many', CLEAN], /--max-warnings takes a whole number, not "many"/],
      [['--max-warnings=-1', CLEAN], /--max-warnings takes a whole number, not "-1"/],
      [['--kernel-version', 'six', CLEAN], /--kernel-version: "six" is not a kernel version/],
      [['--config', 'missing.json', CLEAN], /missing\.json/],
      [[CLEAN, '-I'], /-I/],
    ];
    const runs = await Promise.all(cases.map(([args]) => lint(args)));
    runs.forEach((run, i) => {
      const [args, reason] = cases[i];
      const what = `bpf-kptr-lint ${args.join(' ')}`;
      assert.strictEqual(run.code, 2, `${what} exits 2`);
      assert.strictEqual(run.stdout, '', `${what} prints nothing on stdout`);
      assert.match(run.stderr, /^bpf-kptr-lint: /, what);
      assert.match(run.stderr, reason, what);
      assert.match(run.stderr, /Usage: bpf-kptr-lint \[options\] PATH\.\.\./, `${what} shows the usage`);
    });
  });

  it('--help documents every option and the exit status; --version prints the package version', async () => {
    const [help, version] = await Promise.all([lint(['--help']), lint(['--version'])]);
    assert.strictEqual(help.code, 0);
    for (const option of ['-I DIR', '--kernel-version', '--enable CODE', '--disable CODE', '--severity CODE=', '--max-warnings N', '--format', 'json', 'sarif', '--config', '--no-color', 'NO_COLOR', '--explain CODE', '.gitignore', 'compile_commands.json', 'compile_flags.txt', '.bpf-kptr.json']) {
      assert.ok(help.stdout.includes(option), `--help mentions ${option}`);
    }
    assert.match(help.stdout, /Exit status: 0 .* 1 findings, 2 usage or input error/);
    const pkg = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string };
    assert.strictEqual(version.code, 0);
    assert.strictEqual(version.stdout, `bpf-kptr-lint ${pkg.version}\n`);
  });

  it('--explain CODE prints the page of every rule, as it is in docs/rules', async () => {
    const codes = fs
      .readdirSync(RULES_DIR)
      .filter((f) => /^kptr-.*\.md$/.test(f))
      .map((f) => f.slice(0, -3));
    assert.ok(codes.length >= 13);
    const runs = await Promise.all(codes.map((code) => lint(['--explain', code])));
    runs.forEach((run, i) => {
      assert.strictEqual(run.code, 0, codes[i]);
      assert.strictEqual(run.stdout, fs.readFileSync(path.join(RULES_DIR, `${codes[i]}.md`), 'utf8'), codes[i]);
      assert.strictEqual(run.stderr, '');
    });
  });

  it('--explain an unknown code exits 2 and lists the rules', async () => {
    const run = await lint(['--explain', 'kptr-nope']);
    assert.strictEqual(run.code, 2);
    assert.strictEqual(run.stdout, '');
    assert.match(run.stderr, /no rule "kptr-nope"; rules: .*kptr-leak/);
  });
});
