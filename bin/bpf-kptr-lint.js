#!/usr/bin/env node
'use strict';
require('../dist/lint.js').launch(__filename, process.argv.slice(2));
