/** The oldest Node.js the command-line tools run on (package.json `engines`). */
export const MIN_NODE_MAJOR = 20;

/**
 * For a command's first line: on a Node older than MIN_NODE_MAJOR, one clear line and exit 2 (a usage
 * error, never 1, which means "findings"), instead of whatever the first missing API would throw.
 */
export function exitOnUnsupportedNode(command: string, version = process.versions.node, exit: (code: number) => never = process.exit): void {
  const major = Number(version.split('.')[0]);
  if (major >= MIN_NODE_MAJOR) return;
  process.stderr.write(`${command}: needs Node.js ${MIN_NODE_MAJOR} or later; this is ${version}\n`);
  exit(2);
}
