import * as fs from 'fs';
import * as path from 'path';
import ignore, { Ignore } from 'ignore';
import { globSync, isDynamicPattern } from 'tinyglobby';

export interface InputProblem {
  path: string;
  message: string;
}

export interface CollectedFiles {
  files: string[];
  problems: InputProblem[];
}

const BPF_SOURCE = /\.bpf\.c$/;
const SKIPPED_DIRECTORIES = new Set(['.git', 'node_modules']);

/** The .gitignore rules that apply inside `root`, read from `root` and every directory above it up to the repository top. */
class GitIgnores {
  private readonly cache = new Map<string, Ignore | null>();

  private rulesOf(dir: string): Ignore | null {
    if (!this.cache.has(dir)) {
      let rules: Ignore | null = null;
      try {
        const text = fs.readFileSync(path.join(dir, '.gitignore'), 'utf8');
        rules = ignore().add(text);
      } catch {
        rules = null;
      }
      this.cache.set(dir, rules);
    }
    return this.cache.get(dir)!;
  }

  /** Whether `file` (absolute) is ignored by a .gitignore in one of its ancestors up to `top`. */
  ignored(file: string, top: string, isDirectory: boolean): boolean {
    let dir = path.dirname(file);
    for (;;) {
      const rules = this.rulesOf(dir);
      if (rules) {
        const relative = path.relative(dir, file).split(path.sep).join('/') + (isDirectory ? '/' : '');
        if (relative && !relative.startsWith('..') && rules.ignores(relative)) return true;
      }
      if (dir === top || path.dirname(dir) === dir) return false;
      dir = path.dirname(dir);
    }
  }
}

function repositoryTop(start: string): string {
  let dir = start;
  for (;;) {
    if (fs.existsSync(path.join(dir, '.git'))) return dir;
    const parent = path.dirname(dir);
    if (parent === dir) return start;
    dir = parent;
  }
}

/**
 * Turns the command line's paths into files: files as given, directories
 * searched for *.bpf.c (honouring .gitignore), globs expanded.
 */
export function collectFiles(inputs: string[], cwd: string): CollectedFiles {
  const files: string[] = [];
  const problems: InputProblem[] = [];
  const seen = new Set<string>();
  const ignores = new GitIgnores();
  const add = (shown: string) => {
    const key = path.resolve(cwd, shown);
    if (!seen.has(key)) {
      seen.add(key);
      files.push(shown);
    }
  };

  for (const input of inputs) {
    const absolute = path.resolve(cwd, input);
    let stat: fs.Stats | undefined;
    try {
      stat = fs.statSync(absolute);
    } catch {
      stat = undefined;
    }
    if (stat?.isFile()) {
      add(input);
      continue;
    }
    if (stat?.isDirectory()) {
      const top = repositoryTop(absolute);
      const found: string[] = [];
      const walk = (dir: string) => {
        let entries: fs.Dirent[];
        try {
          entries = fs.readdirSync(dir, { withFileTypes: true });
        } catch (error) {
          problems.push({ path: path.relative(cwd, dir) || dir, message: `cannot read directory: ${(error as Error).message}` });
          return;
        }
        for (const entry of entries.sort((a, b) => a.name.localeCompare(b.name))) {
          const full = path.join(dir, entry.name);
          if (entry.isDirectory()) {
            if (SKIPPED_DIRECTORIES.has(entry.name) || ignores.ignored(full, top, true)) continue;
            walk(full);
          } else if (entry.isFile() && BPF_SOURCE.test(entry.name) && !ignores.ignored(full, top, false)) {
            found.push(full);
          }
        }
      };
      walk(absolute);
      if (found.length === 0) problems.push({ path: input, message: 'no *.bpf.c files in this directory' });
      for (const f of found) add(path.isAbsolute(input) ? f : path.relative(cwd, f));
      continue;
    }
    if (stat) {
      problems.push({ path: input, message: 'not a regular file or a directory' });
      continue;
    }
    if (isDynamicPattern(input)) {
      const matches = globSync(input, { cwd, onlyFiles: true, ignore: ['**/node_modules/**', '**/.git/**'] }).sort();
      if (matches.length === 0) problems.push({ path: input, message: 'the pattern matches no file' });
      for (const m of matches) add(m);
      continue;
    }
    problems.push({ path: input, message: 'no such file or directory' });
  }
  return { files, problems };
}
