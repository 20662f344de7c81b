// The heredoc-lint command, bundled to dist/heredoc-lint.cjs; bin/heredoc-lint.cjs checks the Node version first.
// The same file is what its worker threads load (packages/heredoc/threads.ts).
import { isMainThread } from 'node:worker_threads';
import { runCli } from '../../heredoc/cli.ts';
import { nodeFileAccess } from '../../heredoc/run.ts';
import { serveLintWorker } from '../../heredoc/threads.ts';

if (isMainThread) {
  const cwd = process.cwd();
  void runCli(process.argv.slice(2), {
    cwd,
    files: nodeFileAccess(cwd),
    stdout: (text) => process.stdout.write(text),
    stderr: (text) => process.stderr.write(text),
    workerEntry: __filename,
  }).then((code) => (process.exitCode = code));
} else {
  serveLintWorker();
}
