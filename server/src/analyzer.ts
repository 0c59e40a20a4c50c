import type { Tree } from 'web-tree-sitter';
import { CParser, defaultWasmLocation, WasmLocation } from './parsing/cParser';
import { ParsedSource } from './parsing/parsedSource';
import { DocumentModel, emptyModel } from './model/documentModel';
import { extractModel, ModelFragments } from './model/extractModel';
import { HeaderModels, IncludeOptions } from './model/includes';
import { VisibleModel } from './model/visibleModel';
import { BodyLowering } from './engine/bodies';
import { analyzeOwnership, OwnershipResult, RootResult } from './engine/analyze';
import type { KernelVersion } from './knowledge/kernelVersion';

/** Files larger than this are not analysed; the limit is documented in the README. */
export const DEFAULT_MAX_FILE_CHARS = 4 * 1024 * 1024;

export interface AnalyzerSettings {
  includePaths: string[];
  maxFileChars: number;
  /** Keep what editors show beside the findings (marks, variable readings); the CLI turns it off. */
  editorData: boolean;
}

export const DEFAULT_ANALYZER_SETTINGS: AnalyzerSettings = {
  includePaths: [],
  maxFileChars: DEFAULT_MAX_FILE_CHARS,
  editorData: true,
};

export type SkipReason = 'too-large' | 'parse-timeout';

/** The analysis of one document at one version: plain data only. */
export interface DocumentAnalysis {
  file: string;
  version: number;
  text: string;
  model: DocumentModel;
  visible: VisibleModel;
  skipped?: SkipReason;
}

/** Ownership results are computed on demand and kept per kernel version. */
export interface OwnershipAnalysis extends OwnershipResult {
  kernel: KernelVersion;
  /** Milliseconds the engine took. */
  elapsedMs: number;
}

interface OpenDocument {
  version: number;
  text: string;
  /** Include paths from the document's project (.bpf-kptr.json); undefined: the analyzer's. */
  includePaths?: string[];
  parsed: ParsedSource;
  /** Set while the document rests: the headers its last analysis included. */
  restingHeaders?: readonly string[];
  analysis?: DocumentAnalysis;
  ownership?: OwnershipAnalysis;
  /** Per-program results kept across edits: only programs whose code changed are analysed again. */
  programResults: Map<string, RootResult>;
  /** The model's items kept across edits: only items whose text changed are read from the tree again. */
  fragments: ModelFragments;
}

/**
 * The analysis library's entry point: documents go in as text, models and
 * findings come out. No LSP or VS Code in here; the server, the CLI and the
 * tests drive it the same way.
 */
export class Analyzer {
  private readonly documents = new Map<string, OpenDocument>();
  private readonly headers: HeaderModels;
  private readonly bodies = new BodyLowering();
  private settings: AnalyzerSettings = { ...DEFAULT_ANALYZER_SETTINGS };

  private constructor(private readonly parser: CParser) {
    this.headers = new HeaderModels((text, file) => this.modelOfText(text, `header:${file}`), {
      openText: (file) => {
        const doc = this.documents.get(file);
        return doc ? { text: doc.text, version: doc.version } : undefined;
      },
    });
  }

  static async create(location: WasmLocation = defaultWasmLocation()): Promise<Analyzer> {
    return new Analyzer(await CParser.create(location));
  }

  configure(settings: Partial<AnalyzerSettings>): void {
    this.settings = { ...this.settings, ...settings };
    for (const doc of this.documents.values()) {
      doc.analysis = undefined;
      doc.ownership = undefined;
    }
  }

  get currentSettings(): Readonly<AnalyzerSettings> {
    return this.settings;
  }

  /** Opens or updates a document and analyses it; `file` is a path (for include resolution) or any unique key. */
  update(file: string, text: string, version = 0, includePaths?: string[]): DocumentAnalysis {
    const doc = this.record(file, text, version, includePaths, 'update');
    return this.analysisOf(file, doc);
  }

  /** Opens or updates a document without analysing it yet: the first `get`, `ownership` or `update` does. */
  open(file: string, text: string, version = 0, includePaths?: string[]): void {
    this.record(file, text, version, includePaths, 'open');
  }

  private record(file: string, text: string, version: number, includePaths: string[] | undefined, caller: string): OpenDocument {
    if (typeof text !== 'string') throw new TypeError(`Analyzer.${caller}(${file}): the text is ${typeof text}, not a string`);
    let doc = this.documents.get(file);
    if (!doc) {
      doc = { version, text, parsed: new ParsedSource(this.parser), programResults: new Map(), fragments: new ModelFragments() };
      this.documents.set(file, doc);
    }
    if (doc.analysis && doc.version === version && doc.text === text && JSON.stringify(doc.includePaths) === JSON.stringify(includePaths)) {
      this.refreshHeaders(file, doc, doc.analysis);
      return doc;
    }
    doc.version = version;
    doc.text = text;
    doc.includePaths = includePaths;
    doc.analysis = undefined;
    doc.ownership = undefined;
    return doc;
  }

  get(file: string): DocumentAnalysis | undefined {
    const doc = this.documents.get(file);
    return doc ? this.analysisOf(file, doc) : undefined;
  }

  close(file: string): void {
    const doc = this.documents.get(file);
    doc?.parsed.dispose();
    this.documents.delete(file);
    this.headers.forget(file);
    this.bodies.forget(`doc:${file}`);
    this.bodies.forget(`header:${file}`);
  }

