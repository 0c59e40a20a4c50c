/**
 * Tests whose answer libbpf fixes when it loads the object, against the running kernel's BTF: the
 * CO-RE existence checks become constants through `__builtin_preserve_type_info`,
 * `__builtin_preserve_field_info` and `__builtin_preserve_enum_value` relocations, and a weak
 * kfunc's address becomes 0 or not. The verifier sees a constant and walks only the branch it
 * selects, so on one path of a program each test has one answer, however often it is asked.
 * Sources: tools/lib/bpf/bpf_core_read.h (the four checks), tools/lib/bpf/bpf_helpers.h
 * (bpf_ksym_exists), both in libbpf.
 */
export const LOAD_TIME_TESTS: ReadonlySet<string> = new Set([
  'bpf_core_type_exists',
  'bpf_core_type_matches',
  'bpf_core_field_exists',
  'bpf_core_enum_value_exists',
  'bpf_ksym_exists',
]);
