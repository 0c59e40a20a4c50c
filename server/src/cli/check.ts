import * as fs from 'fs';
import { pathToFileURL } from 'url';
import type { Analyzer } from '../analyzer';
import { ownershipDiagnostics, packagedRuleHref } from '../features/diagnostics';
import type { BpfKptrSettings } from '../settings';
import type { FileResult } from './formats';

/** One file to check, with the settings its project gives it: plain data, so it can go to a worker thread. */
export interface CheckJob {
  /** Absolute path. */
  file: string;
  /** The path as the user gave it. */
  shown: string;
  settings: BpfKptrSettings;
}

/** A checked file, or why it was not checked (a message for the user). */
export type CheckOutcome = { result: FileResult } | { notChecked: string };

/** Reads, analyses and reports one file; the analyzer forgets it afterwards, so memory stays flat over a large tree. */
export function checkFile(analyzer: Analyzer, job: CheckJob): CheckOutcome {
  const { file, shown, settings } = job;
  let text: string;
  try {
    const buffer = fs.readFileSync(file);
    if (buffer.subarray(0, 8192).includes(0)) return { notChecked: `${shown}: binary file, not checked` };
    text = buffer.toString('utf8');
  } catch (error) {
    return { notChecked: `${shown}: cannot read: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}` };
  }
  if (text.length > settings.maxFileChars) {
    return { notChecked: `${shown}: ${text.length} characters, more than the limit of ${settings.maxFileChars} (maxFileSize); not checked` };
  }
  // Findings only: the marks and readings an editor shows would cost a fifth of the engine's time.
  analyzer.configure({ includePaths: settings.includePaths, maxFileChars: settings.maxFileChars, editorData: false });
  try {
    const analysis = analyzer.update(file, text);
    if (analysis.skipped === 'parse-timeout') return { notChecked: `${shown}: parsing took too long; not checked` };
    const ownership = analyzer.ownership(file, settings.kernelVersion)!;
    const diagnostics = ownershipDiagnostics(analysis, ownership, {
      severities: settings.severities,
      disabled: settings.disabled,
      uriOf: (f) => pathToFileURL(f ?? file).toString(),
      textOf: (f) => analyzer.textOf(f),
      ruleHref: packagedRuleHref(__dirname),
    });
    diagnostics.sort((a, b) => a.range.start.line - b.range.start.line || a.range.start.character - b.range.start.character);
    return { result: { path: shown, text, diagnostics } };
  } finally {
    analyzer.close(file);
  }
}
