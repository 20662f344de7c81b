/**
 * Strategy `replace`: the old container stops, the new one starts under the same name and published ports.
 * Stop, start and the verdict are one remote unit (hostCommands.guardedReplace): if this runner or the
 * connection dies before the verdict, the host itself puts the previous container back.
 */
import * as docker from '#docker/index';
import { hostCommands } from '#docker/index';
import { UserError } from '#errors/index';
import { RemoteError, type RemoteProcess, SshConnectError } from '#ssh/index';
import { containerSpec, type DeployOutcome, describe, type HostDeploy, lastLines } from './deploy.ts';
import { healthGate } from './gate.ts';

interface Previous {
  image: string;
}

export async function replaceDeploy(deploy: HostDeploy): Promise<void> {
  const { host, inputs } = deploy;
  const previous = await deploy.phase('replace', () => findPrevious(deploy));
  deploy.previousImage = previous?.image;
  const guard = await host.start(
    hostCommands.guardedReplace(
      inputs.name,
      previousName(deploy),
      hostCommands.unitLockPath(deploy.paths.lock),
      docker.run(containerSpec(inputs, deploy.paths.envFile)),
    ),
  );
  try {
    deploy.containerId = await deploy.phase('start', () => waitForStart(deploy, guard));
    await deploy.phase('health gate', () => healthGate(host, inputs.health, inputs.name, inputs.health.url, deploy.logger));
    await deploy.runPostDeploy(inputs.name);
  } catch (error) {
    deploy.error = describe(error);
    await recover(deploy, previous, guard);
    return;
  }
  guard.end('commit\n');
  await guard.exit;
  await host.exec(docker.remove(previousName(deploy)));
  deploy.deployed(inputs.name);
}

const previousName = (deploy: HostDeploy) => `${deploy.inputs.name}.previous`;

/**
 * The container the new one replaces. A `.previous` container means an earlier deploy died before its gate
 * passed: that container is the last known-good one, and whatever runs under the name was never verified, so
 * it is restored as the target.
 */
async function findPrevious(deploy: HostDeploy): Promise<Previous | undefined> {
  const { host, inputs } = deploy;
  if ((await host.exec(docker.containerInfo(previousName(deploy)))).code === 0) {
    deploy.logger.warning(
      `${host.name}: ${previousName(deploy)} was left by a deploy that did not finish; restoring it as the rollback target`,
    );
    await host.exec(docker.remove(inputs.name));
    await host.run(docker.rename(previousName(deploy), inputs.name));
  }
  const found = await host.exec(docker.containerInfo(inputs.name));
  const [, image] = found.code === 0 ? found.stdout.trim().split('|') : [];
  return image ? { image } : undefined;
}

/** The new container's id, once the unit says it started; its refusals in words. */
async function waitForStart(deploy: HostDeploy, guard: RemoteProcess): Promise<string> {
  const line = await Promise.race([guard.firstLine, deploy.host.lost]).catch((error: unknown) => {
    if (!(error instanceof RemoteError)) throw error;
    const why = lastLines(error.stderr.replace(/\nended before printing a line$/, ''), 3);
    const what =
      error.code === hostCommands.GUARD_STOP_FAILED
        ? 'the running container could not be stopped'
        : error.code === hostCommands.GUARD_LOCK_FAILED
          ? `the replace unit could not take its lock (nothing was changed)`
          : 'the new container did not start';
    throw new UserError(`${what}: ${why}`);
  });
  return line.replace(/^started /, '').trim();
}

/** After a failed start, gate or post-deploy: the previous container back, or the host's own restore. */
async function recover(deploy: HostDeploy, previous: Previous | undefined, guard: RemoteProcess): Promise<void> {
  const { host, inputs } = deploy;
  try {
    if (deploy.containerId) await deploy.showDiagnostics(inputs.name);
    deploy.outcome = await deploy.phase('rollback', () => Promise.race([rollBack(deploy, previous, guard), host.lost]));
    if (deploy.outcome === 'rolled-back') deploy.servingContainer = inputs.name;
  } catch (rollbackError) {
    if (rollbackError instanceof SshConnectError) {
      // The guarded unit on the host saw the channel close and restores the previous container itself.
      deploy.outcome = 'failed';
      deploy.error += previous
        ? `; the host puts ${previousName(deploy)} (${previous.image}) back by itself`
        : '; the host removes the unverified container by itself';
    } else {
      deploy.outcome = previous && inputs.rollback ? 'rollback-failed' : 'failed';
      deploy.error += `; then recovery could not run: ${describe(rollbackError)}`;
    }
  }
}

async function rollBack(deploy: HostDeploy, previous: Previous | undefined, guard: RemoteProcess): Promise<DeployOutcome> {
  const { host, inputs, logger } = deploy;
  if (!previous) {
    logger.warning(`${host.name}: no previous container to roll back to; removing the failed one`);
    guard.end('restore\n');
    await guard.exit;
    return 'failed';
  }
  if (!inputs.rollback) {
    logger.warning(
      `${host.name}: rollback is off; the failed container stays, and the previous one is kept stopped as ${previousName(deploy)}`,
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
    throw new UserError(`restoring ${previousName(deploy)} failed (exit ${code})`);
  try {
    await healthGate(host, inputs.health, inputs.name, inputs.health.url, logger);
  } catch (error) {
    logger.error(
      `${host.name}: ROLLBACK FAILED: the previous image ${previous.image} does not pass the health gate either: ${describe(error)}`,
    );
    return 'rollback-failed';
  }
  logger.info(`${host.name}: rolled back; ${previous.image} passes the health gate`);
  return 'rolled-back';
}
