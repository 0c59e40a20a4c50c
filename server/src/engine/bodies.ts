import type { Node } from 'web-tree-sitter';
import type { FunctionModel } from '../model/documentModel';
import type { MaskedMacro } from '../parsing/bpfMask';
import type { FunctionIR } from './ir';
import { lowerFunction } from './lower';

type Lowered = { ir: FunctionIR } | { reason: string };

/**
 * Lowers function bodies, reusing the IR of any function whose text did
 * not change: IR spans are relative to the function, so an edit elsewhere
 * in the file costs nothing here.
 */
export class BodyLowering {
  private readonly cache = new Map<string, Lowered>();

  constructor(private readonly capacity = 4000) {}

  lower(text: string, fn: FunctionModel, body: Node, macros: MaskedMacro[]): void {
    const key = text.slice(fn.span.start, fn.span.end);
    let lowered = this.cache.get(key);
    if (lowered) {
      this.cache.delete(key);
    } else {
      lowered = this.build(fn, body, macros);
    }
    this.cache.set(key, lowered);
    if (this.cache.size > this.capacity) this.cache.delete(this.cache.keys().next().value!);
    if ('ir' in lowered) fn.ir = lowered.ir;
    else fn.irMissingReason = lowered.reason;
  }

  private build(fn: FunctionModel, body: Node, macros: MaskedMacro[]): Lowered {
    const ir = lowerFunction({
      body,
      origin: fn.span.start,
      params: fn.params.map((p) => ({ name: p.name, type: { text: p.type.text, struct: p.type.struct, pointerDepth: p.type.pointerDepth } })),
      macros,
    });
    if (ir.unsupported.length > 0) return { reason: 'the function uses constructs the engine does not model (preprocessor conditionals or unknown statements)' };
    return { ir };
  }
}
