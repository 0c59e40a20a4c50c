import type { Node, Tree } from 'web-tree-sitter';
import { PROGRAM_WRAPPER_BY_NAME } from '../knowledge/macroSyntax';
import { isKptrTag } from '../knowledge/typeTags';
import { MaskedMacro, MaskedSource, sectionName } from '../parsing/bpfMask';
import { detached } from '../parsing/detached';
import {
  DocumentModel,
  emptyModel,
  FieldModel,
  FunctionModel,
  GlobalModel,
  IncludeModel,
  KptrTag,
  MapModel,
  ParamModel,
  Span,
  StructModel,
  TypeShape,
} from './documentModel';

const PREPROCESSOR_BLOCKS = new Set(['preproc_if', 'preproc_ifdef', 'preproc_else', 'preproc_elif', 'preproc_elifdef']);
const FUNCTION_ATTRIBUTES = new Set(['__always_inline', '__weak', '__hidden', '__noinline']);
/** How deep struct definitions inside struct definitions are read. */
const MAX_STRUCT_NESTING = 64;

function spanOf(node: Node): Span {
  return { start: node.startIndex, end: node.endIndex };
}

function squash(text: string): string {
  return text.replace(/\s+/g, ' ').replace(/\s*\*\s*/g, ' *').replace(/\*\s+\*/g, '**').trim();
}

/** Macros sorted by position, with range queries. */
class MacroIndex {
  private readonly sorted: MaskedMacro[];

  constructor(macros: MaskedMacro[]) {
    this.sorted = [...macros].sort((a, b) => a.start - b.start);
  }

  within(start: number, end: number): MaskedMacro[] {
    let lo = 0;
    let hi = this.sorted.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.sorted[mid].start < start) lo = mid + 1;
      else hi = mid;
    }
    const out: MaskedMacro[] = [];
    for (let i = lo; i < this.sorted.length && this.sorted[i].start < end; i++) out.push(this.sorted[i]);
    return out;
  }
}

interface DeclaratorInfo {
  nameNode?: Node;
  pointerDepth: number;
  arrayLength?: string;
  arrayDims?: number;
  functionDeclarator?: Node;
  /** A pointer to a function: not a data pointer even if stars were written. */
  isFunctionPointer: boolean;
  initializer?: Node;
}

function unwrapDeclarator(node: Node | null): DeclaratorInfo {
  const info: DeclaratorInfo = { pointerDepth: 0, isFunctionPointer: false };
  let current = node;
  let starsAfterFunction = false;
  for (let guard = 0; current && guard < 64; guard++) {
    switch (current.type) {
      case 'init_declarator':
        info.initializer = current.childForFieldName('value') ?? undefined;
        current = current.childForFieldName('declarator');
        break;
      case 'pointer_declarator':
      case 'abstract_pointer_declarator':
        info.pointerDepth++;
        if (info.functionDeclarator) starsAfterFunction = true;
        current = current.childForFieldName('declarator');
        break;
      case 'array_declarator':
      case 'abstract_array_declarator':
        info.arrayLength = current.childForFieldName('size')?.text ?? '';
        info.arrayDims = (info.arrayDims ?? 0) + 1;
        current = current.childForFieldName('declarator');
        break;
      case 'function_declarator':
      case 'abstract_function_declarator':
        info.functionDeclarator ??= current;
        current = current.childForFieldName('declarator');
        break;
      case 'parenthesized_declarator':
      case 'abstract_parenthesized_declarator':
      case 'attributed_declarator':
        current = current.namedChildren.find((c) => c !== null && (c.type.endsWith('declarator') || c.type.endsWith('identifier'))) ?? null;
        break;
      case 'identifier':
      case 'field_identifier':
      case 'type_identifier':
        info.nameNode = current;
        current = null;
        break;
      default:
        current = null;
    }
  }
  info.isFunctionPointer = starsAfterFunction;
  return info;
}

