/**
 * Strategy swarm: the service is a Docker Swarm stack (packages/runtime/docker/swarm.ts), deployed through one
 * manager. The engine runs the update: start-first, one task at a time, each new task healthy before the old one
 * stops, and a failed one rolled back, which the engine finishes even when this runner dies. The action sends the
 * stack on stdin, waits until the engine says the update completed or rolled back, verifies through the published
 * port, and reports the tasks per node, or the failing task, its node, state, error and last log lines.
 */
import * as docker from '#docker/index';
import { hostCommands } from '#docker/index';
import { UserError } from '#errors/index';
import { inGroup } from '#log/index';
import type { RemoteHost } from '#ssh/index';
import { deployPaths, describe, type HostResult, type PhaseTiming, type RunContext } from './deploy.ts';
import { healthGate } from './gate.ts';
import type { DeployInputs, SwarmSettings } from './inputs.ts';
import { acquireLock } from './lock.ts';

/** One task, from `docker inspect --type task`: states in the engine's words (running, starting, failed, rejected…). */
export interface SwarmTask {
  ID: string;
  NodeID: string;
  Slot?: number;
  DesiredState: string;
  Status: { State: string; Err?: string; Message?: string };
  Spec: { ContainerSpec: { Image: string } };
}

/** The parts of `docker service inspect` the deploy reads. */
export interface SwarmService {
  Spec: { TaskTemplate: { ContainerSpec: { Image: string } }; Mode: { Replicated?: { Replicas: number }; Global?: object } };
  UpdateStatus?: { State: string; StartedAt?: string; Message?: string };
}

const POLL_MS = 1000;
const PROGRESS_MS = 5000;
const LOG_TAIL = 20;
/** Failed tasks of the new image on a first deploy (nothing to roll back to) before the deploy gives up. */
const FIRST_DEPLOY_FAILURES = 3;
/** Failed edge tasks before the deploy stops waiting for the edge. */
const EDGE_FAILURES = 3;

/** The image a spec names, without the digest the engine pinned: what the deploy asked for. */
export const requestedImage = (image: string): string => image.split('@')[0]!;

/** Running tasks per node, by the node's name (`names`: node ID → name). */
export function tasksPerNode(tasks: readonly SwarmTask[], names: Readonly<Record<string, string>> = {}): Record<string, number> {
  const perNode: Record<string, number> = {};
  for (const task of tasks) {
    const node = names[task.NodeID] ?? task.NodeID;
    if (isRunning(task)) perNode[node] = (perNode[node] ?? 0) + 1;
  }
  return perNode;
}

const imageOf = (task: SwarmTask) => requestedImage(task.Spec.ContainerSpec.Image);
const isRunning = (task: SwarmTask) => task.DesiredState === 'running' && task.Status.State === 'running';
const hasFailed = (task: SwarmTask) => ['failed', 'rejected'].includes(task.Status.State) || Boolean(task.Status.Err);

/**
 * Node names for reports: hostnames, or `hostname (address)` where two nodes share one (as the lab's do), from
 * `inspectNodes` lines.
 */
export function nodeNames(lines: string): Record<string, string> {
  const nodes = lines
    .trim()
    .split('\n')
    .filter(Boolean)
    .map((line) => line.split(' '));
  const shared = (hostname: string) => nodes.filter(([, other]) => other === hostname).length > 1;
  return Object.fromEntries(
    nodes.map(([id, hostname = '', address = '']) => [id, shared(hostname) ? `${hostname} (${address})` : hostname]),
  );
}

export type Convergence =
  | { kind: 'waiting'; progress: string }
  | { kind: 'converged' }
  | { kind: 'rolled-back'; message: string }
  | { kind: 'failed'; message: string };

/**
 * Where the service stands, from its inspect and its tasks. `ours` says whether UpdateStatus belongs to this deploy's
 * update (a first deploy, or one that changed nothing, has none of its own: the tasks alone decide).
 */
export function convergence(
  service: SwarmService,
  tasks: readonly SwarmTask[],
  image: string,
  replicas: number,
  ours: boolean,
): Convergence {
  const running = tasks.filter(isRunning);
  const current = running.filter((task) => imageOf(task) === image);
  const progress = `${current.length}/${replicas} tasks running ${image}${running.length > current.length ? `, ${running.length - current.length} of the previous version` : ''}`;
  const state = ours ? service.UpdateStatus?.State : undefined;
  if (state === 'rollback_completed')
    return { kind: 'rolled-back', message: service.UpdateStatus?.Message ?? 'the engine rolled the update back' };
  if (state === 'paused' || state === 'rollback_paused')
    return { kind: 'failed', message: `the update is ${state.replace('_', ' ')}: ${service.UpdateStatus?.Message ?? ''}`.trim() };
  if (state === 'rollback_started')
    return { kind: 'waiting', progress: `rolling back: ${service.UpdateStatus?.Message ?? ''}; ${progress}` };
  if (state === 'updating') return { kind: 'waiting', progress: `updating: ${progress}` };
  if (current.length === replicas && running.length === replicas) return { kind: 'converged' };
  if (!ours) {
    const failures = tasks.filter((task) => imageOf(task) === image && hasFailed(task));
    if (failures.length >= FIRST_DEPLOY_FAILURES && current.length === 0)
      return { kind: 'failed', message: `${failures.length} tasks of ${image} failed and none runs` };
  }
  return { kind: 'waiting', progress: `${state ? `${state}: ` : ''}${progress}` };
}

