// SYNTAX TEST "source.c" "the BPF idioms the injection grammar marks"

struct slot {
	struct bpf_cpumask __kptr *mask;
//                  ^^^^^^ storage.modifier.kptr.bpf
	struct task_struct __kptr_untrusted *seen;
//                  ^^^^^^^^^^^^^^^^ storage.modifier.kptr.bpf
	struct val __percpu_kptr *pc;
//          ^^^^^^^^^^^^^ storage.modifier.kptr.bpf
	struct user_data __uptr *u;
//                ^^^^^^ storage.modifier.kptr.bpf
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
// <~------ support.function.map-definition.bpf
	__type(value, struct slot);
// <~------ support.function.map-definition.bpf
} slots SEC(".maps");
//      ^^^ keyword.other.section.bpf
//          ^^^^^^^ string.quoted.double.section.bpf

extern struct bpf_cpumask *bpf_cpumask_create(void) __ksym;
//                                                  ^^^^^^ storage.modifier.ksym.bpf

__noinline int count(struct task_struct *task __arg_trusted)
//                                            ^^^^^^^^^^^^^ storage.modifier.arg-tag.bpf
{
	return 0;
}

SEC("tp_btf/task_newtask")
// <--- keyword.other.section.bpf
//  ^^^^^^^^^^^^^^^^^^^^^ string.quoted.double.section.bpf
int BPF_PROG(on_new_task, struct task_struct *task, u64 clone_flags)
//  ^^^^^^^^ support.function.program-wrapper.bpf
{
	struct bpf_cpumask *mask = bpf_cpumask_create();
//                          ^^^^^^^^^^^^^^^^^^ support.function.kfunc.bpf
	mask = bpf_kptr_xchg(&slot->mask, mask);
//      ^^^^^^^^^^^^^ support.function.kfunc.bpf
	/* __kptr in a comment stays a comment */
//  ^^^^^^ comment.block.c
	bpf_cpumask_release(mask);
// <~------------------- support.function.kfunc.bpf
	return 0;
}
