import * as path from 'path';
import { fileURLToPath, pathToFileURL } from 'url';
import {
  CancellationToken,
  CompletionItem,
  Connection,
  LSPErrorCodes,
  DidChangeConfigurationNotification,
  InitializeResult,
  MarkupKind,
  ResponseError,
  TextDocuments,
  TextDocumentSyncKind,
  ErrorCodes,
} from 'vscode-languageserver/node';
import { TextDocument } from 'vscode-languageserver-textdocument';
import { Analyzer } from './analyzer';
import { hoverAt } from './features/hover';
import { ownershipDiagnostics, packagedRuleHref } from './features/diagnostics';
import { codeActions } from './features/codeActions';
import { COMPLETION_TRIGGERS, completionsAt, resolveCompletionItem } from './features/completion';
import { SIGNATURE_TRIGGERS, signatureHelpAt } from './features/signatureHelp';
import { SEMANTIC_TOKEN_MODIFIERS, SEMANTIC_TOKEN_TYPES, semanticTokens } from './features/semanticTokens';
import { BpfKptrSettings, DEFAULT_SETTINGS, readSettings } from './settings';
import { findProjectConfig } from './config/projectConfig';
import { IdleCompaction } from './idleCompaction';
import { RecentDocuments } from './recentDocuments';

export const SERVER_NAME = 'bpf-kptr-language-server';

/** Turns a document URI into the key the analyzer uses: a path for files, the URI otherwise. */
export function documentKey(uri: string): string {
  if (uri.startsWith('file:')) {
    try {
      return path.resolve(fileURLToPath(uri));
    } catch {
      return uri;
    }
  }
  return uri;
}

export interface ServerOptions {
  version: string;
  /** Milliseconds between the last edit and the analysis that publishes diagnostics. */
  debounceMs?: number;
  /** Directory of the server bundle, to link rule pages shipped beside it. */
  bundleDir?: string;
  /** Set when the parser could not start: every request then answers with this message. */
  startupError?: string;
}

/**
 * Wires an analyzer to an LSP connection. Everything here is protocol
 * translation; the analysis lives in the library.
 */
