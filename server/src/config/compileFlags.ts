import * as fs from 'fs';
import * as path from 'path';

/**
 * Include directories for a file, read as clangd reads them: from the
 * nearest compile_commands.json (the entry for the file, or the first entry
 * in the same directory) or compile_flags.txt above it.
 */
export function includePathsFromCompileDatabase(file: string): string[] {
  let dir = path.dirname(path.resolve(file));
  for (let guard = 0; guard < 64; guard++) {
    const database = path.join(dir, 'compile_commands.json');
    if (fs.existsSync(database)) return fromCompileCommands(database, file);
    // CMake writes it into build/, and clangd looks there too.
    const built = path.join(dir, 'build', 'compile_commands.json');
    if (fs.existsSync(built)) return fromCompileCommands(built, file);
    const flags = path.join(dir, 'compile_flags.txt');
    if (fs.existsSync(flags)) return includeDirs(readLines(flags), dir);
    const parent = path.dirname(dir);
    if (parent === dir) return [];
    dir = parent;
  }
  return [];
}

function readLines(file: string): string[] {
  try {
    return fs
      .readFileSync(file, 'utf8')
      .split(/\r?\n/)
      .map((l) => l.trim())
      .filter(Boolean);
  } catch {
    return [];
  }
}

interface CompileCommand {
  directory?: string;
  file?: string;
  command?: string;
  arguments?: string[];
}

const text = (value: unknown): string | undefined => (typeof value === 'string' ? value : undefined);

/** One entry of the database with only the fields of the right type: the file is the user's, not ours. */
function commandOf(raw: unknown): CompileCommand | undefined {
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) return undefined;
  const entry = raw as Record<string, unknown>;
  const args = Array.isArray(entry.arguments) ? entry.arguments.filter((a): a is string => typeof a === 'string') : undefined;
  return { directory: text(entry.directory), file: text(entry.file), command: text(entry.command), arguments: args };
}

function fromCompileCommands(database: string, file: string): string[] {
  let raw: unknown;
  try {
    raw = JSON.parse(fs.readFileSync(database, 'utf8'));
  } catch {
    return [];
  }
  if (!Array.isArray(raw)) return [];
  const entries = raw.map(commandOf).filter((e): e is CompileCommand => e !== undefined);
  const target = path.resolve(file);
  const resolved = (e: CompileCommand) => path.resolve(path.dirname(database), e.directory ?? '', e.file ?? '');
  const entry = entries.find((e) => resolved(e) === target) ?? entries.find((e) => path.dirname(resolved(e)) === path.dirname(target));
  if (!entry) return [];
  const args = entry.arguments ?? splitCommand(entry.command ?? '');
  return includeDirs(args, path.resolve(path.dirname(database), entry.directory ?? ''));
}

/** A shell-like split, enough for compiler command lines (quotes and backslashes). */
function splitCommand(command: string): string[] {
  const out: string[] = [];
  let current = '';
  let quote: string | undefined;
  let started = false;
  for (let i = 0; i < command.length; i++) {
    const c = command[i];
    if (quote) {
      if (c === quote) quote = undefined;
      else if (c === '\\' && quote === '"' && i + 1 < command.length) current += command[++i];
      else current += c;
    } else if (c === '"' || c === "'") {
      quote = c;
      started = true;
    } else if (c === '\\' && i + 1 < command.length) {
      current += command[++i];
      started = true;
    } else if (/\s/.test(c)) {
      if (started) out.push(current);
      current = '';
      started = false;
    } else {
      current += c;
      started = true;
    }
  }
  if (started) out.push(current);
  return out;
}

const INCLUDE_FLAGS = ['-I', '-iquote', '-isystem', '-idirafter'];

function includeDirs(args: string[], base: string): string[] {
  const dirs: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (INCLUDE_FLAGS.includes(arg)) {
      if (i + 1 < args.length) dirs.push(path.resolve(base, args[++i]));
      continue;
    }
    const joined = INCLUDE_FLAGS.find((flag) => arg.startsWith(flag) && arg.length > flag.length);
    if (joined) dirs.push(path.resolve(base, arg.slice(joined.length)));
  }
  return [...new Set(dirs)];
}
