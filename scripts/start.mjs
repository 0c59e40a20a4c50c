// Runs the product on examples/: starts the language server as an editor
// would (stdio), opens every example, and prints what a user would see.
import { spawnSync } from 'child_process';
import { dirname, join } from 'path';
import { fileURLToPath } from 'url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const step = (args) => {
  const result = spawnSync(process.execPath, args, { cwd: root, stdio: 'inherit' });
  if (result.status !== 0) process.exit(result.status || 1);
};
step([join(root, 'scripts', 'build.mjs')]);
step([join(root, 'scripts', 'demo.mjs'), join(root, 'examples')]);
