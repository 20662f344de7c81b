/**
 * Docker Swarm for strategy swarm: the stack a deploy sends (the app service and its per-node edge), the edge's
 * HAProxy config, and the catalogue of swarm commands, all pure. The stack file carries the env values, so it
 * only ever travels on stdin (`docker stack deploy --compose-file -`), never in an argv or a file.
 *
 * Why the edge: this project's lab kernel (and some others) has no IPVS, so Swarm's routing mesh and service VIPs
 * cannot work. The app's tasks publish nothing (`endpoint_mode: dnsrr`); an HAProxy task on every node publishes
 * the port in host mode and finds the healthy tasks through Docker's DNS (`tasks.<service>`), which lists a task
 * with a HEALTHCHECK only once it is healthy. A start-first update can then place the new task beside the old
 * one, which a host-mode port on the task itself would forbid.
 */
import { stringify } from 'yaml';
import type { Argv } from './commands.ts';
import type { EnvEntry } from './envfile.ts';

/** The stack's two services: `<stack>_app` and `<stack>_edge`. */
export const APP_SERVICE = 'app';
export const EDGE_SERVICE = 'edge';
export const stackService = (stack: string, service: string): string => `${stack}_${service}`;

/** The port the edge listens on inside its container; the published port maps to it on every node. */
export const SWARM_EDGE_PORT = 8080;
/** Servers the edge can hold, one per app task: the most replicas a service may have. */
export const SWARM_MAX_REPLICAS = 32;

export interface SwarmStackSpec {
  stack: string;
  image: string;
  replicas: number;
  /** The app's port inside its task. */
  containerPort: number;
  /** The port the edge publishes on every node (host mode). */
  publishedPort: number;
  /** The health path (and query) on the app's port: the task's HEALTHCHECK and the edge's check. */
  healthPath: string;
  env: readonly EnvEntry[];
  proxyImage: string;
  /** How long a stopping task has for its in-flight requests. */
  stopGraceSeconds: number;
  /** The task's HEALTHCHECK, from the deploy's gate: checked every intervalMs, given up after `retries` failures. */
  health: { intervalMs: number; timeoutMs: number; retries: number };
  /** Labels of both services (the deploy's own, for finding them). */
  labels: Readonly<Record<string, string>>;
}

/**
 * The task's HEALTHCHECK, from the health path: whichever of wget, curl or python3 the image has fetches it. An
 * image with none of them fails it, and so never takes traffic: give it its own HEALTHCHECK-able tool.
 */
