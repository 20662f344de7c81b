#!/usr/bin/env node
'use strict';
require('../lib/supported-node.cjs').exitOnUnsupportedNode('audit-secrets');
require('../dist/audit-secrets.cjs');