function typeShape(typeNode: Node | null, declarator: DeclaratorInfo, owner: Node, typedefs: Record<string, TypeShape>): TypeShape {
  const isConst = owner.children.some((c) => c?.type === 'type_qualifier' && c.text === 'const');
  let base = typeNode ? squash(typeNode.text) : 'int';
  let struct: string | undefined;
  let depth = declarator.pointerDepth;
  if (typeNode && (typeNode.type === 'struct_specifier' || typeNode.type === 'union_specifier')) {
    const name = typeNode.childForFieldName('name');
    struct = name?.text;
    base = `${typeNode.type === 'struct_specifier' ? 'struct' : 'union'} ${name?.text ?? '{...}'}`;
  } else if (typeNode && typeNode.type === 'type_identifier') {
    const alias = typedefs[typeNode.text];
    if (alias?.struct) {
      struct = alias.struct;
      depth += alias.pointerDepth;
    }
  }
  if (declarator.isFunctionPointer || declarator.functionDeclarator) struct = undefined;
  const text = `${isConst ? 'const ' : ''}${base}${depth > 0 ? ' ' + '*'.repeat(depth) : ''}`;
  return { text, struct, pointerDepth: depth, isConst, arrayLength: declarator.arrayLength, arrayDims: declarator.arrayDims };
}

function tagIn(macros: MaskedMacro[]): { name: KptrTag; span: Span } | undefined {
  const tag = macros.find((m) => isKptrTag(m.name));
  return tag ? { name: tag.name as KptrTag, span: { start: tag.start, end: tag.end } } : undefined;
}

/**
 * What extraction does with function bodies while the tree is alive, so the caller can lower
 * them: `lower` returns a key naming what it lowered, and `carry` takes back a function read in
 * an earlier version (with that key) whose text did not change.
 */
export interface BodyVisitor {
  lower(fn: FunctionModel, body: Node, macros: MaskedMacro[]): string | undefined;
  carry(key: string, fn: FunctionModel): void;
}

/** What one top-level item added to the model, and where its stretch of text began then. */
interface Fragment {
  origin: number;
  /** What it was read from (ItemText), to tell apart items of the same user text. */
  masked: string;
  context: string;
  structs: StructModel[];
  typedefs: Array<[string, TypeShape]>;
  maps: MapModel[];
  functions: FunctionModel[];
  globals: GlobalModel[];
  includes: IncludeModel[];
  /** The lowering key of each function with a body, by index in `functions`. */
  bodies: Array<string | undefined>;
}

/** The declarations one top-level item added to a model. */
export type ModelPart = Pick<Fragment, 'structs' | 'typedefs' | 'maps' | 'functions' | 'globals'>;

const partsOfModel = new WeakMap<DocumentModel, readonly ModelPart[]>();

/**
 * An extracted model's declarations, top-level item by top-level item, in order. An item carried
 * over from the previous version is the same part object, with the positions it was first read at.
 */
export function modelParts(model: DocumentModel): readonly ModelPart[] | undefined {
  return partsOfModel.get(model);
}

/** Past this many characters of typedefs read so far, items are not kept for reuse (keys would grow with the file). */
const MAX_TYPEDEF_CONTEXT = 64 * 1024;

/**
 * The items of a document's previous version, by the text they were read from. An edit changes
 * one or two top-level items; the others are taken back with their spans moved, instead of being
 * read from the tree again, which costs most of a keystroke in a long file.
 */
export class ModelFragments {
  private previous = new Map<string, Fragment[]>();
  private current = new Map<string, Fragment[]>();

  /**
   * The item read from the same user text, parser text and context. Keyed by the user's text
   * alone, a slice of the document: a key built by concatenation is copied whole to be hashed,
   * which cost more than the lookup saved.
   */
  take(item: ItemText): Fragment | undefined {
    const matches = (f: Fragment) => f.context === item.context && f.masked === item.masked;
    const found = this.current.get(item.original)?.find(matches) ?? this.previous.get(item.original)?.find(matches);
    if (found) this.keep(item, found);
    return found;
  }

  keep(item: ItemText, fragment: Fragment): void {
    const same = this.current.get(item.original);
    if (!same) this.current.set(item.original, [fragment]);
    else if (!same.includes(fragment)) same.push(fragment);
  }

  /** Only the items of the version just read are kept for the next. */
  finish(): void {
    this.previous = this.current;
    this.current = new Map();
  }
}

/** What an item's reading depends on: its text as written and as parsed, and its context. */
interface ItemText {
  original: string;
  masked: string;
  /** The item's kind in the tree, whether it has errors, and the typedefs read before it. */
  context: string;
}