/** The stack's spec, from the inputs. */
export function stackSpec(inputs: DeployInputs, swarm: SwarmSettings): docker.SwarmStackSpec {
  return {
    stack: inputs.name,
    image: inputs.image.reference,
    replicas: swarm.replicas,
    containerPort: swarm.containerPort,
    publishedPort: swarm.publishedPort,
    healthPath: swarm.healthPath,
    env: inputs.env,
    proxyImage: inputs.proxyImage!,
    stopGraceSeconds: Math.max(1, Math.round(inputs.drainTimeoutMs / 1000)),
    health: { intervalMs: inputs.health.intervalMs, timeoutMs: inputs.health.timeoutMs, retries: inputs.health.attempts },
    labels: { [docker.SERVICE_LABEL]: inputs.name, 'golden.deploy.managed': 'true' },
  };
}

const parseLines = <T>(text: string): T[] =>
  text
    .split('\n')
    .filter((line) => line.trim().startsWith('{'))
    .map((line) => JSON.parse(line) as T);

export async function swarmDeploy(host: RemoteHost, inputs: DeployInputs, context: RunContext): Promise<HostResult> {
  const swarm = inputs.swarm!;
  const { logger } = context;
  const started = performance.now();
  const phases: PhaseTiming[] = [];
  const phase = <T>(name: string, work: () => Promise<T>) =>
    inGroup(logger, `${host.name}: ${name}`, work, (ms) => phases.push({ phase: name, ms }));
  const app = docker.stackService(inputs.name, docker.APP_SERVICE);
  const edge = docker.stackService(inputs.name, docker.EDGE_SERVICE);
  const image = inputs.image.reference;
  const result: HostResult = { host: host.name, outcome: 'failed', durationMs: 0, phases, servingContainer: app };
  let previous: SwarmService | undefined;
  let failureDetail = '';
  const inspect = async (service: string) => {
    const ran = await host.exec(docker.serviceInspect(service));
    return ran.code === 0 ? (JSON.parse(ran.stdout) as SwarmService) : undefined;
  };
  const tasksOf = async (service: string) => {
    const ids = (await host.run(docker.serviceTaskIds(service))).trim().split('\n').filter(Boolean);
    if (ids.length === 0) return [];
    // The engine trims a service's task history at any moment: a task listed a moment ago may be gone.
    const inspected = await host.exec(docker.inspectTasks(ids));
    const unexpected = inspected.stderr.split('\n').filter((line) => line.trim() && !/task \S+ not found/.test(line));
    if (inspected.code !== 0 && unexpected.length > 0)
      throw new UserError(`${host.name}: docker inspect of ${service}'s tasks exited ${inspected.code}: ${unexpected.join(' | ')}`);
    return parseLines<SwarmTask>(inspected.stdout);
  };
  const nodes = async () =>
    (await host.run(docker.nodeList()))
      .trim()
      .split('\n')
      .filter(Boolean)
      .map((line) => line.split(' '));
  const names = async () => nodeNames(await host.run(docker.inspectNodes((await nodes()).map(([id]) => id!))));

  const home = (await host.run(hostCommands.homeDirectory())).trim();
  const paths = deployPaths(home, inputs.name);
  await host.run(hostCommands.makePrivateDirs(paths.base, paths.locks));
  const owner = `run ${context.runId} by ${context.actor} since ${new Date().toISOString()}`;
  const lock = await phase('lock', () => acquireLock(host, paths.lock, owner, inputs.lockTimeoutMs, logger));
  try {
    previous = await phase('manager', async () => {
      const state = (await host.run(docker.swarmNodeState())).trim();
      if (state !== 'active true')
        throw new UserError(`${host.name} is not a swarm manager (its engine says: ${state}); give a manager as host`);
      const service = await inspect(app);
      if (service) result.previousImage = requestedImage(service.Spec.TaskTemplate.ContainerSpec.Image);
      logger.info(service ? `${app} runs ${result.previousImage}` : `${app} does not exist yet: this deploy creates it`);
      return service;
    });

    await phase('stack deploy', async () => {
      const stack = docker.swarmStack(stackSpec(inputs, swarm));
      const { registry } = inputs;
      // The stack file carries the env values: stdin only, never an argv or a file.
      const output = registry
        ? await host.run(hostCommands.loginAndStackDeploy(registry.server, registry.username, inputs.name), {
            stdin: `${registry.password}\n${stack}`,
          })
        : await host.run(docker.stackDeploy(inputs.name), { stdin: stack });
      for (const line of output.trim().split('\n')) if (line) logger.info(line);
    });

    const outcome = await phase('converge', () => converge());
    if (outcome.kind === 'rolled-back' || outcome.kind === 'failed') {
      await diagnose(outcome.message);
      result.outcome = outcome.kind === 'rolled-back' ? 'rolled-back' : 'failed';
      result.error = `${outcome.kind === 'rolled-back' ? `the update failed and the engine rolled it back (${outcome.message})` : outcome.message}${failureDetail ? `; ${failureDetail}` : ''}`;
      return finish();
    }

    await phase('verify', async () => {
      const url = new URL(`http://127.0.0.1:${swarm.publishedPort}${swarm.healthPath}`);
      await healthGate(host, inputs.health, edge, url, logger);
      const service = await inspect(app);
      result.imageDigest = service?.Spec.TaskTemplate.ContainerSpec.Image;
      result.tasks = tasksPerNode(
        (await tasksOf(app)).filter((task) => imageOf(task) === image),
        await names(),
      );
      logger.info(
        `${app}: ${Object.entries(result.tasks)
          .map(([node, count]) => `${count} on ${node}`)
          .join(', ')}`,
      );
    });
    result.outcome = 'deployed';
  } catch (error) {
    result.error ??= describe(error);
  } finally {
    await lock.release().catch(() => undefined);
  }
  return finish();

  function finish(): HostResult {
    result.durationMs = Math.round(performance.now() - started);
    return result;
  }

  /** Waits for the engine's verdict on the app, and for the edge on every node. */
  async function converge(): Promise<Convergence> {
    const previousStart = previous?.UpdateStatus?.StartedAt;
    const deadline = performance.now() + swarm.convergeTimeoutMs;
    let lastProgress = '';
    let lastShown = 0;
    for (;;) {
      const service = await Promise.race([inspect(app), host.lost]);
      if (!service) throw new UserError(`${app} is gone from the swarm`);
      const ours = service.UpdateStatus !== undefined && service.UpdateStatus.StartedAt !== previousStart;
      const now = convergence(service, await tasksOf(app), image, swarm.replicas, ours);
      if (now.kind === 'converged') {
        // The edge runs on every node: each of its tasks meant to run does.
        // The edge runs on every node that takes tasks.
        const edgeTasks = await tasksOf(edge);
        const running = edgeTasks.filter(isRunning).length;
        const ready = (await nodes()).filter(([, status, availability]) => status === 'Ready' && availability === 'Active').length;
        if (running >= ready) {
          logger.info(`${app}: ${swarm.replicas}/${swarm.replicas} tasks running ${image}; ${edge} on ${running} nodes`);
          return now;
        }
        // An edge that keeps failing (its port held by something else on a node) will not come by waiting.
        const failedEdges = edgeTasks.filter(hasFailed);
        if (failedEdges.length >= EDGE_FAILURES) {
          const nodes = await names();
          const last = failedEdges[0]!;
          return {
            kind: 'failed',
            message: `${edge} cannot run on ${nodes[last.NodeID] ?? last.NodeID}: ${last.Status.Err || last.Status.State} (${failedEdges.length} tasks failed)`,
          };
        }
      } else if (now.kind !== 'waiting') return now;
      const progress = now.kind === 'waiting' ? now.progress : 'waiting for the edge';
      if (progress !== lastProgress || performance.now() - lastShown > PROGRESS_MS) {
        logger.info(`${app}: ${progress}`);
        lastProgress = progress;
        lastShown = performance.now();
      }
      if (performance.now() > deadline)
        return { kind: 'failed', message: `${app} did not converge within ${Math.round(swarm.convergeTimeoutMs / 1000)} s: ${progress}` };
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    }
  }

  /** The failing task of the new image: its node, state, error and last log lines, in a group and in the error. */
  async function diagnose(message: string): Promise<void> {
    const failed = (await tasksOf(app)).filter((task) => imageOf(task) === image && hasFailed(task));
    const task = failed[0];
    logger.startGroup(`${host.name}: ${app}: ${message}`);
    if (!task) logger.info('no failed task of the new image is left to show');
    else {
      const node = (await names())[task.NodeID] ?? task.NodeID;
      failureDetail = `task ${app}.${task.Slot ?? '?'} on ${node}: ${task.Status.State}${task.Status.Err ? `, ${task.Status.Err}` : ''}`;
      logger.info(failureDetail);
      const logs = await host.exec(docker.taskLogs(task.ID, LOG_TAIL));
      const lines = `${logs.stdout}${logs.stderr}`.trimEnd().split('\n').filter(Boolean);
      logger.info(`its last ${lines.length} log lines:`);
      for (const line of lines) logger.info(`  ${line}`);
      if (lines.length > 0) failureDetail += `; last log line: ${lines.at(-1)}`;
    }
    logger.endGroup();
  }
}
