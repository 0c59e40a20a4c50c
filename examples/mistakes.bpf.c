// SPDX-License-Identifier: MIT
/*
 * Four programs the verifier refuses, one mistake each, as they show up in
 * the editor. The comments above each say what bpf-kptr reports while you
 * type (expect:) and what the kernel answers at load time (verifier:).
 */
#include "kptr_common.bpf.h"

char LICENSE[] SEC("license") = "GPL";

struct mask_slot {
	struct bpf_cpumask __kptr *mask;
};

/*
 * A hash map: its lookups can fail. (An array lookup with a constant key
 * cannot fail on kernels from 6.14 on, and the verifier knows it.)
 */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 64);
	__type(key, u32);
	__type(value, struct mask_slot);
} slots SEC(".maps");

/* The early return leaks the mask. */
// expect: kptr-leak
// verifier: "Unreleased reference"
SEC("tp_btf/task_newtask")
int BPF_PROG(leak_on_early_return, struct task_struct *task, u64 clone_flags)
{
	struct bpf_cpumask *mask;
	struct mask_slot *slot;
	u32 key = 0;

	mask = bpf_cpumask_create();
	if (!mask)
		return 0;

	slot = bpf_map_lookup_elem(&slots, &key);
	if (!slot)
		return 0;

	mask = bpf_kptr_xchg(&slot->mask, mask);
	if (mask)
		bpf_cpumask_release(mask);
	return 0;
}

/* The cpumask may not have been allocated. */
// expect: kptr-maybe-null
// verifier: "Possibly NULL pointer passed to trusted arg1"
SEC("tp_btf/task_newtask")
int BPF_PROG(missing_null_check, struct task_struct *task, u64 clone_flags)
{
	struct bpf_cpumask *mask;

	mask = bpf_cpumask_create();
	bpf_cpumask_set_cpu(0, mask);
	bpf_cpumask_release(mask);
	return 0;
}

/* A referenced kptr field is written with bpf_kptr_xchg only. */
// expect: kptr-direct-store
// verifier: "store to referenced kptr disallowed"
SEC("tp_btf/task_newtask")
int BPF_PROG(plain_store_into_kptr, struct task_struct *task, u64 clone_flags)
{
	struct mask_slot *slot;
	u32 key = 0;

	slot = bpf_map_lookup_elem(&slots, &key);
	if (!slot)
		return 0;
	slot->mask = NULL;
	return 0;
}

/* The old mask that bpf_kptr_xchg hands back is dropped on the floor. */
// expect: kptr-xchg-discarded
// verifier: "Unreleased reference"
SEC("tp_btf/task_newtask")
int BPF_PROG(old_value_ignored, struct task_struct *task, u64 clone_flags)
{
	struct bpf_cpumask *mask;
	struct mask_slot *slot;
	u32 key = 0;

	slot = bpf_map_lookup_elem(&slots, &key);
	if (!slot)
		return 0;

	mask = bpf_cpumask_create();
	if (!mask)
		return 0;
	bpf_kptr_xchg(&slot->mask, mask);
	return 0;
}
