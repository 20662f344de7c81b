import { createHash } from 'node:crypto';
import { readFileSync, realpathSync } from 'node:fs';
import { rootCertificates } from 'node:tls';
import { isAbsolute, posix, relative, resolve } from 'node:path';
import { InputError, type InputReader, parseHttpUrl, parseStatusRanges, type StatusRange } from '#inputs/index';
import {
  CERTIFICATE_INPUT,
  type CertificateCheck,
  checkCertificate,
  containerPortFor,
  DEFAULT_MAINTENANCE_PAGE,
  type EdgeMaintenance,
  type EnvEntry,
  KEY_INPUT,
  MAX_MAINTENANCE_PAGE_BYTES,
  formatPortMapping,
  type ImageRef,
  isSingleTcpPort,
  onEveryAddress,
  parseEnvLines,
  parseImageRef,
  parsePortMapping,
  type PortMapping,
  SWARM_MAX_REPLICAS,
} from '#docker/index';
import { worthMasking } from '#log/index';
import { readSshTarget, readSshTargets, type SshTarget } from '#ssh/index';

export interface PrepareDir {
  path: string;
  owner?: string;
  mode?: string;
}

/** A workspace file uploaded to the host before the container starts (e.g. config mounted read-only). */
export interface UploadFile {
  local: string;
  remote: string;
  content: Buffer;
}

export interface HealthGate {
  url?: URL;
  container: boolean;
  intervalMs: number;
  timeoutMs: number;
  attempts: number;
  expectedStatus: StatusRange[];
  bodyContains?: string;
  /**
   * With the edge's TLS: the certificates a probe through the edge trusts, the system's roots and the chain
   * just deployed (so a self-signed certificate, or one from a private CA included in the chain, verifies).
   */
  ca?: string;
}

/**
 * `replace`: stop the old container, then start the new one. `switch`: start beside it, move traffic through a proxy.
 * `swarm`: a Docker Swarm service through a manager, updated start-first by the engine, behind an edge on every node.
 */
export type DeployStrategy = 'replace' | 'switch' | 'swarm';

/** Strategy swarm's own settings. */
export interface SwarmSettings {
  replicas: number;
  convergeTimeoutMs: number;
  /** The port the edge publishes on every node, and the app's port inside its tasks (`ports`: published:container). */
  publishedPort: number;
  containerPort: number;
  /** health-url's path and query: the tasks' HEALTHCHECK and the edge's check. */
  healthPath: string;
}

export interface DeployInputs {
  strategy: DeployStrategy;
  /** The HAProxy image of the service's edge container (strategy switch), or of its edge service (strategy swarm). */
  proxyImage?: string;
  swarm?: SwarmSettings;
  /** The edge's certificate and key (strategy switch): its published ports speak TLS. */
  tls?: EdgeTls;
  /** The edge accepts the PROXY protocol (v1 and v2) from a load balancer in front (strategy switch). */
  proxyProtocol: boolean;
  /** The edge keeps the X-Forwarded-For and X-Forwarded-Proto a proxy in front sent (strategy switch). */
  forwardHeaders: boolean;
  drainTimeoutMs: number;
  targets: SshTarget[];
  jump?: SshTarget;
  image: ImageRef;
  name: string;
  ports: PortMapping[];
  volumes: string[];
  env: EnvEntry[];
  envWarnings: string[];
  envFilePath?: string;
  restart: string;
  labels: string[];
  command: string[];
  network?: string;
  dockerArgs: string[];
  registry?: { server: string; username: string; password: string };
  prepareDirs: PrepareDir[];
  files: UploadFile[];
  health: HealthGate;
  rollback: boolean;
  postDeploy: string[];
  lockTimeoutMs: number;
  keepImages: number;
  maxParallel: number;
  /** Never to appear in a log, summary, output or remote argv. */
  secrets: string[];
}

export interface EdgeTls {
  certificate: string;
  /** A secret: masked, written only to the host's private proxy folder, never shown. */
  key: string;
  /** The certificate chain's SHA-256, which the edge's config names. */
  digest: string;
  check: CertificateCheck;
}

/**
 * A step on a deployed service without an image, on every host: `maintenance: on|off` changes only what its
 * edge answers; `remove: true` removes the service (its containers, edge, network, files and TLS key).
 */
