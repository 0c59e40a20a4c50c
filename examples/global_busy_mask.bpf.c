// SPDX-License-Identifier: MIT
/*
 * A cpumask kept in a global variable: a syscall program installs it once,
 * the scheduler tracepoint marks CPUs in it while holding only RCU.
 */
#include "kptr_common.bpf.h"

char LICENSE[] SEC("license") = "GPL";

private(BUSY) struct bpf_cpumask __kptr *busy_cpus;

// expect: ok
SEC("syscall")
int install_busy_mask(void *ctx)
{
	struct bpf_cpumask *mask;

	mask = bpf_cpumask_create();
	if (!mask)
		return 1;

	mask = bpf_kptr_xchg(&busy_cpus, mask);
	if (mask)
		bpf_cpumask_release(mask);
	return 0;
}

// expect: ok
SEC("tp_btf/sched_switch")
int BPF_PROG(mark_busy, bool preempt, struct task_struct *prev, struct task_struct *next)
{
	struct bpf_cpumask *mask;

	bpf_rcu_read_lock();
	mask = busy_cpus;
	if (mask)
		bpf_cpumask_set_cpu(bpf_get_smp_processor_id(), mask);
	bpf_rcu_read_unlock();
	return 0;
}
