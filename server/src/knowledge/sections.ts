/**
 * ELF section names of BPF programs and the program type libbpf infers from
 * them. Source: libbpf src/libbpf.c, the `section_defs` table (prefixes
 * ending in "/" or "+" take a suffix; "?" in front disables autoload).
 */

export type ProgramType =
  | 'SOCKET_FILTER'
  | 'KPROBE'
  | 'SCHED_CLS'
  | 'SCHED_ACT'
  | 'TRACEPOINT'
  | 'XDP'
  | 'PERF_EVENT'
  | 'CGROUP_SKB'
  | 'CGROUP_SOCK'
  | 'LWT_IN'
  | 'LWT_OUT'
  | 'LWT_XMIT'
  | 'LWT_SEG6LOCAL'
  | 'SOCK_OPS'
  | 'SK_SKB'
  | 'CGROUP_DEVICE'
  | 'SK_MSG'
  | 'RAW_TRACEPOINT'
  | 'CGROUP_SOCK_ADDR'
  | 'LIRC_MODE2'
  | 'SK_REUSEPORT'
  | 'FLOW_DISSECTOR'
  | 'CGROUP_SYSCTL'
  | 'RAW_TRACEPOINT_WRITABLE'
  | 'CGROUP_SOCKOPT'
  | 'TRACING'
  | 'STRUCT_OPS'
  | 'EXT'
  | 'LSM'
  | 'SK_LOOKUP'
  | 'SYSCALL'
  | 'NETFILTER';

export interface SectionDef {
  /** The section name, or its prefix when `takesSuffix`. */
  prefix: string;
  takesSuffix: boolean;
  programType: ProgramType;
  sleepable: boolean;
  /** How the program's context arguments reach it: typed BTF pointers, registers, or a raw context. */
  context: 'btf' | 'registers' | 'raw';
  /** A short human name for hover. */
  description: string;
}

const btf = 'btf' as const;
const regs = 'registers' as const;
const raw = 'raw' as const;

function def(prefix: string, programType: ProgramType, description: string, context: SectionDef['context'], sleepable = false): SectionDef {
  const takesSuffix = prefix.endsWith('/') || prefix.endsWith('+');
  return { prefix: prefix.replace(/\+$/, ''), takesSuffix, programType, sleepable, context, description };
}

