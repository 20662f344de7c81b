/**
 * One deploy on one host, over one SSH connection: lock, sweep what faults left, log in and pull, write the
 * env file, upload files, prepare directories, then the strategy: `replace` (stop, start, gate, roll back)
 * or `switch` (start beside, gate, move traffic through the proxy; see switch.ts). Then prune and audit.
 * Every remote command comes from a catalogue (packages/docker) as an argv.
 */
import { UserError } from '../../../packages/errors/index.ts';
import * as docker from '../../../packages/docker/index.ts';
import { hostCommands } from '../../../packages/docker/index.ts';
import { inGroup, type Logger } from '../../../packages/log/index.ts';
import { createHttpTransport, probeUrl } from '../../../packages/probe/index.ts';
import { RemoteError, type RemoteHost, type RemoteProcess, SshConnectError } from '../../../packages/ssh/index.ts';
import type { DeployInputs } from './inputs.ts';
import { acquireLock } from './lock.ts';
import {
  aliasOf,
  directHealthUrl,
  newContainerSpec,
  newRelease,
  parseServiceContainers,
  proxyWorkers,
  recoverService,
  STOP_SECONDS,
  switchProxy,
  verifyThroughProxy,
  waitForDrain,
} from './switch.ts';

export interface PhaseTiming {
  phase: string;
  ms: number;
}

export type DeployOutcome = 'deployed' | 'rolled-back' | 'failed' | 'rollback-failed';

export interface HostResult {
  host: string;
  outcome: DeployOutcome;
  containerId?: string;
  imageDigest?: string;
  previousImage?: string;
  /** The container that serves on this host when the deploy ends. */
  servingContainer?: string;
  durationMs: number;
  phases: PhaseTiming[];
  /** Why the deploy failed, when it did. */
  error?: string;
}

export interface RunContext {
  /** Who and which run, for the lock owner and the audit log. */
  actor: string;
  runId: string;
  logger: Logger;
}

class DeployFailure extends Error {}

const LOG_TAIL = 40;

/** Remote paths for one container, under the deploy user's home. */
export function deployPaths(home: string, name: string, envFilePath?: string) {
  const base = `${home}/.golden-deploy`;
  return {
    base,
    envDir: `${base}/env`,
    locks: `${base}/locks`,
    lock: `${base}/locks/${name}.lock`,
    audit: `${base}/audit.log`,
    envFile: envFilePath ?? `${base}/env/${name}.env`,
  };
}

