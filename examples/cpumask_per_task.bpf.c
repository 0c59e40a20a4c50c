// SPDX-License-Identifier: MIT
/*
 * Every new task gets a cpumask holding the CPU it was created on, kept in
 * task storage. When the task later execs, the program peeks at that mask
 * under RCU without taking a reference.
 */
#include "kptr_common.bpf.h"

char LICENSE[] SEC("license") = "GPL";

struct task_cpus {
	struct bpf_cpumask __kptr *birth_cpu;
};

struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct task_cpus);
} task_cpus_map SEC(".maps");

// expect: ok
SEC("tp_btf/task_newtask")
int BPF_PROG(remember_birth_cpu, struct task_struct *task, u64 clone_flags)
{
	struct bpf_cpumask *mask, *old;
	struct task_cpus *slot;

	slot = bpf_task_storage_get(&task_cpus_map, task, NULL, BPF_LOCAL_STORAGE_GET_F_CREATE);
	if (!slot)
		return 0;

	mask = bpf_cpumask_create();
	if (!mask)
		return 0;
	bpf_cpumask_set_cpu(bpf_get_smp_processor_id(), mask);

	/* The map takes the new mask; whatever was there comes back to us. */
	old = bpf_kptr_xchg(&slot->birth_cpu, mask);
	if (old)
		bpf_cpumask_release(old);
	return 0;
}

// expect: ok
SEC("tp_btf/sched_process_exec")
int BPF_PROG(check_exec_cpu, struct task_struct *task, pid_t old_pid, struct linux_binprm *bprm)
{
	u32 cpu = bpf_get_smp_processor_id();
	struct bpf_cpumask *birth;
	struct task_cpus *slot;

	slot = bpf_task_storage_get(&task_cpus_map, task, NULL, 0);
	if (!slot)
		return 0;

	bpf_rcu_read_lock();
	birth = slot->birth_cpu;
	if (birth && !bpf_cpumask_test_cpu(cpu, (const struct cpumask *)birth))
		bpf_printk("pid %d execs away from its birth cpu", task->pid);
	bpf_rcu_read_unlock();
	return 0;
}
