// Reads what a BPF C fixture says about its programs (test/fixtures/README.md):
//
//   // expect: ok                      or   // expect: kptr-leak, kptr-rcu
//   // verifier: "Unreleased reference"     (optional, repeatable; {{...}} is a regular expression,
//                                            as in the kernel selftests' __msg)
//   // kernel: >=6.12                       (optional; several bounds may be given)
//   // bpf-kptr: silent (why)               (optional: where bpf-kptr knowingly differs from the
//                                            kernel, what it reports instead, and why)
//   SEC("tp_btf/task_newtask")
//   int BPF_PROG(name, ...)
//
// The comment lines sit right above the SEC(...) line, or above the function
// for BPF_STRUCT_OPS-style programs, whose macro carries the section itself.

// Wrappers whose first argument is the program's name.
const NAMING_MACROS =
  /\b(?:BPF_PROG2?|BPF_KPROBE|BPF_KRETPROBE|BPF_KSYSCALL|BPF_KPROBE_SYSCALL|BPF_UPROBE|BPF_URETPROBE|BPF_USDT|BPF_STRUCT_OPS(?:_SLEEPABLE)?)\s*\(\s*(\w+)/;
const STRUCT_OPS_LINE = /^\s*[\w\s*]*\bBPF_STRUCT_OPS(?:_SLEEPABLE)?\s*\(\s*(\w+)/;
const SEC_LINE = /^\s*SEC\(\s*"([^"]*)"\s*\)/;

/**
 * Whether a verifier log contains what a `verifier:` line asks for: its text literally, but
 * for parts in {{ }}, which are regular expressions. Kernel builds word some rejections
 * differently, and a fixture names the words of each with {{one|other}}.
 */
export function logHasVerifierText(log, wanted) {
  if (!wanted.includes('{{')) return log.includes(wanted);
  const escape = (literal) => literal.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const source = wanted
    .split(/(\{\{.*?\}\})/)
    .map((part) => (part.startsWith('{{') && part.endsWith('}}') ? `(?:${part.slice(2, -2)})` : escape(part)))
    .join('');
  return new RegExp(source).test(log);
}

/** Parses `>=6.12`, `<6.18`, `>= 6.1, < 6.5` into [{op, major, minor}]. */
function parseKernelRange(text) {
  const bounds = [];
  for (const m of text.matchAll(/(>=|<=|>|<|=)?\s*(\d+)\.(\d+)/g)) {
    bounds.push({ op: m[1] ?? '>=', major: Number(m[2]), minor: Number(m[3]) });
  }
  return bounds;
}

/** Whether a kernel "MAJOR.MINOR..." (as uname -r gives it) satisfies every bound. */
export function kernelInRange(bounds, release) {
  const m = /^(\d+)\.(\d+)/.exec(release);
  if (!m) return true;
  const have = Number(m[1]) * 1000 + Number(m[2]);
  return bounds.every(({ op, major, minor }) => {
    const want = major * 1000 + minor;
    switch (op) {
      case '>=': return have >= want;
      case '>': return have > want;
      case '<=': return have <= want;
      case '<': return have < want;
      default: return have === want;
    }
  });
}

/** The program name declared in the text that follows a SEC(...) line. */
function programNameAfter(lines, index) {
  // Join the SEC line and what follows until the signature is complete: a body,
  // a ';' or a closed parameter list, whichever comes first.
  const complete = (t) => /[{;]/.test(t) || (t.includes('(') && t.split('(').length === t.split(')').length);
  let text = lines[index].replace(SEC_LINE, '');
  for (let i = index + 1; i < lines.length && i <= index + 10 && !complete(text); i++) {
    if (!lines[i].trim() || /^\s*(\/\/|#)/.test(lines[i])) break;
    text += ' ' + lines[i];
  }
  text = text.replace(/\/\*.*?\*\//g, ' ').split(/[{;]/)[0];
  if (text.includes('=')) return null; // a variable placed in a section, not a function
  const wrapped = NAMING_MACROS.exec(text);
  if (wrapped) return wrapped[1];
  const plain = /(\w+)\s*\([^()]*(?:\([^()]*\)[^()]*)*\)\s*$/.exec(text.trim());
  return plain ? plain[1] : null;
}

/** The `//` comment block right above line `index` (stops at the first other line). */
function commentBlockAbove(lines, index) {
  const block = [];
  for (let i = index - 1; i >= 0 && /^\s*\/\//.test(lines[i]); i--) {
    block.unshift({ line: i + 1, text: lines[i].replace(/^\s*\/\/\s?/, '') });
  }
  return block;
}

/**
 * Every program of `source`, with what its comments expect:
 * { name, section, line, expect: null | 'ok' | [codes], verifier: [strings], kernel: [bounds],
 *   engine: null | { expect: 'ok' | [codes], why }, problems: [text] }
 * `section` is null for BPF_STRUCT_OPS-style programs (the macro picks it).
 */
export function readExpectations(source) {
  const lines = source.split(/\r?\n/);
  const programs = [];
  for (let i = 0; i < lines.length; i++) {
    let name = null;
    let section = null;
    const sec = SEC_LINE.exec(lines[i]);
    if (sec) {
      section = sec[1];
      if (section.startsWith('.') || ['license', 'version', 'maps'].includes(section)) continue;
      name = programNameAfter(lines, i);
    } else {
      const ops = STRUCT_OPS_LINE.exec(lines[i]);
      // Skip the macro's own definition and calls that follow a SEC line already seen.
      if (!ops || /^\s*#/.test(lines[i]) || (i > 0 && SEC_LINE.test(lines[i - 1]))) continue;
      name = ops[1];
    }
    if (!name) continue;

    const program = { name, section, line: i + 1, expect: null, verifier: [], kernel: [], engine: null, problems: [] };
    for (const { line, text } of commentBlockAbove(lines, i)) {
      let m;
      if ((m = /^expect:\s*(.*?)\s*$/.exec(text))) {
        if (program.expect !== null) program.problems.push(`line ${line}: a second "expect:" line`);
        program.expect = m[1] === 'ok' ? 'ok' : m[1].split(',').map((c) => c.trim()).filter(Boolean);
        if (Array.isArray(program.expect) && program.expect.length === 0) {
          program.problems.push(`line ${line}: "expect:" names no rule code`);
        }
      } else if ((m = /^verifier:\s*"(.*)"\s*$/.exec(text))) {
        const wanted = m[1].replace(/\\"/g, '"');
        try {
          logHasVerifierText('', wanted);
          program.verifier.push(wanted);
        } catch (error) {
          program.problems.push(`line ${line}: "verifier:" has a bad {{regular expression}}: ${error.message}`);
        }
      } else if ((m = /^verifier:/.exec(text))) {
        program.problems.push(`line ${line}: "verifier:" wants a "quoted" substring`);
      } else if ((m = /^bpf-kptr:\s*(silent|[\w-]+(?:\s*,\s*[\w-]+)*)\s*\((.+)\)\s*$/.exec(text))) {
        program.engine = { expect: m[1] === 'silent' ? 'ok' : m[1].split(',').map((c) => c.trim()), why: m[2] };
      } else if (/^bpf-kptr:/.test(text)) {
        program.problems.push(`line ${line}: "bpf-kptr:" wants "silent (why)" or "CODE[, CODE] (why)"`);
      } else if ((m = /^kernel:\s*(.*)$/.exec(text))) {
        const bounds = parseKernelRange(m[1]);
        if (bounds.length === 0) program.problems.push(`line ${line}: cannot read kernel range "${m[1]}"`);
        program.kernel.push(...bounds);
      }
    }
    programs.push(program);
  }
  return programs;
}
