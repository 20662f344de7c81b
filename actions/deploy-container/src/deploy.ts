/**
 * One deploy on one host, over one SSH connection: lock, log in, pull, write the env file, upload files, prepare
 * directories, replace the container, gate it on health, run post-deploy commands, roll back on
 * failure, prune, audit. Every remote command comes from the docker catalogue as an argv.
 */
import * as docker from '../../../packages/docker/index.ts';
import { inGroup, type Logger } from '../../../packages/log/index.ts';
import { createHttpTransport, probeUrl } from '../../../packages/probe/index.ts';
import type { RemoteHost } from '../../../packages/ssh/index.ts';
import type { DeployInputs } from './inputs.ts';
import { acquireLock } from './lock.ts';

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
  const previousName = `${name}.previous`;

  const home = (await host.run(['pwd'])).trim();
  const paths = deployPaths(home, name, inputs.envFilePath);
  await host.run(['mkdir', '-p', '-m', '700', paths.base, paths.envDir, paths.locks]);

  const owner = `run ${context.runId} by ${context.actor} since ${new Date().toISOString()}`;
  const lock = await phase('lock', () => acquireLock(host, paths.lock, owner, inputs.lockTimeoutMs, logger));
  let dockerConfig: string | undefined;
  try {
    if (inputs.registry) {
      const registry = inputs.registry;
      dockerConfig = (await host.run(['mktemp', '-d', '-t', 'golden-deploy.XXXXXXXX'])).trim();
      await phase('registry login', () =>
        host.run(docker.login(registry.server, registry.username, dockerConfig!), { stdin: registry.password }));
    }
    await phase('pull', () => host.run(docker.pull(inputs.image.reference, dockerConfig)));
    result.imageDigest = (await host.run(docker.imageDigest(inputs.image.reference))).trim() || undefined;

    if (inputs.env.length > 0) {
      await phase('env file', async () => {
        const dir = paths.envFile.slice(0, paths.envFile.lastIndexOf('/')) || '/';
        await host.run(['mkdir', '-p', '-m', '700', dir]);
        await host.writeFile(paths.envFile, docker.renderEnvFile(inputs.env), 0o600);
      });
    }
    if (inputs.files.length > 0) {
      await phase('files', async () => {
        for (const file of inputs.files) {
          await host.run(['mkdir', '-p', file.remote.slice(0, file.remote.lastIndexOf('/')) || '/']);
          await host.writeFile(file.remote, file.content, 0o644);
        }
      });
    }
    if (inputs.prepareDirs.length > 0) {
      await phase('prepare dirs', async () => {
        for (const dir of inputs.prepareDirs) await host.run(docker.prepareDir(inputs.image.reference, dir.path, dir.owner, dir.mode));
      });
    }

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
      if (image) {
        await host.run(docker.stop(name));
        await host.run(docker.rename(name, previousName));
      }
      return image ? { image } : undefined;
    });
    result.previousImage = previous?.image;

    try {
      result.containerId = (await phase('start', () => host.run(docker.run(containerSpec(inputs, paths.envFile))))).trim();
      await phase('health gate', () => Promise.race([requireHealthy(host, inputs, logger), host.lost]));
      for (const [index, command] of inputs.postDeploy.entries()) {
        await phase(`post-deploy ${index + 1}`, async () => {
          const ran = await host.exec(docker.execInContainer(name, command));
          if (ran.stdout.trim()) logger.info(ran.stdout.trimEnd());
          if (ran.code !== 0) {
            throw new DeployFailure(`post-deploy command ${index + 1} exited ${ran.code}: ${ran.stderr.trim().split('\n').slice(-3).join(' | ')}`);
          }
        });
      }
    } catch (error) {
      result.error = describe(error);
      try {
        await showDiagnostics(host, name, logger);
        result.outcome = await phase('rollback', () => Promise.race([rollBack(host, inputs, previous, logger), host.lost]));
      } catch (rollbackError) {
        result.outcome = previous && inputs.rollback ? 'rollback-failed' : 'failed';
        result.error += `; then recovery could not run: ${describe(rollbackError)}`;
      }
      return result;
    }

    await host.exec(docker.remove(previousName));
    result.outcome = 'deployed';
    await phase('prune', () => pruneImages(host, inputs, previous?.image, logger));
    return result;
  } catch (error) {
    result.error ??= describe(error);
    return result;
  } finally {
    if (dockerConfig && inputs.registry) {
      await host.exec(docker.logout(inputs.registry.server, dockerConfig)).catch(() => undefined);
      await host.exec(['rm', '-rf', dockerConfig]).catch(() => undefined);
    }
    result.durationMs = Math.round(performance.now() - started);
    await appendAudit(host, paths.audit, context, inputs, result).catch((error) => logger.warning(`audit log: ${describe(error)}`));
    await lock.release().catch((error) => logger.warning(`releasing the lock: ${describe(error)}`));
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

async function requireHealthy(host: RemoteHost, inputs: DeployInputs, logger: Logger): Promise<void> {
  const gate = inputs.health;
  if (gate.url) {
    const result = await probeUrl(
      { url: gate.url, method: 'GET', headers: {}, timeoutMs: gate.timeoutMs, followRedirects: true, insecure: false },
      { expectedStatus: gate.expectedStatus, bodyContains: gate.bodyContains, jsonFields: [] },
      { initialDelayMs: 0, intervalMs: gate.intervalMs, successThreshold: 1, maxAttempts: gate.attempts, backoff: 'fixed', maxIntervalMs: gate.intervalMs },
      {
        // Probed from the host's side of the one SSH connection: health-url is as the host sees it.
        transport: createHttpTransport((h, p) => host.forwardOut(h, p)),
        onAttempt: (record) => logger.info(`${gate.url!.href} attempt ${record.attempt}/${gate.attempts}: ${record.ok ? 'ok' : 'failed'}, ${record.detail}`),
      },
    );
    if (!result.healthy) throw new DeployFailure(`health gate: ${gate.url.href} ${result.diagnosis}`);
    return;
  }
  for (let attempt = 1; ; attempt += 1) {
    const state = (await host.run(docker.containerInfo(inputs.name))).trim().split('|')[3];
    const health = gate.container ? (await host.run(docker.containerHealth(inputs.name))).trim() : 'none';
    logger.info(`container ${inputs.name} attempt ${attempt}/${gate.attempts}: ${state}${gate.container ? `, health ${health}` : ''}`);
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
  host: RemoteHost, inputs: DeployInputs, previous: { image: string } | undefined, logger: Logger,
): Promise<DeployOutcome> {
  if (!previous) {
    logger.warning(`${host.name}: no previous container to roll back to; removing the failed one`);
    await host.exec(docker.remove(inputs.name));
    return 'failed';
  }
  if (!inputs.rollback) {
    logger.warning(`${host.name}: rollback is off; the failed container stays, and the previous one is kept stopped as ${inputs.name}.previous`);
    return 'failed';
  }
  logger.info(`${host.name}: rolling back to ${previous.image}`);
  await host.run(docker.remove(inputs.name));
  await host.run(docker.rename(`${inputs.name}.previous`, inputs.name));
  await host.run(docker.start(inputs.name));
  try {
    await requireHealthy(host, inputs, logger);
  } catch (error) {
    logger.error(`${host.name}: ROLLBACK FAILED: the previous image ${previous.image} does not pass the health gate either: ${describe(error)}`);
    return 'rollback-failed';
  }
  logger.info(`${host.name}: rolled back; ${previous.image} passes the health gate`);
  return 'rolled-back';
}

/** Removes this repository's images beyond keep-images, never the running image or the rollback target. */
async function pruneImages(host: RemoteHost, inputs: DeployInputs, previousImage: string | undefined, logger: Logger): Promise<void> {
  const listed = (await host.run(docker.listImages(inputs.image.repository))).trim();
  const ids = [...new Set(listed.split('\n').filter(Boolean).map((line) => line.split(' ')[0]!))];
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
  logger.info(`pruned ${doomed.length} image(s) of ${inputs.image.repository}${removed.code === 0 ? '' : ` (some are still in use: ${removed.stderr.trim()})`}`);
}

async function appendAudit(host: RemoteHost, path: string, context: RunContext, inputs: DeployInputs, result: HostResult): Promise<void> {
  const line = [new Date().toISOString(), `actor=${context.actor}`, `run=${context.runId}`, `container=${inputs.name}`,
    `image=${inputs.image.reference}`, `digest=${result.imageDigest ?? '-'}`, `result=${result.outcome}`, `ms=${result.durationMs}`].join(' ');
  // The line is data: the script is fixed and the line arrives as an argument.
  await host.run(['sh', '-c', 'printf "%s\\n" "$2" >> "$1"', 'audit', path, line]);
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
