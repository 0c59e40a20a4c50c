import type { Node, Tree } from 'web-tree-sitter';
import type { CodeAction, Diagnostic, TextEdit } from 'vscode-languageserver-types';
import type { DocumentAnalysis } from '../analyzer';
import { functionIndex } from '../engine/analyze';
import type { FixHint } from '../engine/findings';
import type { Site } from '../engine/state';
import { lineIndexOf } from '../model/lineIndex';
import { RULE_BY_CODE } from '../rules/catalog';
import { DIAGNOSTIC_SOURCE } from './diagnostics';

/**
 * Quick fixes for ownership diagnostics. Each one is a small, local edit
 * that makes its diagnostic go away without raising another (the test suite
 * applies every fix to the fixtures and re-analyses).
 */
export interface CodeActionInput {
  analysis: DocumentAnalysis;
  /** Runs a function on the document's current syntax tree. */
  withTree: <T>(use: (tree: Tree) => T) => T | undefined;
  uri: string;
  diagnostics: Diagnostic[];
}

const STATEMENT_LISTS = new Set(['compound_statement', 'case_statement', 'translation_unit']);

function indentOf(text: string, offset: number): string {
  const lineStart = text.lastIndexOf('\n', offset - 1) + 1;
  return /^[ \t]*/.exec(text.slice(lineStart))![0];
}

/** One level of indentation in the file's own style. */
function indentUnit(text: string): string {
  const spaced = /\n( +)\S/.exec(text);
  return text.includes('\n\t') || !spaced ? '\t' : spaced[1].length >= 8 ? '        ' : spaced[1];
}

function smallestNodeCovering(tree: Tree, start: number, end: number): Node | null {
  return tree.rootNode.descendantForIndex(start, Math.max(start, end - 1));
}

const BODY_PARENTS = new Set(['if_statement', 'else_clause', 'while_statement', 'for_statement', 'do_statement', 'labeled_statement']);

/** The statement a node belongs to: one in a statement list, or the lone body of an if, else, loop or label. */
function enclosingStatement(node: Node | null): Node | null {
  for (let current = node; current?.parent; current = current.parent) {
    const parent = current.parent;
    if (STATEMENT_LISTS.has(parent.type) && current.type !== 'comment') return current;
    if (BODY_PARENTS.has(parent.type) && (current.type.endsWith('_statement') || current.type === 'declaration')) return current;
  }
  return null;
}

interface Placed {
  start: number;
  end: number;
}

