import type { DocumentAnalysis } from '../analyzer';
import { functionKey } from '../engine/analyze';
import type { OwnershipResult } from '../engine/analyze';
import { baseName } from '../engine/ir';
import { readingKey, VariableAtPoint } from '../engine/marks';
import { readingsOfFunction, summarizeStatic } from '../engine/probe';
import { atLeast, formatVersion, KernelVersion } from '../knowledge/kernelVersion';
import { KFUNC_SETS, setAllowsProgramType } from '../knowledge/kfuncSets';
import { KFUNCS, lookupKfunc } from '../knowledge/kfuncTable';
import { contractAt, flagsAt, KfuncEntry, KfuncSet, signatureOf } from '../knowledge/kfuncTypes';
import { macroInfoFor, MacroInfo } from '../knowledge/macros';
import { PROGRAM_WRAPPER_BY_NAME } from '../knowledge/macroSyntax';
import { lookupSection } from '../knowledge/sections';
import { TYPE_TAG_BY_NAME, TypeTagInfo } from '../knowledge/typeTags';
import { FieldModel, FunctionModel, MapModel, Span, spanContains, StructModel } from '../model/documentModel';
import { lineIndexOf } from '../model/lineIndex';

export interface HoverResult {
  markdown: string;
  span: Span;
}

export interface HoverContext {
  kernelVersion: KernelVersion;
  /** The document's ownership result on that kernel: variable hovers read what its paths saw. */
  ownership?: OwnershipResult;
}

const KIND_WORDS: Record<TypeTagInfo['kind'], string> = {
  referenced: 'referenced kptr',
  unreferenced: 'unreferenced kptr',
  percpu: 'referenced per-CPU kptr',
  uptr: 'user-memory pointer',
};

/** The identifier under the cursor. */
function wordAt(text: string, offset: number): { word: string; span: Span } | undefined {
  let start = offset;
  let end = offset;
  while (start > 0 && /\w/.test(text[start - 1])) start--;
  while (end < text.length && /\w/.test(text[end])) end++;
  if (start === end || /^\d/.test(text.slice(start, end))) return undefined;
  return { word: text.slice(start, end), span: { start, end } };
}

export function hoverAt(analysis: DocumentAnalysis, offset: number, context: HoverContext): HoverResult | undefined {
  const { model, text } = analysis;
  const macro = model.macros.find((m) => spanContains({ start: m.span.start, end: m.span.start + m.name.length }, offset));
  if (macro) {
    const span = { start: macro.span.start, end: macro.span.start + macro.name.length };
    const tag = TYPE_TAG_BY_NAME.get(macro.name);
    if (tag) return { markdown: typeTagMarkdown(tag, analysis, macro.span, context), span };
    const info = macroInfoFor(macro.name);
    if (info) return { markdown: macroMarkdown(info, macro.name), span };
    return undefined;
  }
  const found = wordAt(text, offset);
  if (!found) return undefined;
  const { word, span } = found;
  const markdown = describeWord(analysis, word, span, context);
  return markdown ? { markdown, span } : undefined;
}