export type ServiceStep = { kind: 'maintenance'; maintenance: EdgeMaintenance } | { kind: 'remove' };

export interface ServiceStepInputs {
  name: string;
  step: ServiceStep;
  targets: SshTarget[];
  jump?: SshTarget;
  lockTimeoutMs: number;
  maxParallel: number;
  secrets: string[];
}

const CONTAINER_NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,127}$/;
const VOLUME_SOURCE = /^(?:\/[^:,\0]*|[a-zA-Z0-9][a-zA-Z0-9_.-]*)$/;
const RESTART = /^(?:no|always|unless-stopped|on-failure(?::\d+)?)$/;
const LABEL = /^[a-zA-Z0-9][a-zA-Z0-9_.\-/]*=[^\n]*$/;
const NETWORK = /^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/;
const OWNER = /^\d+(?::\d+)?$/;
const MODE = /^[0-7]{3,4}$/;
/** Host paths a volume may mount only with allow-host-mounts: the root, and /etc, /proc, /sys and below. */
const HOST_MOUNT_GUARDED = ['/etc', '/proc', '/sys'];

/** Reads a workspace file for the `files` input; throws with the reason when it cannot. */
export interface LocalFileReader {
  /** The workspace, after symlinks: no upload may come from outside it. */
  workspace: string;
  /** The real path of a file (symlinks resolved); throws when it does not exist. */
  realPath(path: string): string;
  read(path: string): Buffer;
}

const defaultLocalFileReader = (): LocalFileReader => ({
  workspace: realpathSync(process.env.GITHUB_WORKSPACE || process.cwd()),
  realPath: (path) => realpathSync(path),
  read: (path) => readFileSync(path),
});

/** Collects the secret values inputs hold, for masking; `keep` passes a value through (empty as undefined). */
function secretKeeper() {
  const secrets: string[] = [];
  const keep = (value: string | undefined) => {
    if (value) secrets.push(value);
    return value || undefined;
  };
  return { secrets, keep };
}

/** Every input, checked and parsed into types; nothing after this parses an input string again. */
export function readDeployInputs(inputs: InputReader, localFiles: LocalFileReader = defaultLocalFileReader()): DeployInputs {
  const { secrets, keep } = secretKeeper();
  const allowLatest = inputs.boolean('allow-latest', false);
  if (inputs.string('maintenance'))
    throw new InputError('maintenance', 'changes only what the edge answers: run it as a step of its own, without image');
  if (inputs.boolean('remove', false)) throw new InputError('remove', 'removes the service: run it as a step of its own, without image');
  if (inputs.string('maintenance-page')) throw new InputError('maintenance-page', 'goes with maintenance: on, in a step without image');
  const image = parseImageRef('image', inputs.required('image'), allowLatest);
  const name = readName(inputs);
  const ports = readPorts(inputs);
  const volumes = readVolumes(inputs);
  const strategy = readStrategy(inputs);
  const proxyImage = strategy === 'replace' ? undefined : readEdgeImage(inputs, strategy, ports, allowLatest);
  const edge = readEdge(inputs, strategy, keep);
  const env = readEnv(inputs, keep);
  const container = readContainerOptions(inputs);
  const registry = readRegistry(inputs, image, keep);
  const health = readHealthGate(inputs);
  if (edge.tls) health.ca = [...rootCertificates, edge.tls.certificate].join('\n');
  if (strategy === 'switch') checkGateReachesContainer(health, ports);
  const swarm = strategy === 'swarm' ? readSwarm(inputs, ports, health) : undefined;
  const rollback = inputs.boolean('rollback', true);
  const targets = readSshTargets(inputs, HOST_INPUTS, keep);
  if (swarm && targets.length > 1)
    throw new InputError('hosts', 'with strategy swarm, give one manager as host: the engine places the tasks');
  const jump = readJump(inputs, keep);
  return {
    strategy,
    proxyImage,
    swarm,
    ...edge,
    drainTimeoutMs: inputs.duration('drain-timeout', 30_000),
    targets,
    jump,
    image,
    name,
    ports,
    volumes,
    ...env,
    ...container,
    command: readCommand(inputs.string('command')),
    registry,
    prepareDirs: inputs.lines('prepare-dirs').map(readPrepareDir),
    files: inputs.lines('files').map((line) => readUploadFile(line, localFiles)),
    health,
    rollback,
    postDeploy: inputs.lines('post-deploy'),
    lockTimeoutMs: inputs.duration('lock-timeout', 120_000),
    keepImages: inputs.integer('keep-images', 3, { min: 1 }),
    maxParallel: inputs.integer('max-parallel', 1, { min: 1 }),
    secrets,
  };
}

