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

/**
 * The lock a remote unit that outlives its session (guardedReplace's worker) holds for as long as it runs,
 * beside the deploy lock: a deploy that takes the deploy lock also waits for this one, so it never meets a
 * unit left by a runner that died mid-deploy while that unit is still restoring.
 */
export const unitLockPath = (lockPath: string): string => `${lockPath}.unit`;

/**
 * Takes the flock on `lockPath`, then waits for any unit still holding `unitLockPath(lockPath)` (each wait
 * up to `seconds`, exiting `conflictCode` if it times out), and holds the deploy lock for as long as stdin
 * stays open: closing stdin, the runner dying or the connection dropping all end `cat`, and the kernel
 * releases the lock, so it can never go stale. Prints `locked` once held.
 */
export const holdLock = (lockPath: string, seconds: number, conflictCode: number): Argv => [
  'flock',
  '--wait',
  String(seconds),
  '--conflict-exit-code',
  String(conflictCode),
  lockPath,
  'sh',
  '-c',
  'flock --wait "$1" --conflict-exit-code "$2" "$3" true || exit; echo locked; exec cat >/dev/null',
  'hold-lock',
  String(seconds),
  String(conflictCode),
  unitLockPath(lockPath),
];

/** Appends one line to a file; the line is data, given as an argument. */
export const appendLine = (path: string, line: string): Argv => ['sh', '-c', 'printf "%s\\n" "$2" >> "$1"', 'append', path, line];

/** Prefix of the folders that hold registry credentials for the length of one login and pull. */
export const CREDENTIALS_PREFIX = 'golden-deploy.';

/** Docker Hub's names, which the docker CLI looks credentials up under as its index server. */
const DOCKER_HUB = new Set(['docker.io', 'index.docker.io', 'registry-1.docker.io', 'https://index.docker.io/v1/']);

/** The key under which the docker CLI looks up a registry's credentials in its config's `auths`. */
export function registryAuthKey(server: string): string {
  return DOCKER_HUB.has(server) ? 'https://index.docker.io/v1/' : server;
}

/**
 * Pulls with registry credentials as one remote unit, and the credentials never reach the host's disk:
 * the unit reads the password from stdin and hands docker a config whose `config.json` is a named pipe
 * (mode 600, in a private folder named after the unit's pid), written once from memory while `docker pull`
 * reads it. A kill at any moment, of the unit or of the whole session's process tree, leaves at most an
 * empty pipe, which the EXIT trap, a watcher detached before the folder exists, or the next deploy's sweep
 * removes; the watcher also ends a writer still waiting for a reader.
 */
export const loginAndPull = (registry: string, username: string, image: string): Argv => [
  'sh',
  '-c',
  [
    'set -e',
    `dir="\${TMPDIR:-/tmp}/${CREDENTIALS_PREFIX}$$"`,
    '( ( while kill -0 "$$" 2>/dev/null; do sleep 1; done',
    '    [ -s "$dir/writer" ] && kill "$(cat "$dir/writer")" 2>/dev/null; rm -rf "$dir" ) </dev/null >/dev/null 2>&1 & )',
    'IFS= read -r password || [ -n "$password" ]',
    'mkdir -m 700 "$dir"',
    'trap \'[ -s "$dir/writer" ] && kill "$(cat "$dir/writer")" 2>/dev/null; rm -rf "$dir"\' EXIT',
    "trap 'exit 129' HUP INT TERM PIPE",
    'mkfifo -m 600 "$dir/config.json"',
    'auth=$(printf "%s:%s" "$1" "$password" | base64 | tr -d "\\n")',
    // The writer names itself in $dir/writer only while it may block, so nothing ever kills a reused pid.
    '( until [ -s "$dir/writer" ]; do sleep 0.01; done',
    '  printf \'{"auths":{"%s":{"auth":"%s"}}}\' "$2" "$auth" > "$dir/config.json"; rm -f "$dir/writer" ) &',
    'echo $! > "$dir/writer"',
    'unset password auth',
    'docker --config "$dir" pull --quiet "$3"',
  ].join('\n'),
  'login-and-pull',
  username,
  registryAuthKey(registry),
  image,
];

/**
 * Removes credential folders whose unit is gone (the pid in the name is not alive): left by a host that
 * went down mid-pull, or by versions that kept them for the whole deploy (random names, an hour old).
 */
