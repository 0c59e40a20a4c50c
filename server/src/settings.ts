import { KernelVersion, parseKernelVersion, tryParseKernelVersion } from './knowledge/kernelVersion';
import { RULE_BY_CODE, Severity } from './rules/catalog';

/** Codes a user may configure: the rules and the two notes about the analysis itself. */
export const CONFIGURABLE_CODES = [...RULE_BY_CODE.keys(), 'unused-suppression', 'analysis-skipped'];
const SEVERITIES: readonly Severity[] = ['error', 'warning', 'information', 'hint'];

/** The newest kernel whose contracts the knowledge base records. */
export const NEWEST_KNOWN_KERNEL = '6.18';

/** Settings shared by the editor (`bpfKptr.*`) and the CLI's config file. */
export interface BpfKptrSettings {
  kernelVersion: KernelVersion;
  includePaths: string[];
  maxFileChars: number;
  /** Rule codes not reported. */
  disabled: Set<string>;
  /** Severity per rule code, overriding the rule's default. */
  severities: Partial<Record<string, Severity>>;
}

export const DEFAULT_SETTINGS: BpfKptrSettings = {
  kernelVersion: parseKernelVersion(NEWEST_KNOWN_KERNEL),
  includePaths: [],
  maxFileChars: 4 * 1024 * 1024,
  disabled: new Set(),
  severities: {},
};

export interface SettingsResult {
  settings: BpfKptrSettings;
  /** One message per rejected value: a bad value never silently becomes something else. */
  problems: string[];
}

/** Validates raw settings (from the editor or a config file); bad values keep the default and are reported. */
export function readSettings(raw: unknown): SettingsResult {
  const problems: string[] = [];
  const settings: BpfKptrSettings = { ...DEFAULT_SETTINGS, includePaths: [], disabled: new Set(), severities: {} };
  if (raw === undefined || raw === null) return { settings, problems };
  if (typeof raw !== 'object' || Array.isArray(raw)) {
    return { settings, problems: ['bpfKptr settings must be an object; using the defaults.'] };
  }
  const value = raw as Record<string, unknown>;

  if (value.kernelVersion !== undefined && value.kernelVersion !== '' && value.kernelVersion !== null) {
    const version = tryParseKernelVersion(value.kernelVersion);
    if (version) settings.kernelVersion = version;
    else problems.push(`bpfKptr.kernelVersion: "${String(value.kernelVersion)}" is not a kernel version like 6.12; using ${NEWEST_KNOWN_KERNEL}.`);
  }

  if (value.includePaths !== undefined) {
    if (Array.isArray(value.includePaths) && value.includePaths.every((p) => typeof p === 'string')) {
      settings.includePaths = value.includePaths as string[];
    } else {
      problems.push('bpfKptr.includePaths must be a list of directory paths; ignoring it.');
    }
  }

  if (value.maxFileSize !== undefined) {
    const size = value.maxFileSize;
    if (typeof size === 'number' && Number.isFinite(size) && size >= 1024 && size <= 64 * 1024 * 1024) {
      settings.maxFileChars = Math.floor(size);
    } else {
      problems.push('bpfKptr.maxFileSize must be a number of characters between 1024 and 67108864; using 4194304.');
    }
  }
  const diagnostics = value.diagnostics;
  if (diagnostics !== undefined && diagnostics !== null) {
    if (typeof diagnostics !== 'object' || Array.isArray(diagnostics)) {
      problems.push('bpfKptr.diagnostics must be an object with "disable" and "severity"; ignoring it.');
    } else {
      const { disable, severity } = diagnostics as { disable?: unknown; severity?: unknown };
      if (disable !== undefined) {
        if (Array.isArray(disable) && disable.every((c) => typeof c === 'string')) {
          for (const code of disable as string[]) {
            if (CONFIGURABLE_CODES.includes(code)) settings.disabled.add(code);
            else problems.push(`bpfKptr.diagnostics.disable: "${code}" is not a bpf-kptr rule code; known codes: ${CONFIGURABLE_CODES.join(', ')}.`);
          }
        } else {
          problems.push('bpfKptr.diagnostics.disable must be a list of rule codes; ignoring it.');
        }
      }
      if (severity !== undefined) {
        if (typeof severity === 'object' && severity !== null && !Array.isArray(severity)) {
          for (const [code, level] of Object.entries(severity as Record<string, unknown>)) {
            if (!CONFIGURABLE_CODES.includes(code)) problems.push(`bpfKptr.diagnostics.severity: "${code}" is not a bpf-kptr rule code.`);
            else if (typeof level !== 'string' || !SEVERITIES.includes(level as Severity)) problems.push(`bpfKptr.diagnostics.severity.${code}: "${String(level)}" is not one of ${SEVERITIES.join(', ')}.`);
            else settings.severities[code] = level as Severity;
          }
        } else {
          problems.push('bpfKptr.diagnostics.severity must map rule codes to error, warning, information or hint; ignoring it.');
        }
      }
    }
  }
  return { settings, problems };
}
