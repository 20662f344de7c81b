/**
 * The docker command catalogue: pure functions that return argv arrays. Nothing here runs anything;
 * packages/runtime/ssh quotes and executes them. Tests assert the joined text.
 */

import { formatPortMapping, type PortMapping } from './ports.ts';

export type Argv = string[];

/** Labels every container and helper this suite starts, so they can be found and cleaned up. */
export const MANAGED_LABEL = 'golden.deploy.managed=true';

export interface ContainerSpec {
  name: string;
  image: string;
  envFile?: string;
  ports: PortMapping[];
  volumes: string[];
  labels: string[];
  restart: string;
  network?: string;
  /** A name other containers on `network` reach this one by. */
  networkAlias?: string;
  command: string[];
  extraArgs: string[];
}

/** A pull that needs no login; with credentials, hostCommands.loginAndPull pulls in one unit. */
export const pull = (image: string): Argv => ['docker', 'pull', '--quiet', image];

export const imageDigest = (image: string): Argv => [
  'docker',
  'image',
  'inspect',
  '--format',
  '{{if .RepoDigests}}{{index .RepoDigests 0}}{{end}}',
  image,
];
export const imageId = (image: string): Argv => ['docker', 'image', 'inspect', '--format', '{{.Id}}', image];

/** id, image reference and status of a container; exits 1 when there is none. */
export const containerInfo = (name: string): Argv => [
  'docker',
  'container',
  'inspect',
  '--format',
  '{{.Id}}|{{.Config.Image}}|{{.Image}}|{{.State.Status}}',
  name,
];
export const containerState = (name: string): Argv => [
  'docker',
  'container',
  'inspect',
  '--format',
  'status={{.State.Status}} exit={{.State.ExitCode}} restarts={{.RestartCount}} oom={{.State.OOMKilled}} error={{.State.Error}}',
  name,
];
export const containerHealth = (name: string): Argv => [
  'docker',
  'container',
  'inspect',
  '--format',
  '{{if .State.Health}}{{.State.Health.Status}}{{else}}none{{end}}',
  name,
];

/** How long a stopping container gets to finish its requests before docker kills it. */
export const STOP_SECONDS = 10;

export const stop = (name: string, timeoutSeconds = STOP_SECONDS): Argv => [
  'docker',
  'container',
  'stop',
  '--time',
  String(timeoutSeconds),
  name,
];
export const start = (name: string): Argv => ['docker', 'container', 'start', name];
export const rename = (from: string, to: string): Argv => ['docker', 'container', 'rename', from, to];
export const remove = (name: string): Argv => ['docker', 'container', 'rm', '--force', name];
export const removeContainers = (names: readonly string[]): Argv => ['docker', 'container', 'rm', '--force', ...names];
export const logs = (name: string, tail: number): Argv => ['docker', 'container', 'logs', '--tail', String(tail), name];

/** Starts a container, detached. */
export const run = (spec: ContainerSpec): Argv => ['docker', 'container', 'run', '--detach', ...containerOptions(spec)];
/** Creates a container without starting it: `start` then takes only a moment (a hand-over of ports). */
export const create = (spec: ContainerSpec): Argv => ['docker', 'container', 'create', ...containerOptions(spec)];

function containerOptions(spec: ContainerSpec): Argv {
  return [
    '--name',
    spec.name,
    '--restart',
    spec.restart,
    '--label',
    MANAGED_LABEL,
    ...(spec.envFile ? ['--env-file', spec.envFile] : []),
    ...spec.ports.flatMap((port) => ['--publish', formatPortMapping(port)]),
    ...spec.volumes.flatMap((volume) => ['--volume', volume]),
    ...spec.labels.flatMap((label) => ['--label', label]),
    ...(spec.network ? ['--network', spec.network] : []),
    ...(spec.networkAlias ? ['--network-alias', spec.networkAlias] : []),
    ...spec.extraArgs,
    spec.image,
    ...spec.command,
  ];
}

/** A post-deploy command inside the container: non-TTY, the command string given to the container's sh. */
export const execInContainer = (name: string, command: string): Argv => ['docker', 'container', 'exec', name, 'sh', '-c', command];

