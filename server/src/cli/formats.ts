import * as fs from 'fs';
import * as path from 'path';
import { fileURLToPath, pathToFileURL } from 'url';
import type { Diagnostic } from 'vscode-languageserver-types';
import { ANALYSIS_SKIPPED, UNUSED_SUPPRESSION } from '../features/diagnostics';
import { LineIndex } from '../model/lineIndex';
import { RULES } from '../rules/catalog';

export interface FileResult {
  /** The path as the user gave it (or as found under a directory they gave). */
  path: string;
  text?: string;
  diagnostics: Diagnostic[];
}

const SEVERITY_NAME = ['', 'error', 'warning', 'info', 'hint'];

export interface TextStyle {
  color: boolean;
}

function paint(style: TextStyle, code: string, text: string): string {
  return style.color ? `\x1b[${code}m${text}\x1b[0m` : text;
}

/** Compiler-style output: `file:line:col: severity: message [code]`, the line, a caret underline, notes. */
export function formatText(results: FileResult[], style: TextStyle, cwd: string): string {
  const out: string[] = [];
  const colors: Record<string, string> = { error: '1;31', warning: '1;35', info: '1;36', hint: '1;36', note: '1;36' };
  for (const result of results) {
    if (!result.text) continue;
    const index = new LineIndex(result.text);
    // A note names a file the way its finding does: the user's spelling for the same file.
    const own = path.resolve(cwd, result.path);
    const shownFile = (uri: string) => {
      if (!uri.startsWith('file:')) return uri;
      const file = fileURLToPath(uri);
      if (file === own) return result.path;
      return path.isAbsolute(result.path) ? file : path.relative(cwd, file);
    };
    for (const d of result.diagnostics) {
      const severity = SEVERITY_NAME[d.severity ?? 1];
      const where = `${result.path}:${d.range.start.line + 1}:${d.range.start.character + 1}`;
      out.push(`${paint(style, '1', where + ':')} ${paint(style, colors[severity], severity + ':')} ${d.message} ${paint(style, '2', `[${d.code}]`)}`);
      out.push(...excerpt(index, d.range, style));
      for (const related of d.relatedInformation ?? []) {
        const at = `${shownFile(related.location.uri)}:${related.location.range.start.line + 1}:${related.location.range.start.character + 1}`;
        out.push(`${paint(style, '1', at + ':')} ${paint(style, colors.note, 'note:')} ${related.message}`);
      }
    }
  }
  return out.length ? out.join('\n') + '\n' : '';
}

function excerpt(index: LineIndex, range: Diagnostic['range'], style: TextStyle): string[] {
  const line = range.start.line;
  if (line >= index.lineCount) return [];
  const text = index.lineText(line);
  const number = String(line + 1);
  const gutter = ' '.repeat(number.length);
  const start = Math.min(range.start.character, text.length);
  const end = range.end.line === line ? Math.max(start + 1, Math.min(range.end.character, text.length)) : text.length;
  // Keep tabs in the lead so the caret lines up under the same columns.
  const lead = text.slice(0, start).replace(/[^\t]/g, ' ');
  const underline = '^' + '~'.repeat(Math.max(0, end - start - 1));
  return [` ${number} | ${text}`, ` ${gutter} | ${lead}${paint(style, '1;32', underline)}`];
}

/** `{"version":1,"files":[{"path":...,"diagnostics":[...]}]}`, diagnostics as LSP Diagnostic objects. */
export function formatJson(results: FileResult[]): string {
  return (
    JSON.stringify({
      version: 1,
      // The quick-fix data is the editor's business: not part of the public format.
      files: results.map((r) => ({ path: r.path, diagnostics: r.diagnostics.map(({ data: _data, ...rest }) => rest) })),
    }) + '\n'
  );
}

export interface SarifOptions {
  version: string;
  /** Where rule pages live; each rule's helpUri is this plus `<code>.md`. */
  ruleBaseUri: string;
  /** Directory holding the rule pages, to embed their text. */
  rulesDir: string;
  cwd: string;
}

const SARIF_LEVEL = ['none', 'error', 'warning', 'note', 'note'];

/** SARIF 2.1.0, in the shape GitHub code scanning reads. */
export function formatSarif(results: FileResult[], options: SarifOptions): string {
  const extraRules = [
    { code: UNUSED_SUPPRESSION, title: 'A bpf-kptr-ignore comment that suppresses nothing', defaultSeverity: 'warning' },
    { code: ANALYSIS_SKIPPED, title: 'A function bpf-kptr left unchecked', defaultSeverity: 'information' },
  ];
  const ruleList = [...RULES.map((r) => ({ code: r.code as string, title: r.title, defaultSeverity: r.defaultSeverity as string })), ...extraRules];
  const ruleIndex = new Map(ruleList.map((r, i) => [r.code, i]));
  const rules = ruleList.map((r) => {
    const page = path.join(options.rulesDir, `${r.code}.md`);
    const markdown = fs.existsSync(page) ? fs.readFileSync(page, 'utf8') : undefined;
    return {
      id: r.code,
      name: r.code
        .split('-')
        .map((w) => w[0].toUpperCase() + w.slice(1))
        .join(''),
      shortDescription: { text: r.title },
      fullDescription: { text: r.title },
      helpUri: `${options.ruleBaseUri}${r.code}.md`,
      help: markdown ? { text: r.title, markdown } : { text: r.title },
      defaultConfiguration: { level: r.defaultSeverity === 'error' ? 'error' : r.defaultSeverity === 'warning' ? 'warning' : 'note' },
    };
  });
  const artifactUri = (file: string) => (path.isAbsolute(file) ? pathToFileURL(file).toString() : file.split(path.sep).map(encodeURIComponent).join('/'));
  const region = (range: Diagnostic['range']) => ({
    startLine: range.start.line + 1,
    startColumn: range.start.character + 1,
    endLine: range.end.line + 1,
    endColumn: range.end.character + 1,
  });
  const sarifResults = results.flatMap((r) =>
    r.diagnostics.map((d) => ({
      ruleId: String(d.code),
      ruleIndex: ruleIndex.get(String(d.code)) ?? 0,
      level: SARIF_LEVEL[d.severity ?? 1],
      message: { text: d.message },
      locations: [{ physicalLocation: { artifactLocation: { uri: artifactUri(r.path), uriBaseId: path.isAbsolute(r.path) ? undefined : '%SRCROOT%' }, region: region(d.range) } }],
      relatedLocations: (d.relatedInformation ?? []).map((rel, i) => {
        const file = rel.location.uri.startsWith('file:') ? path.relative(options.cwd, fileURLToPath(rel.location.uri)) : rel.location.uri;
        return {
          id: i + 1,
          message: { text: rel.message },
          physicalLocation: { artifactLocation: { uri: artifactUri(file), uriBaseId: path.isAbsolute(file) ? undefined : '%SRCROOT%' }, region: region(rel.location.range) },
        };
      }),
    })),
  );
  const log = {
    $schema: 'https://json.schemastore.org/sarif-2.1.0.json',
    version: '2.1.0',
    runs: [
      {
        tool: { driver: { name: 'bpf-kptr-lint', version: options.version, semanticVersion: /^\d+\.\d+\.\d+/.test(options.version) ? options.version : undefined, rules } },
        originalUriBaseIds: { '%SRCROOT%': { uri: pathToFileURL(options.cwd + path.sep).toString() } },
        columnKind: 'utf16CodeUnits',
        results: sarifResults,
      },
    ],
  };
  return JSON.stringify(log, null, 2) + '\n';
}
