// SPDX-License-Identifier: MIT
/*
 * An object of the program's own type, allocated with bpf_obj_new and
 * parked in an array map: taken out, updated, and put back each time.
 */
#include "kptr_common.bpf.h"

char LICENSE[] SEC("license") = "GPL";

struct wakeup_counter {
	long wakeups;
};

struct counter_slot {
	struct wakeup_counter __kptr *counter;
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, u32);
	__type(value, struct counter_slot);
} counters SEC(".maps");

// expect: ok
SEC("tp_btf/sched_wakeup")
int BPF_PROG(count_wakeup, struct task_struct *p)
{
	struct wakeup_counter *counter;
	struct counter_slot *slot;
	u32 key = 0;

	slot = bpf_map_lookup_elem(&counters, &key);
	if (!slot)
		return 0;

	counter = bpf_kptr_xchg(&slot->counter, NULL);
	if (!counter) {
		counter = bpf_obj_new(typeof(*counter));
		if (!counter)
			return 0;
	}
	counter->wakeups++;

	counter = bpf_kptr_xchg(&slot->counter, counter);
	if (counter)
		bpf_obj_drop(counter);
	return 0;
}
