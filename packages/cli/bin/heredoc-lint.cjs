#!/usr/bin/env node
'use strict';
require('../lib/supported-node.cjs').exitOnUnsupportedNode('heredoc-lint');
require('../dist/heredoc-lint.cjs');