export function swarmHealthCommand(port: number, path: string): string {
  const url = `http://127.0.0.1:${port}${path}`;
  const quoted = `'${url.replace(/'/g, `'\\''`)}'`;
  return [
    `wget -q -O /dev/null ${quoted}`,
    `curl -fsS -o /dev/null ${quoted}`,
    `python3 -c 'import sys, urllib.request; urllib.request.urlopen(sys.argv[1], timeout=3)' ${quoted}`,
  ].join(' 2>/dev/null || ');
}

/** The edge's HAProxy config: every healthy app task as a server, found through Docker's DNS; failed attempts retried on another. */
export function swarmEdgeConfig(spec: Pick<SwarmStackSpec, 'stack' | 'containerPort' | 'healthPath' | 'stopGraceSeconds'>): string {
  const tasks = `tasks.${stackService(spec.stack, APP_SERVICE)}`;
  return [
    'global',
    '  maxconn 4096',
    'defaults',
    '  mode http',
    '  timeout connect 1s',
    '  timeout client 60s',
    '  timeout server 60s',
    '  timeout http-keep-alive 60s',
    `  timeout client-fin ${spec.stopGraceSeconds}s`,
    // A request a stopping task refused or dropped goes to another task: idempotent ones only (HAProxy's rule).
    '  retries 5',
    '  option redispatch 1',
    '  retry-on all-retryable-errors',
    'resolvers docker',
    '  nameserver dns 127.0.0.11:53',
    '  accepted_payload_size 8192',
    '  timeout resolve 500ms',
    '  timeout retry 500ms',
    '  hold valid 500ms',
    '  hold nx 500ms',
    '  hold obsolete 0s',
    'frontend web',
    `  bind :${SWARM_EDGE_PORT}`,
    '  default_backend app',
    'backend app',
    '  balance roundrobin',
    `  option httpchk GET ${spec.healthPath}`,
    '  http-check expect status 200-399',
    // A connection error to a task (its node gone) marks it down at once, not at the next check.
    '  default-server check inter 1s fall 1 rise 1 observe layer4 error-limit 1 on-error mark-down resolvers docker resolve-prefer ipv4 init-addr none',
    `  server-template task ${SWARM_MAX_REPLICAS} ${tasks}:${spec.containerPort}`,
    '',
  ].join('\n');
}

/** The stack file: the app (dnsrr, start-first, health-gated, rolled back by the engine) and the edge on every node. */
export function swarmStack(spec: SwarmStackSpec): string {
  const { intervalMs, timeoutMs, retries } = spec.health;
  const stack = {
    version: '3.8',
    services: {
      [APP_SERVICE]: {
        image: spec.image,
        environment: Object.fromEntries(spec.env.map((entry) => [entry.key, entry.value])),
        healthcheck: {
          test: ['CMD-SHELL', swarmHealthCommand(spec.containerPort, spec.healthPath)],
          interval: `${intervalMs}ms`,
          timeout: `${timeoutMs}ms`,
          retries,
          // A starting task has the gate's whole span to come up: failures before then do not count.
          start_period: `${intervalMs * retries}ms`,
        },
        stop_grace_period: `${spec.stopGraceSeconds}s`,
        networks: ['mesh'],
        labels: spec.labels,
        deploy: {
          replicas: spec.replicas,
          endpoint_mode: 'dnsrr',
          labels: spec.labels,
          // One task at a time, the new one started (and healthy) before the old one stops; a task that fails
          // within the monitor window rolls the whole service back, which the engine finishes by itself.
          update_config: { parallelism: 1, order: 'start-first', failure_action: 'rollback', monitor: '5s', max_failure_ratio: 0 },
          // A rollback goes on past a task that fails (its node gone): the service must end on one version.
          rollback_config: { parallelism: 1, order: 'start-first', failure_action: 'continue', monitor: '5s' },
          restart_policy: { condition: 'any', delay: '2s' },
        },
      },
      [EDGE_SERVICE]: {
        image: spec.proxyImage,
        user: '0:0',
        // The config travels in the service spec, written to a file at start: no config object, no file on any host.
        entrypoint: ['sh', '-c', 'printf "%s" "$$GOLDEN_EDGE_CONFIG" > /tmp/haproxy.cfg && exec haproxy -W -db -f /tmp/haproxy.cfg'],
        environment: { GOLDEN_EDGE_CONFIG: swarmEdgeConfig(spec) },
        ports: [{ target: SWARM_EDGE_PORT, published: spec.publishedPort, protocol: 'tcp', mode: 'host' }],
        networks: ['mesh'],
        labels: spec.labels,
        deploy: {
          mode: 'global',
          labels: spec.labels,
          // A host-mode port cannot be held twice on a node: the edge is replaced stop-first, one node at a time.
          update_config: { parallelism: 1, order: 'stop-first', failure_action: 'rollback', monitor: '5s' },
          restart_policy: { condition: 'any', delay: '1s' },
        },
      },
    },
    networks: { mesh: { driver: 'overlay', attachable: true } },
  };
  return stringify(stack, { lineWidth: 0, aliasDuplicateObjects: false });
}

// ---------------------------------------------------------------- commands

/** `active true` on a manager; anything else is not one. */
export const swarmNodeState = (): Argv => ['docker', 'info', '--format', '{{.Swarm.LocalNodeState}} {{.Swarm.ControlAvailable}}'];

/** Creates or updates the stack's services from the stack file on stdin; the engine finishes (or reverts) the update. */
export const stackDeploy = (stack: string): Argv => [
  'docker',
  'stack',
  'deploy',
  '--resolve-image',
  'changed',
  '--compose-file',
  '-',
  stack,
];

export const serviceInspect = (service: string): Argv => ['docker', 'service', 'inspect', '--format', '{{json .}}', service];

/** The IDs of a service's tasks, the recent history included. */
export const serviceTaskIds = (service: string): Argv => ['docker', 'service', 'ps', '--quiet', '--no-trunc', service];

/** Tasks as JSON lines, states in the engine's own words (`running`, `starting`, `failed`…), not `docker service ps`'s prose. */
export const inspectTasks = (ids: readonly string[]): Argv => ['docker', 'inspect', '--type', 'task', '--format', '{{json .}}', ...ids];

/** One line per node: ID, status (Ready, Down…) and availability (Active, Drain…). */
export const nodeList = (): Argv => ['docker', 'node', 'ls', '--format', '{{.ID}} {{.Status}} {{.Availability}}'];

/** One line per node: ID, hostname, address. */
export const inspectNodes = (ids: readonly string[]): Argv => [
  'docker',
  'node',
  'inspect',
  '--format',
  '{{.ID}} {{.Description.Hostname}} {{.Status.Addr}}',
  ...ids,
];

export const taskLogs = (task: string, tail: number): Argv => ['docker', 'service', 'logs', '--raw', '--tail', String(tail), task];

export const stackRemove = (stack: string): Argv => ['docker', 'stack', 'rm', stack];
