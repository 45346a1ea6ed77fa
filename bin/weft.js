#!/usr/bin/env node
'use strict';
// The sources run through tsx; dist/ (npm run build) is for images and benchmarks.
require('tsx/cjs');
require('../cli/main.ts');