export async function deployToHost(host: RemoteHost, inputs: DeployInputs, context: RunContext): Promise<HostResult> {
  const { logger } = context;
  const started = performance.now();
  const phases: PhaseTiming[] = [];
  const phase = <T>(name: string, work: () => Promise<T>): Promise<T> =>
    inGroup(logger, `${host.name}: ${name}`, work, (ms) => phases.push({ phase: name, ms }));
  const result: HostResult = { host: host.name, outcome: 'failed', durationMs: 0, phases };
  const name = inputs.name;

  const home = (await host.run(hostCommands.homeDirectory())).trim();
  const paths = deployPaths(home, name, inputs.envFilePath);
  await host.run(hostCommands.makePrivateDirs(paths.base, paths.envDir, paths.locks));

  const owner = `run ${context.runId} by ${context.actor} since ${new Date().toISOString()}`;
  const lock = await phase('lock', () => acquireLock(host, paths.lock, owner, inputs.lockTimeoutMs, logger));
  try {
    const swept = (await host.exec(hostCommands.sweepCredentials())).stdout.trim();
    if (swept) logger.warning(`${host.name}: removed registry credentials an interrupted deploy left: ${swept.split('\n').join(', ')}`);
    const registry = inputs.registry;
    if (registry) {
      await phase('login and pull', () =>
        host.run(hostCommands.loginAndPull(registry.server, registry.username, inputs.image.reference), { stdin: registry.password }),
      );
    } else {
      await phase('pull', () => host.run(docker.pull(inputs.image.reference)));
    }
    result.imageDigest = (await host.run(docker.imageDigest(inputs.image.reference))).trim() || undefined;

    if (inputs.env.length > 0) {
      await phase('env file', async () => {
        const dir = paths.envFile.slice(0, paths.envFile.lastIndexOf('/')) || '/';
        await host.run(hostCommands.makePrivateDirs(dir));
        await host.writeFile(paths.envFile, docker.renderEnvFile(inputs.env), 0o600);
      });
    }
    if (inputs.files.length > 0) {
      await phase('files', async () => {
        for (const file of inputs.files) {
          await host.run(hostCommands.makeDirs(file.remote.slice(0, file.remote.lastIndexOf('/')) || '/'));
          await host.writeFile(file.remote, file.content, 0o644);
        }
      });
    }
    if (inputs.prepareDirs.length > 0) {
      await phase('prepare dirs', async () => {
        for (const dir of inputs.prepareDirs) await host.run(docker.prepareDir(inputs.image.reference, dir.path, dir.owner, dir.mode));
      });
    }
    if (inputs.strategy === 'switch') {
      await switchDeploy(host, inputs, paths.base, paths.envFile, result, phase, logger);
    } else {
      await replaceDeploy(host, inputs, paths, result, phase, logger);
    }
    if (result.outcome === 'deployed') await phase('prune', () => pruneImages(host, inputs, result.previousImage, logger));
    return result;
  } catch (error) {
    result.error ??= describe(error);
    return result;
  } finally {
    result.durationMs = Math.round(performance.now() - started);
    await appendAudit(host, paths.audit, context, inputs, result).catch((error) => logger.warning(`audit log: ${describe(error)}`));
    await lock.release().catch((error) => logger.warning(`releasing the lock: ${describe(error)}`));
  }
}

type Phase = <T>(name: string, work: () => Promise<T>) => Promise<T>;

/** Strategy replace: the old container stops, the new one starts under the same name and published ports. */
async function replaceDeploy(
  host: RemoteHost,
  inputs: DeployInputs,
  paths: Pick<ReturnType<typeof deployPaths>, 'envFile' | 'lock'>,
  result: HostResult,
  phase: Phase,
  logger: Logger,
): Promise<void> {
  const name = inputs.name;
  const previousName = `${name}.previous`;
  const previous = await phase('replace', async () => {
    // A `.previous` container means an earlier deploy died before its gate passed: that container is the
    // last known-good one, and whatever runs under the name was never verified. Restore it as the target.
    if ((await host.exec(docker.containerInfo(previousName))).code === 0) {
      logger.warning(`${host.name}: ${previousName} was left by a deploy that did not finish; restoring it as the rollback target`);
      await host.exec(docker.remove(name));
      await host.run(docker.rename(previousName, name));
    }
    const found = await host.exec(docker.containerInfo(name));
    const [, image] = found.code === 0 ? found.stdout.trim().split('|') : [];
    return image ? { image } : undefined;
  });
  result.previousImage = previous?.image;

  // Stop, start and the verdict are one remote unit: if this runner or the connection dies before the
  // verdict, the host itself puts the previous container back (see hostCommands.guardedReplace).
  const guard = await host.start(
    hostCommands.guardedReplace(
      name,
      previousName,
      hostCommands.unitLockPath(paths.lock),
      docker.run(containerSpec(inputs, paths.envFile)),
    ),
  );
  try {
    const started = await phase('start', () =>
      Promise.race([guard.firstLine, host.lost]).catch((error: unknown) => {
        if (!(error instanceof RemoteError)) throw error;
        const why = error.stderr
          .replace(/\nended before printing a line$/, '')
          .trim()
          .split('\n')
          .slice(-3)
          .join(' | ');
        const what =
          error.code === hostCommands.GUARD_STOP_FAILED
            ? 'the running container could not be stopped'
            : error.code === hostCommands.GUARD_LOCK_FAILED
              ? `the replace unit could not take its lock (nothing was changed)`
              : 'the new container did not start';
        throw new DeployFailure(`${what}: ${why}`);
      }),
    );
    result.containerId = started.replace(/^started /, '').trim();
    await phase('health gate', () => Promise.race([requireHealthy(host, inputs, name, inputs.health.url, logger), host.lost]));
    await runPostDeploy(host, inputs, name, phase, logger);
  } catch (error) {
    result.error = describe(error);
    try {
      if (result.containerId) await showDiagnostics(host, name, logger);
      result.outcome = await phase('rollback', () => Promise.race([rollBack(host, inputs, previous, guard, logger), host.lost]));
      if (result.outcome === 'rolled-back') result.servingContainer = name;
    } catch (rollbackError) {
      if (rollbackError instanceof SshConnectError) {
        // The guarded unit on the host saw the channel close and restores the previous container itself.
        result.outcome = 'failed';
        result.error += previous
          ? `; the host puts ${previousName} (${previous.image}) back by itself`
          : '; the host removes the unverified container by itself';
      } else {
        result.outcome = previous && inputs.rollback ? 'rollback-failed' : 'failed';
        result.error += `; then recovery could not run: ${describe(rollbackError)}`;
      }
    }
    return;
  }
  guard.end('commit\n');
  await guard.exit;
  await host.exec(docker.remove(previousName));
  result.outcome = 'deployed';
  result.servingContainer = name;
}

