// The audit-secrets command (package bin): the same audit as the action, for local and pre-commit use.
import { exitOnUnsupportedNode } from '../../../packages/runtime/index.ts';
import { nodeIo, runCli } from '../../../packages/manifest/cli.ts';

exitOnUnsupportedNode('audit-secrets');
const cwd = process.cwd();
void runCli(process.argv.slice(2), {
  cwd,
  ...nodeIo(cwd),
  env: process.env,
  log: (message) => process.stderr.write(`audit-secrets: ${message}\n`),
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
}).then((code) => { process.exitCode = code; });
