// Writes syntaxes/bpf-kptr.injection.tmLanguage.json: a TextMate grammar injected into C that
// marks the BPF idioms, with the knowledge base's names (kfuncs, tags, macros) read from the
// TypeScript tables so highlighting and analysis never disagree.
import { build } from 'esbuild';
import { writeFileSync } from 'fs';
import { createRequire } from 'module';
import { dirname, join } from 'path';
import { fileURLToPath } from 'url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

async function loadNames() {
  const result = await build({
    entryPoints: [join(root, 'server/src/knowledge/grammarNames.ts')],
    bundle: true,
    write: false,
    format: 'cjs',
    platform: 'node',
    logLevel: 'warning',
  });
  const module = { exports: {} };
  new Function('module', 'exports', 'require', result.outputFiles[0].text)(module, module.exports, createRequire(import.meta.url));
  return module.exports.GRAMMAR_NAMES;
}

const words = (names) => `\\b(${names.map((n) => n.replace(/[^\w]/g, '')).join('|')})\\b`;

export async function writeGrammar() {
  const names = await loadNames();
  const grammar = {
    $schema: 'https://raw.githubusercontent.com/martinring/tmlanguage/master/tmlanguage.json',
    name: 'BPF kptr injection',
    scopeName: 'source.c.bpf-kptr',
    injectionSelector: 'L:source.c -comment -string, L:source.cpp -comment -string',
    patterns: [
      { include: '#section' },
      { include: '#map-field' },
      { include: '#kptr-tag' },
      { include: '#symbol-tag' },
      { include: '#arg-tag' },
      { include: '#wrapper' },
      { include: '#kfunc' },
    ],
    repository: {
      section: {
        comment: 'SEC("name") and its section string',
        begin: '\\b(SEC)\\s*(\\()',
        beginCaptures: { 1: { name: 'keyword.other.section.bpf' }, 2: { name: 'punctuation.section.parens.begin.bpf' } },
        end: '\\)',
        endCaptures: { 0: { name: 'punctuation.section.parens.end.bpf' } },
        patterns: [{ match: '"[^"]*"', name: 'string.quoted.double.section.bpf' }],
      },
      'map-field': {
        comment: '__uint(type, ...) and the other map-definition macros',
        match: `${words(names.mapMacros)}\\s*(?=\\()`,
        captures: { 1: { name: 'support.function.map-definition.bpf' } },
      },
      'kptr-tag': { comment: 'kptr type tags', match: words(names.kptrTags), name: 'storage.modifier.kptr.bpf' },
      'symbol-tag': { comment: '__ksym and __kconfig externs', match: words(names.symbolMacros), name: 'storage.modifier.ksym.bpf' },
      'arg-tag': { comment: 'argument tags of global functions', match: words(names.argTags), name: 'storage.modifier.arg-tag.bpf' },
      wrapper: { comment: 'BPF program wrappers', match: `${words(names.wrappers)}\\s*(?=\\()`, captures: { 1: { name: 'support.function.program-wrapper.bpf' } } },
      kfunc: { comment: 'kfuncs and helpers of the knowledge base', match: `${words(names.kfuncs)}\\s*(?=\\()`, captures: { 1: { name: 'support.function.kfunc.bpf' } } },
    },
  };
  writeFileSync(join(root, 'syntaxes', 'bpf-kptr.injection.tmLanguage.json'), JSON.stringify(grammar, null, 2) + '\n');
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) await writeGrammar();
