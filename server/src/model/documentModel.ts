import type { FunctionIR } from '../engine/ir';

/**
 * The BPF view of one C file, as plain data: no syntax-tree node survives
 * the extraction, so models can be cached, compared and sent anywhere.
 * Spans are UTF-16 offsets into the file's own text.
 */

export interface Span {
  start: number;
  end: number;
}

export type KptrTag = '__kptr' | '__kptr_untrusted' | '__kptr_ref' | '__percpu_kptr' | '__uptr';

export interface TypeShape {
  /** The declared type as written, macros removed, pointer stars included. */
  text: string;
  /** The struct a pointer points to, or the struct itself, typedefs resolved where visible. */
  struct?: string;
  pointerDepth: number;
  isConst: boolean;
  arrayLength?: string;
  /** How many array dimensions the declarator has (`m[2][3]`: 2). */
  arrayDims?: number;
}

export interface FieldModel {
  name: string;
  nameSpan: Span;
  span: Span;
  type: TypeShape;
  tag?: { name: KptrTag; span: Span };
}

export interface StructModel {
  name: string;
  nameSpan: Span;
  span: Span;
  fields: FieldModel[];
}

export interface MapAttribute {
  value: string;
  span: Span;
}

export interface MapModel {
  name: string;
  nameSpan: Span;
  span: Span;
  section: string;
  /** `type`, `key`, `value`, `max_entries`, `map_flags`... as written in __uint/__type/__array. */
  attributes: Record<string, MapAttribute>;
  /** The struct named by `__type(value, ...)`, typedefs resolved where visible. */
  valueStruct?: string;
}

export interface ParamModel {
  name: string;
  nameSpan: Span;
  type: TypeShape;
  /** `__arg_trusted`, `__arg_nullable`... written after the parameter. */
  argTags: string[];
}

export interface FunctionModel {
  name: string;
  nameSpan: Span;
  span: Span;
  bodySpan?: Span;
  returnType: TypeShape;
  params: ParamModel[];
  isStatic: boolean;
  /** `__always_inline`, `__weak`, `__hidden`, `__noinline`, `inline`. */
  attributes: string[];
  section?: string;
  /** The section string was built from macros we could not read. */
  sectionPartial?: boolean;
  /** BPF_PROG, BPF_STRUCT_OPS... when the function is written through a wrapper macro. */
  wrapper?: string;
  /** A declaration without a body (a prototype or a __ksym kfunc). */
  isPrototype: boolean;
  isKsym: boolean;
  /** The body as the ownership engine reads it (spans relative to `span.start`). */
  ir?: FunctionIR;
  /** Why a function with a body has no IR: the engine then says nothing about it. */
  irMissingReason?: string;
}

export interface GlobalModel {
  name: string;
  nameSpan: Span;
  span: Span;
  type: TypeShape;
  tag?: { name: KptrTag; span: Span };
  section?: string;
  /** The NAME of `private(NAME)`. */
  privateName?: string;
  isExtern: boolean;
  isKsym: boolean;
  isKconfig: boolean;
}

export interface IncludeModel {
  path: string;
  span: Span;
  system: boolean;
}

/** A BPF macro as written in the file, for hover and highlighting. */
export interface MacroUse {
  name: string;
  span: Span;
  args: string[];
}

export interface DocumentModel {
  structs: StructModel[];
  typedefs: Record<string, TypeShape>;
  maps: MapModel[];
  functions: FunctionModel[];
  globals: GlobalModel[];
  includes: IncludeModel[];
  macros: MacroUse[];
  /** Syntax errors the parser recovered from, as spans. */
  syntaxErrors: Span[];
}

export function emptyModel(): DocumentModel {
  return { structs: [], typedefs: {}, maps: [], functions: [], globals: [], includes: [], macros: [], syntaxErrors: [] };
}

export function spanContains(span: Span, offset: number): boolean {
  return offset >= span.start && offset <= span.end;
}
