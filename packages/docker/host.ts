/**
 * The catalogue of plain host commands a deploy runs besides docker: pure functions returning argv
 * arrays, quoted and run by packages/ssh. Fixed scripts get their data as arguments, never pasted in.
 */
import type { Argv } from './commands.ts';

export const homeDirectory = (): Argv => ['pwd'];
export const makePrivateDirs = (...paths: string[]): Argv => ['mkdir', '-p', '-m', '700', ...paths];
export const makeDirs = (...paths: string[]): Argv => ['mkdir', '-p', ...paths];
export const readFile = (path: string): Argv => ['cat', path];
export const removeFile = (path: string): Argv => ['rm', '-f', path];
/** rename(2): readers see the old file or the new one, never a half-written one. */
export const replaceFile = (from: string, to: string): Argv => ['mv', '-f', from, to];

/** Appends one line to a file; the line is data, given as an argument. */
export const appendLine = (path: string, line: string): Argv => ['sh', '-c', 'printf "%s\\n" "$2" >> "$1"', 'append', path, line];

/** Prefix of the folders that hold registry credentials for the length of one login and pull. */
export const CREDENTIALS_PREFIX = 'golden-deploy.';

/**
 * Logs in and pulls as one remote unit: the credentials (password on stdin) go into a fresh private
 * folder that the unit removes when it ends, however it ends, even if the runner or the SSH session
 * died meanwhile, because nothing but the unit itself is needed for the cleanup; a detached watcher removes
 * it within a second of the unit's death even when the unit itself is killed outright. The folder holds the
 * unit's pid, so a sweep can tell a live one from one left by a unit killed outright.
 */
export const loginAndPull = (registry: string, username: string, image: string): Argv => ['sh', '-c', [
  'set -e',
  `dir=$(mktemp -d "\${TMPDIR:-/tmp}/${CREDENTIALS_PREFIX}XXXXXXXX")`,
  'trap \'rm -rf "$dir"\' EXIT',
  "trap 'exit 129' HUP INT TERM PIPE",
  // A watcher outside this process tree (double fork) removes the folder even if the unit is SIGKILLed.
  '( ( while kill -0 "$$" 2>/dev/null; do sleep 1; done; rm -rf "$dir" ) </dev/null >/dev/null 2>&1 & )',
  'echo $$ > "$dir/owner.pid"',
  'docker --config "$dir" login --username "$1" --password-stdin "$2" >/dev/null',
  'docker --config "$dir" pull --quiet "$3"',
].join('\n'), 'login-and-pull', username, registry, image];

/**
 * Removes credential folders that no live unit owns: left by a unit killed outright (or by versions
 * that kept them for the whole deploy). A folder younger than a minute with no pid yet is being made.
 */
export const sweepCredentials = (): Argv => ['sh', '-c', [
  `for dir in "\${TMPDIR:-/tmp}"/${CREDENTIALS_PREFIX}*; do`,
  '  [ -d "$dir" ] && [ -O "$dir" ] || continue',
  '  pid=$(cat "$dir/owner.pid" 2>/dev/null || true)',
  '  if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then continue; fi',
  '  if [ -z "$pid" ] && [ -z "$(find "$dir" -maxdepth 0 -mmin +1)" ]; then continue; fi',
  '  rm -rf "$dir" && echo "$dir"',
  'done',
].join('\n'), 'sweep-credentials'];

/**
 * Puts a checked proxy config in place and reloads the proxy, as one remote unit: once the rename has
 * happened, the reload follows even if the runner or the SSH session dies.
 */
export const switchConfig = (next: string, live: string, proxy: string): Argv =>
  ['sh', '-c', 'mv -f "$1" "$2" && exec docker container kill --signal HUP "$3" >/dev/null', 'switch-config', next, live, proxy];

/**
 * Stops the container that publishes the ports (one deployed with strategy replace) and starts the proxy
 * in its place, as one remote unit: if the proxy cannot start, the old container starts again, so the
 * port is never left empty for longer than the hand-over, whatever happens to the runner.
 */
export const takeOverPorts = (holder: string, startProxy: Argv): Argv => ['sh', '-c', [
  'holder=$1; shift',
  'docker container stop --time 10 "$holder" >/dev/null',
  'if "$@"; then exit 0; fi',
  'docker container start "$holder" >/dev/null',
  'exit 1',
].join('\n'), 'take-over-ports', holder, ...startProxy];
