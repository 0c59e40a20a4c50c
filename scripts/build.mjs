// Bundles the extension client, the language server and the CLI with esbuild,
// and puts both WASM files beside the server bundle, where it loads them from.
import { build } from 'esbuild';
import { copyFileSync, mkdirSync, readFileSync } from 'fs';
import { createRequire } from 'module';
import { dirname, join } from 'path';
import { fileURLToPath } from 'url';
import { bundleOptions } from './bundle-options.mjs';
import { writeGrammar } from './grammar.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(join(root, 'package.json'));
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const dist = join(root, 'dist');
mkdirSync(dist, { recursive: true });

const common = { ...bundleOptions(pkg.version), sourcemap: true, minify: true };

await Promise.all([
  build({ ...common, entryPoints: [join(root, 'client/src/extension.ts')], outfile: join(dist, 'client.js'), external: ['vscode', ...common.external] }),
  build({ ...common, entryPoints: [join(root, 'server/src/main.ts')], outfile: join(dist, 'server.js') }),
  build({ ...common, entryPoints: [join(root, 'server/src/cli/main.ts')], outfile: join(dist, 'lint.js') }),
  build({ ...common, entryPoints: [join(root, 'server/src/cli/relaunch.ts')], outfile: join(dist, 'relaunch.js') }),
]);

await writeGrammar();
copyFileSync(require.resolve('web-tree-sitter/tree-sitter.wasm'), join(dist, 'tree-sitter.wasm'));
copyFileSync(require.resolve('tree-sitter-c/tree-sitter-c.wasm'), join(dist, 'tree-sitter-c.wasm'));
