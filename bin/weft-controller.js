#!/usr/bin/env node
'use strict';
require('tsx/cjs');
require('../controller/main.ts');
