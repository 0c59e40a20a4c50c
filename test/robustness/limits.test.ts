import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { REPO_ROOT } from '../helpers';
import { EngineHost, EngineReply, EXAMPLE_MISTAKES, fuzz, leakAround, reportedOrSkipped, tempDir } from './harness';

/**
 * The analysis library on everything a file can throw at it, each input in a
 * child process with a time limit (a hang is a failure, not a stuck test run):
 * broken encodings and line ends, huge lines and files, deep nesting of every
 * statement and expression kind, huge functions, thousands of functions,
 * include cycles. Nothing may throw; a program bpf-kptr cannot fully check
 * gets its real finding or an information note ('analysis-skipped'), never
 * silence; and the same program in another encoding gets the same findings on
 * the same lines.
 */

/** An input that takes longer than this is a hang. */
const HANG_MS = 30000;
const EXAMPLES = path.join(REPO_ROOT, 'examples');
/** Analysed as if it sat beside the examples, so `#include "kptr_common.bpf.h"` resolves. */
const FILE = path.join(EXAMPLES, 'robustness-input.bpf.c');

describe('robustness: inputs at and past the limits (analysis library)', function () {
  this.timeout(HANG_MS * 3 + 30000);
  let host: EngineHost;
  let baseline: EngineReply;
  const mistakes = fs.readFileSync(EXAMPLE_MISTAKES, 'utf8');

  const run = async (text: string | string[], timeoutMs = HANG_MS): Promise<EngineReply> => {
    const versions = Array.isArray(text) ? text : [text];
    const reply = await host.check({ file: FILE, versions }, timeoutMs);
    assert.ok(!reply.hang, `hang: ${reply.error?.message}`);
    assert.ok(!reply.died, `the analysis process died: ${reply.error?.message}\n${reply.error?.stack?.slice(-2000)}`);
    assert.ok(reply.ok, `threw ${reply.error?.name}: ${reply.error?.message} (in ${reply.phase}) ${reply.error?.stack?.split('\n').slice(1, 4).map((l) => l.trim()).join(' < ')}`);
    return reply;
  };

  before(async () => {
    const { EngineHost: Host } = await fuzz();
    host = new Host({ timeoutMs: HANG_MS });
    baseline = await run(mistakes);
    assert.deepStrictEqual(baseline.codes, ['kptr-direct-store', 'kptr-leak', 'kptr-maybe-null', 'kptr-xchg-discarded'], 'the baseline example has its four mistakes');
  });
  after(async () => host?.stop());

  describe('encodings, line ends and odd characters: same findings on the same lines', () => {
    const same = async (text: string, lineShift = 0) => {
      const reply = await run(text);
      const shifted = baseline.lines!.map((l: string) => l.replace(/@(\d+)$/, (_: string, n: string) => `@${Number(n) + lineShift}`));
      assert.deepStrictEqual(reply.lines, shifted);
    };
    it('a byte order mark', () => same('\ufeff' + mistakes));
    it('CRLF line ends', () => same(mistakes.replace(/\n/g, '\r\n')));
    it('CR line ends (classic Mac; C compilers and LSP take a lone CR as a line end)', () => same(mistakes.replace(/\n/g, '\r')));
    it('a CR CR LF line end (a file converted twice): LSP counts two line ends, so every later line moves down one', () => {
      const at = mistakes.indexOf('\n', mistakes.indexOf('//'));
      return same(mistakes.slice(0, at) + '\r\r\n' + mistakes.slice(at + 1), 1);
    });
    it('mixed CRLF and lone CR line ends', () => {
      // (LF and a lone CR cannot be mixed freely: a CR before an empty LF line would read as one CR LF.)
      let i = 0;
      return same(mistakes.replace(/\n/g, () => ['\r\n', '\r', '\r', '\r\n'][i++ % 4]));
    });
    it('tabs for spaces', () => same(mistakes.replace(/ {2,}/g, '\t')));
    it('lone surrogates, U+FFFD from invalid UTF-8, escape sequences, U+2028 and a BOM inside comments', () =>
      same(mistakes.replace(/\/\/[^\n]*/g, (c) => `${c} \ud800 \udfff x\ufffd\ufffd \x1b[31m \u2028 \ufeff`)));
    it('a NUL character inside comments (compilers ignore it; the parser must not end the comment there)', () =>
      same(mistakes.replace(/\/\/[^\n]*/g, (c) => `${c} \0 \x1b[31m \u2028 more words`)));
    it('invalid UTF-8 bytes decoded the way the CLI and editors read files', () => {
      const bytes = Buffer.concat([Buffer.from('// \xff\xfe\xc3\x28\xe2\x82\n', 'latin1'), Buffer.from(mistakes)]);
      return same(bytes.toString('utf8'), 1);
    });
    it('a 100,000-character comment line', () => same('// ' + 'x'.repeat(100000) + '\n' + mistakes, 1));
  });

  describe('garbage: no exception, no hang', () => {
    it('200 KB of random code units', async () => {
      const { Rng } = await fuzz();
      const rng = new Rng(7);
      let text = '';
      while (text.length < 200000) text += String.fromCharCode(rng.int(0x10000));
      await run(text);
    });
    it('random bytes decoded as UTF-8', async () => {
      const { Rng } = await fuzz();
      const rng = new Rng(8);
      await run(Buffer.from(Array.from({ length: 200000 }, () => rng.int(256))).toString('utf8'));
    });
    it('every prefix of a program (half-typed code), incrementally and fresh', async () => {
      const steps = [];
      for (let end = 0; end <= mistakes.length; end += 97) steps.push(mistakes.slice(0, end));
      await run(steps);
    });
    it('unbalanced braces, parentheses, comments and strings', async () => {
      for (const broken of [
        mistakes.replace(/}/g, ''),
        mistakes.replace(/{/g, ''),
        mistakes.replace(/\)/g, ''),
        '/*' + mistakes,
        mistakes.replace(/\*\//g, ''),
        '"' + mistakes,
        mistakes.replace(/;/g, '{'),
        '#if 1\n'.repeat(50) + mistakes,
        mistakes + '\\',
        mistakes.replace(/\n/g, '\\\n'),
      ]) {
        await run(broken);
      }
    });
  });

  describe('size limits', () => {
    it('a 10 MB file is not analysed (over bpfKptr.maxFileSize) and costs little', async () => {
      const big = mistakes.repeat(Math.ceil(10e6 / mistakes.length));
      const reply = await run(big, 10000);
      assert.strictEqual(reply.skipped, 'too-large');
      assert.ok(reply.ms! < 5000, `took ${Math.round(reply.ms!)} ms`);
    });
    it('a file just under 4 MiB is analysed within the time limit', async () => {
      const size = 4 * 1024 * 1024 - 1;
      const text = mistakes.repeat(Math.ceil(size / mistakes.length)).slice(0, size);
      const reply = await run(text);
      assert.notStrictEqual(reply.skipped, 'too-large');
    });
    it('a 100,000-character line of code inside a program', async () => {
      const reply = await run(leakAround('\tx = ' + '1 + '.repeat(25000) + '1;'));
      assert.ok(reportedOrSkipped(reply.codes, 'kptr-leak'), `got ${reply.codes}`);
    });
    it('a 2 MB run of `, struct a` (the macro masker must not be quadratic)', async () => {
      await run('x' + ', struct a'.repeat(200000) + ';');
    });
    it('a call with 100,000 `struct x` arguments', async () => {
      await run('int y = f(' + 'struct a, '.repeat(100000) + 'struct a);');
    });
    it('a parse past its time budget leaves an information note, not silence', async () => {
      // Tree-sitter needs several seconds for this (error recovery over a soup of identifiers).
      const reply = await run('a b c d e f g h '.repeat(120000) + '\n' + leakAround(''));
      if (reply.skipped === 'parse-timeout') assert.ok(reply.codes?.includes('analysis-skipped'), `a file that was not analysed must say so (codes: ${reply.codes})`);
      else assert.ok(reply.codes?.includes('kptr-leak'), `parsed in time (a fast machine), so the leak is found (codes: ${reply.codes})`);
    });
  });

  describe('huge functions and many functions: the finding or an analysis-skipped note, within the time limit', () => {
    it('a 20,000-line function (declarations)', async () => {
      const body = Array.from({ length: 20000 }, (_, i) => `\tint v${i} = x + ${i};`).join('\n');
      const reply = await run(leakAround(body));
      assert.ok(reportedOrSkipped(reply.codes, 'kptr-leak'), `got ${reply.codes}`);
    });
    it('a 20,000-line function (branches)', async () => {
      const body = Array.from({ length: 20000 }, (_, i) => `\tif (x == ${i})\n\t\tx++;`).join('\n');
      const reply = await run(leakAround(body));
      assert.ok(reportedOrSkipped(reply.codes, 'kptr-leak'), `got ${reply.codes}`);
    });
    it('a 20,000-line function (calls on the reference)', async () => {
      const body = Array.from({ length: 20000 }, (_, i) => `\tbpf_cpumask_set_cpu(${i % 64}, mask);`).join('\n');
      const reply = await run(leakAround(body));
      assert.ok(reportedOrSkipped(reply.codes, 'kptr-leak'), `got ${reply.codes}`);
    });
    it('3,000 programs, each with a leak', async () => {
      const text = ['#include "kptr_common.bpf.h"', ...Array.from({ length: 3000 }, (_, i) => leakAround('', `p${i}`).replace('#include "kptr_common.bpf.h"\n', ''))].join('\n');
      const reply = await run(text);
      assert.ok(reply.diagnostics! >= 3000, `${reply.diagnostics} diagnostics for 3,000 leaking programs`);
    });
    it('3,000 static functions calling each other in a chain', async () => {
      const chain = Array.from({ length: 3000 }, (_, i) => `static int g${i}(int x) { return ${i > 0 ? `g${i - 1}(x) + ` : ''}x; }`).join('\n');
      const reply = await run(chain + '\n' + leakAround('\tx = g2999(x);'));
      assert.ok(reportedOrSkipped(reply.codes, 'kptr-leak'), `got ${reply.codes}`);
    });
  });

  describe('5,000-deep nesting: no stack overflow; the finding or an analysis-skipped note', () => {
    const N = 5000;
    const labels = Array.from({ length: N }, (_, i) => `l${i}: `).join('');
    const cases: Record<string, string> = {
      blocks: '\t' + '{'.repeat(N) + 'x++;' + '}'.repeat(N),
      'if statements': '\t' + 'if (x) {'.repeat(N) + 'x++;' + '}'.repeat(N),
      'else-if chains': '\t' + 'if (x == 1) x++; else '.repeat(N) + 'x--;',
      'while loops': '\t' + 'while (x) '.repeat(N) + 'x--;',
      'for loops': '\t' + 'for (;;) '.repeat(N) + 'break;',
      'do loops': '\t' + 'do '.repeat(N) + 'x--;' + ' while (x);'.repeat(N),
      'bpf_for loops': '\tint i;\n\t' + 'bpf_for(i, 0, 2) '.repeat(N) + 'x++;',
      'switch statements': '\t' + 'switch (x) { case 1: '.repeat(N) + 'x--;' + '}'.repeat(N),
      labels: '\t' + labels + 'x--;',
      '#if blocks inside a body': '#if 1\n'.repeat(N) + '\tx++;\n' + '#endif\n'.repeat(N),
      parentheses: '\tx = ' + '('.repeat(N) + '1' + ')'.repeat(N) + ';',
      'binary operators': '\tx = 1' + ' + 1'.repeat(N) + ';',
      'logical operators': '\tif (x' + ' && x'.repeat(N) + ')\n\t\tx++;',
      'nested logical operators': '\tif (' + '(x || '.repeat(N) + 'x' + ')'.repeat(N) + ')\n\t\tx++;',
      'conditional expressions': '\tx = ' + 'x ? 1 : '.repeat(N) + '0;',
      'nested calls': '\tx = ' + 'f('.repeat(N) + '1' + ')'.repeat(N) + ';',
      'field accesses': '\tx = task' + '->real_parent'.repeat(N) + '->pid;',
      subscripts: '\tint a[2] = {0};\n\tx = a' + '[0]'.repeat(N) + ';',
      assignments: '\tint a;\n\t' + 'a = '.repeat(N) + '1;',
      casts: '\tx = ' + '(int)'.repeat(N) + '1;',
      'comma expressions': '\tx = (' + '1, '.repeat(N) + '1);',
      'unary operators': '\tx = ' + '-'.repeat(N) + '1;',
      'initializer lists': '\tint y[1] = ' + '{'.repeat(N) + '1' + '}'.repeat(N) + ';',
    };
    for (const [name, middle] of Object.entries(cases)) {
      it(name, async () => {
        const reply = await run(leakAround(middle));
        assert.ok(reportedOrSkipped(reply.codes, 'kptr-leak'), `got ${reply.codes}`);
      });
    }
    it('struct declarations', () => run('struct outer {' + 'struct {'.repeat(N) + 'int x;' + '};'.repeat(N) + '};\n' + mistakes));
    it('#if blocks at the top level', () => run('#if 1\n'.repeat(N) + mistakes + '#endif\n'.repeat(N)));
    it('declarators', () => run('int ' + '*'.repeat(N) + 'p;\nint ' + '('.repeat(N) + 'q' + ')'.repeat(N) + ';\n' + mistakes));
  });

  describe('includes', () => {
    let lab: { dir: string; remove: () => void };
    before(() => {
      lab = tempDir();
      const common = fs.readFileSync(path.join(EXAMPLES, 'kptr_common.bpf.h'), 'utf8');
      fs.writeFileSync(path.join(lab.dir, 'kptr_common.bpf.h'), common);
      fs.writeFileSync(
        path.join(lab.dir, 'a.bpf.h'),
        [
          '#include "b.bpf.h"',
          '#include "a.bpf.h"',
          'struct a_slot { struct bpf_cpumask __kptr *mask; };',
          'struct {',
          '\t__uint(type, BPF_MAP_TYPE_ARRAY);',
          '\t__uint(max_entries, 1);',
          '\t__type(key, u32);',
          '\t__type(value, struct a_slot);',
          '} a_slots SEC(".maps");',
          '',
        ].join('\n'),
      );
      fs.writeFileSync(path.join(lab.dir, 'b.bpf.h'), '#include "a.bpf.h"\n#include "missing.bpf.h"\n#include "kptr_common.bpf.h"\n');
      fs.writeFileSync(path.join(lab.dir, 'self.bpf.h'), '#include "self.bpf.h"\n#include "./self.bpf.h"\n#include "../' + path.basename(lab.dir) + '/self.bpf.h"\n');
    });
    after(() => lab.remove());
    const check = (text: string) => host.check({ file: path.join(lab.dir, 'main.bpf.c'), versions: [text] }, HANG_MS);
    const program = [
      'SEC("tp_btf/task_newtask")',
      'int BPF_PROG(store, struct task_struct *task, u64 clone_flags)',
      '{',
      '\tstruct a_slot *slot;',
      '\tu32 key = 0;',
      '',
      '\tslot = bpf_map_lookup_elem(&a_slots, &key);',
      '\tif (!slot)',
      '\t\treturn 0;',
      '\tslot->mask = NULL;',
      '\treturn 0;',
      '}',
    ].join('\n');

    it('an include cycle, a self-include and a missing header: declarations from the headers are still seen', async () => {
      const reply = await check('#include "a.bpf.h"\n#include "self.bpf.h"\n#include "nowhere/missing.bpf.h"\n' + program);
      assert.ok(reply.ok, JSON.stringify(reply.error));
      assert.ok(reply.codes?.includes('kptr-direct-store'), `the kptr field declared in a.bpf.h is known (codes: ${reply.codes})`);
    });
    it('a file that includes itself', async () => {
      const reply = await check('#include "main.bpf.c"\n#include "a.bpf.h"\n' + program);
      assert.ok(reply.ok, JSON.stringify(reply.error));
    });
    it('includes of directories, devices and odd paths', async () => {
      const reply = await check(['.', '..', '/', '/dev/null', '/dev/zero', '/dev/stdin', '/proc/self/fd/0', '\0', '', '%s%n', 'a'.repeat(5000), '../'.repeat(200) + 'etc/passwd'].map((p) => `#include "${p}"`).join('\n') + '\n' + program);
      assert.ok(reply.ok, JSON.stringify(reply.error));
    });
  });
});
