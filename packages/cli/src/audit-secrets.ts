// The audit-secrets command, bundled to dist/audit-secrets.cjs; bin/audit-secrets.cjs checks the Node version first.
import { nodeIo, runCli } from '../../engines/audit/cli.ts';

const cwd = process.cwd();
void runCli(process.argv.slice(2), {
  cwd,
  ...nodeIo(cwd),
  env: process.env,
  log: (message) => process.stderr.write(`audit-secrets: ${message}\n`),
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
}).then((code) => {
  process.exitCode = code;
});
