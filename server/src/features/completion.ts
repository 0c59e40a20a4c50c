import type { CompletionItem, MarkupContent } from 'vscode-languageserver-types';
import type { DocumentAnalysis } from '../analyzer';
import { atLeast, formatVersion, KernelVersion, tryParseKernelVersion } from '../knowledge/kernelVersion';
import { KFUNCS, lookupKfunc } from '../knowledge/kfuncTable';
import { contractAt, KfuncEntry, signatureOf, visibleParams } from '../knowledge/kfuncTypes';
import { MACROS } from '../knowledge/macros';
import { PROGRAM_WRAPPERS } from '../knowledge/macroSyntax';
import { SECTION_DEFS } from '../knowledge/sections';
import { TYPE_TAGS } from '../knowledge/typeTags';
import type { Span } from '../model/documentModel';
import { kfuncMarkdown } from './hover';

export const COMPLETION_TRIGGERS = ['"', '&', '('];

/** LSP CompletionItemKind values used here. */
const KIND = { function: 3, field: 5, keyword: 14, snippet: 15, value: 12, constant: 21 } as const;

export interface CompletionContext {
  kernelVersion: KernelVersion;
  /** The client expands snippets (`completionItem.snippetSupport`); otherwise items insert their plain name. */
  snippets: boolean;
}

export interface CompletionResult {
  items: CompletionItem[];
  /** The span the items replace. */
  replace: Span;
}

function markdown(value: string): MarkupContent {
  return { kind: 'markdown', value };
}

/** `bpf_cpumask_set_cpu(${1:cpu}, ${2:cpumask})`: the call with its parameters as tab stops. */
export function callSnippet(entry: KfuncEntry): string {
  const params = visibleParams(entry);
  const body = params.map((p, i) => `\${${i + 1}:${p.isType ? 'struct type' : p.name}}`).join(', ');
  return `${entry.name}(${body})`;
}

/**
 * Completion where bpf-kptr knows more than a C tool: kfunc and helper names
 * (with their contract), kptr tags in a field type, section names inside
 * SEC("..."), and the kptr fields in reach as bpf_kptr_xchg's destination.
 * Elsewhere it offers nothing: plain C identifiers are clangd's job.
 */
export function completionsAt(analysis: DocumentAnalysis, offset: number, context: CompletionContext): CompletionResult | undefined {
  const result = completionsFor(analysis, offset, context);
  if (!result || context.snippets) return result;
  // Tab-stop syntax would land in the buffer as text in an editor that cannot expand it.
  return { ...result, items: result.items.map((item) => (item.insertTextFormat === 2 ? { ...item, insertText: undefined, insertTextFormat: 1 } : item)) };
}

function completionsFor(analysis: DocumentAnalysis, offset: number, context: CompletionContext): CompletionResult | undefined {
  const text = analysis.text;
  const lineStart = text.lastIndexOf('\n', offset - 1) + 1;
  const before = text.slice(lineStart, offset);

  const section = /\bSEC\(\s*"([^"]*)$/.exec(before);
  if (section) return sectionItems(section[1], offset);

  const xchg = /\bbpf_kptr_xchg\(\s*(&?[\w>.\-]*)$/.exec(before);
  if (xchg) return kptrFieldItems(analysis, offset, xchg[1]);

  const word = /[A-Za-z_]\w*$/.exec(before)?.[0] ?? '';
  const replace = { start: offset - word.length, end: offset };
  if (insideStructBody(analysis, offset) && /^\s*(?:const\s+)?struct\s+\w+\s+\w*$/.test(before)) {
    return { items: tagItems(context.kernelVersion, 'field'), replace };
  }
  if (!/^(bpf_|__|BPF_)/.test(word)) return undefined;
  const boosted = releasesForAcquiredSoFar(analysis, offset);
  const items: CompletionItem[] = [...kfuncItems(context.kernelVersion, boosted), ...tagItems(context.kernelVersion, 'any'), ...macroItems()];
  return { items: items.filter((i) => i.label.startsWith(word.slice(0, 2))), replace };
}

/**
 * What a kfunc item carries instead of its documentation: a list of every kfunc with its page
 * was 77 KB per request; the client asks for the page of the item it shows (completionItem/resolve).
 */
