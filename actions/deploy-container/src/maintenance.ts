/**
 * `maintenance: on|off`, a step without an image: on each host, under the deploy lock, the service's edge
 * answers every request with 503, Retry-After and the page, or serves the app again. Only the edge's map
 * changes: the file first (what a restarted proxy and the next deploy's recovery read), then the runtime,
 * so no container starts or stops and no connection closes.
 */
import * as docker from '#docker/index';
import { hostCommands } from '#docker/index';
import { UserError } from '#errors/index';
import type { RemoteHost } from '#ssh/index';
import { deployPaths, describe, type HostResult, type RunContext } from './deploy.ts';
import type { MaintenanceInputs } from './inputs.ts';
import { acquireLock } from './lock.ts';
import { serviceNames } from './switch.ts';

export async function maintainHost(host: RemoteHost, inputs: MaintenanceInputs, context: RunContext): Promise<HostResult> {
  const started = performance.now();
  const home = (await host.run(hostCommands.homeDirectory())).trim();
  const paths = deployPaths(home, inputs.name);
  await host.run(hostCommands.makePrivateDirs(paths.base, paths.locks));
  const owner = `run ${context.runId} by ${context.actor} (maintenance) since ${new Date().toISOString()}`;
  const lock = await acquireLock(host, paths.lock, owner, inputs.lockTimeoutMs, context.logger);
  const result: HostResult = { host: host.name, outcome: 'failed', phases: [], durationMs: 0 };
  try {
    await setMaintenance(host, inputs, serviceNames(inputs.name, paths.base));
    result.outcome = 'deployed';
    context.logger.info(`${host.name}: maintenance ${inputs.maintenance.on ? 'on: every request gets the page' : 'off: the app serves'}`);
  } catch (error) {
    result.error = describe(error);
  } finally {
    await lock.release().catch((error) => context.logger.warning(`releasing the lock: ${describe(error)}`));
  }
  result.durationMs = Math.round(performance.now() - started);
  return result;
}

async function setMaintenance(host: RemoteHost, inputs: MaintenanceInputs, names: ReturnType<typeof serviceNames>): Promise<void> {
  const config = await host.exec(hostCommands.readFile(names.config));
  const running = (await host.exec(docker.containerInfo(names.proxy))).stdout.trim().split('|')[3];
  if (config.code !== 0 || !docker.edgeRecord(config.stdout) || running !== 'running')
    throw new UserError(
      `${inputs.name} has no running edge on ${host.name}: maintenance needs a service deployed with strategy switch by this version`,
    );
  await host.writeFile(`${names.map}.next`, docker.renderEdgeMap(inputs.maintenance), 0o644);
  await host.run(hostCommands.replaceFile(`${names.map}.next`, names.map));
  const answer = await host.run(hostCommands.proxyAdmin(names.proxy, docker.maintenanceCommands(inputs.maintenance)));
  const refused = docker.adminFailure(answer);
  if (refused) throw new UserError(`the proxy ${names.proxy} refused a runtime command: ${refused}`);
}
