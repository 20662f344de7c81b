// The heredoc-lint command (package bin): the same linter as the action, for local and pre-commit use.
import { exitOnUnsupportedNode } from '../../../packages/runtime/index.ts';
import { runCli } from '../../../packages/heredoc/cli.ts';
import { nodeFileAccess } from '../../../packages/heredoc/run.ts';

exitOnUnsupportedNode('heredoc-lint');
const cwd = process.cwd();
process.exitCode = runCli(process.argv.slice(2), {
  cwd,
  files: nodeFileAccess(cwd),
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
});
