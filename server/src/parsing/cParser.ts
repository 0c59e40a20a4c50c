import * as fs from 'fs';
import * as path from 'path';
import { Language, Parser, Tree } from 'web-tree-sitter';
import { detachedReader } from './detached';
import { EmscriptenTransfer, installDirectTransfer } from './directTransfer';

export const RUNTIME_WASM = 'tree-sitter.wasm';
export const GRAMMAR_WASM = 'tree-sitter-c.wasm';

export interface WasmLocation {
  runtime: string;
  grammar: string;
}

export class ParserSetupError extends Error {}

/** The runtime is process-wide in web-tree-sitter: initialise it once. */
let runtimeReady: Promise<void> | undefined;
/** Whether the runtime moves nodes through the direct 32-bit path (directTransfer.ts). */
let directTransfer = false;

export function usesDirectTransfer(): boolean {
  return directTransfer;
}

/**
 * Where the two WASM files are: beside the bundle when running from `dist/`
 * (the packaged layout), otherwise in the installed packages (tests).
 */
export function defaultWasmLocation(bundleDir: string = __dirname): WasmLocation {
  const besideBundle: WasmLocation = {
    runtime: path.join(bundleDir, RUNTIME_WASM),
    grammar: path.join(bundleDir, GRAMMAR_WASM),
  };
  if (fs.existsSync(besideBundle.runtime) || fs.existsSync(besideBundle.grammar)) return besideBundle;
  try {
    return {
      runtime: require.resolve('web-tree-sitter/tree-sitter.wasm'),
      grammar: require.resolve('tree-sitter-c/tree-sitter-c.wasm'),
    };
  } catch {
    // Neither beside the bundle nor installed: report the packaged location, which is where they belong.
    return besideBundle;
  }
}

/** How long one parse may take before the file is left unchecked (with a note saying so). */
export const PARSE_BUDGET_MS = 2000;

/** A C parser on the web-tree-sitter runtime, with a time budget per parse. */
export class CParser {
  private constructor(
    private readonly parser: Parser,
    readonly language: Language,
  ) {}

  static async create(location: WasmLocation = defaultWasmLocation()): Promise<CParser> {
    for (const [what, file] of [
      ['parser runtime', location.runtime],
      ['C grammar', location.grammar],
    ] as const) {
      if (!fs.existsSync(file)) {
        throw new ParserSetupError(
          `bpf-kptr cannot start: the ${what} ${file} is missing. Reinstall the extension or run "npm run build" in a development checkout.`,
        );
      }
    }
    runtimeReady ??= (async () => {
      const module: EmscriptenTransfer & { locateFile: () => string } = { locateFile: () => location.runtime };
      await Parser.init(module);
      directTransfer = installDirectTransfer(module);
    })();
    await runtimeReady;
    let language: Language;
    try {
      language = await Language.load(fs.readFileSync(location.grammar));
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      throw new ParserSetupError(
        `bpf-kptr cannot start: the C grammar ${location.grammar} does not load in this parser runtime (${reason}). ` +
          'The grammar WASM and web-tree-sitter must come from the versions pinned in package.json; reinstall, or run "npm ci && npm run build".',
      );
    }
    const parser = new Parser();
    parser.setLanguage(language);
    return new CParser(parser, language);
  }

  /**
   * Parses `text`, reusing `previous` (already edited) when given. Returns
   * undefined when the parse runs past `budgetMs`, so a pathological input
   * cannot stall the server.
   */
  parse(text: string, previous?: Tree, budgetMs = PARSE_BUDGET_MS): Tree | undefined {
    const deadline = Date.now() + budgetMs;
    // Node texts are read through the parse callback: copies, so what outlives this version of
    // the document (reused items, lowered bodies) does not keep its text alive.
    const reader = detachedReader(text);
    const tree = this.parser.parse(reader.read, previous ?? null, {
      progressCallback: () => Date.now() > deadline,
    } as never);
    reader.parsed();
    if (!tree) this.parser.reset();
    return tree ?? undefined;
  }
}
