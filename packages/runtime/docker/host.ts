/**
 * The catalogue of plain host commands a deploy runs besides docker: pure functions returning argv
 * arrays, quoted and run by packages/runtime/ssh. Fixed scripts get their data as arguments, never pasted in.
 */
import { type Argv, STOP_SECONDS } from './commands.ts';
import { ADMIN_PORT } from './haproxy.ts';
import { stackDeploy } from './swarm.ts';
import { UNITS } from './units.generated.ts';

/** A unit from packages/runtime/docker/units/: a real shell file, run with `sh -c`, its data as arguments. */
const unit = (name: keyof typeof UNITS, ...args: string[]): Argv => ['sh', '-c', UNITS[name], name, ...args];

export const homeDirectory = (): Argv => ['pwd'];
export const makePrivateDirs = (...paths: string[]): Argv => ['mkdir', '-p', '-m', '700', ...paths];
export const makeDirs = (...paths: string[]): Argv => ['mkdir', '-p', ...paths];
export const readFile = (path: string): Argv => ['cat', path];
export const removeFile = (...paths: string[]): Argv => ['rm', '-f', ...paths];
/** A folder and everything in it; `--` so a path is never read as an option. */
export const removeTree = (path: string): Argv => ['rm', '-rf', '--', path];
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
 * One docker command with registry credentials, as one remote unit, and the credentials never reach the host's
 * disk (units/with-registry-login.sh): the password is stdin's first line, and docker reads a config that is a
 * named pipe.
 */
const withRegistryLogin = (registry: string, username: string, ...dockerArgs: string[]): Argv =>
  unit('with-registry-login', CREDENTIALS_PREFIX, username, registryAuthKey(registry), ...dockerArgs);

/** Pulls with registry credentials; stdin: the password. */
export const loginAndPull = (registry: string, username: string, image: string): Argv =>
  withRegistryLogin(registry, username, 'pull', '--quiet', image);

/**
 * `docker stack deploy` with registry credentials, which it hands to the swarm for every node's pull
 * (--with-registry-auth); stdin: the password's line, then the stack file.
 */
export const loginAndStackDeploy = (registry: string, username: string, stack: string): Argv =>
  withRegistryLogin(registry, username, ...stackDeploy(stack).slice(1, -1), '--with-registry-auth', stack);

/** Removes credential folders whose unit is gone (units/sweep-credentials.sh), and prints them. */
export const sweepCredentials = (): Argv => unit('sweep-credentials', CREDENTIALS_PREFIX);

/**
 * Puts a checked edge config in place and then runs `apply` (the runtime commands, or a reload), as one
 * remote unit (units/switch-config.sh): once the record has moved, the runtime follows it.
 */
export const switchConfig = (next: string, live: string, apply: Argv): Argv => unit('switch-config', next, live, ...apply);

/**
 * Creates the proxy, stops the container that publishes the ports and starts the proxy in its place, as one
 * remote unit that starts the old container again if the proxy cannot start (units/take-over-ports.sh). A
 * holder that has the proxy's own name (an nginx proxy) is renamed `retireAs` first; `proxy` is the new
 * proxy's name, and `createProxy` the argv that creates it.
 */
export const takeOverPorts = (holder: string, retireAs: string, proxy: string, createProxy: Argv): Argv =>
  unit('take-over-ports', holder, String(STOP_SECONDS), retireAs, proxy, ...createProxy);

/**
 * Strategy replace as one remote unit that restores by itself (units/guarded-replace.sh): a detached worker
 * stops the running container (kept as `previous`), starts the new one with `startNew`, and holds a verdict
 * on stdin: `commit`, `keep`, or `restore` (also when stdin closes because the runner or the connection died).
 * The unit prints `started <id>` once the new container runs, then exits with the worker's code.
 */
/** guardedReplace's exit codes besides 0: the old container could not be stopped; the new one did not start (the old one is back). */
export const GUARD_STOP_FAILED = 3;
export const GUARD_START_FAILED = 4;
/** guardedReplace could not take its unit lock (nothing was changed). */
export const GUARD_LOCK_FAILED = 5;

export const guardedReplace = (name: string, previous: string, unitLock: string, startNew: Argv): Argv =>
  unit(
    'guarded-replace',
    name,
    previous,
    unitLock,
    String(STOP_SECONDS),
    String(GUARD_STOP_FAILED),
    String(GUARD_START_FAILED),
    String(GUARD_LOCK_FAILED),
    ...startNew,
  );

/**
 * Runs `commands` on the HAProxy runtime API of the `proxy` container, which listens on that container's
 * loopback only (units/proxy-admin.sh, run inside it). Prints what HAProxy answered; see `adminFailure`.
 */
export const proxyAdmin = (proxy: string, commands: string): Argv => [
  'docker',
  'container',
  'exec',
  proxy,
  'sh',
  '-c',
  UNITS['proxy-admin'],
  'proxy-admin',
  String(ADMIN_PORT),
  commands,
];
