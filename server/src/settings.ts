import { KernelVersion, parseKernelVersion, tryParseKernelVersion } from './knowledge/kernelVersion';

/** The newest kernel whose contracts the knowledge base records. */
export const NEWEST_KNOWN_KERNEL = '6.18';

/** Settings shared by the editor (`bpfKptr.*`) and the CLI's config file. */
export interface BpfKptrSettings {
  kernelVersion: KernelVersion;
  includePaths: string[];
  maxFileChars: number;
}

export const DEFAULT_SETTINGS: BpfKptrSettings = {
  kernelVersion: parseKernelVersion(NEWEST_KNOWN_KERNEL),
  includePaths: [],
  maxFileChars: 4 * 1024 * 1024,
};

export interface SettingsResult {
  settings: BpfKptrSettings;
  /** One message per rejected value: a bad value never silently becomes something else. */
  problems: string[];
}

/** Validates raw settings (from the editor or a config file); bad values keep the default and are reported. */
export function readSettings(raw: unknown): SettingsResult {
  const problems: string[] = [];
  const settings: BpfKptrSettings = { ...DEFAULT_SETTINGS, includePaths: [] };
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
  return { settings, problems };
}
