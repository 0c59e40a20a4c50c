/** A kernel release as major.minor; patch levels never change a BPF contract. */
export interface KernelVersion {
  major: number;
  minor: number;
}

export function parseKernelVersion(text: string): KernelVersion {
  const match = /^\s*v?(\d+)\.(\d+)/.exec(text);
  if (!match) throw new Error(`not a kernel version: "${text}" (expected MAJOR.MINOR, for example 6.12)`);
  return { major: Number(match[1]), minor: Number(match[2]) };
}

export function tryParseKernelVersion(text: unknown): KernelVersion | undefined {
  if (typeof text !== 'string') return undefined;
  try {
    return parseKernelVersion(text);
  } catch {
    return undefined;
  }
}

export function compareVersions(a: KernelVersion, b: KernelVersion): number {
  return a.major !== b.major ? a.major - b.major : a.minor - b.minor;
}

export function atLeast(version: KernelVersion, since: KernelVersion): boolean {
  return compareVersions(version, since) >= 0;
}

export function formatVersion(version: KernelVersion): string {
  return `${version.major}.${version.minor}`;
}
