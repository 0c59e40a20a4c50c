/**
 * The public rule codes. A code never changes meaning once released: users
 * disable rules, set their severity and suppress them by these names.
 * `verifierMessages` are stable substrings of the kernel verifier's log
 * (kernel/bpf/verifier.c and friends) that mean the same mistake, across the
 * message wordings of kernels 6.1 to bpf-next; any one of them is a match.
 */

export type RuleCode =
  | 'kptr-leak'
  | 'kptr-xchg-discarded'
  | 'kptr-maybe-null'
  | 'kptr-use-after-release'
  | 'kptr-release-unowned'
  | 'kptr-direct-store'
  | 'kptr-bad-xchg-target'
  | 'kptr-type-mismatch'
  | 'kptr-untrusted-arg'
  | 'kptr-rcu'
  | 'kptr-bad-field'
  | 'kptr-prog-type'
  | 'kptr-kernel-version';

export type Severity = 'error' | 'warning' | 'information' | 'hint';

export interface Rule {
  code: RuleCode;
  title: string;
  defaultSeverity: Severity;
  /** What happens at load time, in one sentence. */
  loadTime: string;
  verifierMessages: string[];
  /** Where the kernel decides: the file and function. */
  kernelSource: string;
}

export const RULES: readonly Rule[] = [
  {
    code: 'kptr-leak',
    title: 'Acquired reference not released on some path',
    defaultSeverity: 'error',
    loadTime: 'the verifier rejects the program at the exit where the reference is still held',
    verifierMessages: ['Unreleased reference', 'would lead to reference leak'],
    kernelSource: 'kernel/bpf/verifier.c check_reference_leak',
  },
  {
    code: 'kptr-xchg-discarded',
    title: 'Old value returned by bpf_kptr_xchg ignored',
    defaultSeverity: 'error',
    loadTime: 'the reference that came out of the field is never released, so the verifier reports it as leaked',
    verifierMessages: ['Unreleased reference', 'would lead to reference leak'],
    kernelSource: 'kernel/bpf/verifier.c check_reference_leak',
  },
  {
    code: 'kptr-maybe-null',
    title: 'Pointer that may be NULL used without a check',
    defaultSeverity: 'error',
    loadTime: 'the verifier refuses a possibly-NULL pointer where a valid one is required',
    verifierMessages: [
      'Possibly NULL pointer passed to',
      'NULL pointer passed to trusted',
      "_or_null_'",
      'invalid mem access',
      'type=scalar expected=',
      'type=ptr_or_null_',
      'type=trusted_ptr_or_null_',
      'Caller passes invalid args',
    ],
    kernelSource: 'kernel/bpf/verifier.c check_kfunc_args, check_mem_access',
  },
  {
    code: 'kptr-use-after-release',
    title: 'Pointer used after its reference was released or moved',
    defaultSeverity: 'error',
    loadTime: 'after a release every copy of the pointer is invalid; using one is rejected',
    verifierMessages: [
      'expects referenced PTR_TO_BTF_ID',
      'expects refcounted PTR_TO_BTF_ID',
      "invalid mem access 'scalar'",
      'type=scalar expected=',
      'must point to scalar, or struct with scalar',
      'must be referenced',
    ],
    kernelSource: 'kernel/bpf/verifier.c release_reference, check_kfunc_args',
  },
  {
    code: 'kptr-release-unowned',
    title: 'Release of a pointer that holds no reference',
    defaultSeverity: 'error',
    loadTime: 'a release kfunc or bpf_kptr_xchg needs an acquired reference and rejects anything else',
    verifierMessages: [
      'expects referenced PTR_TO_BTF_ID',
      'expects refcounted PTR_TO_BTF_ID',
      'must be referenced',
      'R2 type=untrusted_ptr_',
    ],
    kernelSource: 'kernel/bpf/verifier.c check_kfunc_args, check_func_arg',
  },
  {
    code: 'kptr-direct-store',
    title: 'Plain store into a referenced kptr field',
    defaultSeverity: 'error',
    loadTime: 'a referenced kptr field can only be written with bpf_kptr_xchg',
    verifierMessages: ['store to referenced kptr disallowed'],
    kernelSource: 'kernel/bpf/verifier.c check_map_kptr_access',
  },
  {
    code: 'kptr-bad-xchg-target',
    title: 'bpf_kptr_xchg destination is not a referenced kptr field',
    defaultSeverity: 'error',
    loadTime: 'bpf_kptr_xchg needs the address of a referenced kptr field at a constant offset',
    verifierMessages: ["kptr isn't referenced kptr", 'has no valid kptr', "doesn't point to kptr", 'kptr has to be at the constant offset', 'arg#0 expected pointer to', 'expected=map_value'],
    kernelSource: 'kernel/bpf/verifier.c process_kptr_func',
  },
  {
    code: 'kptr-type-mismatch',
    title: 'Pointer of the wrong type for the kfunc or kptr field',
    defaultSeverity: 'error',
    loadTime: 'the BTF type of the argument must match what the kfunc or field expects',
    verifierMessages: ['expected pointer to', 'invalid kptr access', 'arg#0 expected for'],
    kernelSource: 'kernel/bpf/verifier.c check_kfunc_args, map_kptr_match_type',
  },
  {
    code: 'kptr-untrusted-arg',
    title: 'Untrusted pointer passed to a kfunc that needs a trusted one',
    defaultSeverity: 'error',
    loadTime: 'kfuncs with trusted or RCU arguments refuse pointers the verifier cannot vouch for',
    verifierMessages: ['must be referenced or trusted', 'must be a rcu pointer', 'R1 type=untrusted_ptr_', 'R2 type=untrusted_ptr_'],
    kernelSource: 'kernel/bpf/verifier.c check_kfunc_args',
  },
  {
    code: 'kptr-rcu',
    title: 'RCU misuse: pointer used after unlock, unbalanced lock, exit inside the lock',
    defaultSeverity: 'error',
    loadTime: 'RCU-protected pointers die at bpf_rcu_read_unlock, and every program must leave the RCU section it entered',
    verifierMessages: [
      'must be a rcu pointer',
      'bpf_rcu_read_unlock is missing',
      'unmatched rcu read unlock',
      'nested rcu read lock',
      'bpf_rcu_read_lock-ed region',
    ],
    kernelSource: 'kernel/bpf/verifier.c check_kfunc_call, check_resource_leak',
  },
  {
    code: 'kptr-bad-field',
    title: 'kptr field the kernel will not accept',
    defaultSeverity: 'error',
    loadTime: 'the kernel does not take the field as a kptr when it creates the map, so it can never hold a reference',
    verifierMessages: ['has no valid kptr', 'map_create', 'failed to create map'],
    kernelSource: 'kernel/bpf/btf.c btf_parse_kptr, kernel/bpf/syscall.c map_check_btf',
  },
  {
    code: 'kptr-prog-type',
    title: 'kfunc not allowed in this kind of program',
    defaultSeverity: 'error',
    loadTime: 'each kfunc is registered for some program types only, and sleepable kfuncs need a sleepable program',
    verifierMessages: ['is not allowed', 'program must be sleepable', 'is sleepable within rcu_read_lock region'],
    kernelSource: 'kernel/bpf/verifier.c check_kfunc_call; kfunc registration in kernel/bpf/helpers.c and kernel/bpf/cpumask.c',
  },
  {
    code: 'kptr-kernel-version',
    title: 'Newer than the configured kernel',
    defaultSeverity: 'warning',
    loadTime: 'on the kernel you configured, the kfunc or tag does not exist yet, so loading fails',
    verifierMessages: ['failed to find kernel BTF type ID', 'unknown func', 'invalid kernel function'],
    kernelSource: 'libbpf extern resolution; kernel/bpf/verifier.c add_kfunc_call',
  },
];

export const RULE_BY_CODE: ReadonlyMap<string, Rule> = new Map(RULES.map((r) => [r.code, r]));
