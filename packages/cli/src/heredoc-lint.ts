// The heredoc-lint command, bundled to dist/heredoc-lint.cjs; bin/heredoc-lint.cjs checks the Node version first.
// The published package has a package.json of its own, so the repository's # aliases do not reach here.
// The same file is what its worker threads load (packages/engines/heredoc/threads.ts).
import { isMainThread } from 'node:worker_threads';
import { runCli } from '../../engines/heredoc/cli.ts';
import { nodeFileAccess } from '../../engines/heredoc/run.ts';
import { serveLintWorker } from '../../engines/heredoc/threads.ts';

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
