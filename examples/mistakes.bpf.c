// SPDX-License-Identifier: MIT
/*
 * Four programs the verifier refuses, one mistake each, as they show up in
 * the editor. The comment above each says what the kernel answers at load
 * time and what bpf-kptr reports while you type.
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

/* Verifier: "Unreleased reference". bpf-kptr: kptr-leak, the early return leaks the mask. */
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

/* Verifier: "Possibly NULL pointer passed to trusted arg1". bpf-kptr: kptr-maybe-null. */
SEC("tp_btf/task_newtask")
int BPF_PROG(missing_null_check, struct task_struct *task, u64 clone_flags)
{
	struct bpf_cpumask *mask;

	mask = bpf_cpumask_create();
	bpf_cpumask_set_cpu(0, mask);
	bpf_cpumask_release(mask);
	return 0;
}

/* Verifier: "store to referenced kptr disallowed". bpf-kptr: kptr-direct-store. */
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

/* Verifier: "Unreleased reference". bpf-kptr: kptr-xchg-discarded, the old mask is dropped on the floor. */
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