export function codeActions(input: CodeActionInput): CodeAction[] {
  const { analysis } = input;
  const text = analysis.text;
  const index = lineIndexOf(text);
  const functions = functionIndex(analysis.visible);
  const absolute = (site: Site): Placed | undefined => {
    if (site.via) return undefined;
    const fn = functions.get(site.fn);
    if (!fn || fn.file) return undefined;
    return { start: fn.origin + site.span.start, end: fn.origin + site.span.end };
  };
  const range = (start: number, end: number) => ({ start: index.positionAt(start), end: index.positionAt(end) });
  const unit = indentUnit(text);
  const actions: CodeAction[] = [];

  for (const diagnostic of input.diagnostics) {
    if (diagnostic.source !== DIAGNOSTIC_SOURCE || !RULE_BY_CODE.has(String(diagnostic.code))) continue;
    const fix = (diagnostic.data as { fix?: FixHint } | undefined)?.fix;
    const edits = fix ? input.withTree((tree) => fixEdits(fix, tree)) : undefined;
    if (edits && edits.length > 0) {
      actions.push({
        title: titleOf(fix!),
        kind: 'quickfix',
        diagnostics: [diagnostic],
        isPreferred: true,
        edit: { changes: { [input.uri]: edits } },
      });
    }
    const line = diagnostic.range.start.line;
    const lineStart = index.offsetAt({ line, character: 0 });
    actions.push({
      title: `Suppress ${diagnostic.code} on this line`,
      kind: 'quickfix',
      diagnostics: [diagnostic],
      edit: { changes: { [input.uri]: [{ range: range(lineStart, lineStart), newText: `${indentOf(text, lineStart)}// bpf-kptr-ignore: ${diagnostic.code}\n` }] } },
    });
  }
  return actions;

  function fixEdits(hint: FixHint, tree: Tree): TextEdit[] | undefined {
    switch (hint.kind) {
      case 'insert-release': {
        const at = absolute(hint.before);
        if (!at) return undefined;
        const release = hint.mayBeNull ? [`if (${hint.variable})`, `${unit}${hint.release}(${hint.variable});`] : [`${hint.release}(${hint.variable});`];
        return insertBefore(tree, at, release, hint.variable);
      }
      case 'insert-null-check': {
        const at = absolute(hint.after);
        if (!at) return undefined;
        const statement = enclosingStatement(smallestNodeCovering(tree, at.start, at.end));
        if (!statement || !statement.parent || !STATEMENT_LISTS.has(statement.parent.type)) return undefined;
        const fn = functionContaining(at.start);
        const returns = fn?.model.returnType.text === 'void' ? 'return;' : 'return 0;';
        const indent = indentOf(text, statement.startIndex);
        return [{ range: range(statement.endIndex, statement.endIndex), newText: `\n${indent}if (!${hint.variable})\n${indent}${unit}${returns}` }];
      }
      case 'release-xchg-result': {
        const at = absolute(hint.call);
        if (!at || !hint.release) return undefined;
        const statement = enclosingStatement(smallestNodeCovering(tree, at.start, at.end));
        if (!statement || statement.type !== 'expression_statement' || !STATEMENT_LISTS.has(statement.parent?.type ?? '')) return undefined;
        const call = text.slice(at.start, at.end);
        const type = hint.release === 'bpf_obj_drop' ? 'void' : releasedType(hint.release);
        if (!type) return undefined;
        const name = freshName(functionContaining(at.start), 'old');
        const indent = indentOf(text, statement.startIndex);
        return [
          {
            range: range(statement.startIndex, statement.endIndex),
            newText: `${type} *${name} = ${call};\n\n${indent}if (${name})\n${indent}${unit}${hint.release}(${name});`,
          },
        ];
      }
      case 'store-with-xchg': {
        const at = absolute(hint.assignment);
        if (!at || !hint.release) return undefined;
        const statement = enclosingStatement(smallestNodeCovering(tree, at.start, at.end));
        if (!statement || statement.type !== 'expression_statement' || !STATEMENT_LISTS.has(statement.parent?.type ?? '')) return undefined;
        const type = hint.release === 'bpf_obj_drop' ? 'void' : releasedType(hint.release);
        if (!type) return undefined;
        const name = freshName(functionContaining(at.start), 'old');
        const indent = indentOf(text, statement.startIndex);
        const target = text.slice(at.start, at.end).split('=')[0].trim();
        return [
          {
            range: range(statement.startIndex, statement.endIndex),
            newText: `${type} *${name} = bpf_kptr_xchg(&${target}, ${hint.value});\n\n${indent}if (${name})\n${indent}${unit}${hint.release}(${name});`,
          },
        ];
      }
    }
  }

  /** Inserts lines before the statement at `at`, bracing it first when it is the lone body of an if or loop. */
  function insertBefore(tree: Tree, at: Placed, lines: string[], variable?: string): TextEdit[] | undefined {
    const isClosingBrace = text[at.start] === '}';
    if (isClosingBrace) {
      const indent = indentOf(text, at.start) + unit;
      const lineStart = text.lastIndexOf('\n', at.start - 1) + 1;
      return [{ range: range(lineStart, lineStart), newText: lines.map((l) => `${indent}${l}\n`).join('') }];
    }
    const statement = enclosingStatement(smallestNodeCovering(tree, at.start, at.end));
    if (!statement || !statement.parent) return undefined;
    // `return use(mask);` needs the pointer after the release would run: no automatic fix.
    if (variable && new RegExp(`\\b${variable}\\b`).test(text.slice(statement.startIndex, statement.endIndex))) return undefined;
    const indent = indentOf(text, statement.startIndex);
    if (STATEMENT_LISTS.has(statement.parent.type)) {
      const lineStart = text.lastIndexOf('\n', statement.startIndex - 1) + 1;
      if (text.slice(lineStart, statement.startIndex).trim() !== '') {
        // Something precedes the statement on its line (a label): put the lines right before it.
        return [{ range: range(statement.startIndex, statement.startIndex), newText: lines.map((l) => `${l}\n${indent}`).join('') }];
      }
      return [{ range: range(lineStart, lineStart), newText: lines.map((l) => `${indent}${l}\n`).join('') }];
    }
    // `if (!slot) return 0;`: the return becomes a block with the release in front of it, its
    // brace on the line of the condition (or `else`, `do`) unless a comment sits in between.
    const outer = indentOf(text, statement.parent.startIndex);
    const body = text.slice(statement.startIndex, statement.endIndex);
    const inner = outer + unit;
    const opener = statement.previousSibling;
    const from = opener && text.slice(opener.endIndex, statement.startIndex).trim() === '' ? opener.endIndex : statement.startIndex;
    return [
      {
        range: range(from, statement.endIndex),
        newText: `${from === statement.startIndex ? '' : ' '}{\n${lines.map((l) => `${inner}${l}\n`).join('')}${inner}${body}\n${outer}}`,
      },
    ];
  }

  function functionContaining(offset: number) {
    return [...functions.values()].find((f) => !f.file && f.model.bodySpan && offset >= f.model.span.start && offset < f.model.span.end);
  }

  function freshName(fn: ReturnType<typeof functionContaining>, base: string): string {
    const body = fn ? text.slice(fn.model.span.start, fn.model.span.end) : text;
    for (let i = 0; ; i++) {
      const name = i === 0 ? base : `${base}${i + 1}`;
      if (!new RegExp(`\\b${name}\\b`).test(body)) return name;
    }
  }
}

function releasedType(release: string): string | undefined {
  const types: Record<string, string> = {
    bpf_cpumask_release: 'struct bpf_cpumask',
    bpf_task_release: 'struct task_struct',
    bpf_cgroup_release: 'struct cgroup',
    bpf_crypto_ctx_release: 'struct bpf_crypto_ctx',
    bpf_percpu_obj_drop: 'void',
  };
  return types[release];
}

function titleOf(fix: FixHint): string {
  switch (fix.kind) {
    case 'insert-release':
      return `Release \`${fix.variable}\` with ${fix.release} before this exit`;
    case 'insert-null-check':
      return `Return early when \`${fix.variable}\` is NULL`;
    case 'release-xchg-result':
      return `Release the old value with ${fix.release ?? 'its release function'}`;
    case 'store-with-xchg':
      return 'Store with bpf_kptr_xchg and release the old value';
  }
}