/**
 * Parts of reused items found to hold no span (types, attribute lists): moved, they are the same,
 * so they are shared instead of copied again on every edit. Models are never changed once made.
 */
const withoutSpans = new WeakSet<object>();

/** Moves every span in a copy of `value` by `delta`; lowered bodies are relative to their function and stay shared. */
function moved<T>(value: T, delta: number): T {
  if (delta === 0 || value === null || typeof value !== 'object' || withoutSpans.has(value)) return value;
  let changed = false;
  let result: unknown;
  if (Array.isArray(value)) {
    result = value.map((v) => {
      const m = moved(v, delta);
      if (m !== v) changed = true;
      return m;
    });
  } else {
    const source = value as Record<string, unknown>;
    if (typeof source.start === 'number' && typeof source.end === 'number' && Object.keys(source).length === 2) {
      return { start: (source.start as number) + delta, end: (source.end as number) + delta } as T;
    }
    const copy: Record<string, unknown> = {};
    for (const key of Object.keys(source)) {
      const m = key === 'ir' ? source[key] : moved(source[key], delta);
      if (m !== source[key]) changed = true;
      copy[key] = m;
    }
    result = copy;
  }
  // With a non-zero delta every span comes back new: nothing new inside means no span inside.
  if (changed) return result as T;
  withoutSpans.add(value);
  return value;
}

/** Reuse of an earlier version's items: the document's fragments and its text as the user wrote it. */
export interface Reuse {
  fragments: ModelFragments;
  original: string;
}

