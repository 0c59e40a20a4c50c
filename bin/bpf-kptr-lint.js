#!/usr/bin/env node
'use strict';
// Chooses between checking here and in a second process before the checker loads (server/src/cli/relaunch.ts).
const argv = process.argv.slice(2);
require('../dist/relaunch.js').launch(__filename, argv, () => require('../dist/lint.js').main(argv));