interface KfuncItemData {
  kfunc: string;
  kernel: string;
}

/** Adds the documentation a completion item left out of the list; other items come back as they are. */
export function resolveCompletionItem(item: CompletionItem): CompletionItem {
  const data = item.data as Partial<KfuncItemData> | undefined;
  const entry = typeof data?.kfunc === 'string' ? lookupKfunc(data.kfunc) : undefined;
  const kernel = typeof data?.kernel === 'string' ? tryParseKernelVersion(data.kernel) : undefined;
  if (!entry || !kernel || item.documentation) return item;
  return { ...item, documentation: markdown(kfuncMarkdown(entry, kernel, false)) };
}

function kfuncItems(kernel: KernelVersion, boosted: Set<string>): CompletionItem[] {
  return KFUNCS.map((entry) => {
    const contract = contractAt(entry, kernel);
    const removed = entry.removedIn && atLeast(kernel, entry.removedIn);
    const tooNew = !atLeast(kernel, entry.since);
    const availability = removed ? ` (removed in ${formatVersion(entry.removedIn!)})` : tooNew ? ` (kernel ${formatVersion(entry.since)}+, newer than ${formatVersion(kernel)})` : '';
    return {
      label: entry.name,
      kind: KIND.function,
      detail: `${signatureOf(entry)}${availability}`,
      data: { kfunc: entry.name, kernel: formatVersion(kernel) } satisfies KfuncItemData,
      insertText: callSnippet(entry),
      insertTextFormat: 2,
      sortText: `${boosted.has(entry.name) ? '0' : contract.available ? '1' : '9'}_${entry.name}`,
      preselect: boosted.has(entry.name) || undefined,
      tags: removed ? [1] : undefined,
    };
  });
}

function tagItems(kernel: KernelVersion, where: 'field' | 'any'): CompletionItem[] {
  return TYPE_TAGS.map((tag) => {
    const refused = tag.removedIn && atLeast(kernel, tag.removedIn);
    return {
      label: tag.name,
      kind: KIND.keyword,
      detail: `kptr type tag: ${tag.kind}${refused ? ` (refused since ${formatVersion(tag.removedIn!)})` : ''}`,
      documentation: markdown(`${tag.summary}\n\n**Write:** ${tag.write}`),
      sortText: `${refused ? '9' : where === 'field' && tag.name === '__kptr' ? '0' : '1'}_${tag.name}`,
      tags: refused ? [1] : undefined,
    };
  });
}

function macroItems(): CompletionItem[] {
  const fromTable = MACROS.filter((m) => m.name.startsWith('__') || m.name.startsWith('BPF_')).map((m) => ({
    label: m.name,
    kind: KIND.keyword,
    detail: m.usage,
    documentation: markdown(`${m.meaning}\n\n**Ownership:** ${m.ownership}`),
    sortText: `2_${m.name}`,
  }));
  const wrappers = PROGRAM_WRAPPERS.filter((w) => !fromTable.some((m) => m.label === w.name)).map((w) => ({
    label: w.name,
    kind: KIND.snippet,
    detail: `${w.name}(name, args...)`,
    insertText: `${w.name}(\${1:name}\${2:, args})`,
    insertTextFormat: 2 as const,
    sortText: `2_${w.name}`,
  }));
  return [...fromTable, ...wrappers];
}

function sectionItems(typed: string, offset: number): CompletionResult {
  const items: CompletionItem[] = SECTION_DEFS.map((def) => ({
    label: def.takesSuffix && !def.prefix.endsWith('/') ? `${def.prefix}/` : def.prefix,
    kind: KIND.value,
    detail: `BPF_PROG_TYPE_${def.programType}${def.sleepable ? ', sleepable' : ''}`,
    documentation: markdown(`${def.description}: libbpf makes a ${def.programType} program of it.${def.takesSuffix ? ' Append the attach target after the slash.' : ''}`),
    sortText: def.prefix,
  }));
  for (const special of [
    ['.maps', 'map definitions'],
    ['license', 'the license string'],
  ]) {
    items.push({ label: special[0], kind: KIND.constant, detail: special[1] });
  }
  return { items, replace: { start: offset - typed.length, end: offset } };
}