/** Strategy switch (see switch.ts): the old version serves until the new one is verified, and after a failure. */
async function switchDeploy(
  host: RemoteHost,
  inputs: DeployInputs,
  base: string,
  envFile: string,
  result: HostResult,
  phase: Phase,
  logger: Logger,
): Promise<void> {
  const state = await phase('recover', () => recoverService(host, inputs, base, logger));
  const old = state.serving;
  result.previousImage = old?.image;
  result.servingContainer = old?.name;
  const release = newRelease();
  const spec = newContainerSpec(inputs, release, state.names, envFile);
  const fellBack = (why: unknown) => {
    result.error = describe(why);
    result.outcome = old ? 'rolled-back' : 'failed';
    if (old) logger.info(`${host.name}: ${old.name} (${old.image}) still serves`);
  };

  try {
    result.containerId = (await phase('start', () => host.run(docker.run(spec)))).trim();
    if (inputs.network) await host.run(docker.networkConnect(inputs.network, spec.name));
    const direct = await directHealthUrl(host, inputs, spec.name, state.names.network);
    await phase('health gate', () => Promise.race([requireHealthy(host, inputs, spec.name, direct, logger), host.lost]));
    await runPostDeploy(host, inputs, spec.name, phase, logger);
  } catch (error) {
    // Before the switch: the new version never took a request, and the old one never stopped.
    await showDiagnostics(host, spec.name, logger).catch(() => undefined);
    await host.exec(docker.remove(spec.name)).catch(() => undefined);
    fellBack(error);
    return;
  }

  const retired = state.proxy ? await proxyWorkers(host, state.names.proxy) : [];
  try {
    const target = await phase('switch', () => switchProxy(host, inputs, state, release));
    await phase('verify', async () => {
      await verifyThroughProxy(host, inputs, target, logger);
      if (inputs.health.url) await requireHealthy(host, inputs, spec.name, inputs.health.url, logger);
    });
  } catch (error) {
    if (!old || !inputs.rollback) {
      result.error = describe(error);
      result.servingContainer = spec.name;
      return;
    }
    try {
      // After the switch: back to the old container, which still runs.
      await phase('rollback', async () => {
        const back = await switchProxy(host, inputs, state, aliasOf(inputs.name, old.name));
        await verifyThroughProxy(host, inputs, back, logger);
      });
      await host.exec(docker.remove(spec.name));
      fellBack(error);
    } catch (rollbackError) {
      result.outcome = 'rollback-failed';
      result.error = `${describe(error)}; then switching back to ${old.name} failed: ${describe(rollbackError)}`;
    }
    return;
  }
  result.servingContainer = spec.name;
  result.outcome = 'deployed';

  await phase('drain', async () => {
    await waitForDrain(host, state.names.proxy, retired, inputs.drainTimeoutMs, logger);
    if (old) await host.exec(docker.stop(old.name, STOP_SECONDS));
    // The old version stays, stopped, as the rollback target; versions before it go.
    const containers = parseServiceContainers(await host.run(docker.serviceContainers(inputs.name)));
    const stale = containers.filter((c) => c.role === 'app' && c.name !== spec.name && c.name !== old?.name).map((c) => c.name);
    if (stale.length > 0) await host.exec(docker.removeContainers(stale));
  });
}