function describeWord(analysis: DocumentAnalysis, word: string, span: Span, context: HoverContext): string | undefined {
  const { model, visible } = analysis;
  const kfunc = lookupKfunc(word);
  if (kfunc) return kfuncMarkdown(kfunc, context.kernelVersion);
  const wrapper = PROGRAM_WRAPPER_BY_NAME.has(word) ? macroInfoFor(word) : undefined;
  if (wrapper) return macroMarkdown(wrapper, word);
  const map = visible.map(word);
  if (map) return mapMarkdown(map.item, analysis);
  const fn = visible.function(word);
  if (fn && !fn.item.isPrototype) {
    if (fn.item.section !== undefined) return programMarkdown(fn.item, context.kernelVersion);
    return functionMarkdown(analysis, fn.item, context.kernelVersion);
  }
  const declared = findFieldDeclaration(model.structs, span) ?? findFieldUse(analysis, word, span);
  if (declared) return fieldMarkdown(declared.struct, declared.field, context);
  const inFunction = model.functions.find((f) => f.bodySpan && span.start >= f.bodySpan.start && span.end <= f.bodySpan.end);
  if (inFunction?.ir && !isMemberName(analysis.text, span)) {
    const states = variableStates(analysis, context, inFunction, span);
    if (states && states.length > 0) return variableMarkdown(word, states, analysis, inFunction);
  }
  const global = visible.global(word);
  if (global?.item.tag) {
    const tag = TYPE_TAG_BY_NAME.get(global.item.tag.name)!;
    return `**\`${word}\`**: global \`${global.item.type.text}\`${global.item.section ? ` in section \`${global.item.section}\`` : ''}, a ${KIND_WORDS[tag.kind]}.\n\n${tag.write}`;
  }
  return undefined;
}

/**
 * What the analysis saw at this occurrence. A function no program reaches was never run, so it
 * is run on its own here, its pointer parameters taken as references its caller owns.
 */
function variableStates(analysis: DocumentAnalysis, context: HoverContext, fn: FunctionModel, span: Span): VariableAtPoint[] | undefined {
  const key = functionKey(undefined, fn);
  const place = readingKey(key, span.start - fn.span.start);
  const ownership = context.ownership;
  if (ownership) {
    const seen = ownership.readings.at(place);
    if (seen || ownership.skipped.some((s) => s.fn === key) || ownership.readings.functions().has(key)) return seen;
  }
  return readingsOfFunction(analysis.visible, context.kernelVersion, fn, ownership ?? analysis)[place];
}

function isMemberName(text: string, span: Span): boolean {
  const before = text.slice(Math.max(0, span.start - 2), span.start);
  return before.endsWith('.') || before === '->';
}

// ---- knowledge base entries ------------------------------------------------

/** The ownership contract in plain words. */
export function ownershipLine(entry: KfuncEntry, kernel: KernelVersion): string {
  const c = contractAt(entry, kernel);
  const releases = (entry.releasedBy ?? []).map((r) => `\`${r}\``);
  const releaseWords = releases.length === 0 ? 'release it' : releases.length === 1 ? `release it with ${releases[0]}` : `release it with ${releases.slice(0, -1).join(', ')} or store it with ${releases[releases.length - 1]}`;
  if (entry.name === 'bpf_kptr_xchg') {
    return 'Moves the owned reference `ptr` into the kptr field and returns the field\'s previous reference, owned by you and maybe NULL: check it, then release it or store it again.';
  }
  if (entry.acquiresIntoParam !== undefined) return `Makes its dynptr argument hold a reference, even when the reservation fails: ${releaseWords} on every path.`;
  const parts: string[] = [];
  if (c.acquires && c.releases) parts.push(`Consumes the reference it is given and returns a new owned reference${c.returnsMaybeNull ? ' that may be NULL' : ''}: ${c.returnsMaybeNull ? 'check it, then ' : ''}${releaseWords}.`);
  else if (c.acquires) parts.push(`Returns an owned reference${c.returnsMaybeNull ? ' that may be NULL: check it, then' : ':'} ${releaseWords}.`);
  else if (c.releases) parts.push('Releases the reference it is given: every copy of the pointer is dead afterwards.');
  else if (entry.consumesParams?.length) parts.push('Takes ownership of the object it is given: do not use or release it afterwards.');
  else if (entry.noReturn) parts.push('Does not return: every reference and RCU section must be closed before it.');
  else if (entry.returnStruct && entry.flags.includes('KF_RET_NULL')) parts.push('Returns a non-owning pointer that may be NULL: check it; do not release it.');
  else if (entry.returnStruct) parts.push('Returns a trusted pointer you do not own: do not release it.');
  else parts.push('Takes no ownership: the caller keeps what it passes.');
  if (c.rcuArgs) parts.push('Pointer arguments must be non-NULL and trusted or RCU-protected (a `__kptr` loaded inside an RCU section will do).');
  else if (c.trustedArgs) parts.push('Pointer arguments must be non-NULL and trusted or referenced; an RCU-protected pointer is not enough.');
  if (c.sleepable) parts.push('It may sleep: sleepable programs only, outside RCU sections.');
  return parts.join(' ');
}