export const SECTION_DEFS: readonly SectionDef[] = [
  def('socket', 'SOCKET_FILTER', 'socket filter', raw),
  def('sk_reuseport/migrate', 'SK_REUSEPORT', 'SO_REUSEPORT selection on migration', raw),
  def('sk_reuseport', 'SK_REUSEPORT', 'SO_REUSEPORT selection', raw),
  def('kprobe/', 'KPROBE', 'kprobe', regs),
  def('uprobe/', 'KPROBE', 'uprobe', regs),
  def('uprobe.s/', 'KPROBE', 'sleepable uprobe', regs, true),
  def('kretprobe/', 'KPROBE', 'kretprobe', regs),
  def('uretprobe/', 'KPROBE', 'uretprobe', regs),
  def('uretprobe.s/', 'KPROBE', 'sleepable uretprobe', regs, true),
  def('kprobe.multi/', 'KPROBE', 'multi-kprobe', regs),
  def('kretprobe.multi/', 'KPROBE', 'multi-kretprobe', regs),
  def('kprobe.session/', 'KPROBE', 'kprobe session', regs),
  def('uprobe.multi/', 'KPROBE', 'multi-uprobe', regs),
  def('uretprobe.multi/', 'KPROBE', 'multi-uretprobe', regs),
  def('uprobe.multi.s/', 'KPROBE', 'sleepable multi-uprobe', regs, true),
  def('uretprobe.multi.s/', 'KPROBE', 'sleepable multi-uretprobe', regs, true),
  def('uprobe.session/', 'KPROBE', 'uprobe session', regs),
  def('uprobe.session.s/', 'KPROBE', 'sleepable uprobe session', regs, true),
  def('ksyscall/', 'KPROBE', 'syscall kprobe', regs),
  def('kretsyscall/', 'KPROBE', 'syscall kretprobe', regs),
  def('usdt/', 'KPROBE', 'USDT probe', regs),
  def('usdt.s/', 'KPROBE', 'sleepable USDT probe', regs, true),
  def('tc/ingress', 'SCHED_CLS', 'tcx ingress', raw),
  def('tc/egress', 'SCHED_CLS', 'tcx egress', raw),
  def('tcx/ingress', 'SCHED_CLS', 'tcx ingress', raw),
  def('tcx/egress', 'SCHED_CLS', 'tcx egress', raw),
  def('tc', 'SCHED_CLS', 'traffic control classifier', raw),
  def('classifier', 'SCHED_CLS', 'traffic control classifier', raw),
  def('action', 'SCHED_ACT', 'traffic control action', raw),
  def('netkit/primary', 'SCHED_CLS', 'netkit primary', raw),
  def('netkit/peer', 'SCHED_CLS', 'netkit peer', raw),
  def('tracepoint/', 'TRACEPOINT', 'tracepoint', raw),
  def('tp/', 'TRACEPOINT', 'tracepoint', raw),
  def('raw_tracepoint/', 'RAW_TRACEPOINT', 'raw tracepoint', raw),
  def('raw_tp/', 'RAW_TRACEPOINT', 'raw tracepoint', raw),
  def('raw_tracepoint.w/', 'RAW_TRACEPOINT_WRITABLE', 'writable raw tracepoint', raw),
  def('raw_tp.w/', 'RAW_TRACEPOINT_WRITABLE', 'writable raw tracepoint', raw),
  def('tp_btf/', 'TRACING', 'BTF-enabled tracepoint', btf),
  def('fentry/', 'TRACING', 'fentry', btf),
  def('fmod_ret/', 'TRACING', 'fmod_ret', btf),
  def('fexit/', 'TRACING', 'fexit', btf),
  def('fentry.s/', 'TRACING', 'sleepable fentry', btf, true),
  def('fmod_ret.s/', 'TRACING', 'sleepable fmod_ret', btf, true),
  def('fexit.s/', 'TRACING', 'sleepable fexit', btf, true),
  def('freplace/', 'EXT', 'function replacement', btf),
  def('lsm/', 'LSM', 'LSM hook', btf),
  def('lsm.s/', 'LSM', 'sleepable LSM hook', btf, true),
  def('lsm_cgroup/', 'LSM', 'cgroup LSM hook', btf),
  def('iter/', 'TRACING', 'BPF iterator', btf),
  def('iter.s/', 'TRACING', 'sleepable BPF iterator', btf, true),
  def('syscall', 'SYSCALL', 'syscall program', raw, true),
  def('xdp.frags/devmap', 'XDP', 'XDP on a devmap, multi-buffer', raw),
  def('xdp/devmap', 'XDP', 'XDP on a devmap', raw),
  def('xdp.frags/cpumap', 'XDP', 'XDP on a cpumap, multi-buffer', raw),
  def('xdp/cpumap', 'XDP', 'XDP on a cpumap', raw),
  def('xdp.frags', 'XDP', 'XDP, multi-buffer', raw),
  def('xdp', 'XDP', 'XDP', raw),
  def('perf_event', 'PERF_EVENT', 'perf event', raw),
  def('lwt_in', 'LWT_IN', 'lightweight tunnel input', raw),
  def('lwt_out', 'LWT_OUT', 'lightweight tunnel output', raw),
  def('lwt_xmit', 'LWT_XMIT', 'lightweight tunnel transmit', raw),
  def('lwt_seg6local', 'LWT_SEG6LOCAL', 'seg6local', raw),
  def('sockops', 'SOCK_OPS', 'socket operations', raw),
  def('sk_skb/stream_parser', 'SK_SKB', 'sockmap stream parser', raw),
  def('sk_skb/stream_verdict', 'SK_SKB', 'sockmap stream verdict', raw),
  def('sk_skb', 'SK_SKB', 'sockmap skb', raw),
  def('sk_msg', 'SK_MSG', 'sockmap message', raw),
  def('lirc_mode2', 'LIRC_MODE2', 'LIRC decoder', raw),
  def('flow_dissector', 'FLOW_DISSECTOR', 'flow dissector', raw),
  def('cgroup_skb/ingress', 'CGROUP_SKB', 'cgroup skb ingress', raw),
  def('cgroup_skb/egress', 'CGROUP_SKB', 'cgroup skb egress', raw),
  def('cgroup/skb', 'CGROUP_SKB', 'cgroup skb', raw),
  def('cgroup/sock_create', 'CGROUP_SOCK', 'cgroup socket creation', raw),
  def('cgroup/sock_release', 'CGROUP_SOCK', 'cgroup socket release', raw),
  def('cgroup/sock', 'CGROUP_SOCK', 'cgroup socket', raw),
  def('cgroup/post_bind4', 'CGROUP_SOCK', 'cgroup post-bind IPv4', raw),
  def('cgroup/post_bind6', 'CGROUP_SOCK', 'cgroup post-bind IPv6', raw),
  def('cgroup/dev', 'CGROUP_DEVICE', 'cgroup device access', raw),
  def('cgroup/sysctl', 'CGROUP_SYSCTL', 'cgroup sysctl access', raw),
  def('cgroup/getsockopt', 'CGROUP_SOCKOPT', 'cgroup getsockopt', raw),
  def('cgroup/setsockopt', 'CGROUP_SOCKOPT', 'cgroup setsockopt', raw),
  def('cgroup/', 'CGROUP_SOCK_ADDR', 'cgroup socket address hook', raw),
  def('struct_ops+', 'STRUCT_OPS', 'struct_ops callback', btf),
  def('struct_ops.s+', 'STRUCT_OPS', 'sleepable struct_ops callback', btf, true),
  def('sk_lookup', 'SK_LOOKUP', 'socket lookup', raw),
  def('netfilter', 'NETFILTER', 'netfilter hook', raw),
];

export interface SectionInfo {
  def: SectionDef;
  /** What follows the prefix: the attach target (`task_newtask`, `sys_getpgid`). */
  target: string;
  autoload: boolean;
}

/** The program type libbpf gives a section name, or undefined for data sections and unknown names. */
export function lookupSection(section: string): SectionInfo | undefined {
  const autoload = !section.startsWith('?');
  const name = autoload ? section : section.slice(1);
  let best: SectionDef | undefined;
  for (const candidate of SECTION_DEFS) {
    const matches = candidate.takesSuffix
      ? name.startsWith(candidate.prefix)
      : name === candidate.prefix || name.startsWith(candidate.prefix + '/');
    if (matches && (!best || candidate.prefix.length > best.prefix.length)) best = candidate;
  }
  if (!best) return undefined;
  const rest = name.slice(best.prefix.length);
  return { def: best, target: rest.replace(/^\//, ''), autoload };
}

/** Sections that hold data rather than programs. */
export function isDataSection(section: string): boolean {
  return section === 'license' || section === 'version' || section.startsWith('.');
}
