import { envInputSource, InputReader, type RawInputSource } from '#inputs/index';
import { type Logger } from '#log/index';
import { coreLogger } from '#log/core';
import { settleStep } from '#log/action';
import { type ActionReporter } from '#log/reporter';
import { coreReporter } from '#log/reporter-core';
import { connectSsh, type RemoteHost, type SshTarget } from '#ssh/index';
import { deployToHost } from './deploy.ts';
import { readDeployInputs } from './inputs.ts';
import { reportRoll } from './report.ts';
import { rollAcrossHosts } from './roll.ts';

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
    const inputs = readDeployInputs(new InputReader(deps.inputs));
    for (const secret of inputs.secrets) logger.mask(secret);
    for (const warning of inputs.envWarnings) logger.warning(`env: ${warning}`);
    const context = { actor: deps.env.GITHUB_ACTOR ?? 'local', runId: deps.env.GITHUB_RUN_ID ?? 'local', logger };

    const roll = await rollAcrossHosts(
      inputs.targets,
      inputs.maxParallel,
      (target) => deps.connect(target, inputs.jump),
      (host) => {
        logger.info(`${host.name}: deploying ${inputs.image.reference} as ${inputs.name}`);
        return deployToHost(host, inputs, context);
      },
    );
    return reportRoll(reporter, inputs.image.reference, roll, Math.round(performance.now() - started));
  });
}