function programTypesOf(set: KfuncSet, kernel: KernelVersion): string {
  const registration = KFUNC_SETS[set];
  if (registration.everywhere) return 'every program type';
  const types = ['TRACING', 'LSM', 'TRACEPOINT', 'PERF_EVENT', 'STRUCT_OPS', 'SYSCALL', 'SCHED_CLS', 'XDP', 'CGROUP_SKB', 'KPROBE'] as const;
  const allowed = types.filter((t) => setAllowsProgramType(set, t, kernel) === true);
  return allowed.length ? allowed.join(', ') : 'program types not recorded here';
}

export function kfuncMarkdown(entry: KfuncEntry, kernel: KernelVersion, withSignature = true): string {
  const lines: string[] = [];
  // Completion shows the signature in its detail line already.
  if (withSignature) lines.push('```c', signatureOf(entry), '```');
  const c = contractAt(entry, kernel);
  if (!c.available) {
    lines.push(
      `> Not available on kernel ${formatVersion(kernel)} (\`bpfKptr.kernelVersion\`): ${entry.removedIn && atLeast(kernel, entry.removedIn) ? `removed in ${formatVersion(entry.removedIn)}` : `added in ${formatVersion(entry.since)}`}.`,
      '',
    );
  }
  lines.push(`**Ownership:** ${ownershipLine(entry, kernel)}`, '');
  lines.push(entry.summary, '');
  const flags = flagsAt(entry, kernel);
  const facts = [
    `${entry.kind === 'helper' ? 'helper' : 'kfunc'}`,
    flags.length ? `flags on ${formatVersion(kernel)}: ${flags.map((f) => `\`${f}\``).join(' ')}` : undefined,
    `since ${formatVersion(entry.since)}${entry.sinceUncertain ? ' (approximately)' : ''}`,
    entry.removedIn ? `removed in ${formatVersion(entry.removedIn)}` : undefined,
    entry.kind === 'kfunc' ? `callable from: ${programTypesOf(entry.set, kernel)}` : undefined,
  ].filter(Boolean);
  lines.push(facts.join(' · '), '');
  for (const change of entry.history ?? []) lines.push(`*Before ${formatVersion(change.until)}:* ${change.flags.map((f) => `\`${f}\``).join(' ')}. ${change.note}`, '');
  lines.push('```c', entry.example, '```', '');
  lines.push(`[Kernel documentation](${entry.docUrl}) · facts from \`${entry.source}\``);
  return lines.join('\n');
}

function macroMarkdown(info: MacroInfo, written: string): string {
  return [
    '```c',
    info.usage,
    '```',
    `**\`${written}\`** expands to \`${info.expandsTo}\`.`,
    '',
    info.meaning,
    '',
    `**Ownership:** ${info.ownership}`,
    '',
    `Since ${info.sinceNote}.`,
    '',
    '```c',
    info.example,
    '```',
    '',
    `[Documentation](${info.docUrl}) · defined in \`${info.source}\``,
  ].join('\n');
}

function typeTagMarkdown(tag: TypeTagInfo, analysis: DocumentAnalysis, span: Span, context: HoverContext): string {
  const lines: string[] = [];
  lines.push(`**\`${tag.name}\`**: ${KIND_WORDS[tag.kind]} (BTF type tag \`"${tag.btfTag}"\`, kernel ${formatVersion(tag.since)}+)`);
  lines.push('');
  const onKernel = versionNote(tag, context.kernelVersion);
  if (onKernel) lines.push(`> ${onKernel}`, '');
  const target = describeTarget(analysis, span);
  if (target) lines.push(target, '');
  lines.push(tag.summary, '');
  lines.push(`**Write:** ${tag.write}`, '');
  lines.push(`**Read:** ${tag.read}`, '');
  lines.push(`**Release:** ${tag.release}`, '');
  lines.push(`**Where:** ${tag.mapTypes}`, '');
  if (tag.earlierMeaning && !atLeast(context.kernelVersion, tag.earlierMeaning.until)) lines.push(tag.earlierMeaning.note, '');
  lines.push('```c', tag.example, '```', '');
  lines.push(`[Kernel documentation](${tag.docUrl}) · facts from \`${tag.source}\``);
  return lines.join('\n');
}

