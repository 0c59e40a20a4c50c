import { KFUNCS } from './kfuncTable';
import { MACROS } from './macros';
import { PROGRAM_WRAPPERS } from './macroSyntax';
import { TYPE_TAGS } from './typeTags';

/** The names the TextMate grammar highlights, taken from the knowledge base so the two never drift. */
export const GRAMMAR_NAMES = {
  kptrTags: TYPE_TAGS.map((t) => t.name),
  kfuncs: [...new Set(KFUNCS.flatMap((k) => (k.symbol ? [k.name, k.symbol] : [k.name])))].sort(),
  argTags: MACROS.filter((m) => m.name.startsWith('__arg_')).map((m) => m.name),
  symbolMacros: ['__ksym', '__kconfig'],
  mapMacros: ['__uint', '__type', '__array', '__ulong'],
  wrappers: PROGRAM_WRAPPERS.map((w) => w.name),
};