/** The deploy hosts' inputs, as readSshTargets takes them. */
const HOST_INPUTS = {
  host: 'host',
  hosts: 'hosts',
  port: 'port',
  username: 'username',
  key: 'private-key',
  passphrase: 'passphrase',
  password: 'password',
  hostKey: 'host-key',
} as const;

function readName(inputs: InputReader): string {
  const name = inputs.required('name');
  if (!CONTAINER_NAME.test(name))
    throw new InputError('name', `'${name}' is not a container name (letters, digits, _ . -; starting with a letter or digit)`);
  return name;
}

function readPorts(inputs: InputReader): PortMapping[] {
  return inputs.lines('ports').map((port) => {
    const mapping = parsePortMapping(port);
    if (!mapping) throw new InputError('ports', `'${port}' is not a port mapping such as 127.0.0.1:8080:80`);
    return mapping;
  });
}

function readVolumes(inputs: InputReader): string[] {
  const allowHostMounts = inputs.boolean('allow-host-mounts', false);
  return inputs.lines('volumes').map((volume) => {
    const [source = '', target = '', options, ...rest] = volume.split(':');
    if (
      !VOLUME_SOURCE.test(source) ||
      !target.startsWith('/') ||
      rest.length > 0 ||
      (options !== undefined && !/^[a-zA-Z,]+$/.test(options))
    )
      throw new InputError('volumes', `'${volume}' is not a volume such as /srv/static:/app/static[:ro]`);
    const guarded = guardedHostPath(source);
    if (!allowHostMounts && guarded)
      throw new InputError(
        'volumes',
        `'${volume}' mounts the host's ${guarded}; set allow-host-mounts: true if the container really needs it`,
      );
    return volume;
  });
}

/** The edge's image (strategies switch and swarm), and ports it can stand in front of. */
function readEdgeImage(inputs: InputReader, strategy: DeployStrategy, ports: readonly PortMapping[], allowLatest: boolean): string {
  const proxyImage = parseImageRef('proxy-image', inputs.required('proxy-image'), allowLatest).reference;
  if (ports.length === 0) throw new InputError('ports', `is required with strategy ${strategy}: the proxy publishes them`);
  const unfit = ports.find((port) => !isSingleTcpPort(port));
  if (unfit)
    throw new InputError(
      'ports',
      `'${formatPortMapping(unfit)}' is not a single TCP host:container port; strategy ${strategy} proxies those, e.g. ` +
        (strategy === 'swarm' ? '8000:8000' : '127.0.0.1:8000:8000'),
    );
  return proxyImage;
}

/** Inputs that place things on one host, which a swarm service's tasks (on any node) cannot take. */
const NOT_WITH_SWARM = ['volumes', 'files', 'prepare-dirs', 'post-deploy', 'command', 'network', 'docker-args', 'env-file-path', 'labels'];

/** Strategy swarm's settings: one port published on every node, and a health-url on it whose path the tasks are checked on. */
function readSwarm(inputs: InputReader, ports: readonly PortMapping[], health: HealthGate): SwarmSettings {
  for (const name of NOT_WITH_SWARM)
    if (inputs.string(name)) throw new InputError(name, 'is not available with strategy swarm: the tasks run on any node');
  if (inputs.boolean('health-container', false)) throw new InputError('health-container', 'with strategy swarm, give health-url');
  if (!inputs.boolean('rollback', true))
    throw new InputError('rollback', 'with strategy swarm the engine always rolls a failed update back');
  const [port, ...more] = ports as (PortMapping & { hostPort: number })[];
  if (more.length > 0 || !onEveryAddress(port!))
    throw new InputError('ports', `with strategy swarm, give one published:container port, e.g. 8000:8000: it is published on every node`);
  if (!health.url)
    throw new InputError('health-url', 'is required with strategy swarm: the tasks are checked on its path before they take traffic');
  if (!containerPortFor(ports, health.url))
    throw new InputError(
      'health-url',
      `${health.url.host} is not the published port of ports; with strategy swarm, e.g. http://127.0.0.1:${port!.hostPort}/healthz`,
    );
  return {
    replicas: inputs.integer('replicas', 2, { min: 1, max: SWARM_MAX_REPLICAS }),
    convergeTimeoutMs: inputs.duration('converge-timeout', 300_000),
    publishedPort: port!.hostPort,
    containerPort: port!.containerPort,
    healthPath: `${health.url.pathname}${health.url.search}`,
  };
}

