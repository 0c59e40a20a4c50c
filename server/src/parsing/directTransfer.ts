import * as os from 'os';

/**
 * The part of an Emscripten module that web-tree-sitter moves nodes through: every node it hands
 * to or takes from WASM is five 32-bit words written with `setValue` or read with `getValue`.
 */
export interface EmscriptenTransfer {
  HEAP32?: unknown;
  setValue?: (pointer: number, value: number, type?: string) => void;
  getValue?: (pointer: number, type?: string) => number;
}

/**
 * Gives 32-bit transfers a direct path. Emscripten's accessors inspect the type name on every
 * call, and with about a million node transfers in a 70,000-line run that cost bpf-kptr-lint 5 %
 * of its time. The module object is the one given to `Parser.init` (Emscripten keeps the options
 * object as the module), and web-tree-sitter looks both accessors up on it at each call, so
 * replacing them there is enough. Other types keep the original accessors. Returns false, and
 * changes nothing, where the object does not have that shape (another runtime version) or the
 * machine is big-endian (WASM memory is little-endian; a typed array uses the machine's order).
 */
export function installDirectTransfer(module: EmscriptenTransfer, endianness: 'LE' | 'BE' = os.endianness()): boolean {
  const { setValue, getValue } = module;
  if (endianness !== 'LE' || typeof setValue !== 'function' || typeof getValue !== 'function' || !(module.HEAP32 instanceof Int32Array)) return false;
  // HEAP32 is read at each call: Emscripten replaces it when the WASM memory grows. An index is
  // the address divided by 4, which rounds it down to a word as Emscripten's accessors do.
  module.setValue = (pointer, value, type) => {
    if (type === 'i32') (module.HEAP32 as Int32Array)[pointer >> 2] = value;
    else setValue(pointer, value, type);
  };
  module.getValue = (pointer, type) => (type === 'i32' ? (module.HEAP32 as Int32Array)[pointer >> 2] : getValue(pointer, type));
  return true;
}
