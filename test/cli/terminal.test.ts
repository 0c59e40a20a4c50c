import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { lint, lintInTerminal, SGR, tempDir } from './harness';

// On a terminal (a pseudo-terminal from script(1)) stdout and stderr arrive merged.
const ARGS = ['-I', 'include', 'src/findings.bpf.c', 'src/clean.bpf.c'];

/** The terminal output without the progress line (drawn with carriage returns and erase-line). */
function withoutProgress(output: string): string {
  return output.replace(/\r\x1b\[K(\[\d+\/\d+\] [^\r\n]*)?/g, '');
}

describe('bpf-kptr-lint on a terminal: colour, progress, summary', function () {
  this.timeout(60000);

  it('colours the text output on a terminal, and passes the exit status through', async () => {
    const run = await lintInTerminal(ARGS);
    assert.strictEqual(run.code, 1, run.stdout);
    assert.match(run.stdout, /\x1b\[1msrc\/findings\.bpf\.c:\d+:3:\x1b\[0m \x1b\[1;31merror:\x1b\[0m .* \x1b\[2m\[kptr-leak\]\x1b\[0m/);
    assert.match(run.stdout, /\x1b\[1;32m\^~+\x1b\[0m/, 'a green caret');
    assert.match(run.stdout, /\x1b\[1;36mnote:\x1b\[0m the reference is acquired here/);
  });

  it('shows a progress line while it works, clears it, and ends with a summary', async () => {
    const run = await lintInTerminal(ARGS);
    const progress = run.stdout.indexOf('[1/2] src/findings.bpf.c');
    assert.ok(progress >= 0, `progress for the first file:\n${JSON.stringify(run.stdout)}`);
    assert.ok(run.stdout.indexOf('[2/2] src/clean.bpf.c') > progress, 'then for the second');
    assert.ok(run.stdout.includes('\r\x1b[K[1/2]'), 'drawn over itself on one line');
    assert.match(run.stdout, /\[2\/2\] src\/clean\.bpf\.c\r\x1b\[K/, 'and cleared before the findings are printed');
    assert.match(run.stdout, /\n2 files checked: 2 errors, 0 warnings\n$/);
  });

  it('honours NO_COLOR (when not empty) and --no-color', async () => {
    const [noColor, emptyNoColor, flag] = await Promise.all([lintInTerminal(ARGS, { env: { NO_COLOR: '1' } }), lintInTerminal(ARGS, { env: { NO_COLOR: '' } }), lintInTerminal(['--no-color', ...ARGS])]);
    for (const run of [noColor, flag]) {
      assert.strictEqual(run.code, 1);
      assert.doesNotMatch(run.stdout, SGR);
      assert.match(withoutProgress(run.stdout), /^src\/findings\.bpf\.c:\d+:3: error: .*\[kptr-leak\]$/m);
      assert.match(run.stdout, /2 files checked/, 'progress and summary are not colour: they stay');
    }
    assert.match(emptyNoColor.stdout, SGR, 'an empty NO_COLOR does not count (no-color.org)');
  });

  it('no colour in a file even when stderr is a terminal; progress stays on stderr', async () => {
    const out = path.join(tempDir('redirect'), 'out.txt');
    const run = await lintInTerminal(ARGS, { stdoutTo: out });
    const text = fs.readFileSync(out, 'utf8');
    assert.match(text, /^src\/findings\.bpf\.c:\d+:3: error: .*\[kptr-leak\]$/m);
    assert.doesNotMatch(text, /\x1b/, 'no escape sequences in the file');
    assert.ok(run.stdout.includes('[1/2] src/findings.bpf.c'), 'the terminal shows the progress');
    assert.ok(!run.stdout.includes('[kptr-leak]'), 'and not the findings');
  });

  it('json and sarif on a terminal print only the document: no progress, no summary', async () => {
    const [json, sarif] = await Promise.all([lintInTerminal(['--format', 'json', ...ARGS]), lintInTerminal(['--format', 'sarif', ...ARGS])]);
    const report = JSON.parse(json.stdout) as { files: Array<{ path: string }> };
    assert.deepStrictEqual(
      report.files.map((f) => f.path),
      ['src/findings.bpf.c', 'src/clean.bpf.c'],
    );
    assert.strictEqual((JSON.parse(sarif.stdout) as { version: string }).version, '2.1.0');
    assert.strictEqual(json.code, 1);
  });

  it('silent when piped: no progress, no summary, no colour', async () => {
    const run = await lint(ARGS);
    assert.strictEqual(run.stderr, '');
    assert.doesNotMatch(run.stdout, /\x1b/);
    assert.ok(!run.stdout.includes('files checked'));
  });
});
