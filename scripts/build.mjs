// Bundles the extension client, the language server and the CLI with esbuild,
// and puts both WASM files beside the server bundle, where it loads them from.
import { build } from 'esbuild';
import { copyFileSync, mkdirSync, readFileSync } from 'fs';
import { createRequire } from 'module';
import { dirname, join } from 'path';
import { fileURLToPath } from 'url';
import { writeGrammar } from './grammar.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(join(root, 'package.json'));
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const dist = join(root, 'dist');
mkdirSync(dist, { recursive: true });

const common = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  sourcemap: true,
  minify: true,
  keepNames: true,
  logLevel: 'warning',
  define: { BPF_KPTR_VERSION: JSON.stringify(pkg.version), 'import.meta.url': '__bpfKptrModuleUrl' },
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

await Promise.all([
  build({ ...common, entryPoints: [join(root, 'client/src/extension.ts')], outfile: join(dist, 'client.js'), external: ['vscode', ...common.external] }),
  build({ ...common, entryPoints: [join(root, 'server/src/main.ts')], outfile: join(dist, 'server.js') }),
  build({ ...common, entryPoints: [join(root, 'server/src/cli/main.ts')], outfile: join(dist, 'lint.js') }),
]);

await writeGrammar();
copyFileSync(require.resolve('web-tree-sitter/tree-sitter.wasm'), join(dist, 'tree-sitter.wasm'));
copyFileSync(require.resolve('tree-sitter-c/tree-sitter-c.wasm'), join(dist, 'tree-sitter-c.wasm'));
