import type { DocumentModel, FunctionModel, GlobalModel, MapModel, StructModel, TypeShape } from './documentModel';

/** A model item and the file it was declared in (undefined: the document itself). */
export interface Located<T> {
  item: T;
  file?: string;
}

/** One model's items by name (the first of each name, as a linear search would find). */
interface NameIndex {
  structs: Map<string, StructModel>;
  maps: Map<string, MapModel>;
  globals: Map<string, GlobalModel>;
  definitions: Map<string, FunctionModel>;
  prototypes: Map<string, FunctionModel>;
}

const indexes = new WeakMap<DocumentModel, NameIndex>();

function firstByName<T extends { name: string }>(items: T[], keep: (item: T) => boolean = () => true): Map<string, T> {
  const byName = new Map<string, T>();
  for (const item of items) if (keep(item) && !byName.has(item.name)) byName.set(item.name, item);
  return byName;
}

/** Models are not changed once extracted, so each is indexed once, on its first lookup. */
function indexOf(model: DocumentModel): NameIndex {
  let index = indexes.get(model);
  if (!index) {
    index = {
      structs: firstByName(model.structs),
      maps: firstByName(model.maps),
      globals: firstByName(model.globals),
      definitions: firstByName(model.functions, (f) => !f.isPrototype),
      prototypes: firstByName(model.functions, (f) => f.isPrototype),
    };
    indexes.set(model, index);
  }
  return index;
}

/**
 * What one document can see: its own declarations first, then those of the
 * local headers it includes, in include order. Lookups prefer the document.
 */
export class VisibleModel {
  /** The document, then its headers: every lookup walks them, so they are listed once. */
  private readonly layers: ReadonlyArray<{ file?: string; model: DocumentModel }>;

  constructor(
    readonly own: DocumentModel,
    readonly headers: ReadonlyArray<{ file: string; model: DocumentModel }> = [],
  ) {
    this.layers = [{ model: own }, ...headers];
  }

  struct(name: string | undefined): Located<StructModel> | undefined {
    if (!name) return undefined;
    for (const layer of this.layers) {
      const item = indexOf(layer.model).structs.get(name);
      if (item) return { item, file: layer.file };
    }
    return undefined;
  }

  typedef(name: string): TypeShape | undefined {
    for (const layer of this.layers) {
      const item = layer.model.typedefs[name];
      if (item) return item;
    }
    return undefined;
  }

  /** The struct a type names, resolving typedefs across files. */
  structOf(type: TypeShape): string | undefined {
    if (type.struct) return type.struct;
    const base = type.text.replace(/^const\s+/, '').replace(/\s*\*+$/, '');
    return this.typedef(base)?.struct;
  }

  map(name: string): Located<MapModel> | undefined {
    for (const layer of this.layers) {
      const item = indexOf(layer.model).maps.get(name);
      if (item) return { item, file: layer.file };
    }
    return undefined;
  }

  global(name: string): Located<GlobalModel> | undefined {
    for (const layer of this.layers) {
      const item = indexOf(layer.model).globals.get(name);
      if (item) return { item, file: layer.file };
    }
    return undefined;
  }

  /** A function with a body wins over a prototype of the same name. */
  function(name: string): Located<FunctionModel> | undefined {
    let prototype: Located<FunctionModel> | undefined;
    for (const layer of this.layers) {
      const index = indexOf(layer.model);
      const definition = index.definitions.get(name);
      if (definition) return { item: definition, file: layer.file };
      const declared = index.prototypes.get(name);
      if (declared) prototype ??= { item: declared, file: layer.file };
    }
    return prototype;
  }

  allMaps(): Array<Located<MapModel>> {
    return this.layers.flatMap((layer) => layer.model.maps.map((item) => ({ item, file: layer.file })));
  }

  allStructs(): Array<Located<StructModel>> {
    return this.layers.flatMap((layer) => layer.model.structs.map((item) => ({ item, file: layer.file })));
  }

  allGlobals(): Array<Located<GlobalModel>> {
    return this.layers.flatMap((layer) => layer.model.globals.map((item) => ({ item, file: layer.file })));
  }

  allFunctions(): Array<Located<FunctionModel>> {
    return this.layers.flatMap((layer) => layer.model.functions.map((item) => ({ item, file: layer.file })));
  }
}
