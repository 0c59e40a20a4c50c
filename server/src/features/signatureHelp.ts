import type { SignatureHelp } from 'vscode-languageserver-types';
import type { DocumentAnalysis } from '../analyzer';
import type { KernelVersion } from '../knowledge/kernelVersion';
import { lookupKfunc } from '../knowledge/kfuncTable';
import { contractAt, KfuncEntry, ParamSpec, signatureOf, visibleParams } from '../knowledge/kfuncTypes';
import { ownershipLine } from './hover';

export const SIGNATURE_TRIGGERS = ['(', ','];

/** The innermost unclosed call around `offset`: its name and which argument the cursor is in. */
function callAround(text: string, offset: number): { name: string; argument: number } | undefined {
  let depth = 0;
  let commas = 0;
  const limit = Math.max(0, offset - 4000);
  for (let i = offset - 1; i >= limit; i--) {
    const c = text[i];
    if (c === ')' || c === ']' || c === '}') depth++;
    else if (c === '[' || c === '{') {
      if (depth === 0) return undefined;
      depth--;
    } else if (c === '(') {
      if (depth === 0) {
        const name = /([A-Za-z_]\w*)\s*$/.exec(text.slice(Math.max(0, i - 128), i))?.[1];
        return name ? { name, argument: commas } : undefined;
      }
      depth--;
    } else if (c === ',' && depth === 0) commas++;
    else if (c === ';' && depth === 0) return undefined;
  }
  return undefined;
}

function parameterNote(entry: KfuncEntry, param: ParamSpec, index: number, kernel: KernelVersion): string {
  const c = contractAt(entry, kernel);
  if (param.isType) return 'A struct type of your program: `struct name`.';
  if (entry.name === 'bpf_kptr_xchg') {
    return index === 0 ? 'The address of a referenced kptr field: `&v->field` in a map value, a global or a bpf_obj_new object.' : 'NULL, or an owned pointer of the field\'s type (checked for NULL): its reference moves into the field.';
  }
  if (!param.type.includes('*')) return `\`${param.type}\``;
  const notes: string[] = [];
  if (c.releases && entry.releasesParam === index) notes.push('Released by this call: it must be a reference you own, and is dead afterwards.');
  if (entry.consumesParams?.includes(index)) notes.push('Ownership of the object (pass `&obj->node`) moves into the collection.');
  if (entry.acquiresIntoParam === index) notes.push('Holds a reference after the call, whatever the result: submit or discard it.');
  if (param.nullable) notes.push('May be NULL.');
  else if (c.rcuArgs) notes.push('Non-NULL; trusted, referenced or RCU-protected.');
  else if (c.trustedArgs) notes.push('Non-NULL; trusted or referenced (RCU-protected is not enough).');
  if (param.struct) notes.push(`Points to \`struct ${param.struct}\`.`);
  return notes.join(' ');
}

export function signatureHelpAt(analysis: DocumentAnalysis, offset: number, kernel: KernelVersion): SignatureHelp | undefined {
  const call = callAround(analysis.text, offset);
  const entry = call && lookupKfunc(call.name);
  if (!call || !entry) return undefined;
  const label = signatureOf(entry);
  const params = visibleParams(entry);
  const open = label.indexOf('(') + 1;
  let cursor = open;
  const parameters = params.map((p, i) => {
    const text = p.isType ? p.name : `${p.type}${p.type.endsWith('*') ? '' : ' '}${p.name}`;
    const start = label.indexOf(text, cursor);
    cursor = start + text.length;
    return { label: [start, start + text.length] as [number, number], documentation: { kind: 'markdown' as const, value: parameterNote(entry, p, i, kernel) } };
  });
  return {
    signatures: [{ label, documentation: { kind: 'markdown', value: ownershipLine(entry, kernel) }, parameters }],
    activeSignature: 0,
    activeParameter: Math.min(call.argument, Math.max(0, params.length - 1)),
  };
}