export const sweepCredentials = (): Argv => [
  'sh',
  '-c',
  [
    `for dir in "\${TMPDIR:-/tmp}"/${CREDENTIALS_PREFIX}*; do`,
    '  [ -d "$dir" ] && [ -O "$dir" ] || continue',
    '  pid=${dir##*.}',
    '  case "$pid" in',
    '    *[!0-9]*) [ -n "$(find "$dir" -maxdepth 0 -mmin +1)" ] || continue ;;',
    '    *) ! kill -0 "$pid" 2>/dev/null || continue ;;',
    '  esac',
    '  rm -rf "$dir" && echo "$dir"',
    'done',
  ].join('\n'),
  'sweep-credentials',
];

/**
 * Puts a checked proxy config in place and reloads the proxy, as one remote unit: once the rename has
 * happened, the reload follows even if the runner or the SSH session dies.
 */
export const switchConfig = (next: string, live: string, proxy: string): Argv => [
  'sh',
  '-c',
  'mv -f "$1" "$2" && exec docker container kill --signal HUP "$3" >/dev/null',
  'switch-config',
  next,
  live,
  proxy,
];

/**
 * Stops the container that publishes the ports (one deployed with strategy replace) and starts the proxy
 * in its place, as one remote unit: if the proxy cannot start, the old container starts again, so the
 * port is never left empty for longer than the hand-over, whatever happens to the runner.
 */
export const takeOverPorts = (holder: string, startProxy: Argv): Argv => [
  'sh',
  '-c',
  [
    'holder=$1; shift',
    'docker container stop --time 10 "$holder" >/dev/null',
    'if "$@"; then exit 0; fi',
    'docker container start "$holder" >/dev/null',
    'exit 1',
  ].join('\n'),
  'take-over-ports',
  holder,
  ...startProxy,
];

/**
 * Strategy replace as one remote unit that restores by itself. A worker, detached (double fork) before
 * anything changes, stops the running container (kept as `previous`), starts the new one with `startNew`
 * and waits for a verdict on stdin, which it holds: `commit` keeps the new container, `keep` leaves both as
 * they are (rollback off); `restore`, anything else, or stdin closing because the runner or the connection
 * died, puts the previous container back (on a first deploy: removes the unverified new one). Being
 * detached, the worker outlives even a kill of the session's whole process tree. The unit's own shell only
 * relays: `started <id>` once the new container runs, then the worker's exit code.
 */
/** guardedReplace's exit codes besides 0: the old container could not be stopped; the new one did not start (the old one is back). */
export const GUARD_STOP_FAILED = 3;
export const GUARD_START_FAILED = 4;
/** guardedReplace could not take its unit lock (nothing was changed). */
export const GUARD_LOCK_FAILED = 5;

export const guardedReplace = (name: string, previous: string, unitLock: string, startNew: Argv): Argv => [
  'sh',
  '-c',
  [
    'name=$1; previous=$2; unit=$3; shift 3',
    'state=$(mktemp -d)',
    'exec 3<&0',
    '( (',
    '  restore() {',
    '    docker container rm --force "$name" >/dev/null 2>&1',
    '    if [ -n "$had_previous" ]; then docker container rename "$previous" "$name" && docker container start "$name" >/dev/null; fi',
    '  }',
    '  finish() { echo "$1" > "$state/code.new" && mv "$state/code.new" "$state/code"; exit "$1"; }',
    // Held until the worker exits. It is free now (this deploy waited for it with the deploy lock); a later
    // deploy waits for it (holdLock) if this worker is still restoring after its runner died.
    `  exec 9>"$unit" && flock --wait 30 9 || finish ${GUARD_LOCK_FAILED}`,
    '  had_previous=',
    '  if docker container inspect "$name" >/dev/null 2>&1; then',
    `    docker container stop --time 10 "$name" >/dev/null && docker container rename "$name" "$previous" || finish ${GUARD_STOP_FAILED}`,
    '    had_previous=1',
    '  fi',
    `  if ! id=$("$@" </dev/null); then restore; finish ${GUARD_START_FAILED}; fi`,
    '  echo "$id" > "$state/started"',
    '  verdict=; read -r verdict || true',
    '  case "$verdict" in commit|keep) finish 0 ;; esac',
    '  restore; finish $?',
    ') <&3 >/dev/null 2>"$state/stderr" & )',
    'exec 3<&- 0</dev/null',
    'while [ ! -e "$state/started" ] && [ ! -e "$state/code" ]; do sleep 0.1; done',
    '[ -e "$state/started" ] && echo "started $(cat "$state/started")"',
    'while [ ! -e "$state/code" ]; do sleep 0.2; done',
    'code=$(cat "$state/code"); cat "$state/stderr" >&2; rm -rf "$state"; exit "$code"',
  ].join('\n'),
  'guarded-replace',
  name,
  previous,
  unitLock,
  ...startNew,
];