async function runPostDeploy(host: RemoteHost, inputs: DeployInputs, container: string, phase: Phase, logger: Logger): Promise<void> {
  for (const [index, command] of inputs.postDeploy.entries()) {
    await phase(`post-deploy ${index + 1}`, async () => {
      const ran = await host.exec(docker.execInContainer(container, command));
      if (ran.stdout.trim()) logger.info(ran.stdout.trimEnd());
      if (ran.code !== 0) {
        throw new DeployFailure(
          `post-deploy command ${index + 1} exited ${ran.code}: ${ran.stderr.trim().split('\n').slice(-3).join(' | ')}`,
        );
      }
    });
  }
}

export function containerSpec(inputs: DeployInputs, envFile: string): docker.ContainerSpec {
  return {
    name: inputs.name,
    image: inputs.image.reference,
    envFile: inputs.env.length > 0 ? envFile : undefined,
    ports: inputs.ports,
    volumes: inputs.volumes,
    labels: inputs.labels,
    restart: inputs.restart,
    network: inputs.network,
    command: inputs.command,
    extraArgs: inputs.dockerArgs,
  };
}

async function requireHealthy(
  host: RemoteHost,
  inputs: DeployInputs,
  container: string,
  url: URL | undefined,
  logger: Logger,
): Promise<void> {
  const gate = inputs.health;
  if (url) {
    // Probing goes through the connection: once it is lost, further attempts only keep the runner waiting.
    const connection = new AbortController();
    host.lost.catch(() => connection.abort());
    const result = await probeUrl(
      { url, method: 'GET', headers: {}, timeoutMs: gate.timeoutMs, followRedirects: true, insecure: false },
      { expectedStatus: gate.expectedStatus, bodyContains: gate.bodyContains, jsonFields: [] },
      {
        initialDelayMs: 0,
        intervalMs: gate.intervalMs,
        successThreshold: 1,
        maxAttempts: gate.attempts,
        backoff: 'fixed',
        maxIntervalMs: gate.intervalMs,
      },
      {
        // Probed from the host's side of the one SSH connection: health-url is as the host sees it.
        transport: createHttpTransport((h, p) => host.forwardOut(h, p)),
        signal: connection.signal,
        onAttempt: (record) =>
          logger.info(`${url.href} attempt ${record.attempt}/${gate.attempts}: ${record.ok ? 'ok' : 'failed'}, ${record.detail}`),
      },
    );
    if (!result.healthy) throw new DeployFailure(`health gate: ${url.href} ${result.diagnosis}`);
    return;
  }
  for (let attempt = 1; ; attempt += 1) {
    const state = (await host.run(docker.containerInfo(container))).trim().split('|')[3];
    const health = gate.container ? (await host.run(docker.containerHealth(container))).trim() : 'none';
    logger.info(`container ${container} attempt ${attempt}/${gate.attempts}: ${state}${gate.container ? `, health ${health}` : ''}`);
    if (state !== 'running') throw new DeployFailure(`the new container is ${state}, not running`);
    if (!gate.container) return;
    if (health === 'healthy') return;
    if (health === 'none') throw new DeployFailure('health-container is set but the image defines no HEALTHCHECK');
    if (health === 'unhealthy') throw new DeployFailure('the container reports unhealthy (its HEALTHCHECK failed)');
    if (attempt >= gate.attempts) throw new DeployFailure(`the container was still ${health} after ${gate.attempts} checks`);
    await new Promise((resolve) => setTimeout(resolve, gate.intervalMs));
  }
}

