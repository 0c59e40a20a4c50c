// SPDX-License-Identifier: MIT
/*
 * Holds a reference to every new task in a hash map until the task exits.
 * stash_task() consumes the reference it is given on every path, the way
 * the verifier sees a static function: inlined into its caller.
 */
#include "kptr_common.bpf.h"

char LICENSE[] SEC("license") = "GPL";

struct stashed_task {
	struct task_struct __kptr *task;
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4096);
	__type(key, s32);
	__type(value, struct stashed_task);
} stash SEC(".maps");

static int stash_task(struct task_struct *task)
{
	struct stashed_task empty = {}, *slot;
	s32 pid = task->pid;

	if (bpf_map_update_elem(&stash, &pid, &empty, BPF_NOEXIST)) {
		bpf_task_release(task);
		return -1;
	}

	slot = bpf_map_lookup_elem(&stash, &pid);
	if (!slot) {
		bpf_task_release(task);
		return -1;
	}

	task = bpf_kptr_xchg(&slot->task, task);
	if (task)
		bpf_task_release(task);
	return 0;
}

// expect: ok
SEC("tp_btf/task_newtask")
int BPF_PROG(stash_new_task, struct task_struct *task, u64 clone_flags)
{
	struct task_struct *held;

	held = bpf_task_acquire(task);
	if (!held)
		return 0;
	stash_task(held);
	return 0;
}

// expect: ok
SEC("tp_btf/sched_process_exit")
int BPF_PROG(forget_task, struct task_struct *task)
{
	struct task_struct *held;
	struct stashed_task *slot;
	s32 pid = task->pid;

	slot = bpf_map_lookup_elem(&stash, &pid);
	if (!slot)
		return 0;

	held = bpf_kptr_xchg(&slot->task, NULL);
	if (held)
		bpf_task_release(held);
	bpf_map_delete_elem(&stash, &pid);
	return 0;
}