function versionNote(tag: TypeTagInfo, kernel: KernelVersion): string | undefined {
  const configured = formatVersion(kernel);
  if (tag.removedIn && atLeast(kernel, tag.removedIn)) {
    return `On kernel ${configured} (your \`bpfKptr.kernelVersion\`) this tag is refused: it was replaced by \`${tag.renamedTo}\` in ${formatVersion(tag.removedIn)}.`;
  }
  if (!atLeast(kernel, tag.since)) return `Kernel ${configured} (your \`bpfKptr.kernelVersion\`) predates this tag (${formatVersion(tag.since)}).`;
  if (tag.earlierMeaning && !atLeast(kernel, tag.earlierMeaning.until)) {
    return `On kernel ${configured} this spelling means an unreferenced kptr; the meaning below applies from ${formatVersion(tag.earlierMeaning.until)}.`;
  }
  return undefined;
}

function describeTarget(analysis: DocumentAnalysis, span: Span): string | undefined {
  for (const struct of analysis.model.structs) {
    const field = struct.fields.find((f) => f.tag && f.tag.span.start === span.start);
    if (field) return `On field \`${field.name}\` of \`struct ${struct.name}\`: \`${field.type.text}\`.`;
  }
  const global = analysis.model.globals.find((g) => g.tag && g.tag.span.start === span.start);
  if (global) return `On global \`${global.name}\`${global.section ? ` in section \`${global.section}\`` : ''}: \`${global.type.text}\`.`;
  return undefined;
}

// ---- the user's own symbols --------------------------------------------------

function releaseOf(struct: string | undefined, local: boolean): string | undefined {
  if (!struct) return undefined;
  const byType = KFUNCS.find((k) => k.releasesParam === 0 && k.params[0]?.struct === struct && k.flags.includes('KF_RELEASE') && !k.flags.includes('KF_ACQUIRE'));
  return byType?.name ?? (local ? 'bpf_obj_drop' : undefined);
}

function fieldMarkdown(struct: StructModel, field: FieldModel, context: HoverContext): string {
  const tag = field.tag ? TYPE_TAG_BY_NAME.get(field.tag.name) : undefined;
  const pointee = field.type.struct;
  if (!tag) return `**\`${struct.name}.${field.name}\`**: \`${field.type.text}\``;
  const lines = [`**\`${struct.name}.${field.name}\`**: \`${field.type.text}\`, a ${KIND_WORDS[tag.kind]} (\`${tag.name}\`).`, ''];
  const note = versionNote(tag, context.kernelVersion);
  if (note) lines.push(`> ${note}`, '');
  if (tag.kind === 'referenced' || tag.kind === 'percpu') {
    const release = releaseOf(pointee, false) ?? (tag.kind === 'percpu' ? 'bpf_percpu_obj_drop' : 'bpf_obj_drop');
    lines.push(
      `**Write:** \`old = bpf_kptr_xchg(&v->${field.name}, p);\` with \`p\` an owned \`struct ${pointee ?? '...'} *\` (or NULL), then release \`old\` if it is not NULL. Never \`v->${field.name} = ...\`.`,
      '',
      `**Read:** \`p = v->${field.name};\` gives a pointer you do not own that may be NULL; inside an RCU section it can go to RCU kfuncs after a NULL check.`,
      '',
      `**Take out:** \`p = bpf_kptr_xchg(&v->${field.name}, NULL);\` then \`${release}(p)\` when it is not NULL.`,
    );
  } else {
    lines.push(tag.write, '', tag.read);
  }
  return lines.join('\n');
}

function findFieldDeclaration(structs: StructModel[], span: Span): { struct: StructModel; field: FieldModel } | undefined {
  for (const struct of structs) {
    const field = struct.fields.find((f) => f.nameSpan.start === span.start);
    if (field) return { struct, field };
  }
  return undefined;
}

