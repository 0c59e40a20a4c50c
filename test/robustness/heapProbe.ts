/**
 * Run as `node --expose-gc heapProbe.js FUNCTIONS EDITS`: opens one document of FUNCTIONS small
 * programs in the analysis library, edits a different program each time, and prints the heap in
 * use after a full collection once the document is open and after the edits (JSON, bytes).
 * Each version's text must die with the version: nothing carried over to the next one may hold
 * a view into it.
 */
import { Analyzer } from '../../server/src/analyzer';
import { DEFAULT_SETTINGS } from '../../server/src/settings';

/** `stamps[i]`: the edit that last changed program i (0: none). */
function programText(stamps: number[]): string {
  const parts: string[] = ['struct slot { struct bpf_cpumask __kptr *mask; };'];
  for (let i = 0; i < stamps.length; i++) {
    // Each edit leaves a long name behind: what is read again after an edit (tokens, items)
    // stays until that program is edited again, and must not be a view into its version.
    const marker = stamps[i] ? ` + edit_number_${stamps[i]}_of_the_probe` : '';
    parts.push(
      [
        `SEC("tp_btf/task_newtask")`,
        `int program_number_${i}_with_a_long_name(void *ctx)`,
        '{',
        `\tstruct bpf_cpumask *mask_of_program_${i} = bpf_cpumask_create();`,
        `\tif (!mask_of_program_${i})`,
        '\t\treturn 0;',
        `\tbpf_cpumask_release(mask_of_program_${i});`,
        `\treturn ${i}${marker};`,
        '}',
      ].join('\n'),
    );
  }
  return parts.join('\n\n') + '\n';
}

async function main(): Promise<void> {
  const [functions, edits] = process.argv.slice(2).map(Number);
  const collect = (globalThis as { gc?: () => void }).gc;
  if (!collect) throw new Error('run with --expose-gc');
  const analyzer = await Analyzer.create();
  const file = '/probe/heap.bpf.c';
  const analyse = (text: string, version: number) => {
    analyzer.update(file, text, version);
    analyzer.ownership(file, DEFAULT_SETTINGS.kernelVersion);
  };
  const heapUsed = () => {
    collect();
    collect();
    return process.memoryUsage().heapUsed;
  };
  const stamps = new Array<number>(functions).fill(0);
  analyse(programText(stamps), 0);
  const opened = heapUsed();
  for (let i = 1; i <= edits; i++) {
    stamps[(i * 7) % functions] = i;
    analyse(programText(stamps), i);
  }
  const edited = heapUsed();
  analyzer.dispose();
  process.stdout.write(JSON.stringify({ opened, edited, textBytes: programText(stamps).length }));
}

void main().catch((error) => {
  process.stderr.write(String(error instanceof Error ? error.stack : error));
  process.exitCode = 1;
});