/** The edge's TLS and PROXY protocol inputs, which only strategy switch's edge serves. */
function readEdge(
  inputs: InputReader,
  strategy: DeployStrategy,
  keep: (secret: string) => void,
): Pick<DeployInputs, 'tls' | 'proxyProtocol' | 'forwardHeaders'> {
  const certificate = inputs.multiline(CERTIFICATE_INPUT);
  const key = inputs.multiline(KEY_INPUT);
  if (key) keep(key);
  const proxyProtocol = inputs.boolean('proxy-protocol', false);
  const forwardHeaders = inputs.boolean('forward-headers', false);
  const given = [
    certificate && CERTIFICATE_INPUT,
    key && KEY_INPUT,
    proxyProtocol && 'proxy-protocol',
    forwardHeaders && 'forward-headers',
  ].find(Boolean);
  if (given && strategy !== 'switch') throw new InputError(given, 'needs strategy switch: the edge serves it');
  if (Boolean(certificate) !== Boolean(key))
    throw new InputError(certificate ? KEY_INPUT : CERTIFICATE_INPUT, `${CERTIFICATE_INPUT} and ${KEY_INPUT} go together`);
  if (!certificate) return { proxyProtocol, forwardHeaders };
  const check = checkCertificate(certificate, key);
  const digest = createHash('sha256').update(certificate.trim()).digest('hex');
  return { tls: { certificate, key, digest, check }, proxyProtocol, forwardHeaders };
}

/** A step without `image` that names `maintenance` or `remove`: a service step, not a deploy. */
export function isServiceStep(inputs: InputReader): boolean {
  return inputs.string('image') === '' && (inputs.string('maintenance') !== '' || inputs.boolean('remove', false));
}

/**
 * The inputs of a service step. A maintenance page is a workspace file (`maintenance-page`), read like
 * `files`; without it, a plain default page.
 */
export function readServiceStepInputs(inputs: InputReader, localFiles: LocalFileReader = defaultLocalFileReader()): ServiceStepInputs {
  const { secrets, keep } = secretKeeper();
  const remove = inputs.boolean('remove', false);
  if (remove && inputs.string('maintenance')) throw new InputError('remove', 'and maintenance are two steps; give one');
  return {
    name: readName(inputs),
    step: remove ? { kind: 'remove' } : { kind: 'maintenance', maintenance: readMaintenance(inputs, localFiles) },
    targets: readSshTargets(inputs, HOST_INPUTS, keep),
    jump: readJump(inputs, keep),
    lockTimeoutMs: inputs.duration('lock-timeout', 120_000),
    maxParallel: inputs.integer('max-parallel', 1, { min: 1 }),
    secrets,
  };
}

function readMaintenance(inputs: InputReader, localFiles: LocalFileReader): EdgeMaintenance {
  const flag = inputs.string('maintenance').toLowerCase();
  if (flag !== 'on' && flag !== 'off') throw new InputError('maintenance', `'${flag}' is neither on nor off`);
  const pagePath = inputs.string('maintenance-page');
  const page = pagePath ? readWorkspaceFile('maintenance-page', pagePath, localFiles).toString('utf8') : DEFAULT_MAINTENANCE_PAGE;
  if (Buffer.byteLength(page) > MAX_MAINTENANCE_PAGE_BYTES)
    throw new InputError(
      'maintenance-page',
      `${pagePath} is ${Buffer.byteLength(page)} bytes; the edge serves at most ${MAX_MAINTENANCE_PAGE_BYTES}`,
    );
  return { on: flag === 'on', page };
}