interface PointerInScope {
  name: string;
  struct: string;
  viaDot: boolean;
}

/**
 * The text of the function body before `offset`. While a line is half typed the parser may not
 * see the function at all; then the body is taken from the last line that opens a block at its start.
 */
function bodyBefore(analysis: DocumentAnalysis, offset: number): { text: string; fn?: DocumentAnalysis['model']['functions'][number] } {
  const fn = analysis.model.functions.find((f) => f.bodySpan && offset >= f.bodySpan.start && offset <= f.bodySpan.end);
  if (fn) return { text: analysis.text.slice(fn.bodySpan!.start, offset), fn };
  const open = analysis.text.lastIndexOf('\n{', offset);
  return { text: open >= 0 ? analysis.text.slice(open + 1, offset) : '' };
}

/** The pointers (and struct variables) declared before `offset` in its function, with their struct type. */
function pointersInScope(analysis: DocumentAnalysis, offset: number): PointerInScope[] {
  const found: PointerInScope[] = [];
  const { text: body, fn } = bodyBefore(analysis, offset);
  for (const p of fn?.params ?? []) if (p.type.struct && p.type.pointerDepth === 1) found.push({ name: p.name, struct: p.type.struct, viaDot: false });
  const declaration = /\bstruct\s+(\w+)\s+((?:\*?\s*\w+\s*(?:=[^,;]*)?,\s*)*\*?\s*\w+)\s*(?:=[^;]*)?;/g;
  for (let m = declaration.exec(body); m; m = declaration.exec(body)) {
    for (const part of m[2].split(',')) {
      const one = /^\s*(\*?)\s*(\w+)/.exec(part);
      if (one) found.push({ name: one[2], struct: m[1], viaDot: one[1] === '' });
    }
  }
  return found;
}

function kptrFieldItems(analysis: DocumentAnalysis, offset: number, typed: string): CompletionResult {
  const items: CompletionItem[] = [];
  const referenced = (tag?: string) => tag === '__kptr' || tag === '__percpu_kptr' || tag === '__kptr_ref';
  for (const pointer of pointersInScope(analysis, offset)) {
    const struct = analysis.visible.struct(analysis.visible.typedef(pointer.struct)?.struct ?? pointer.struct);
    for (const field of struct?.item.fields ?? []) {
      if (!referenced(field.tag?.name)) continue;
      const label = `&${pointer.name}${pointer.viaDot ? '.' : '->'}${field.name}`;
      items.push({
        label,
        kind: KIND.field,
        detail: `${field.tag!.name} ${field.type.text}`,
        documentation: markdown(`The \`${field.name}\` field of \`struct ${struct!.item.name}\`, a referenced kptr: exchanging moves your reference in and hands the old one back.`),
        sortText: `0_${label}`,
      });
    }
  }
  for (const { item } of analysis.visible.allGlobals()) {
    if (!referenced(item.tag?.name)) continue;
    items.push({ label: `&${item.name}`, kind: KIND.field, detail: `${item.tag!.name} ${item.type.text} (global)`, sortText: `1_${item.name}` });
  }
  return { items, replace: { start: offset - typed.length, end: offset } };
}

function insideStructBody(analysis: DocumentAnalysis, offset: number): boolean {
  return analysis.model.structs.some((s) => offset > s.span.start && offset < s.span.end) || /\bstruct\s+\w*\s*\{[^{}]*$/.test(analysis.text.slice(Math.max(0, offset - 2000), offset));
}

/** Release functions matching the acquires earlier in the same function: they come first in the list. */
function releasesForAcquiredSoFar(analysis: DocumentAnalysis, offset: number): Set<string> {
  const boosted = new Set<string>();
  const body = bodyBefore(analysis, offset).text;
  for (const m of body.matchAll(/\b(bpf_\w+)\s*\(/g)) {
    const entry = lookupKfunc(m[1]);
    if (!entry) continue;
    for (const release of entry.releasedBy ?? []) if (release !== 'bpf_kptr_xchg') boosted.add(release);
  }
  return boosted;
}
