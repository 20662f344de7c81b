// The heredoc-lint command, bundled to dist/heredoc-lint.cjs; bin/heredoc-lint.cjs checks the Node version first.
import { runCli } from '../../heredoc/cli.ts';
import { nodeFileAccess } from '../../heredoc/run.ts';

const cwd = process.cwd();
process.exitCode = runCli(process.argv.slice(2), {
  cwd,
  files: nodeFileAccess(cwd),
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
});
