// The esbuild options every bundle of the product shares: the build (scripts/build.mjs) and the
// benchmark's in-process copy of the library (scripts/bench/library.mjs).
import { createRequire } from 'module';
import { dirname, join } from 'path';
import { fileURLToPath } from 'url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(join(root, 'package.json'));

/** Options for a CommonJS bundle for Node 20 that reports `version` as the product's version. */
export function bundleOptions(version) {
  return {
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    // No keepNames: it wraps every function the code creates in a defineProperty call, which cost
    // bpf-kptr-lint 5-6 % of its time on 70,000 lines, and nothing reads function names at run time.
    keepNames: false,
    logLevel: 'warning',
    define: { BPF_KPTR_VERSION: JSON.stringify(version), 'import.meta.url': '__bpfKptrModuleUrl' },
    // ESM dependencies bundled into CommonJS still ask for import.meta.url.
    banner: { js: "const __bpfKptrModuleUrl = require('url').pathToFileURL(__filename).href;" },
    // Resolved at run time only by unbundled development code; the bundle loads the copies beside it.
    external: ['web-tree-sitter/tree-sitter.wasm', 'tree-sitter-c/tree-sitter-c.wasm'],
    plugins: [
      {
        // The CommonJS build of the runtime: the ESM one locates its WASM through import.meta.url.
        name: 'web-tree-sitter-cjs',
        setup(b) {
          b.onResolve({ filter: /^web-tree-sitter$/ }, () => ({ path: require.resolve('web-tree-sitter') }));
        },
      },
    ],
  };
}
