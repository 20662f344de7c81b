#!/usr/bin/env node
// `npx audit-secrets`: the committed bundle of actions/audit-secrets's command line.
require('../actions/audit-secrets/dist/cli.cjs');
