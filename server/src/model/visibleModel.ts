import type { DocumentModel, FunctionModel, GlobalModel, MapModel, StructModel, TypeShape } from './documentModel';

/** A model item and the file it was declared in (undefined: the document itself). */
export interface Located<T> {
  item: T;
  file?: string;
}

/**
 * What one document can see: its own declarations first, then those of the
 * local headers it includes, in include order. Lookups prefer the document.
 */
export class VisibleModel {
  constructor(
    readonly own: DocumentModel,
    readonly headers: ReadonlyArray<{ file: string; model: DocumentModel }> = [],
  ) {}

  private *layers(): Generator<{ file?: string; model: DocumentModel }> {
    yield { model: this.own };
    yield* this.headers;
  }

  struct(name: string | undefined): Located<StructModel> | undefined {
    if (!name) return undefined;
    for (const layer of this.layers()) {
      const item = layer.model.structs.find((s) => s.name === name);
      if (item) return { item, file: layer.file };
    }
    return undefined;
  }

  typedef(name: string): TypeShape | undefined {
    for (const layer of this.layers()) {
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
    for (const layer of this.layers()) {
      const item = layer.model.maps.find((m) => m.name === name);
      if (item) return { item, file: layer.file };
    }
    return undefined;
  }

  global(name: string): Located<GlobalModel> | undefined {
    for (const layer of this.layers()) {
      const item = layer.model.globals.find((g) => g.name === name);
      if (item) return { item, file: layer.file };
    }
    return undefined;
  }

  /** A function with a body wins over a prototype of the same name. */
  function(name: string): Located<FunctionModel> | undefined {
    let prototype: Located<FunctionModel> | undefined;
    for (const layer of this.layers()) {
      for (const item of layer.model.functions) {
        if (item.name !== name) continue;
        if (!item.isPrototype) return { item, file: layer.file };
        prototype ??= { item, file: layer.file };
      }
    }
    return prototype;
  }

  allMaps(): Array<Located<MapModel>> {
    return [...this.layers()].flatMap((layer) => layer.model.maps.map((item) => ({ item, file: layer.file })));
  }

  allStructs(): Array<Located<StructModel>> {
    return [...this.layers()].flatMap((layer) => layer.model.structs.map((item) => ({ item, file: layer.file })));
  }

  allGlobals(): Array<Located<GlobalModel>> {
    return [...this.layers()].flatMap((layer) => layer.model.globals.map((item) => ({ item, file: layer.file })));
  }

  allFunctions(): Array<Located<FunctionModel>> {
    return [...this.layers()].flatMap((layer) => layer.model.functions.map((item) => ({ item, file: layer.file })));
  }
}
