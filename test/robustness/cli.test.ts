import * as assert from 'assert';
import { spawn } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { REPO_ROOT } from '../helpers';
import { leakAround, tempDir } from './harness';

/**
 * bpf-kptr-lint on files and project settings no one should have to write:
 * it answers every time with exit 0, 1 (findings) or 2 (input or usage
 * error) and a message, never a stack trace, and never hangs.
 */

const LINT = path.join(REPO_ROOT, 'bin', 'bpf-kptr-lint.js');
const EXAMPLES = path.join(REPO_ROOT, 'examples');
const HANG_MS = 60000;

interface Run {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  ms: number;
}

function lint(args: string[], cwd: string, timeoutMs = HANG_MS): Promise<Run> {
  return new Promise((resolve) => {
    const started = Date.now();
    const child = spawn(process.execPath, [LINT, '--no-color', ...args], { cwd, env: { ...process.env, NO_COLOR: '1' } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr, ms: Date.now() - started });
    });
  });
}

/** Exit 0, 1 or 2, in time, and no JavaScript stack trace anywhere. */
function assertAnswered(run: Run, what: string): void {
  assert.notStrictEqual(run.signal, 'SIGKILL', `${what}: no answer within ${HANG_MS} ms`);
  const trace = /(\w*Error)\b[^\n]*\n\s+at /.exec(run.stderr + run.stdout);
  const lines = (run.stderr.match(/^\s*(\w*Error\b|at ).*$/gm) ?? []).filter((l) => l.length < 300);
  assert.ok(!trace, `${what}: crashed with a stack trace (exit ${run.code}): ${lines.slice(0, 4).map((l) => l.trim()).join(' | ')}`);
  assert.ok(run.code === 0 || run.code === 1 || run.code === 2, `${what}: exit ${run.code ?? run.signal}`);
}

describe('robustness: bpf-kptr-lint on hostile inputs', function () {
  this.timeout(HANG_MS * 4);
  let lab: { dir: string; remove: () => void };
  const write = (name: string, content: string | Buffer) => {
    const file = path.join(lab.dir, name);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, content);
    return file;
  };
  const mistakes = fs.readFileSync(path.join(EXAMPLES, 'mistakes.bpf.c'), 'utf8');

  beforeEach(() => {
    lab = tempDir();
    fs.copyFileSync(path.join(EXAMPLES, 'kptr_common.bpf.h'), path.join(lab.dir, 'kptr_common.bpf.h'));
  });
  afterEach(() => lab.remove());

  it('random bytes, invalid UTF-8, NUL bytes and an empty file', async () => {
    const bytes = Buffer.alloc(100000);
    for (let i = 0; i < bytes.length; i++) bytes[i] = (i * 2654435761) >>> 24;
    write('random.bpf.c', bytes);
    write('utf8.bpf.c', Buffer.concat([Buffer.from([0xff, 0xfe, 0xc3, 0x28, 0xe2, 0x82, 0x0a]), Buffer.from(mistakes)]));
    write('nul.bpf.c', Buffer.concat([Buffer.from(mistakes), Buffer.from([0, 0, 0])]));
    write('empty.bpf.c', '');
    write('bom-crlf.bpf.c', '\ufeff' + mistakes.replace(/\n/g, '\r\n'));
    const run = await lint(['.'], lab.dir);
    assertAnswered(run, 'odd files');
    assert.match(run.stdout, /bom-crlf\.bpf\.c/, 'the BOM + CRLF copy of the example is checked and reported');
  });

  it('a 10 MB file is refused with a message, and the other files are still checked', async () => {
    write('huge.bpf.c', mistakes.repeat(Math.ceil(10e6 / mistakes.length)));
    write('small.bpf.c', mistakes);
    const run = await lint(['.'], lab.dir);
    assertAnswered(run, '10 MB file');
    assert.match(run.stderr, /huge\.bpf\.c.*(maxFileSize|limit)/);
    assert.match(run.stdout, /small\.bpf\.c/);
  });

  it('5,000-deep nesting, a 20,000-line function and 3,000 programs', async () => {
    write('deep.bpf.c', leakAround('\t' + '{'.repeat(5000) + 'x++;' + '}'.repeat(5000)));
    write('long.bpf.c', leakAround(Array.from({ length: 20000 }, (_, i) => `\tint v${i} = x + ${i};`).join('\n')));
    write('many.bpf.c', Array.from({ length: 3000 }, (_, i) => leakAround('', `p${i}`)).join('\n'));
    const run = await lint(['--format', 'json', '.'], lab.dir, HANG_MS * 3);
    assertAnswered(run, 'huge inputs');
  });

  it('include cycles, self-includes and missing headers', async () => {
    write('a.bpf.h', '#include "b.bpf.h"\n#include "a.bpf.h"\n#include "missing.bpf.h"\n');
    write('b.bpf.h', '#include "a.bpf.h"\n#include "./b.bpf.h"\n#include "kptr_common.bpf.h"\n');
    write('cycle.bpf.c', '#include "a.bpf.h"\n#include "cycle.bpf.c"\n' + mistakes.replace('#include "kptr_common.bpf.h"', ''));
    const run = await lint(['cycle.bpf.c'], lab.dir);
    assertAnswered(run, 'include cycle');
    assert.strictEqual(run.code, 1, 'the mistakes are still found through the cyclic headers');
  });

  describe('project settings files', () => {
    const cases: Array<[string, string, string]> = [
      ['a .bpf-kptr.json that is not JSON', '.bpf-kptr.json', 'garbage{'],
      ['a .bpf-kptr.json with wrong types everywhere', '.bpf-kptr.json', JSON.stringify({ kernelVersion: {}, includePaths: [1, null], maxFileSize: 'big', diagnostics: { disable: 'all', severity: [] } })],
      ['a .bpf-kptr.json that is an array', '.bpf-kptr.json', '[]'],
      ['a .bpf-kptr.json that is null', '.bpf-kptr.json', 'null'],
      ['a compile_commands.json that is not JSON', 'compile_commands.json', '[{'],
      ['a compile_commands.json that is an object', 'compile_commands.json', '{"directory": "."}'],
      ['a compile_commands.json with null entries', 'compile_commands.json', '[null, 1, "x"]'],
      ['a compile_commands.json with numbers for paths', 'compile_commands.json', JSON.stringify([{ directory: 5, file: { x: 1 }, command: 7 }])],
      ['a compile_commands.json with non-string arguments', 'compile_commands.json', JSON.stringify([{ directory: '.', file: 'prog.bpf.c', arguments: [1, null, { a: 1 }, '-I'] }])],
      ['a compile_commands.json whose command would run something', 'compile_commands.json', JSON.stringify([{ directory: '.', file: 'prog.bpf.c', command: 'sh -c "touch pwned" -I$(touch pwned2) `touch pwned3`' }])],
      ['a compile_flags.txt with odd lines', 'compile_flags.txt', '-I\n-I\0\n' + 'x'.repeat(100000) + '\n-I../../../../../../../\n'],
    ];
    for (const [name, file, content] of cases) {
      it(name, async () => {
        write(file, content);
        write('prog.bpf.c', mistakes);
        const run = await lint(['prog.bpf.c'], lab.dir);
        assertAnswered(run, name);
        assert.ok(!fs.readdirSync(lab.dir).some((f) => f.startsWith('pwned')), 'nothing from the workspace was executed');
      });
    }
  });
});
