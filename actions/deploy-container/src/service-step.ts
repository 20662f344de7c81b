/**
 * A step on a deployed service without an image, on each host under the deploy lock:
 * - `maintenance: on|off`: the service's edge answers every request with 503, Retry-After and the page, or
 *   serves the app again. Only the edge's map changes: the file first (what a restarted proxy and the next
 *   deploy's recovery read), then the runtime, so no container starts or stops and no connection closes.
 * - `remove: true`: the service goes, whatever strategy deployed it: its app containers, edge (or nginx
 *   proxy), network, proxy folder (with the TLS key) and env file.
 */
import * as docker from '#docker/index';
import { hostCommands } from '#docker/index';
import { UserError } from '#errors/index';
import type { RemoteHost } from '#ssh/index';
import { deployPaths, type DeployPaths, describe, type HostResult, type RunContext } from './deploy.ts';
import type { ServiceStepInputs } from './inputs.ts';
import { acquireLock } from './lock.ts';
import { parseServiceContainers, serviceNames } from './switch.ts';

export async function serviceStepOnHost(host: RemoteHost, inputs: ServiceStepInputs, context: RunContext): Promise<HostResult> {
  const started = performance.now();
  const home = (await host.run(hostCommands.homeDirectory())).trim();
  const paths = deployPaths(home, inputs.name);
  await host.run(hostCommands.makePrivateDirs(paths.base, paths.locks));
  const owner = `run ${context.runId} by ${context.actor} (${inputs.step.kind}) since ${new Date().toISOString()}`;
  const lock = await acquireLock(host, paths.lock, owner, inputs.lockTimeoutMs, context.logger);
  const result: HostResult = { host: host.name, outcome: 'failed', phases: [], durationMs: 0 };
  try {
    const step = inputs.step;
    if (step.kind === 'maintenance') {
      await setMaintenance(host, inputs.name, step.maintenance, serviceNames(inputs.name, paths.base));
      context.logger.info(`${host.name}: maintenance ${step.maintenance.on ? 'on: every request gets the page' : 'off: the app serves'}`);
    } else {
      const removed = await removeService(host, inputs.name, paths);
      context.logger.info(`${host.name}: removed ${removed.length > 0 ? removed.join(', ') : 'nothing (no container of the service)'}`);
    }
    result.outcome = 'deployed';
  } catch (error) {
    result.error = describe(error);
  } finally {
    await lock.release().catch((error) => context.logger.warning(`releasing the lock: ${describe(error)}`));
  }
  result.durationMs = Math.round(performance.now() - started);
  return result;
}

async function setMaintenance(
  host: RemoteHost,
  service: string,
  maintenance: docker.EdgeMaintenance,
  names: ReturnType<typeof serviceNames>,
): Promise<void> {
  const config = await host.exec(hostCommands.readFile(names.config));
  const running = (await host.exec(docker.containerInfo(names.proxy))).stdout.trim().split('|')[3];
  if (config.code !== 0 || !docker.edgeRecord(config.stdout) || running !== 'running')
    throw new UserError(
      `${service} has no running edge on ${host.name}: maintenance needs a service deployed with strategy switch by this version`,
    );
  await host.writeFile(`${names.map}.next`, docker.renderEdgeMap(maintenance), 0o644);
  await host.run(hostCommands.replaceFile(`${names.map}.next`, names.map));
  const answer = await host.run(hostCommands.proxyAdmin(names.proxy, docker.maintenanceCommands(maintenance)));
  const refused = docker.adminFailure(answer);
  if (refused) throw new UserError(`the proxy ${names.proxy} refused a runtime command: ${refused}`);
}

/** Removes everything of the service on the host; returns the containers it removed. */
async function removeService(host: RemoteHost, service: string, paths: DeployPaths): Promise<string[]> {
  const names = serviceNames(service, paths.base);
  const labelled = parseServiceContainers(await host.run(docker.serviceContainers(service))).map((c) => c.name);
  // Strategy replace's container and its rollback target carry the service's name, not its label.
  const replaced: string[] = [];
  for (const name of [service, `${service}.previous`]) if ((await host.exec(docker.containerInfo(name))).code === 0) replaced.push(name);
  const containers = [...labelled, ...replaced];
  if (containers.length > 0) await host.run(docker.removeContainers(containers));
  if ((await host.exec(docker.networkExists(names.network))).code === 0) await host.run(docker.networkRemove(names.network));
  // The folder holds the edge's config, map and TLS key; the env file holds the app's secrets.
  await host.run(hostCommands.removeTree(names.proxyDir));
  await host.run(hostCommands.removeFile(paths.envFile));
  return containers;
}