function findFieldUse(analysis: DocumentAnalysis, word: string, span: Span): { struct: StructModel; field: FieldModel } | undefined {
  if (!isMemberName(analysis.text, span)) return undefined;
  const candidates = analysis.visible
    .allStructs()
    .flatMap(({ item }) => item.fields.filter((f) => f.name === word && f.tag).map((field) => ({ struct: item, field })));
  if (candidates.length <= 1) return candidates[0];
  // Several structs have a kptr field of this name: the declared type of the base decides.
  const base = /(\w+)\s*(?:->|\.)\s*$/.exec(analysis.text.slice(Math.max(0, span.start - 200), span.start))?.[1];
  const struct = base ? declaredStructOf(analysis, base, span) : undefined;
  return candidates.find((c) => c.struct.name === struct);
}

/** The struct a local or parameter named `name` of the function around `span` is declared to point to. */
function declaredStructOf(analysis: DocumentAnalysis, name: string, span: Span): string | undefined {
  const fn = analysis.model.functions.find((f) => f.bodySpan && span.start >= f.bodySpan.start && span.end <= f.bodySpan.end);
  const ir = fn?.ir;
  if (!ir) return undefined;
  const types = [
    ...ir.params.map((p) => ({ name: p.name, struct: p.type.struct })),
    ...ir.blocks.flatMap((b) => b.ops.flatMap((op) => (op.k === 'declare' ? [{ name: op.name, struct: op.type.struct }] : []))),
  ].filter((t) => baseName(t.name) === name && t.struct);
  const structs = new Set(types.map((t) => t.struct));
  return structs.size === 1 ? [...structs][0] : undefined;
}

function mapMarkdown(map: MapModel, analysis: DocumentAnalysis): string {
  const a = map.attributes;
  const lines = [`**\`${map.name}\`**: BPF map`, ''];
  const rows: Array<[string, string | undefined]> = [
    ['type', a.type?.value],
    ['key', a.key?.value],
    ['value', a.value?.value],
    ['max entries', a.max_entries?.value],
    ['flags', a.map_flags?.value],
  ];
  for (const [name, value] of rows) if (value) lines.push(`- ${name}: \`${value}\``);
  const value = analysis.visible.struct(map.valueStruct);
  const kptrs = value?.item.fields.filter((f) => f.tag) ?? [];
  if (kptrs.length) {
    lines.push('', `kptr fields in the value: ${kptrs.map((f) => `\`${f.name}\` (\`${f.tag!.name}\` to \`${f.type.struct ?? f.type.text}\`)`).join(', ')}. The map owns what they hold and releases it when an element is deleted.`);
  }
  return lines.join('\n');
}

function programMarkdown(fn: FunctionModel, kernel: KernelVersion): string {
  const info = fn.section ? lookupSection(fn.section) : undefined;
  const lines = [`**\`${fn.name}\`**: BPF program in section \`${fn.section}\`${fn.wrapper ? ` (written with \`${fn.wrapper}\`)` : ''}`, ''];
  if (!info) {
    lines.push('libbpf does not know this section name, so it cannot tell the program type.');
    return lines.join('\n');
  }
  lines.push(`- program type: \`BPF_PROG_TYPE_${info.def.programType}\` (${info.def.description}${info.target ? `, attached to \`${info.target}\`` : ''})`);
  lines.push(`- ${info.def.sleepable ? 'sleepable: loads of `__kptr` fields need bpf_rcu_read_lock()' : 'not sleepable: the whole program is an RCU read section'}`);
  lines.push(`- arguments: ${info.def.context === 'btf' ? 'typed BTF pointers, trusted (usable with kfuncs, not owned)' : 'read from the raw context'}`);
  const families: Array<[string, KfuncSet]> = [
    ['cpumask', 'cpumask'],
    ['task, cgroup, bpf_obj_new, list and rbtree', 'generic'],
    ['file (bpf_get_task_exe_file)', 'fs'],
    ['crypto context', 'crypto'],
  ];
  const may = families.filter(([, set]) => setAllowsProgramType(set, info.def.programType, kernel) === true).map(([name]) => name);
  const mayNot = families.filter(([, set]) => setAllowsProgramType(set, info.def.programType, kernel) === false).map(([name]) => name);
  lines.push(`- kptr kfuncs it may call on ${formatVersion(kernel)}: ${may.length ? may.join('; ') : 'only the common ones (bpf_rcu_read_lock...)'}${mayNot.length ? `; not: ${mayNot.join('; ')}` : ''}`);
  return lines.join('\n');
}

function functionMarkdown(analysis: DocumentAnalysis, fn: FunctionModel, kernel: KernelVersion): string | undefined {
  const isStatic = fn.isStatic || fn.attributes.includes('__hidden');
  const lines = [`**\`${fn.name}\`**: ${isStatic ? 'static function, verified inline at each call' : 'global function, verified on its own'}`];
  if (!isStatic) {
    lines.push('', 'It can use the references it is given but never take them over, and must release what it acquires before returning.');
    return lines.join('\n');
  }
  const summary = summarizeStatic(analysis.visible, kernel, fn.name);
  if (!summary) return lines.join('\n');
  for (const p of summary.params) {
    if (p.consumed === 'always') lines.push(`- takes ownership of \`${p.name}\`: releases or stores it on every path`);
    else if (p.consumed === 'sometimes') lines.push(`- takes ownership of \`${p.name}\` on some paths only: the caller must tell which from the return value`);
  }
  if (summary.returnsReference) lines.push(`- returns an owned reference (from ${summary.returnsReference.by})${summary.returnsReference.mayBeNull ? ' that may be NULL' : ''}: the caller must release or store it`);
  if (lines.length === 1) lines.push('', 'Takes and gives back no ownership.');
  return lines.join('\n');
}

