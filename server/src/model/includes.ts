import * as fs from 'fs';
import * as path from 'path';
import type { DocumentModel } from './documentModel';

/** Headers that are never parsed: generated kernel type dumps are megabytes of types we do not need. */
const NEVER_PARSED = /(^|[\\/])vmlinux[^\\/]*\.h$/;

export interface HeaderSource {
  /** The text of an open editor buffer, which wins over the file on disk. */
  openText(file: string): { text: string; version: number } | undefined;
}

export interface IncludeOptions {
  includePaths: readonly string[];
  maxFileChars: number;
  maxDepth: number;
}

interface CachedHeader {
  stamp: string;
  model: DocumentModel;
  text: string;
}

/**
 * Resolves quoted includes the way a compiler does (the including file's
 * directory first, then the include paths) and keeps one model per header,
 * rebuilt only when the file or its open buffer changes.
 */
export class HeaderModels {
  private readonly cache = new Map<string, CachedHeader>();

  constructor(
    private readonly buildModel: (text: string, file: string) => DocumentModel,
    private readonly source: HeaderSource,
  ) {}

  /** `"x.h"` is searched beside the including file first, `<x.h>` only in the include paths (never the system's). */
  resolve(includePath: string, fromFile: string, options: IncludeOptions, system = false): string | undefined {
    if (NEVER_PARSED.test(includePath)) return undefined;
    const dirs = system ? [...options.includePaths] : [path.dirname(fromFile), ...options.includePaths];
    const candidates = dirs.map((dir) => path.resolve(dir, includePath));
    // Most candidates do not exist: asked without an exception, which would cost a stack trace each.
    return candidates.find((candidate) => {
      try {
        return this.source.openText(candidate) !== undefined || fs.statSync(candidate, { throwIfNoEntry: false })?.isFile() === true;
      } catch {
        return false;
      }
    });
  }

  /** The models of every header `model` includes, transitively, each once, in include order. */
  visibleHeaders(file: string, model: DocumentModel, options: IncludeOptions): Array<{ file: string; model: DocumentModel }> {
    const seen = new Set<string>([path.resolve(file)]);
    const out: Array<{ file: string; model: DocumentModel }> = [];
    const visit = (from: string, current: DocumentModel, depth: number) => {
      if (depth > options.maxDepth) return;
      for (const include of current.includes) {
        const resolved = this.resolve(include.path, from, options, include.system);
        if (!resolved || seen.has(resolved)) continue;
        seen.add(resolved);
        const header = this.load(resolved, options);
        if (!header) continue;
        out.push({ file: resolved, model: header });
        visit(resolved, header, depth + 1);
      }
    };
    visit(file, model, 1);
    return out;
  }

  private load(file: string, options: IncludeOptions): DocumentModel | undefined {
    let text: string;
    let stamp: string;
    const open = this.source.openText(file);
    if (open) {
      stamp = `open:${open.version}:${open.text.length}`;
      text = open.text;
    } else {
      let stat: fs.Stats;
      try {
        stat = fs.statSync(file);
      } catch {
        return undefined;
      }
      if (stat.size > options.maxFileChars * 2) return undefined;
      stamp = `disk:${stat.mtimeMs}:${stat.size}`;
      const cached = this.cache.get(file);
      if (cached?.stamp === stamp) return cached.model;
      try {
        text = fs.readFileSync(file, 'utf8');
      } catch {
        return undefined;
      }
    }
    const cached = this.cache.get(file);
    // An open buffer is compared by its text too: a client may reuse a version number.
    if (cached?.stamp === stamp && (!open || cached.text === text)) return cached.model;
    if (text.length > options.maxFileChars) return undefined;
    const model = this.buildModel(text, file);
    this.cache.set(file, { stamp, model, text });
    return model;
  }

  /** The text a header's model was built from. */
  textOf(file: string): string | undefined {
    return this.source.openText(file)?.text ?? this.cache.get(file)?.text;
  }

  forget(file: string): void {
    this.cache.delete(file);
  }
}