async function showDiagnostics(host: RemoteHost, name: string, logger: Logger): Promise<void> {
  logger.startGroup(`${host.name}: the new container's state and last ${LOG_TAIL} log lines`);
  const state = await host.exec(docker.containerState(name));
  logger.info(state.code === 0 ? state.stdout.trim() : 'the container does not exist');
  const logs = await host.exec(docker.logs(name, LOG_TAIL));
  for (const line of `${logs.stdout}${logs.stderr}`.trimEnd().split('\n')) if (line) logger.info(`  ${line}`);
  logger.endGroup();
}

async function rollBack(
  host: RemoteHost,
  inputs: DeployInputs,
  previous: { image: string } | undefined,
  guard: RemoteProcess,
  logger: Logger,
): Promise<DeployOutcome> {
  if (!previous) {
    logger.warning(`${host.name}: no previous container to roll back to; removing the failed one`);
    guard.end('restore\n');
    await guard.exit;
    return 'failed';
  }
  if (!inputs.rollback) {
    logger.warning(
      `${host.name}: rollback is off; the failed container stays, and the previous one is kept stopped as ${inputs.name}.previous`,
    );
    guard.end('keep\n');
    await guard.exit;
    return 'failed';
  }
  logger.info(`${host.name}: rolling back to ${previous.image}`);
  guard.end('restore\n');
  // A new container that never started was already undone by the unit itself.
  const code = await guard.exit;
  if (code !== 0 && code !== hostCommands.GUARD_START_FAILED)
    throw new UserError(`restoring ${inputs.name}.previous failed (exit ${code})`);
  try {
    await requireHealthy(host, inputs, inputs.name, inputs.health.url, logger);
  } catch (error) {
    logger.error(
      `${host.name}: ROLLBACK FAILED: the previous image ${previous.image} does not pass the health gate either: ${describe(error)}`,
    );
    return 'rollback-failed';
  }
  logger.info(`${host.name}: rolled back; ${previous.image} passes the health gate`);
  return 'rolled-back';
}

/** Removes this repository's images beyond keep-images, never the running image or the rollback target. */
async function pruneImages(host: RemoteHost, inputs: DeployInputs, previousImage: string | undefined, logger: Logger): Promise<void> {
  const listed = (await host.run(docker.listImages(inputs.image.repository))).trim();
  const ids = [
    ...new Set(
      listed
        .split('\n')
        .filter(Boolean)
        .map((line) => line.split(' ')[0]!),
    ),
  ];
  const protect = new Set<string>();
  for (const image of [inputs.image.reference, previousImage]) {
    if (!image) continue;
    const id = await host.exec(docker.imageId(image));
    if (id.code === 0) protect.add(id.stdout.trim());
  }
  // The running image and the rollback target always stay and count toward keep-images; the newest
  // of the rest fill what is left.
  const kept = new Set(protect);
  for (const id of ids) if (kept.size < inputs.keepImages) kept.add(id);
  const doomed = ids.filter((id) => !kept.has(id));
  if (doomed.length === 0) return;
  const removed = await host.exec(docker.removeImages(doomed));
  logger.info(
    `pruned ${doomed.length} image(s) of ${inputs.image.repository}${removed.code === 0 ? '' : ` (some are still in use: ${removed.stderr.trim()})`}`,
  );
}

async function appendAudit(host: RemoteHost, path: string, context: RunContext, inputs: DeployInputs, result: HostResult): Promise<void> {
  const line = [
    new Date().toISOString(),
    `actor=${context.actor}`,
    `run=${context.runId}`,
    `container=${inputs.name}`,
    `image=${inputs.image.reference}`,
    `digest=${result.imageDigest ?? '-'}`,
    `result=${result.outcome}`,
    `ms=${result.durationMs}`,
  ].join(' ');
  await host.run(hostCommands.appendLine(path, line));
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
