// Expands every snippet of snippets/bpf-kptr.code-snippets with its default values and puts it
// in a small program of its own, so tests can parse it, analyse it and load it in the kernel.
//
//   node scripts/snippets/expand.mjs DIR     writes DIR/<prefix>.bpf.c for every snippet
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'fs';
import { dirname, join } from 'path';
import { fileURLToPath } from 'url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** `${1:name}` becomes `name`, `$0` and `$1` disappear: what a user gets by accepting every default. */
export function expandBody(lines) {
  return lines
    .join('\n')
    .replace(/\$\{\d+:([^}]*)\}/g, '$1')
    .replace(/\$\d+/g, '');
}

/* The same declarations the ownership fixtures use (test/fixtures/ownership/common.bpf.h), which the kernel accepts. */
const COMMON_HEADER = join(root, 'test', 'fixtures', 'ownership', 'common.bpf.h');
const PRELUDE = `#include "common.bpf.h"

#define BPF_STRUCT_OPS_SLEEPABLE(name, ...) SEC("struct_ops.s/" #name) BPF_PROG(name, ##__VA_ARGS__)
#ifndef ENOMEM
#define ENOMEM 12
#endif
`;

/** Declarations a statement snippet relies on, and the program that runs it. */
const MASK_SLOT = `struct task_ctx {
	struct bpf_cpumask __kptr *mask;
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16);
	__type(key, u32);
	__type(value, struct task_ctx);
} ctx_map SEC(".maps");
`;

const TASK_SLOT = `struct task_ctx {
	struct task_struct __kptr *task;
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16);
	__type(key, u32);
	__type(value, struct task_ctx);
} ctx_map SEC(".maps");
`;

const OBJ_SLOT = `struct counter {
	long hits;
};

struct holder {
	struct counter __kptr *obj;
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16);
	__type(key, u32);
	__type(value, struct holder);
} holders SEC(".maps");
`;

const EVENTS = `struct event {
	u32 pid;
};

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4096);
} events SEC(".maps");
`;

/*
 * The wrapper reads task->pid, as real programs do: that makes clang emit the full struct
 * task_struct in the program's BTF. A __kptr to a kernel struct the program never otherwise
 * uses is emitted as a forward declaration, and this kernel then refuses the whole BTF.
 */
function program(name, declarations, lookup, body) {
	return `// expect: ok
SEC("tp_btf/task_newtask")
int BPF_PROG(${name}, struct task_struct *task, u64 clone_flags)
{
${declarations}
	bpf_printk("new task %d", task->pid);
${lookup}
${body.split('\n').map((l) => (l ? '\t' + l : l)).join('\n')}
	return 0;
}
`;
}

const lookupCtx = `	u32 key = 0;
	struct task_ctx *v = bpf_map_lookup_elem(&ctx_map, &key);

	if (!v)
		return 0;`;

/** For each snippet prefix: what goes before it and how it is wrapped. */
const CONTEXTS = {
  'kptr-array-map': (s) => `${s}\n`,
  'kptr-hash-map': (s) => `${s}\n`,
  'kptr-task-storage': (s) => `${s}\n`,
  'kptr-global': (s) => `${s}\n${program('use_global', '\tstruct bpf_cpumask *m = bpf_cpumask_create();', '', 'if (!m)\n\treturn 0;\nm = bpf_kptr_xchg(&global_mask, m);\nif (m)\n\tbpf_cpumask_release(m);')}`,
  'kptr-store': (s) => `${MASK_SLOT}\n${program('store_snippet', '\tstruct bpf_cpumask *mask, *old;', `${lookupCtx}\n\tmask = bpf_cpumask_create();\n\tif (!mask)\n\t\treturn 0;`, s)}`,
  'kptr-take': (s) => `${MASK_SLOT}\n${program('take_snippet', '\tstruct bpf_cpumask *mask;', lookupCtx, s)}`,
  'kptr-peek': (s) => `${MASK_SLOT}\n${program('peek_snippet', '\tstruct bpf_cpumask *peek;', lookupCtx, s)}`,
  'kptr-acquire-task': (s) => `${TASK_SLOT}\n${program('acquire_snippet', '\tstruct task_struct *stored, *held;', lookupCtx, s)}`,
  'kptr-obj-new': (s) => `${OBJ_SLOT}\n${program('obj_new_snippet', '\tstruct counter *obj;', `\tu32 key = 0;\n\tstruct holder *v = bpf_map_lookup_elem(&holders, &key);\n\n\tif (!v)\n\t\treturn 0;`, s)}`,
  'kptr-tp-btf-cpumask': (s) => `${MASK_SLOT}\n// expect: ok\n${s}\n`,
  'kptr-struct-ops-init': (s) => `private(MASKS) struct bpf_cpumask __kptr *global_mask;\n\n// expect: ok\n${s}\n`,
  'ringbuf-reserve': (s) => `${EVENTS}\n${program('ringbuf_snippet', '\tstruct event *e;', '', s)}`,
  'task-acquire': (s) => `${program('task_snippet', '\tstruct task_struct *held;', '', s)}`,
};

export function snippetPrograms() {
  const snippets = JSON.parse(readFileSync(join(root, 'snippets', 'bpf-kptr.code-snippets'), 'utf8'));
  return Object.entries(snippets).map(([title, snippet]) => {
    const wrap = CONTEXTS[snippet.prefix];
    if (!wrap) throw new Error(`snippet "${title}" (${snippet.prefix}) has no test context in scripts/snippets/expand.mjs`);
    const expanded = expandBody(snippet.body);
    return { title, prefix: snippet.prefix, expanded, file: `${PRELUDE}\n${wrap(expanded)}` };
  });
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const dir = process.argv[2] ?? join(root, '.cache', 'snippets');
  mkdirSync(dir, { recursive: true });
  for (const s of snippetPrograms()) writeFileSync(join(dir, `${s.prefix}.bpf.c`), s.file);
  copyFileSync(COMMON_HEADER, join(dir, 'common.bpf.h'));
  console.log(dir);
}