/** With strategy switch the gate probes the new container directly, on the container port behind health-url. */
function checkGateReachesContainer(health: HealthGate, ports: readonly PortMapping[]): void {
  if (health.url && !containerPortFor(ports, health.url))
    throw new InputError(
      'health-url',
      `${health.url.host} is not the host side of any of ports; with strategy switch the gate ` +
        'probes the new container directly on the matching container port',
    );
}

function readEnv(inputs: InputReader, keep: (secret: string) => void): Pick<DeployInputs, 'env' | 'envWarnings' | 'envFilePath'> {
  const { entries: env, warnings: envWarnings } = parseEnvLines('env', inputs.verbatim('env'));
  // Env values are never printed; masking is the safety net, under the one policy (packages/runtime/log).
  for (const entry of env) if (worthMasking(entry.value)) keep(entry.value.trim());
  const envFilePath = inputs.string('env-file-path') || undefined;
  if (envFilePath && (/[\0\n]/.test(envFilePath) || envFilePath.endsWith('/')))
    throw new InputError('env-file-path', 'must be a file path');
  return { env, envWarnings, envFilePath };
}

function readContainerOptions(inputs: InputReader): Pick<DeployInputs, 'restart' | 'labels' | 'network' | 'dockerArgs'> {
  const restart = inputs.string('restart', 'unless-stopped');
  if (!RESTART.test(restart))
    throw new InputError('restart', `'${restart}' is not a restart policy (no, always, unless-stopped, on-failure[:N])`);
  const labels = inputs.lines('labels').map((label) => {
    if (!LABEL.test(label)) throw new InputError('labels', `'${label}' is not key=value`);
    return label;
  });
  const network = inputs.string('network') || undefined;
  if (network && !NETWORK.test(network)) throw new InputError('network', `'${network}' is not a network name`);
  const dockerArgs = inputs.lines('docker-args').map((arg) => {
    if (!arg.startsWith('-')) throw new InputError('docker-args', `'${arg}' is not an option; give one --flag=value per line`);
    return arg;
  });
  return { restart, labels, network, dockerArgs };
}

function readRegistry(
  inputs: InputReader,
  image: ImageRef,
  keep: (secret: string | undefined) => string | undefined,
): DeployInputs['registry'] {
  const password = keep(inputs.string('registry-password'));
  const username = inputs.string('registry-username');
  if (Boolean(password) !== Boolean(username))
    throw new InputError(password ? 'registry-username' : 'registry-password', 'registry-username and registry-password go together');
  const server = inputs.string('registry') || image.registry;
  if (password && !server) throw new InputError('registry', `is required: the image '${image.reference}' names no registry to log in to`);
  return password ? { server: server!, username, password } : undefined;
}

const STRATEGIES: readonly DeployStrategy[] = ['replace', 'switch', 'swarm'];

function readStrategy(inputs: InputReader): DeployStrategy {
  const strategy = inputs.string('strategy', 'replace');
  if (!STRATEGIES.includes(strategy as DeployStrategy))
    throw new InputError('strategy', `'${strategy}' is not a strategy (${STRATEGIES.join(', ')})`);
  return strategy as DeployStrategy;
}

