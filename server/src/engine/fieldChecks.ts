import { atLeast, formatVersion, KernelVersion } from '../knowledge/kernelVersion';
import { TYPES_WITH_DESTRUCTOR } from '../knowledge/kfuncSets';
import { TYPE_TAG_BY_NAME } from '../knowledge/typeTags';
import type { FieldModel, MapModel, Span } from '../model/documentModel';
import type { VisibleModel } from '../model/visibleModel';
import type { Finding } from './findings';

/** Sites outside any function are located in the document itself, at absolute offsets. */
export const DOCUMENT_SITE = '@document';

/** Map types whose values may hold kptr fields (kernel/bpf/syscall.c map_check_btf). */
const KPTR_MAP_TYPES = new Set([
  'BPF_MAP_TYPE_HASH',
  'BPF_MAP_TYPE_PERCPU_HASH',
  'BPF_MAP_TYPE_LRU_HASH',
  'BPF_MAP_TYPE_LRU_PERCPU_HASH',
  'BPF_MAP_TYPE_ARRAY',
  'BPF_MAP_TYPE_PERCPU_ARRAY',
  'BPF_MAP_TYPE_SK_STORAGE',
  'BPF_MAP_TYPE_INODE_STORAGE',
  'BPF_MAP_TYPE_TASK_STORAGE',
  'BPF_MAP_TYPE_CGRP_STORAGE',
]);

/**
 * Kernel structs that certainly come from vmlinux (never program-local) and
 * have no kptr destructor: a referenced kptr to them is refused.
 */
const KERNEL_TYPES_WITHOUT_DESTRUCTOR = new Set(['inode', 'file', 'sock', 'socket', 'mm_struct', 'dentry', 'cred', 'net_device', 'path', 'page', 'vm_area_struct', 'super_block', 'request_sock', 'bpf_map', 'cpumask', 'css_set', 'pid']);

/**
 * Why the kernel will not take a tagged field as a kptr on this kernel, or
 * undefined when it will. Such a field is plain memory in the map:
 * bpf_kptr_xchg on it is refused ("has no valid kptr").
 */
export function refusedAsKptr(tagName: string, pointee: string | undefined, isLocal: boolean, kernel: KernelVersion): string | undefined {
  const tag = TYPE_TAG_BY_NAME.get(tagName);
  if (!tag) return undefined;
  if (tag.removedIn && atLeast(kernel, tag.removedIn)) return `the "${tag.btfTag}" tag is no longer recognised since ${formatVersion(tag.removedIn)} (write ${tag.renamedTo})`;
  const referenced = tag.kind === 'referenced' && !(tag.earlierMeaning && !atLeast(kernel, tag.earlierMeaning.until));
  if (referenced && pointee && !isLocal && KERNEL_TYPES_WITHOUT_DESTRUCTOR.has(pointee) && !TYPES_WITH_DESTRUCTOR.has(pointee)) {
    return `no destructor is registered for struct ${pointee}, so the kernel cannot own one through a map`;
  }
  return undefined;
}

function at(span: Span) {
  return { fn: DOCUMENT_SITE, span };
}

/** Declaration-level checks: what the kernel refuses when it creates the map, before any program is verified. */
export function checkKptrFields(visible: VisibleModel, kernel: KernelVersion): Finding[] {
  const findings: Finding[] = [];
  const version = formatVersion(kernel);
  for (const struct of visible.own.structs) {
    for (const field of struct.fields) {
      if (!field.tag) continue;
      const tag = TYPE_TAG_BY_NAME.get(field.tag.name)!;
      const where = `\`${struct.name}.${field.name}\``;
      if (field.type.pointerDepth !== 1) {
        findings.push({ code: 'kptr-bad-field', site: at(field.tag.span), related: [], message: `${field.tag.name} on ${where} needs a pointer to a struct; this field is \`${field.type.text}\`, so the tag is refused or means nothing.` });
        continue;
      }
      if (!field.type.struct) {
        findings.push({ code: 'kptr-bad-field', site: at(field.tag.span), related: [], message: `${where} points to \`${field.type.text.replace(/\s*\*$/, '')}\`: a kptr must point to a struct, so the map is refused at creation (-EINVAL).` });
        continue;
      }
      if (tag.removedIn && atLeast(kernel, tag.removedIn)) {
        findings.push({ code: 'kptr-bad-field', site: at(field.tag.span), related: [], message: `${field.tag.name} was renamed ${tag.renamedTo} in ${formatVersion(tag.removedIn)}; kernel ${version} refuses the old "${tag.btfTag}" tag when the map is created. Write ${tag.renamedTo}.` });
        continue;
      }
      if (!atLeast(kernel, tag.since)) {
        findings.push({ code: 'kptr-kernel-version', site: at(field.tag.span), related: [], message: `${field.tag.name} appeared in kernel ${formatVersion(tag.since)}; on ${version} (bpfKptr.kernelVersion) the map is refused.` });
        continue;
      }
      const pointee = field.type.struct;
      const refused = refusedAsKptr(field.tag.name, pointee, visible.struct(pointee) !== undefined, kernel);
      if (refused) {
        findings.push({
          code: 'kptr-bad-field',
          site: at(field.tag.span),
          related: [],
          message: `The kernel does not take ${where} as a kptr: ${refused}. The map is created with the field as plain memory, and bpf_kptr_xchg on it is refused ("has no valid kptr"). Referenced kptrs may point to ${[...TYPES_WITH_DESTRUCTOR.keys()].filter((t) => t !== 'sk_buff').join(', ')} or your own types; __kptr_untrusted keeps a pointer without owning it.`,
        });
      }
    }
  }
  for (const map of visible.own.maps) findings.push(...checkMapValue(visible, map));
  return findings;
}

function kptrFieldsOf(visible: VisibleModel, struct: string | undefined, depth = 0): FieldModel[] {
  const found = struct ? visible.struct(struct) : undefined;
  if (!found || depth > 4) return [];
  return found.item.fields.flatMap((f) => (f.tag ? [f] : f.type.pointerDepth === 0 && f.type.struct ? kptrFieldsOf(visible, f.type.struct, depth + 1) : []));
}

function checkMapValue(visible: VisibleModel, map: MapModel): Finding[] {
  const type = map.attributes.type;
  const kptrs = kptrFieldsOf(visible, map.valueStruct);
  if (!type || kptrs.length === 0) return [];
  const findings: Finding[] = [];
  if (!KPTR_MAP_TYPES.has(type.value) && /^BPF_MAP_TYPE_\w+$/.test(type.value)) {
    findings.push({
      code: 'kptr-bad-field',
      site: at(type.span),
      related: [],
      message: `${type.value} cannot hold kptr fields, and struct ${map.valueStruct} has ${kptrs.map((f) => `\`${f.name}\``).join(', ')}: the kernel refuses the map's BTF, libbpf creates \`${map.name}\` without it, and the field is plain bytes that can never hold a reference. Use a hash, array or local storage map.`,
    });
  }
  const uptr = kptrs.find((f) => f.tag?.name === '__uptr');
  if (uptr && type.value !== 'BPF_MAP_TYPE_TASK_STORAGE' && /^BPF_MAP_TYPE_\w+$/.test(type.value)) {
    findings.push({ code: 'kptr-bad-field', site: at(type.span), related: [], message: `\`${uptr.name}\` is a __uptr, which only task storage maps accept; creating \`${map.name}\` fails.` });
  }
  return findings;
}