/**
 * Prepares a host directory with a root helper container from the image being deployed: bind-mounting
 * creates the path, then it is chowned and chmodded. The deploy user needs only docker, not sudo.
 */
export const prepareDir = (image: string, path: string, owner: string | undefined, mode: string | undefined): Argv => [
  'docker',
  'container',
  'run',
  '--rm',
  '--label',
  MANAGED_LABEL,
  '--user',
  '0:0',
  '--entrypoint',
  '/bin/sh',
  '--volume',
  `${path}:/prepare`,
  image,
  '-c',
  'set -e; if [ -n "$1" ]; then chown "$1" /prepare; fi; if [ -n "$2" ]; then chmod "$2" /prepare; fi',
  'prepare-dir',
  owner ?? '',
  mode ?? '',
];

/** This repository's images, newest first: `ID REPOSITORY:TAG` lines. */
export const listImages = (repository: string): Argv => [
  'docker',
  'image',
  'ls',
  '--no-trunc',
  '--format',
  '{{.ID}} {{.Repository}}:{{.Tag}}',
  repository,
];
export const removeImages = (ids: readonly string[]): Argv => ['docker', 'image', 'rm', ...ids];

// ---------------------------------------------------------------- strategy switch: the service's network and proxy

/** Labels the containers of one service (app versions and proxy), so a deploy finds what earlier ones left. */
export const SERVICE_LABEL = 'golden.deploy.service';
export const ROLE_LABEL = 'golden.deploy.role';

export const networkExists = (network: string): Argv => ['docker', 'network', 'inspect', '--format', '{{.Name}}', network];
export const networkRemove = (network: string): Argv => ['docker', 'network', 'rm', network];
export const networkConnect = (network: string, container: string): Argv => ['docker', 'network', 'connect', network, container];
export const networkCreate = (network: string): Argv => [
  'docker',
  'network',
  'create',
  '--driver',
  'bridge',
  '--label',
  MANAGED_LABEL,
  network,
];

/** Every container of a service, running or not: `name|image|state|role|created` lines, newest first. */
export const serviceContainers = (service: string): Argv => [
  'docker',
  'container',
  'ls',
  '--all',
  '--no-trunc',
  '--filter',
  `label=${SERVICE_LABEL}=${service}`,
  '--format',
  `{{.Names}}|{{.Image}}|{{.State}}|{{.Label "${ROLE_LABEL}"}}|{{.CreatedAt}}`,
];

/** The host ports a container publishes, as JSON (`{"80/tcp":[{"HostIp":"127.0.0.1","HostPort":"8000"}]}`). */
export const publishedPorts = (name: string): Argv => [
  'docker',
  'container',
  'inspect',
  '--format',
  '{{json .HostConfig.PortBindings}}',
  name,
];

/** A container's address on a network; empty when it is not attached. */
export const containerAddress = (name: string, network: string): Argv => [
  'docker',
  'container',
  'inspect',
  '--format',
  `{{with index .NetworkSettings.Networks "${network}"}}{{.IPAddress}}{{end}}`,
  name,
];

/**
 * HAProxy's reload: its master (-W) starts a new process on the config file, which takes the listening
 * sockets over, and the old one finishes its requests. Only for changed ports, TLS or PROXY protocol:
 * traffic moves through the runtime API.
 */
export const reloadEdge = (proxy: string): Argv => ['docker', 'container', 'kill', '--signal', 'USR2', proxy];

/**
 * HAProxy checks a config file in a throwaway container of `image`, with no network: it proves both the file
 * and that the image runs HAProxy, before a proxy of that image is started on it.
 */
export const checkEdgeConfig = (image: string, dir: string, file: string): Argv => [
  'docker',
  'container',
  'run',
  '--rm',
  '--network',
  'none',
  '--user',
  '0:0',
  '--volume',
  `${dir}:/golden:ro`,
  '--entrypoint',
  'haproxy',
  image,
  '-c',
  '-f',
  `/golden/${file}`,
];
