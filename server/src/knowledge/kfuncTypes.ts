import { atLeast, KernelVersion, parseKernelVersion } from './kernelVersion';

/** Kfunc flags as registered with BTF_ID_FLAGS (include/linux/btf.h). */
export type KfuncFlag =
  | 'KF_ACQUIRE'
  | 'KF_RELEASE'
  | 'KF_RET_NULL'
  | 'KF_TRUSTED_ARGS'
  | 'KF_SLEEPABLE'
  | 'KF_DESTRUCTIVE'
  | 'KF_RCU'
  | 'KF_RCU_PROTECTED'
  | 'KF_KPTR_GET';

/** Which registered kfunc set the function belongs to; it decides the program types that may call it. */
export type KfuncSet = 'helper' | 'common' | 'generic' | 'cpumask' | 'fs' | 'crypto' | 'keys' | 'conntrack';

export type Family = 'kptr' | 'cpumask' | 'task' | 'cgroup' | 'object' | 'percpu-object' | 'refcount' | 'list' | 'rbtree' | 'rcu' | 'fs' | 'crypto' | 'keys' | 'conntrack' | 'socket' | 'ringbuf' | 'map' | 'context';

export interface ParamSpec {
  name: string;
  type: string;
  /** The struct a pointer parameter must point to (BTF type match). */
  struct?: string;
  /** The kernel accepts NULL here (parameter name suffix __nullable or __opt). */
  nullable?: boolean;
  /** For *_impl kfuncs and macros: a parameter the macro hides from the user. */
  hidden?: boolean;
  /** The argument is a type, not a value (bpf_obj_new(struct foo)). */
  isType?: boolean;
}

export interface FlagHistory {
  /** These flags applied before this version. */
  until: KernelVersion;
  flags: KfuncFlag[];
  note: string;
}

export interface KfuncEntry {
  /** The name users write: the macro for *_impl kfuncs (bpf_obj_new, not bpf_obj_new_impl). */
  name: string;
  /** The symbol the kernel registers, when the user-facing name is a macro. */
  symbol?: string;
  kind: 'kfunc' | 'helper';
  family: Family;
  set: KfuncSet;
  returns: string;
  /** Struct of the returned pointer; undefined for scalars and void pointers. */
  returnStruct?: string;
  params: ParamSpec[];
  /** Flags on the newest kernel the table knows. */
  flags: KfuncFlag[];
  history?: FlagHistory[];
  since: KernelVersion;
  sinceUncertain?: boolean;
  removedIn?: KernelVersion;
  /** For acquiring functions: how the reference is given back. */
  releasedBy?: string[];
  /** For releasing functions: index of the (visible) parameter whose reference is consumed. */
  releasesParam?: number;
  /** Parameters whose owned reference moves into a collection or another owner. */
  consumesParams?: number[];
  /** Reserve-style functions that acquire into a stack object passed by address (dynptrs). */
  acquiresIntoParam?: number;
  /** The returned reference has the type named by the argument at this index (bpf_obj_new). */
  returnsTypeOfParam?: number;
  /** The program must not continue after the call (bpf_throw). */
  noReturn?: boolean;
  summary: string;
  example: string;
  source: string;
  docUrl: string;
}

/** The contract of a kfunc on one kernel version, as the engine applies it. */
export interface KfuncContract {
  entry: KfuncEntry;
  available: boolean;
  acquires: boolean;
  releases: boolean;
  returnsMaybeNull: boolean;
  /** Pointer arguments must be referenced or trusted (KF_TRUSTED_ARGS, implied for release arguments). */
  trustedArgs: boolean;
  /** Pointer arguments may also be RCU-protected (KF_RCU). */
  rcuArgs: boolean;
  sleepable: boolean;
}

/** From 7.0 on every kfunc checks its pointer arguments as KF_TRUSTED_ARGS did (bpf-next commit 1a5c01d2508a). */
const TRUSTED_BY_DEFAULT = parseKernelVersion('7.0');

export function flagsAt(entry: KfuncEntry, version: KernelVersion): KfuncFlag[] {
  for (const past of entry.history ?? []) {
    if (!atLeast(version, past.until)) return past.flags;
  }
  return entry.flags;
}

export function contractAt(entry: KfuncEntry, version: KernelVersion): KfuncContract {
  const flags = flagsAt(entry, version);
  const has = (flag: KfuncFlag) => flags.includes(flag);
  const available = atLeast(version, entry.since) && !(entry.removedIn && atLeast(version, entry.removedIn));
  const rcuArgs = has('KF_RCU');
  return {
    entry,
    available,
    acquires: has('KF_ACQUIRE'),
    releases: has('KF_RELEASE') || entry.releasesParam !== undefined,
    returnsMaybeNull: has('KF_RET_NULL'),
    trustedArgs: has('KF_TRUSTED_ARGS') || rcuArgs || (entry.kind === 'kfunc' && atLeast(version, TRUSTED_BY_DEFAULT)),
    rcuArgs,
    sleepable: has('KF_SLEEPABLE'),
  };
}

/** The parameters a user writes (macros hide some of the *_impl parameters). */
export function visibleParams(entry: KfuncEntry): ParamSpec[] {
  return entry.params.filter((p) => !p.hidden);
}

export function signatureOf(entry: KfuncEntry): string {
  const params = visibleParams(entry);
  const list = params.length === 0 ? 'void' : params.map((p) => (p.isType ? p.name : `${p.type}${p.type.endsWith('*') ? '' : ' '}${p.name}`)).join(', ');
  return `${entry.returns}${entry.returns.endsWith('*') ? '' : ' '}${entry.name}(${list})`;
}
