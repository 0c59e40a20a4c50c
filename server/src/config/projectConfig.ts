import * as fs from 'fs';
import * as path from 'path';

/** The project configuration file, shared by the editor and bpf-kptr-lint. */
export const CONFIG_FILE_NAME = '.bpf-kptr.json';

export interface ProjectConfig {
  file: string;
  /** The raw object; settings.ts validates it like editor settings. */
  raw: unknown;
  /** Set when the file exists but is not valid JSON. */
  error?: string;
}

/** The nearest `.bpf-kptr.json` in `start` or above it. */
export function findProjectConfig(start: string): ProjectConfig | undefined {
  let dir = path.resolve(start);
  for (let guard = 0; guard < 64; guard++) {
    const candidate = path.join(dir, CONFIG_FILE_NAME);
    if (fs.existsSync(candidate)) return readProjectConfig(candidate);
    const parent = path.dirname(dir);
    if (parent === dir) return undefined;
    dir = parent;
  }
  return undefined;
}

export function readProjectConfig(file: string): ProjectConfig {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (error) {
    return { file, raw: undefined, error: `cannot read ${file}: ${(error as Error).message}` };
  }
  try {
    const raw = JSON.parse(text) as unknown;
    return { file, raw: resolveIncludePaths(raw, path.dirname(file)) };
  } catch (error) {
    return { file, raw: undefined, error: `${file} is not valid JSON: ${(error as Error).message}` };
  }
}

/** Include paths in the file are relative to the file's directory. */
function resolveIncludePaths(raw: unknown, base: string): unknown {
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) return raw;
  const value = raw as Record<string, unknown>;
  if (!Array.isArray(value.includePaths)) return raw;
  return { ...value, includePaths: value.includePaths.map((p) => (typeof p === 'string' ? path.resolve(base, p) : p)) };
}