export function extractModel(tree: Tree, source: MaskedSource, visitBody?: BodyVisitor, reuse?: Reuse): DocumentModel {
  const model = emptyModel();
  const macros = new MacroIndex(source.macros);
  model.macros = source.macros.map((m) => ({ name: m.name, span: { start: m.start, end: m.end }, args: m.args.map((a) => a.text) }));

  // The top-level items in source order, looking inside #if blocks; iterative, since #if blocks may nest thousands deep.
  const topLevel: Node[] = [];
  const root = tree.rootNode;
  const pending: Node[] = [root];
  while (pending.length > 0) {
    const node = pending.pop()!;
    if (node.id !== root.id && !PREPROCESSOR_BLOCKS.has(node.type)) {
      topLevel.push(node);
      continue;
    }
    const children = node.namedChildren.filter((c): c is Node => c !== null);
    for (let i = children.length - 1; i >= 0; i--) pending.push(children[i]);
  }

  // Types read so far change how later items read (typedef names resolve to structs).
  let typedefContext = '';
  let bodyKeys: Array<string | undefined> = [];
  let previousEnd = 0;
  const parts: Fragment[] = [];
  for (const node of topLevel) {
    const item = reuse && typedefContext.length < MAX_TYPEDEF_CONTEXT ? itemText(node, previousEnd, typedefContext, reuse.original) : undefined;
    const known = item === undefined ? undefined : reuse!.fragments.take(item);
    const fragment = known ? replay(known, previousEnd) : readItem(node, previousEnd, item);
    if (item !== undefined && !known) reuse!.fragments.keep(item, fragment);
    parts.push(fragment);
    if (fragment.typedefs.length > 0) typedefContext += JSON.stringify(fragment.typedefs);
    previousEnd = node.endIndex;
  }
  reuse?.fragments.finish();
  collectErrors(tree.rootNode, model.syntaxErrors);
  partsOfModel.set(model, parts);
  return model;

  function itemText(node: Node, start: number, typedefs: string, original: string): ItemText {
    // The user's text and the parser's (masked) text of the item and what leads up to it
    // (SEC and other macros), the tree's view of it, and the typedefs before it.
    return {
      original: original.slice(start, node.endIndex),
      masked: source.text.slice(start, node.endIndex),
      context: `${node.type}|${node.hasError}|${typedefs}`,
    };
  }

  function replay(fragment: Fragment, at: number): Fragment {
    const delta = at - fragment.origin;
    const structs = moved(fragment.structs, delta);
    const maps = moved(fragment.maps, delta);
    const functions = moved(fragment.functions, delta);
    const globals = moved(fragment.globals, delta);
    const includes = moved(fragment.includes, delta);
    model.structs.push(...structs);
    model.maps.push(...maps);
    model.functions.push(...functions);
    model.globals.push(...globals);
    model.includes.push(...includes);
    for (const [name, shape] of fragment.typedefs) model.typedefs[name] = shape;
    functions.forEach((fn, i) => {
      const body = fragment.bodies[i];
      if (body !== undefined) visitBody?.carry(body, fn);
    });
    return fragment;
  }

  /** Reads one top-level item into the model and returns what it added. */
  function readItem(node: Node, start: number, item: ItemText | undefined): Fragment {
    const before = { structs: model.structs.length, maps: model.maps.length, functions: model.functions.length, globals: model.globals.length, includes: model.includes.length };
    const typedefs: Array<[string, TypeShape]> = [];
    bodyKeys = [];
    const leading = macros.within(start, node.startIndex);
    switch (node.type) {
      case 'function_definition':
        readFunction(node, leading, true);
        break;
      case 'declaration':
        readDeclaration(node, leading);
        break;
      case 'struct_specifier':
      case 'union_specifier':
        readStruct(node);
        break;
      case 'type_definition':
        readTypedef(node, typedefs);
        break;
      case 'preproc_include': {
        const pathNode = node.childForFieldName('path');
        if (pathNode) {
          const system = pathNode.type === 'system_lib_string';
          model.includes.push({ path: pathNode.text.slice(1, -1), span: spanOf(pathNode), system });
        }
        break;
      }
      default:
        break;
    }
    return {
      origin: start,
      // A copy: a slice would keep this version's whole text alive as long as the item is carried over.
      masked: item ? detached(item.masked) : '',
      context: item?.context ?? '',
      structs: model.structs.slice(before.structs),
      typedefs,
      maps: model.maps.slice(before.maps),
      functions: model.functions.slice(before.functions),
      globals: model.globals.slice(before.globals),
      includes: model.includes.slice(before.includes),
      bodies: bodyKeys,
    };
  }

  /** `depth` counts the structs this one is nested in: past MAX_STRUCT_NESTING the inner ones are not read (the recursion would overflow the stack). */
  function readStruct(node: Node, depth = 0): StructModel | undefined {
    const body = node.childForFieldName('body');
    if (depth > MAX_STRUCT_NESTING) return undefined;
    const nameNode = node.childForFieldName('name');
    if (!body) return undefined;
    const struct: StructModel = {
      name: nameNode?.text ?? '',
      nameSpan: nameNode ? spanOf(nameNode) : { start: node.startIndex, end: node.startIndex },
      span: spanOf(node),
      fields: [],
    };
    readFields(body, struct.fields, depth);
    if (struct.name) model.structs.push(struct);
    return struct;
  }

  function readFields(body: Node, into: FieldModel[], depth = 0): void {
    const fields = body.namedChildren.filter((c): c is Node => c?.type === 'field_declaration');
    fields.forEach((field, index) => {
      const typeNode = field.childForFieldName('type');
      // Tags are blanked, so the field's node may end before a trailing tag; look up to the next field.
      const boundary = index + 1 < fields.length ? fields[index + 1].startIndex : body.endIndex;
      const tag = tagIn(macros.within(field.startIndex, boundary));
      if (typeNode && (typeNode.type === 'struct_specifier' || typeNode.type === 'union_specifier') && typeNode.childForFieldName('body')) {
        const nested = readStruct(typeNode, depth + 1);
        if (nested && !typeNode.childForFieldName('name') && field.childrenForFieldName('declarator').length === 0) {
          into.push(...nested.fields);
          return;
        }
      }
      for (const declaratorNode of field.childrenForFieldName('declarator')) {
        if (!declaratorNode) continue;
        const info = unwrapDeclarator(declaratorNode);
        if (!info.nameNode) continue;
        into.push({
          name: info.nameNode.text,
          nameSpan: spanOf(info.nameNode),
          span: spanOf(field),
          type: typeShape(typeNode, info, field, model.typedefs),
          tag,
        });
      }
    });
  }

  function readTypedef(node: Node, added: Array<[string, TypeShape]>): void {
    const typeNode = node.childForFieldName('type');
    if (typeNode && (typeNode.type === 'struct_specifier' || typeNode.type === 'union_specifier')) readStruct(typeNode);
    for (const declaratorNode of node.childrenForFieldName('declarator')) {
      const info = unwrapDeclarator(declaratorNode);
      if (!info.nameNode) continue;
      model.typedefs[info.nameNode.text] = typeShape(typeNode, info, node, model.typedefs);
      if (typeNode?.type === 'struct_specifier' && !typeNode.childForFieldName('name') && typeNode.childForFieldName('body')) {
        // `typedef struct { ... } name_t;`: the struct is known by its typedef name.
        const struct = readAnonymousStruct(typeNode, info.nameNode.text);
        if (struct) model.typedefs[info.nameNode.text] = { ...model.typedefs[info.nameNode.text], struct: struct.name };
      }
      added.push([info.nameNode.text, model.typedefs[info.nameNode.text]]);
    }
  }

  function readAnonymousStruct(node: Node, name: string): StructModel | undefined {
    const body = node.childForFieldName('body');
    if (!body) return undefined;
    const struct: StructModel = { name, nameSpan: spanOf(node), span: spanOf(node), fields: [] };
    readFields(body, struct.fields);
    model.structs.push(struct);
    return struct;
  }

  function sectionFrom(found: MaskedMacro[]): { section?: string; partial?: boolean; privateName?: string } {
    const sec = found.find((m) => m.name === 'SEC');
    const priv = found.find((m) => m.name === 'private');
    if (sec) {
      const parsed = sectionName(sec.args[0]);
      return { section: parsed?.name, partial: parsed ? !parsed.complete : true };
    }
    if (priv) {
      const name = priv.args[0]?.text ?? '';
      // private(NAME) places the variable in its own data section (selftests' bpf_misc.h / scx's common.bpf.h).
      return { section: `.data.${name}`, privateName: name };
    }
    return {};
  }

  function readFunction(node: Node, leading: MaskedMacro[], hasBody: boolean): void {
    const declaratorNode = node.childForFieldName('declarator');
    const info = unwrapDeclarator(declaratorNode);
    const fn = info.functionDeclarator;
    if (!fn || !info.nameNode) return;
    const body = hasBody ? node.childForFieldName('body') : null;
    const headerEnd = body ? body.startIndex : node.endIndex;
    const around = [...leading, ...macros.within(node.startIndex, headerEnd)];
    const found = sectionFrom(around);
    let section = found.section;
    const partial = found.partial;
    const paramList = fn.childForFieldName('parameters');
    const paramNodes = paramList ? paramList.namedChildren.filter((c): c is Node => c?.type === 'parameter_declaration' || c?.type === 'variadic_parameter') : [];

    let name = info.nameNode.text;
    let nameSpan = spanOf(info.nameNode);
    let wrapper: string | undefined;
    let realParams = paramNodes;
    if (PROGRAM_WRAPPER_BY_NAME.has(name) && paramNodes.length > 0) {
      wrapper = name;
      const first = paramNodes[0];
      name = first.text.trim();
      nameSpan = spanOf(first);
      realParams = paramNodes.slice(1);
      const implied = PROGRAM_WRAPPER_BY_NAME.get(wrapper)?.impliedSectionPrefix;
      if (implied && section === undefined) section = implied + name;
    }

    const params: ParamModel[] = [];
    realParams.forEach((param, index) => {
      if (param.type !== 'parameter_declaration') return;
      const pInfo = unwrapDeclarator(param.childForFieldName('declarator'));
      const typeNode = param.childForFieldName('type');
      if (!pInfo.nameNode && typeNode?.type === 'primitive_type' && typeNode.text === 'void') return;
      const boundary = index + 1 < realParams.length ? realParams[index + 1].startIndex : paramList?.endIndex ?? param.endIndex;
      const argTags = macros
        .within(param.startIndex, boundary)
        .filter((m) => m.name.startsWith('__arg_'))
        .map((m) => m.name);
      params.push({
        name: pInfo.nameNode?.text ?? '',
        nameSpan: pInfo.nameNode ? spanOf(pInfo.nameNode) : spanOf(param),
        type: typeShape(typeNode, pInfo, param, model.typedefs),
        argTags,
      });
    });

    const returnInfo: DeclaratorInfo = { pointerDepth: info.pointerDepth, isFunctionPointer: false };
    const storage = node.children.filter((c): c is Node => c?.type === 'storage_class_specifier').map((c) => c.text);
    const attributes = around.filter((m) => FUNCTION_ATTRIBUTES.has(m.name)).map((m) => m.name);
    if (storage.includes('inline') || node.children.some((c) => c?.type === 'type_qualifier' && c.text === 'inline')) attributes.push('inline');

    const model_: FunctionModel = {
      name,
      nameSpan,
      span: spanOf(node),
      bodySpan: body ? spanOf(body) : undefined,
      returnType: typeShape(node.childForFieldName('type'), returnInfo, node, model.typedefs),
      params,
      isStatic: storage.includes('static'),
      attributes,
      section,
      sectionPartial: partial || undefined,
      wrapper,
      isPrototype: !hasBody,
      isKsym: around.some((m) => m.name === '__ksym'),
    };
    model.functions.push(model_);
    bodyKeys.push(body && visitBody ? visitBody.lower(model_, body, macros.within(body.startIndex, body.endIndex)) : undefined);
  }

  function readDeclaration(node: Node, leading: MaskedMacro[]): void {
    const declarators = node.childrenForFieldName('declarator').filter((d): d is Node => d !== null);
    if (declarators.some((d) => unwrapDeclarator(d).functionDeclarator && !unwrapDeclarator(d).isFunctionPointer)) {
      readFunction(node, leading, false);
      return;
    }
    const typeNode = node.childForFieldName('type');
    const inside = macros.within(node.startIndex, node.endIndex);
    const around = [...leading, ...inside];
    const { section, privateName } = sectionFrom(around);
    let mapBody: Node | null = null;
    if (typeNode && (typeNode.type === 'struct_specifier' || typeNode.type === 'union_specifier')) {
      mapBody = typeNode.childForFieldName('body');
      if (mapBody && typeNode.childForFieldName('name')) readStruct(typeNode);
    }
    const storage = node.children.filter((c): c is Node => c?.type === 'storage_class_specifier').map((c) => c.text);
    for (const declaratorNode of declarators) {
      const info = unwrapDeclarator(declaratorNode);
      if (!info.nameNode) continue;
      if (section === '.maps' && mapBody) {
        model.maps.push(readMap(info.nameNode, node, mapBody, section));
        continue;
      }
      const global: GlobalModel = {
        name: info.nameNode.text,
        nameSpan: spanOf(info.nameNode),
        span: spanOf(node),
        type: typeShape(typeNode, info, node, model.typedefs),
        tag: tagIn(around),
        section,
        privateName,
        isExtern: storage.includes('extern'),
        isKsym: around.some((m) => m.name === '__ksym'),
        isKconfig: around.some((m) => m.name === '__kconfig'),
      };
      model.globals.push(global);
    }
  }

  function readMap(nameNode: Node, node: Node, body: Node, section: string): MapModel {
    const map: MapModel = { name: nameNode.text, nameSpan: spanOf(nameNode), span: spanOf(node), section, attributes: {} };
    for (const field of macros.within(body.startIndex, body.endIndex)) {
      if (field.syntax !== 'mapField' || field.args.length < 2) continue;
      const value = field.args[1];
      map.attributes[field.args[0].text] = { value: squash(value.text), span: { start: field.start, end: field.end } };
    }
    const value = map.attributes.value?.value;
    if (value) {
      const structMatch = /^(?:const\s+)?struct\s+(\w+)$/.exec(value);
      map.valueStruct = structMatch ? structMatch[1] : model.typedefs[value]?.struct ?? (/^\w+$/.test(value) ? value : undefined);
    }
    return map;
  }
}

/** Iterative, so 5,000-deep nesting cannot overflow the stack; only subtrees that contain an error are entered. */
function collectErrors(root: Node, into: Span[]): void {
  const pending: Node[] = [root];
  while (pending.length > 0 && into.length < 200) {
    const node = pending.pop()!;
    if (node.type === 'ERROR' || node.isMissing) {
      into.push(spanOf(node));
      continue;
    }
    if (!node.hasError) continue;
    for (let i = node.childCount - 1; i >= 0; i--) {
      const child = node.child(i);
      if (child) pending.push(child);
    }
  }
}