export function startServer(connection: Connection, analyzer: Analyzer | undefined, options: ServerOptions): void {
  const documents = new TextDocuments(TextDocument);
  let settings: BpfKptrSettings = DEFAULT_SETTINGS;
  let canPullConfiguration = false;
  let canRefreshSemanticTokens = false;
  let clientExpandsSnippets = false;
  const reportedProblems = new Set<string>();
  /** Open documents over bpfKptr.maxFileSize that the user was told about. */
  const tooLarge = new Set<string>();

  const reportOnce = (message: string, type: 'warning' | 'error' = 'warning') => {
    if (reportedProblems.has(message)) return;
    reportedProblems.add(message);
    if (type === 'error') void connection.window.showErrorMessage(message);
    else void connection.window.showWarningMessage(message);
  };

  let editorRaw: unknown;
  const applySettings = (raw: unknown) => {
    editorRaw = raw;
    projectSettings.clear();
    const result = readSettings(raw);
    settings = result.settings;
    for (const problem of result.problems) reportOnce(problem);
    analyzer?.configure({ includePaths: settings.includePaths, maxFileChars: settings.maxFileChars });
  };

  /**
   * The settings for one document: the editor's, with the project's .bpf-kptr.json (the one the
   * CLI reads too) taking precedence when there is one above the file.
   */
  const projectSettings = new Map<string, { checked: number; settings: BpfKptrSettings }>();
  const settingsFor = (uri: string): BpfKptrSettings => {
    const file = documentKey(uri);
    if (!path.isAbsolute(file)) return settings;
    const dir = path.dirname(file);
    const cached = projectSettings.get(dir);
    if (cached && Date.now() - cached.checked < 2000) return cached.settings;
    const config = findProjectConfig(dir);
    let result = settings;
    if (config?.error) reportOnce(`bpf-kptr: ${config.error}`);
    else if (config) {
      const editor = editorRaw && typeof editorRaw === 'object' && !Array.isArray(editorRaw) ? (editorRaw as Record<string, unknown>) : {};
      const merged = readSettings({ ...editor, ...(config.raw as Record<string, unknown>) });
      for (const problem of merged.problems) reportOnce(`${config.file}: ${problem}`);
      result = merged.settings;
    }
    projectSettings.set(dir, { checked: Date.now(), settings: result });
    return result;
  };

  connection.onInitialize((params): InitializeResult | ResponseError<{ retry: boolean }> => {
    if (options.startupError) {
      return new ResponseError(ErrorCodes.InternalError, options.startupError, { retry: false });
    }
    canPullConfiguration = Boolean(params.capabilities.workspace?.configuration);
    clientExpandsSnippets = params.capabilities.textDocument?.completion?.completionItem?.snippetSupport === true;
    canRefreshSemanticTokens = Boolean(params.capabilities.workspace?.semanticTokens?.refreshSupport);
    const initOptions = params.initializationOptions as { settings?: unknown } | undefined;
    if (initOptions?.settings !== undefined) applySettings(initOptions.settings);
    return {
      capabilities: {
        positionEncoding: 'utf-16',
        textDocumentSync: { openClose: true, change: TextDocumentSyncKind.Incremental },
        hoverProvider: true,
        codeActionProvider: { codeActionKinds: ['quickfix'] },
        completionProvider: { triggerCharacters: COMPLETION_TRIGGERS, resolveProvider: true },
        signatureHelpProvider: { triggerCharacters: SIGNATURE_TRIGGERS, retriggerCharacters: [','] },
        semanticTokensProvider: { legend: { tokenTypes: [...SEMANTIC_TOKEN_TYPES], tokenModifiers: [...SEMANTIC_TOKEN_MODIFIERS] }, full: true },
      },
      serverInfo: { name: SERVER_NAME, version: options.version },
    };
  });

  connection.onInitialized(async () => {
    if (!canPullConfiguration) return;
    void connection.client.register(DidChangeConfigurationNotification.type, { section: 'bpfKptr' }).catch(() => undefined);
    await refreshConfiguration();
    // Documents opened while the settings were on their way were checked with the defaults.
    for (const doc of documents.all()) scheduleDiagnostics(doc.uri, 0);
  });

  const refreshConfiguration = async () => {
    try {
      applySettings(await connection.workspace.getConfiguration('bpfKptr'));
    } catch (error) {
      connection.console.warn(`could not read bpfKptr settings: ${String(error)}`);
    }
  };

  connection.onDidChangeConfiguration(async (change) => {
    if (canPullConfiguration) await refreshConfiguration();
    else applySettings((change.settings as { bpfKptr?: unknown } | undefined)?.bpfKptr);
    for (const doc of documents.all()) scheduleDiagnostics(doc.uri, 0);
    // The kernel version changes what the engine sees, so the highlighting too.
    if (canRefreshSemanticTokens) void connection.languages.semanticTokens.refresh().catch(() => undefined);
  });

  const analyze = (doc: TextDocument) => {
    if (!analyzer) return undefined;
    if (typeof doc.getText() !== 'string') {
      // A client sent a document without text (or with a number for it): nothing to analyse.
      reportOnce(`bpf-kptr: ${doc.uri} was opened without text; it is not analysed.`);
      return undefined;
    }
    const analysis = analyzer.update(documentKey(doc.uri), doc.getText(), doc.version, settingsFor(doc.uri).includePaths);
    // Told once per file while it stays too large, not once per edit (each edit changes its size).
    if (analysis.skipped === 'too-large' && !tooLarge.has(doc.uri)) {
      tooLarge.add(doc.uri);
      void connection.window.showWarningMessage(
        `bpf-kptr: ${path.basename(documentKey(doc.uri))} has ${doc.getText().length} characters, more than bpfKptr.maxFileSize (${settings.maxFileChars}); it is not analysed.`,
      );
    } else if (analysis.skipped !== 'too-large') {
      tooLarge.delete(doc.uri);
    }
    return analysis;
  };

  const uriOfFile = (file: string | undefined, fallback: string) => (file ? pathToFileURL(file).toString() : fallback);
  const ruleHref = options.bundleDir ? packagedRuleHref(options.bundleDir) : undefined;
  const pendingDiagnostics = new Map<string, NodeJS.Timeout>();

  const idleCompaction = new IdleCompaction();
  const recent = new RecentDocuments();
  /** The document was just used: it stays analysed, and the least recently used beyond the limit rest. */
  const used = (uri: string) => {
    for (const key of recent.use(documentKey(uri))) analyzer?.rest(key);
  };
  /** Analyses a document and publishes its diagnostics, unless it changed meanwhile. */
  const publishDiagnostics = (uri: string) => {
    pendingDiagnostics.delete(uri);
    try {
      publishDiagnosticsOf(uri);
    } catch (error) {
      // Runs from a timer: an exception here would end the server, so it is logged instead.
      connection.console.error(`diagnostics of ${uri} failed: ${error instanceof Error ? error.stack : String(error)}`);
    }
    idleCompaction.noteWork();
  };

  const publishDiagnosticsOf = (uri: string) => {
    const doc = documents.get(uri);
    if (!doc || !analyzer) return;
    const analysis = analyze(doc);
    if (!analysis) return;
    const docSettings = settingsFor(uri);
    const ownership = analyzer.ownership(documentKey(uri), docSettings.kernelVersion);
    if (!ownership) return;
    const diagnostics = ownershipDiagnostics(analysis, ownership, {
      severities: docSettings.severities,
      disabled: docSettings.disabled,
      uriOf: (file) => uriOfFile(file, uri),
      textOf: (file) => analyzer.textOf(file),
      ruleHref,
    });
    used(uri);
    if (documents.get(uri)?.version !== doc.version) return;
    void connection.sendDiagnostics({ uri, version: doc.version, diagnostics });
  };

  const scheduleDiagnostics = (uri: string, delay: number) => {
    clearTimeout(pendingDiagnostics.get(uri));
    pendingDiagnostics.set(uri, setTimeout(() => publishDiagnostics(uri), delay));
  };

  /** Open documents that include `file` see its declarations: re-check them too. */
  const scheduleDependents = (uri: string) => {
    const file = documentKey(uri);
    for (const other of documents.all()) {
      if (other.uri === uri) continue;
      if (analyzer?.includedHeaders(documentKey(other.uri)).includes(file)) scheduleDiagnostics(other.uri, options.debounceMs ?? 75);
    }
  };

  documents.onDidOpen((event) => {
    // Analysed when its diagnostics are due: a burst of opens then holds one analysis at a time.
    const { document } = event;
    if (typeof document.getText() === 'string') analyzer?.open(documentKey(document.uri), document.getText(), document.version, settingsFor(document.uri).includePaths);
    scheduleDiagnostics(document.uri, 0);
  });
  documents.onDidChangeContent((event) => {
    // The content event that follows every open carries the version just recorded: nothing to wait for.
    const justOpened = analyzer?.versionOf(documentKey(event.document.uri)) === event.document.version;
    scheduleDiagnostics(event.document.uri, justOpened ? 0 : options.debounceMs ?? 75);
    scheduleDependents(event.document.uri);
  });
  documents.onDidClose((event) => {
    clearTimeout(pendingDiagnostics.get(event.document.uri));
    pendingDiagnostics.delete(event.document.uri);
    // A closed header is read from disk again, which may differ from the buffer its includers saw.
    scheduleDependents(event.document.uri);
    tooLarge.delete(event.document.uri);
    recent.forget(documentKey(event.document.uri));
    analyzer?.close(documentKey(event.document.uri));
    void connection.sendDiagnostics({ uri: event.document.uri, diagnostics: [] });
  });

  /** The current analysis of an open document, or undefined for unknown documents. */
  const analysisFor = (uri: string) => {
    const doc = documents.get(uri);
    if (!doc || !analyzer) return undefined;
    const key = documentKey(uri);
    if (typeof doc.getText() !== 'string') return undefined;
    used(uri);
    const current = analyzer.get(key);
    if (current && current.version === doc.version) return { doc, analysis: current };
    return { doc, analysis: analyzer.update(key, doc.getText(), doc.version, settingsFor(uri).includePaths) };
  };

  const guarded = <P, R>(what: string, handler: (params: P) => R) => (params: P, token?: CancellationToken): R | ResponseError<void> => {
    // Cancelled after it was taken from the queue but before it ran: not computed either.
    if (token?.isCancellationRequested) return new ResponseError(LSPErrorCodes.RequestCancelled, `bpf-kptr: ${what} was cancelled`);
    try {
      return handler(params);
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      connection.console.error(`${what} failed: ${error instanceof Error ? error.stack : message}`);
      return new ResponseError(ErrorCodes.InternalError, `bpf-kptr: ${what} failed: ${message}`);
    }
  };

  connection.onHover(
    guarded('hover', (params: { textDocument: { uri: string }; position: { line: number; character: number } }) => {
      const found = params?.textDocument?.uri ? analysisFor(params.textDocument.uri) : undefined;
      if (!found || !params.position) return null;
      const offset = found.doc.offsetAt(params.position);
      const kernelVersion = settingsFor(params.textDocument.uri).kernelVersion;
      const ownership = analyzer?.ownership(documentKey(params.textDocument.uri), kernelVersion);
      const result = hoverAt(found.analysis, offset, { kernelVersion, ownership });
      if (!result) return null;
      return {
        contents: { kind: MarkupKind.Markdown, value: result.markdown },
        range: { start: found.doc.positionAt(result.span.start), end: found.doc.positionAt(result.span.end) },
      };
    }),
  );

  type PositionParams = { textDocument: { uri: string }; position: { line: number; character: number } };

  connection.onCompletion(
    guarded('completion', (params: PositionParams) => {
      const found = params?.textDocument?.uri && params.position ? analysisFor(params.textDocument.uri) : undefined;
      if (!found) return null;
      const result = completionsAt(found.analysis, found.doc.offsetAt(params.position), {
        kernelVersion: settingsFor(params.textDocument.uri).kernelVersion,
        snippets: clientExpandsSnippets,
      });
      if (!result) return { isIncomplete: false, items: [] };
      const range = { start: found.doc.positionAt(result.replace.start), end: found.doc.positionAt(result.replace.end) };
      return {
        isIncomplete: false,
        items: result.items.map((item) => ({ ...item, textEdit: { range, newText: item.insertText ?? item.label } })),
      };
    }),
  );

  connection.onCompletionResolve(guarded('completion item resolve', (item: CompletionItem) => (item && typeof item === 'object' ? resolveCompletionItem(item) : item)));

  connection.onSignatureHelp(
    guarded('signature help', (params: PositionParams) => {
      const found = params?.textDocument?.uri && params.position ? analysisFor(params.textDocument.uri) : undefined;
      if (!found) return null;
      return signatureHelpAt(found.analysis, found.doc.offsetAt(params.position), settingsFor(params.textDocument.uri).kernelVersion) ?? null;
    }),
  );

  connection.onCodeAction(
    guarded('quick fix', (params: { textDocument: { uri: string }; context?: { diagnostics?: unknown[] } }) => {
      const found = params?.textDocument?.uri ? analysisFor(params.textDocument.uri) : undefined;
      const diagnostics = Array.isArray(params?.context?.diagnostics) ? (params.context!.diagnostics as Parameters<typeof codeActions>[0]['diagnostics']) : [];
      if (!found || !analyzer || diagnostics.length === 0) return [];
      const key = documentKey(params.textDocument.uri);
      return codeActions({
        analysis: found.analysis,
        withTree: (use) => analyzer.withTree(key, use),
        uri: params.textDocument.uri,
        diagnostics: diagnostics.filter((d) => d && typeof d === 'object' && d.range),
      });
    }),
  );

  connection.languages.semanticTokens.on(
    guarded('semantic tokens', (params: { textDocument: { uri: string } }) => {
      const found = params?.textDocument?.uri ? analysisFor(params.textDocument.uri) : undefined;
      if (!found || !analyzer) return { data: [] };
      const ownership = analyzer.ownership(documentKey(params.textDocument.uri), settingsFor(params.textDocument.uri).kernelVersion);
      return { data: semanticTokens(found.analysis, ownership) };
    }),
  );

  connection.onShutdown(() => {
    idleCompaction.dispose();
    analyzer?.dispose();
  });

  documents.listen(connection);
  connection.listen();
}
