import type { Node } from 'web-tree-sitter';
import type { FunctionModel } from '../model/documentModel';
import type { BodyVisitor } from '../model/extractModel';
import type { MaskedMacro } from '../parsing/bpfMask';
import type { FunctionIR } from './ir';
import { detached } from '../parsing/detached';
import { lowerFunction, NestingTooDeep } from './lower';

type Lowered = { ir: FunctionIR } | { reason: string };

/**
 * Everything lowering reads besides the tree: the function as the parser saw it (the same
 * text masks differently after, say, an unterminated comment), what the masked macros held,
 * and the parameter types (a typedef elsewhere in the file changes them).
 */
function loweringKey(masked: string, fn: FunctionModel, macros: MaskedMacro[]): string {
  const at = (offset: number) => offset - fn.span.start;
  const params = fn.params.map((p) => [p.name, p.type.text, p.type.struct ?? '', p.type.pointerDepth]);
  const used = macros.map((m) => [m.name, m.syntax, at(m.start), at(m.nameEnd), at(m.end), m.args.map((a) => [a.text, at(a.start), at(a.end)])]);
  // The key is kept with the body across versions: a copy, not a view into this version's text.
  return detached(`${masked.slice(fn.span.start, fn.span.end)}\u0000${JSON.stringify(params)}\u0000${JSON.stringify(used)}`);
}

/**
 * Lowers function bodies, reusing the IR of any function whose text did
 * not change: IR spans are relative to the function, so an edit elsewhere
 * in the file costs nothing here. Each owner (an open document, a header)
 * keeps the bodies of its current version only, so memory follows what is
 * open and a long editing session does not pile up old versions.
 */
export class BodyLowering {
  private readonly byOwner = new Map<string, Map<string, Lowered>>();

  /**
   * Runs `extract` with a lowering visitor for `masked` (the text the parser saw); afterwards
   * the owner keeps exactly the bodies of that version, lowered or carried over.
   */
  forOwner<T>(owner: string | undefined, masked: string, extract: (visitor: BodyVisitor) => T): T {
    const current = new Map<string, Lowered>();
    const result = extract({
      lower: (fn, body, macros) => {
        const key = loweringKey(masked, fn, macros);
        const lowered = current.get(key) ?? this.reusable(owner, key) ?? this.build(fn, body, macros);
        current.set(key, lowered);
        if ('ir' in lowered) fn.ir = lowered.ir;
        else fn.irMissingReason = lowered.reason;
        return key;
      },
      carry: (key, fn) => {
        current.set(key, fn.ir ? { ir: fn.ir } : { reason: fn.irMissingReason ?? '' });
      },
    });
    if (owner !== undefined) this.byOwner.set(owner, current);
    return result;
  }

  forget(owner: string): void {
    this.byOwner.delete(owner);
  }

  /** The owner's previous version first, then any other owner (a header open as a document). */
  private reusable(owner: string | undefined, key: string): Lowered | undefined {
    const own = owner === undefined ? undefined : this.byOwner.get(owner)?.get(key);
    if (own) return own;
    for (const entries of this.byOwner.values()) {
      const found = entries.get(key);
      if (found) return found;
    }
    return undefined;
  }

  private build(fn: FunctionModel, body: Node, macros: MaskedMacro[]): Lowered {
    let ir: FunctionIR;
    try {
      ir = lowerFunction({
        body,
        origin: fn.span.start,
        params: fn.params.map((p) => ({ name: p.name, type: { text: p.type.text, struct: p.type.struct, pointerDepth: p.type.pointerDepth } })),
        macros,
      });
    } catch (error) {
      if (error instanceof NestingTooDeep) return { reason: error.message };
      throw error;
    }
    if (ir.unsupported.length > 0) return { reason: 'the function uses constructs the engine does not model (preprocessor conditionals or unknown statements)' };
    return { ir };
  }
}