  /**
   * Lets an open document give up its tree, model and findings until it is used again: the next
   * `get`, `ownership` or `update` analyses it from its text. An editor keeps many files open but
   * works in a few, and each analysed file costs memory that a resting one does not.
   */
  rest(file: string): void {
    const doc = this.documents.get(file);
    // Not analysed since its last change: its analysis is due anyway (and its headers unknown).
    if (!doc?.analysis) return;
    doc.restingHeaders = doc.analysis.visible.headers.map((h) => h.file);
    doc.parsed.dispose();
    doc.parsed = new ParsedSource(this.parser);
    doc.analysis = undefined;
    doc.ownership = undefined;
    doc.programResults = new Map();
    doc.fragments = new ModelFragments();
    this.bodies.forget(`doc:${file}`);
  }

  isResting(file: string): boolean {
    return this.documents.get(file)?.restingHeaders !== undefined;
  }

  /** The version of an open document, without analysing it. */
  versionOf(file: string): number | undefined {
    return this.documents.get(file)?.version;
  }

  /** The headers an open document includes, as of its last analysis (a resting one is not woken). */
  includedHeaders(file: string): readonly string[] {
    const doc = this.documents.get(file);
    if (!doc) return [];
    return doc.restingHeaders ?? this.analysisOf(file, doc).visible.headers.map((h) => h.file);
  }

  openFiles(): string[] {
    return [...this.documents.keys()];
  }

  dispose(): void {
    for (const file of this.openFiles()) this.close(file);
  }

  private includeOptions(doc?: OpenDocument): IncludeOptions {
    return { includePaths: doc?.includePaths ?? this.settings.includePaths, maxFileChars: this.settings.maxFileChars, maxDepth: 16 };
  }

  /**
   * The document did not change, but a header it includes may have (edited in the editor,
   * closed, saved): then its declarations are taken again and its findings recomputed.
   */
  private refreshHeaders(file: string, doc: OpenDocument, analysis: DocumentAnalysis): void {
    if (analysis.skipped) return;
    const before = analysis.visible.headers;
    const now = this.headers.visibleHeaders(file, analysis.model, this.includeOptions(doc));
    if (now.length === before.length && now.every((h, i) => h.file === before[i].file && h.model === before[i].model)) return;
    doc.analysis = { ...analysis, visible: new VisibleModel(analysis.model, now) };
    doc.ownership = undefined;
  }

  private analysisOf(file: string, doc: OpenDocument): DocumentAnalysis {
    if (doc.analysis) return doc.analysis;
    let model: DocumentModel;
    let skipped: SkipReason | undefined;
    if (doc.text.length > this.settings.maxFileChars) {
      doc.parsed.dispose();
      this.bodies.forget(`doc:${file}`);
      model = emptyModel();
      skipped = 'too-large';
    } else {
      const tree = doc.parsed.update(doc.text);
      if (tree) {
        const reuse = { fragments: doc.fragments, original: doc.text };
        model = this.bodies.forOwner(`doc:${file}`, doc.parsed.source.text, (visitor) => extractModel(tree, doc.parsed.source, visitor, reuse));
      } else {
        this.bodies.forget(`doc:${file}`);
        model = emptyModel();
        skipped = 'parse-timeout';
      }
    }
    const headers = skipped ? [] : this.headers.visibleHeaders(file, model, this.includeOptions(doc));
    doc.restingHeaders = undefined;
    doc.analysis = { file, version: doc.version, text: doc.text, model, visible: new VisibleModel(model, headers), skipped };
    return doc.analysis;
  }

  /**
   * Runs `use` on the current syntax tree of an open document. The tree stays
   * owned by the analyzer: nothing `use` returns may hold a node.
   */
  withTree<T>(file: string, use: (tree: Tree) => T): T | undefined {
    const doc = this.documents.get(file);
    if (!doc) return undefined;
    this.analysisOf(file, doc);
    const tree = doc.parsed.tree;
    return tree ? use(tree) : undefined;
  }

  /** The text of an open document or of a header read for one. */
  textOf(file: string): string | undefined {
    return this.documents.get(file)?.text ?? this.headers.textOf(file);
  }

  /** The ownership findings of an open document on a kernel version. */
  ownership(file: string, kernel: KernelVersion): OwnershipAnalysis | undefined {
    const doc = this.documents.get(file);
    if (!doc) return undefined;
    const analysis = this.analysisOf(file, doc);
    const cached = doc.ownership;
    if (cached && cached.kernel.major === kernel.major && cached.kernel.minor === kernel.minor) return cached;
    const started = performance.now();
    const result = analyzeOwnership(analysis.visible, { kernel, cache: doc.programResults, editorData: this.settings.editorData });
    doc.ownership = { ...result, kernel, elapsedMs: performance.now() - started };
    return doc.ownership;
  }

  /** Builds a model from text without keeping a tree (headers, one-off files). */
  modelOfText(text: string, owner?: string): DocumentModel {
    if (text.length > this.settings.maxFileChars) return emptyModel();
    const parsed = new ParsedSource(this.parser);
    try {
      const tree = parsed.update(text);
      return tree ? this.bodies.forOwner(owner, parsed.source.text, (visitor) => extractModel(tree, parsed.source, visitor)) : emptyModel();
    } finally {
      parsed.dispose();
    }
  }
}

