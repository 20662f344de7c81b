import { envInputSource, InputReader, type RawInputSource } from '../../../packages/inputs/index.ts';
import { type Logger } from '../../../packages/log/index.ts';
import { coreLogger } from '../../../packages/log/core.ts';
import { runAction } from '../../../packages/log/action.ts';
import { type ActionReporter } from '../../../packages/log/reporter.ts';
import { coreReporter } from '../../../packages/log/reporter-core.ts';
import { connectSsh, type RemoteHost, type SshTarget } from '../../../packages/ssh/index.ts';
import { deployToHost, type HostResult } from './deploy.ts';
import { readDeployInputs } from './inputs.ts';
import { perHost, summaryMarkdown } from './report.ts';

export interface DeployDependencies {
  inputs: RawInputSource;
  logger: Logger;
  reporter: ActionReporter;
  connect: (target: SshTarget, jump?: SshTarget) => Promise<RemoteHost>;
  env: NodeJS.ProcessEnv;
}

export function run(): Promise<boolean> {
  return runDeploy({ inputs: envInputSource(), logger: coreLogger, reporter: coreReporter, connect: connectSsh, env: process.env });
}

const label = (target: SshTarget) => (target.port === 22 ? target.host : `${target.host}:${target.port}`);

export async function runDeploy(deps: DeployDependencies): Promise<boolean> {
  const { logger, reporter } = deps;
  const started = performance.now();
  return runAction('deploy-container', deps, async () => {
    const inputs = readDeployInputs(new InputReader(deps.inputs));
    for (const secret of inputs.secrets) logger.mask(secret);
    for (const warning of inputs.envWarnings) logger.warning(`env: ${warning}`);
    const context = { actor: deps.env.GITHUB_ACTOR ?? 'local', runId: deps.env.GITHUB_RUN_ID ?? 'local', logger };

    const results: HostResult[] = [];
    const pending = [...inputs.targets];
    // Rolling: max-parallel hosts at a time; after a failure no further host is touched.
    while (pending.length > 0 && results.every((r) => r.outcome === 'deployed')) {
      const batch = pending.splice(0, inputs.maxParallel);
      results.push(
        ...(await Promise.all(
          batch.map(async (target): Promise<HostResult> => {
            const at = performance.now();
            const failed = (error: unknown): HostResult => ({
              host: label(target),
              outcome: 'failed',
              error: (error as Error).message,
              phases: [],
              durationMs: Math.round(performance.now() - at),
            });
            let host: RemoteHost;
            try {
              host = await deps.connect(target, inputs.jump);
            } catch (error) {
              return failed(error);
            }
            try {
              logger.info(`${host.name}: deploying ${inputs.image.reference} as ${inputs.name}`);
              return await deployToHost(host, inputs, context);
            } catch (error) {
              // A host that fails outside the deploy's own bookkeeping (say, its connection drops while the lock is
              // being taken) is still this host's failure: it stops the roll and is reported on its row.
              return failed(error);
            } finally {
              host.close();
            }
          }),
        )),
      );
    }
    const skipped = pending.map(label);
    const durationMs = Math.round(performance.now() - started);

    reporter.setOutput(
      'container-id',
      perHost(results, (r) => (r.outcome === 'deployed' ? r.containerId : undefined)),
    );
    reporter.setOutput(
      'image-digest',
      perHost(results, (r) => r.imageDigest),
    );
    reporter.setOutput(
      'previous-image',
      perHost(results, (r) => r.previousImage),
    );
    reporter.setOutput(
      'serving-container',
      perHost(results, (r) => r.servingContainer),
    );
    reporter.setOutput('rolled-back', String(results.some((r) => r.outcome === 'rolled-back')));
    reporter.setOutput('duration-ms', String(durationMs));
    await reporter.writeSummary(summaryMarkdown(inputs.image.reference, results, skipped, durationMs));

    const failed = results.find((r) => r.outcome !== 'deployed');
    if (!failed) return true;
    const untouched = skipped.length > 0 ? ` ${skipped.length} later host(s) left untouched: ${skipped.join(', ')}.` : '';
    const what = {
      'rolled-back': `deploy failed and was rolled back to ${failed.previousImage}`,
      'rollback-failed': `deploy failed and the ROLLBACK FAILED too (previous image ${failed.previousImage})`,
      failed: 'deploy failed',
      deployed: '',
    }[failed.outcome];
    reporter.setFailed(`${failed.host}: ${what}: ${failed.error}.${untouched}`);
    return false;
  });
}
