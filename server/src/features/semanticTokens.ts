import type { DocumentAnalysis, OwnershipAnalysis } from '../analyzer';
import { functionIndex } from '../engine/analyze';
import type { Mark } from '../engine/marks';
import type { Span } from '../model/documentModel';
import { lineIndexOf } from '../model/lineIndex';

/**
 * Semantic highlighting from what the ownership engine saw: kptr fields and
 * globals, variables that own a reference at that point on every path, and
 * variables whose reference is already released or moved there. Standard
 * token types carry custom modifiers, so themes keep their colours and users
 * style the modifiers (`*.owned`, `*.released`, `*.kptr`).
 */
export const SEMANTIC_TOKEN_TYPES = ['variable', 'property'] as const;
export const SEMANTIC_TOKEN_MODIFIERS = ['declaration', 'kptr', 'owned', 'released'] as const;

type TokenType = (typeof SEMANTIC_TOKEN_TYPES)[number];
type TokenModifier = (typeof SEMANTIC_TOKEN_MODIFIERS)[number];

interface Token {
  span: Span;
  type: TokenType;
  modifiers: TokenModifier[];
}

const IDENTIFIER = /^[A-Za-z_]\w*$/;

/** The LSP encoding of the tokens of one document (relative lines and columns, five numbers each). */
export function semanticTokens(analysis: DocumentAnalysis, ownership: OwnershipAnalysis | undefined): number[] {
  const tokens = [...declarationTokens(analysis), ...(ownership ? markTokens(analysis, ownership) : [])];
  return encode(analysis.text, tokens);
}

function declarationTokens(analysis: DocumentAnalysis): Token[] {
  const tokens: Token[] = [];
  for (const struct of analysis.model.structs) {
    for (const field of struct.fields) if (field.tag) tokens.push({ span: field.nameSpan, type: 'property', modifiers: ['declaration', 'kptr'] });
  }
  for (const global of analysis.model.globals) {
    if (global.tag) tokens.push({ span: global.nameSpan, type: 'variable', modifiers: ['declaration', 'kptr'] });
  }
  return tokens;
}

const MODIFIER_OF_MARK: Record<Mark, TokenModifier> = { owned: 'owned', released: 'released', 'kptr-field': 'kptr' };

function markTokens(analysis: DocumentAnalysis, ownership: OwnershipAnalysis): Token[] {
  const functions = functionIndex(analysis.visible);
  const tokens: Token[] = [];
  for (const marked of ownership.marks) {
    const fn = functions.get(marked.fn);
    if (!fn || fn.file !== undefined) continue;
    const span = { start: fn.origin + marked.span.start, end: fn.origin + marked.span.end };
    // Spans come from the tree the engine lowered; a token is only sent where the text still is one identifier.
    if (!IDENTIFIER.test(analysis.text.slice(span.start, span.end))) continue;
    const member = /(\.|->)\s*$/.test(analysis.text.slice(Math.max(0, span.start - 8), span.start));
    const type: TokenType = marked.mark === 'kptr-field' && member ? 'property' : 'variable';
    tokens.push({ span, type, modifiers: [MODIFIER_OF_MARK[marked.mark]] });
  }
  return tokens;
}

function encode(text: string, tokens: Token[]): number[] {
  const lines = lineIndexOf(text);
  const sorted = tokens.sort((a, b) => a.span.start - b.span.start);
  const data: number[] = [];
  let previousLine = 0;
  let previousChar = 0;
  let previousEnd = -1;
  for (const token of sorted) {
    if (token.span.start < previousEnd) continue;
    const start = lines.positionAt(token.span.start);
    const end = lines.positionAt(token.span.end);
    if (end.line !== start.line) continue;
    const deltaLine = start.line - previousLine;
    data.push(
      deltaLine,
      deltaLine === 0 ? start.character - previousChar : start.character,
      end.character - start.character,
      SEMANTIC_TOKEN_TYPES.indexOf(token.type),
      token.modifiers.reduce((bits, m) => bits | (1 << SEMANTIC_TOKEN_MODIFIERS.indexOf(m)), 0),
    );
    previousLine = start.line;
    previousChar = start.character;
    previousEnd = token.span.end;
  }
  return data;
}
