#!/usr/bin/env node
'use strict';
require('tsx/cjs');
require('../proxy/init/main.ts');