/** The container command: a JSON array (exec form), or words separated by blanks. */
export function readCommand(raw: string): string[] {
  if (raw === '') return [];
  if (raw.startsWith('[')) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(raw);
    } catch {
      throw new InputError('command', 'starts with [ but is not a JSON array of strings');
    }
    if (!Array.isArray(parsed) || !parsed.every((item) => typeof item === 'string'))
      throw new InputError('command', 'must be a JSON array of strings');
    return parsed;
  }
  if (/["'\\]/.test(raw)) throw new InputError('command', 'has quotes or backslashes; use the JSON array form, e.g. ["sh", "-c", "…"]');
  return raw.split(/\s+/);
}

function readPrepareDir(line: string): PrepareDir {
  const [path = '', uid, gid, mode, ...rest] = line.split(':');
  const fail = () => {
    throw new InputError('prepare-dirs', `'${line}' is not path[:uid:gid[:mode]], e.g. /srv/app/static:1000:1000:0755`);
  };
  if (!path.startsWith('/') || /[\0]/.test(path) || rest.length > 0 || (uid !== undefined && gid === undefined)) fail();
  const owner = uid !== undefined ? `${uid}:${gid}` : undefined;
  if (owner && !OWNER.test(owner)) fail();
  if (mode !== undefined && !MODE.test(mode)) fail();
  return { path, owner, mode };
}

function readHealthGate(inputs: InputReader): HealthGate {
  const rawUrl = inputs.string('health-url');
  const container = inputs.boolean('health-container', false);
  if (rawUrl && container) throw new InputError('health-container', 'cannot be combined with health-url; choose one gate');
  return {
    url: rawUrl ? parseHttpUrl('health-url', rawUrl) : undefined,
    container,
    intervalMs: inputs.duration('health-interval', 5000),
    timeoutMs: inputs.duration('health-timeout', 5000, { minMs: 1 }),
    attempts: inputs.integer('health-attempts', 5, { min: 1 }),
    expectedStatus: parseStatusRanges('health-expected-status', inputs.string('health-expected-status', '200-399')),
    bodyContains: inputs.string('health-body-contains') || undefined,
  };
}

function readJump(inputs: InputReader, keep: (secret: string) => void): SshTarget | undefined {
  if (!inputs.string('jump-host')) return undefined;
  // The jump host's own key or password when given, else the deploy hosts' credentials; jump-passphrase
  // defaults to passphrase (action.yml), so an error names whichever input the value came from.
  const own = inputs.multiline('jump-private-key') !== '' || inputs.string('jump-password') !== '';
  const passphrase = inputs.string('jump-passphrase') || !inputs.string('passphrase') ? 'jump-passphrase' : 'passphrase';
  return readSshTarget(
    inputs,
    {
      host: 'jump-host',
      port: 'jump-port',
      username: 'jump-username',
      usernameFallback: 'username',
      ...(own
        ? { key: 'jump-private-key', passphrase, password: 'jump-password' }
        : { key: 'private-key', passphrase: 'passphrase', password: 'password' }),
      hostKey: 'jump-host-key',
    },
    keep,
  );
}

/** `local/path=/remote/path`: the local file lies inside the workspace; the remote path is absolute and a file. */
function readUploadFile(line: string, localFiles: LocalFileReader): UploadFile {
  const at = line.indexOf('=');
  const local = at > 0 ? line.slice(0, at).trim() : '';
  const remote = at > 0 ? line.slice(at + 1).trim() : '';
  if (!local || !remote.startsWith('/') || remote.endsWith('/') || /[\0\n]/.test(remote)) {
    throw new InputError('files', `'${line}' is not a file upload such as frontend/env-config.js=/srv/frontend/env-config.js`);
  }
  return { local, remote, content: readWorkspaceFile('files', local, localFiles) };
}

/** Reads a file of the workspace for `input`; a path outside it, also through a symlink, is refused. */
function readWorkspaceFile(input: string, local: string, localFiles: LocalFileReader): Buffer {
  const outside = () => new InputError(input, `${local} resolves outside the workspace; only workspace files are read`);
  const written = resolve(localFiles.workspace, local);
  // Judged as written first, so a path outside gets the same answer whether or not it exists there.
  if (!isInside(localFiles.workspace, written)) throw outside();
  try {
    // Then with symlinks resolved: a link inside the workspace that points outside it is outside.
    const real = localFiles.realPath(written);
    if (!isInside(localFiles.workspace, real)) throw outside();
    return localFiles.read(real);
  } catch (error) {
    if (error instanceof InputError) throw error;
    throw new InputError(
      input,
      `cannot read ${local}: ${(error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (error as Error).message}`,
    );
  }
}

/** Whether `path` lies strictly inside `folder` (the folder itself is not inside). */
function isInside(folder: string, path: string): boolean {
  const inside = relative(folder, path);
  return inside !== '' && !inside.startsWith('..') && !isAbsolute(inside);
}

/** The guarded host path a volume source falls under (`/` or /etc, /proc, /sys), if any. */
function guardedHostPath(source: string): string | undefined {
  if (!source.startsWith('/')) return undefined;
  const path = posix.normalize(source).replace(/\/+$/, '') || '/';
  if (path === '/') return 'root (/)';
  return HOST_MOUNT_GUARDED.find((guarded) => path === guarded || path.startsWith(`${guarded}/`));
}