function variableMarkdown(name: string, states: VariableAtPoint[], analysis: DocumentAnalysis, fn: FunctionModel): string {
  const index = lineIndexOf(analysis.text);
  const line = (span: { start: number } | undefined) => (span ? index.positionAt(fn.span.start + span.start).line + 1 : undefined);
  const describe = (s: VariableAtPoint): string => {
    if (s.value.k === 'null') return 'NULL';
    if (s.value.k !== 'obj' || !s.obj) return 'not a pointer bpf-kptr tracks';
    const o = s.obj;
    const from = o.by ? ` by ${o.by}` : o.field ? ` from \`${o.field}\`` : '';
    const at = !o.site.via && o.site.fn === functionKey(undefined, fn) ? ` on line ${line(o.site.span)}` : '';
    const nullWords = o.nullness === 'maybe' ? 'may be NULL' : o.nullness === 'null' ? 'NULL' : 'not NULL';
    if (o.life === 'released') return `released${o.releasedBy ? ` by ${o.releasedBy}` : ''}${o.releasedAt && !o.releasedAt.via ? ` on line ${line(o.releasedAt.span)}` : ''}: dead, do not use it`;
    if (o.life === 'moved') return `moved away${o.releasedBy ? ` by ${o.releasedBy}` : ''}${o.releasedAt && !o.releasedAt.via ? ` on line ${line(o.releasedAt.span)}` : ''}: no longer yours`;
    if (o.life === 'escaped') return 'handed to code bpf-kptr cannot see: no longer tracked';
    switch (o.trust) {
      case 'owned':
        return `owned, ${nullWords}: acquired${from}${at}`;
      case 'trusted':
        return `trusted, not owned (${o.id.startsWith('param:') ? 'a program argument' : `from ${o.by ?? 'the kernel'}`}), ${nullWords}`;
      case 'rcu':
        return `RCU-protected, not owned, ${nullWords}: loaded${from}${at}; valid until bpf_rcu_read_unlock`;
      case 'untrusted':
        return `untrusted, ${nullWords}${o.untrustedBecause === 'rcu-unlock' ? ': its RCU section has ended' : ''}`;
      case 'map-value':
        return `points into a map value, ${nullWords}`;
      case 'non-owning':
        return `non-owning pointer, ${nullWords}`;
      default:
        return nullWords === 'not NULL' ? 'not NULL' : nullWords;
    }
  };
  const descriptions = [...new Set(states.map(describe))];
  if (descriptions.length === 1) return `**\`${name}\`** here: ${descriptions[0]}.`;
  return [`**\`${name}\`** here depends on the path:`, ...descriptions.map((d) => `- ${d}`)].join('\n');
}

