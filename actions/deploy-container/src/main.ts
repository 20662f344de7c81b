import { envInputSource, InputReader, type RawInputSource } from '#inputs/index';
import { type Logger } from '#log/index';
import { coreLogger } from '#log/core';
import { settleStep } from '#log/action';
import { type ActionReporter } from '#log/reporter';
import { coreReporter } from '#log/reporter-core';
import { connectSsh, type RemoteHost, type SshTarget } from '#ssh/index';
import { deployToHost } from './deploy.ts';
import { isServiceStep, readDeployInputs, readServiceStepInputs } from './inputs.ts';
import { serviceStepOnHost } from './service-step.ts';
import { reportRoll } from './report.ts';
import { rollAcrossHosts } from './roll.ts';
import { swarmDeploy } from './swarm.ts';

export interface DeployDependencies {
  inputs: RawInputSource;
  logger: Logger;
  reporter: ActionReporter;
  connect: (target: SshTarget, jump?: SshTarget) => Promise<RemoteHost>;
  env: NodeJS.ProcessEnv;
}

export function run(): Promise<boolean> {
  return runDeploy({
    inputs: envInputSource(),
    logger: coreLogger,
    reporter: coreReporter,
    connect: (target, jump) => connectSsh(target, jump, { onRetry: (message) => coreLogger.warning(message) }),
    env: process.env,
  });
}

/** Reads the inputs, rolls the deploy across the hosts, and reports. */
export async function runDeploy(deps: DeployDependencies): Promise<boolean> {
  const { logger, reporter } = deps;
  const started = performance.now();
  return settleStep('deploy-container', deps, async () => {
    const reader = new InputReader(deps.inputs);
    if (isServiceStep(reader)) return runServiceStep(deps, reader, started);
    const inputs = readDeployInputs(reader);
    for (const secret of inputs.secrets) logger.mask(secret);
    for (const warning of inputs.envWarnings) logger.warning(`env: ${warning}`);
    if (inputs.tls?.check.warning) logger.warning(inputs.tls.check.warning);
    const context = { actor: deps.env.GITHUB_ACTOR ?? 'local', runId: deps.env.GITHUB_RUN_ID ?? 'local', logger };

    const roll = await rollAcrossHosts(
      inputs.targets,
      inputs.maxParallel,
      (target) => deps.connect(target, inputs.jump),
      (host) => {
        if (inputs.strategy === 'swarm') {
          logger.info(`${host.name}: deploying ${inputs.image.reference} as the swarm stack ${inputs.name}`);
          return swarmDeploy(host, inputs, context);
        }
        logger.info(`${host.name}: deploying ${inputs.image.reference} as ${inputs.name}`);
        return deployToHost(host, inputs, context);
      },
    );
    const notes = inputs.tls ? [`TLS certificate ${inputs.tls.check.subject}: ${inputs.tls.check.daysLeft} days left`] : [];
    return reportRoll(reporter, `Deploy of \`${inputs.image.reference}\``, roll, Math.round(performance.now() - started), notes);
  });
}

/** A step on a deployed service without an image (maintenance, remove), on every host. */
async function runServiceStep(deps: DeployDependencies, reader: InputReader, started: number): Promise<boolean> {
  const { logger, reporter } = deps;
  const inputs = readServiceStepInputs(reader);
  for (const secret of inputs.secrets) logger.mask(secret);
  const context = { actor: deps.env.GITHUB_ACTOR ?? 'local', runId: deps.env.GITHUB_RUN_ID ?? 'local', logger };
  const roll = await rollAcrossHosts(
    inputs.targets,
    inputs.maxParallel,
    (target) => deps.connect(target, inputs.jump),
    (host) => serviceStepOnHost(host, inputs, context),
  );
  const step = inputs.step;
  const title =
    step.kind === 'remove' ? `Removal of \`${inputs.name}\`` : `Maintenance ${step.maintenance.on ? 'on' : 'off'} for \`${inputs.name}\``;
  return reportRoll(reporter, title, roll, Math.round(performance.now() - started));
}
