#!/usr/bin/env node
'use strict';
require('../dist/lint.js').main(process.argv.slice(2));
