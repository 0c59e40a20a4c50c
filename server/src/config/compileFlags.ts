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

function fromCompileCommands(database: string, file: string): string[] {
  let entries: CompileCommand[];
  try {
    entries = JSON.parse(fs.readFileSync(database, 'utf8')) as CompileCommand[];
  } catch {
    return [];
  }
  if (!Array.isArray(entries)) return [];
  const target = path.resolve(file);
  const resolved = (e: CompileCommand) => path.resolve(e.directory ?? path.dirname(database), e.file ?? '');
  const entry = entries.find((e) => resolved(e) === target) ?? entries.find((e) => path.dirname(resolved(e)) === path.dirname(target));
  if (!entry) return [];
  const args = entry.arguments ?? splitCommand(entry.command ?? '');
  return includeDirs(args, entry.directory ?? path.dirname(database));
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
