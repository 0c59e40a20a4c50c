import type { DocumentAnalysis } from '../analyzer';
import { spanContains, Span } from '../model/documentModel';
import { atLeast, formatVersion, KernelVersion } from '../knowledge/kernelVersion';
import { TYPE_TAG_BY_NAME, TypeTagInfo } from '../knowledge/typeTags';

export interface HoverResult {
  markdown: string;
  span: Span;
}

export interface HoverContext {
  kernelVersion: KernelVersion;
}

const KIND_WORDS: Record<TypeTagInfo['kind'], string> = {
  referenced: 'referenced kptr',
  unreferenced: 'unreferenced kptr',
  percpu: 'referenced per-CPU kptr',
  uptr: 'user-memory pointer',
};

export function hoverAt(analysis: DocumentAnalysis, offset: number, context: HoverContext): HoverResult | undefined {
  const macro = analysis.model.macros.find((m) => spanContains({ start: m.span.start, end: m.span.start + m.name.length }, offset));
  if (!macro) return undefined;
  const tag = TYPE_TAG_BY_NAME.get(macro.name);
  if (tag) return { markdown: typeTagMarkdown(tag, analysis, macro.span, context), span: { start: macro.span.start, end: macro.span.start + macro.name.length } };
  return undefined;
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
