// Packs (vscode:prepublish builds the bundles first) the extension into bpf-kptr-<version>.vsix with vsce.
// Everything the extension runs is bundled, so no node_modules go into the package.
import { execFileSync } from 'child_process';
import { readFileSync } from 'fs';
import { dirname, join } from 'path';
import { fileURLToPath } from 'url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const out = process.argv[2] ?? join(root, `${pkg.name}-${pkg.version}.vsix`);
const vsce = join(root, 'node_modules', '@vscode', 'vsce', 'vsce');

execFileSync(process.execPath, [vsce, 'package', '--no-dependencies', '--allow-missing-repository', '--no-rewrite-relative-links', '--out', out], {
  stdio: 'inherit',
  cwd: root,
  env: { ...process.env, VSCE_STORE: 'file' },
});
console.log(out);
