/**
 * A copy of `text` that shares no memory with the string it was cut from. V8 keeps a substring
 * of 13 characters or more as a view into its parent (a sliced string), so a name read from one
 * version of a document would keep that version's whole text alive as long as the name lives:
 * items and bodies carried over from version to version would each pin an old text.
 */
export function detached(text: string): string {
  return text.length < 13 ? text : (' ' + text).slice(1);
}

/** Characters copied per read of a node's text (names are shorter; longer texts take several). */
const TEXT_CHUNK = 64;

/**
 * What tree-sitter parses `text` with: the text itself while parsing, and afterwards (for
 * `node.text`, which the tree reads through the same callback) detached copies.
 */
export function detachedReader(text: string): { read: (index: number) => string; parsed: () => void } {
  let parsing = true;
  return {
    read: (index) => (parsing ? text.slice(index) : detached(text.slice(index, index + TEXT_CHUNK))),
    parsed: () => {
      parsing = false;
    },
  };
}
