#!/usr/bin/env node
// `npx heredoc-lint`: the committed bundle of actions/heredoc-lint's command line.
require('../actions/heredoc-lint/dist/cli.cjs');
