import * as path from 'path';
import { pathToFileURL } from 'url';
import type { Diagnostic, DiagnosticRelatedInformation } from 'vscode-languageserver-types';
import type { DocumentAnalysis, OwnershipAnalysis } from '../analyzer';
import { functionIndex } from '../engine/analyze';
import { DOCUMENT_SITE } from '../engine/fieldChecks';
import type { Finding } from '../engine/findings';
import type { Site } from '../engine/state';
import type { Span } from '../model/documentModel';
import { LineIndex, lineIndexOf } from '../model/lineIndex';
import { PARSE_BUDGET_MS } from '../parsing/cParser';
import { RULE_BY_CODE, RuleCode, Severity } from '../rules/catalog';
import { parseSuppressions } from '../rules/suppressions';

export const DIAGNOSTIC_SOURCE = 'bpf-kptr';
export const UNUSED_SUPPRESSION = 'unused-suppression';
export const ANALYSIS_SKIPPED = 'analysis-skipped';

export interface DiagnosticOptions {
  severities: Partial<Record<string, Severity>>;
  disabled: ReadonlySet<string>;
  /** The URI of a document or header file. */
  uriOf(file: string | undefined): string;
  /** Text of a header, to place related locations inside it. */
  textOf(file: string): string | undefined;
  /** Where a rule's page is; undefined leaves the link out. */
  ruleHref?(code: RuleCode): string | undefined;
}

const SEVERITY_NUMBER: Record<Severity, 1 | 2 | 3 | 4> = { error: 1, warning: 2, information: 3, hint: 4 };

/** A located span: in the document (file undefined) or in a header. */
interface Location {
  file?: string;
  span: Span;
}

/** The rule pages that ship with the package, next to the bundle (dist/../docs/rules). */
export function packagedRuleHref(bundleDir: string): (code: RuleCode) => string {
  return (code) => pathToFileURL(path.join(bundleDir, '..', 'docs', 'rules', `${code}.md`)).toString();
}

export function ownershipDiagnostics(analysis: DocumentAnalysis, ownership: OwnershipAnalysis, options: DiagnosticOptions): Diagnostic[] {
  const functions = functionIndex(analysis.visible);
  const own = lineIndexOf(analysis.text);
  const headerIndexes = new Map<string, LineIndex | undefined>();
  const indexOf = (file: string | undefined): LineIndex | undefined => {
    if (!file) return own;
    if (!headerIndexes.has(file)) {
      const text = options.textOf(file);
      headerIndexes.set(file, text === undefined ? undefined : new LineIndex(text));
    }
    return headerIndexes.get(file);
  };
  const locate = (site: Site): Location | undefined => {
    if (site.fn === DOCUMENT_SITE) return { span: site.span };
    const fn = functions.get(site.fn);
    if (!fn) return undefined;
    return { file: fn.file, span: { start: fn.origin + site.span.start, end: fn.origin + site.span.end } };
  };
  const range = (location: Location) => {
    const index = indexOf(location.file);
    if (!index) return undefined;
    return { start: index.positionAt(location.span.start), end: index.positionAt(location.span.end) };
  };

  const suppressions = parseSuppressions(analysis.text);
  const used = new Set<number>();
  const diagnostics: Diagnostic[] = [];

  for (const finding of ownership.findings) {
    if (options.disabled.has(finding.code)) continue;
    const placed = placeInDocument(finding, locate);
    if (!placed) continue;
    const primaryRange = range(placed.location)!;
    const suppression = suppressions.findIndex((s) => s.line === primaryRange.start.line && s.codes.includes(finding.code));
    if (suppression >= 0) {
      used.add(suppression);
      continue;
    }
    const related: DiagnosticRelatedInformation[] = [];
    for (const extra of [...placed.extraRelated, ...finding.related]) {
      const location = locate(extra.site);
      const r = location && range(location);
      if (!location || !r) continue;
      related.push({ location: { uri: options.uriOf(location.file), range: r }, message: extra.message });
    }
    const rule = RULE_BY_CODE.get(finding.code)!;
    const href = options.ruleHref?.(finding.code);
    diagnostics.push({
      range: primaryRange,
      severity: SEVERITY_NUMBER[options.severities[finding.code] ?? rule.defaultSeverity],
      code: finding.code,
      codeDescription: href ? { href } : undefined,
      source: DIAGNOSTIC_SOURCE,
      message: placed.prefix + finding.message,
      relatedInformation: related.length ? related : undefined,
      data: finding.fix && placed.prefix === '' ? { fix: finding.fix } : undefined,
    });
  }

  suppressions.forEach((s, i) => {
    if (used.has(i) || options.disabled.has(UNUSED_SUPPRESSION)) return;
    // A suppression of a rule that is turned off is not stale: the rule may be turned on again.
    if (s.codes.every((code) => options.disabled.has(code))) return;
    diagnostics.push({
      range: { start: own.positionAt(s.span.start), end: own.positionAt(s.span.end) },
      severity: SEVERITY_NUMBER[options.severities[UNUSED_SUPPRESSION] ?? 'warning'],
      code: UNUSED_SUPPRESSION,
      source: DIAGNOSTIC_SOURCE,
      message: `This bpf-kptr-ignore comment suppresses nothing (${s.codes.join(', ')} is not reported on line ${s.line + 1}); remove it.`,
    });
  });

  if (analysis.skipped === 'parse-timeout' && !options.disabled.has(ANALYSIS_SKIPPED)) {
    // Nothing was checked: say so at the top of the file rather than show a clean file.
    diagnostics.push({
      range: { start: { line: 0, character: 0 }, end: own.positionAt(own.lineSpan(0).end) },
      severity: 3,
      code: ANALYSIS_SKIPPED,
      source: DIAGNOSTIC_SOURCE,
      message: `bpf-kptr did not check this file: parsing it ran past its time budget (${PARSE_BUDGET_MS} ms). Its ownership is left to the verifier.`,
    });
  }

  for (const skipped of ownership.skipped) {
    if (options.disabled.has(ANALYSIS_SKIPPED)) continue;
    const fn = functions.get(skipped.fn);
    if (!fn || fn.file) continue;
    diagnostics.push({
      range: { start: own.positionAt(fn.model.nameSpan.start), end: own.positionAt(fn.model.nameSpan.end) },
      severity: 3,
      code: ANALYSIS_SKIPPED,
      source: DIAGNOSTIC_SOURCE,
      message: `bpf-kptr did not check \`${fn.name}\`: ${skipped.reason}. Its ownership is left to the verifier.`,
    });
  }
  return diagnostics;
}

/**
 * Findings inside a header's static function are shown at the call in the
 * document that led there, with the header location as related information.
 */
function placeInDocument(finding: Finding, locate: (site: Site) => Location | undefined): { location: Location; prefix: string; extraRelated: Finding['related'] } | undefined {
  const location = locate(finding.site);
  if (!location) return undefined;
  if (!location.file) return { location, prefix: '', extraRelated: [] };
  for (const via of finding.site.via ?? []) {
    const callLocation = locate(via);
    if (callLocation && !callLocation.file) {
      return {
        location: callLocation,
        prefix: `In ${path.basename(location.file)}, called from here: `,
        extraRelated: [{ site: finding.site, message: 'the mistake is here' }],
      };
    }
  }
  return undefined;
}
