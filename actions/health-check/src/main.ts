import { envInputSource, InputReader, type RawInputSource } from '#inputs/index';
import { type Logger } from '#log/index';
import { coreLogger } from '#log/core';
import { settleStep } from '#log/action';
import { type ActionReporter } from '#log/reporter';
import { coreReporter } from '#log/reporter-core';
import { UserError } from '#errors/index';
import {
  type Clock,
  type HttpTransport,
  nodeHttpTransport,
  probeUrl,
  proxyEnvironmentProblems,
  proxyPasswords,
  realClock,
} from '#probe/index';
import { readHealthCheckInputs } from './inputs.ts';
import { failureMessage, summaryMarkdown, toReports } from './report.ts';

export interface HealthCheckDependencies {
  inputs: RawInputSource;
  logger: Logger;
  reporter: ActionReporter;
  transport: HttpTransport;
  clock?: Clock;
}

/** The action as the runner (and @github/local-action) runs it: production dependencies. */
export function run(): Promise<boolean> {
  return runHealthCheck({ inputs: envInputSource(), logger: coreLogger, reporter: coreReporter, transport: nodeHttpTransport });
}

/** Checks every URL in parallel and reports; returns whether all were healthy. */
export async function runHealthCheck(deps: HealthCheckDependencies): Promise<boolean> {
  const { logger, reporter } = deps;
  const clock = deps.clock ?? realClock;
  return settleStep('health-check', deps, async () => {
    const config = readHealthCheckInputs(new InputReader(deps.inputs));
    for (const secret of [...config.secrets, ...proxyPasswords()]) logger.mask(secret);
    const proxyProblems = proxyEnvironmentProblems();
    if (proxyProblems.length > 0) throw new UserError(`the proxy environment is not usable: ${proxyProblems.join('; ')}`);

    const started = clock.now();
    const { schedule } = config;
    logger.info(
      `Checking ${config.requests.length} URL(s): up to ${schedule.maxAttempts} attempts, ` +
        `${schedule.intervalMs} ms apart (${schedule.backoff}), success after ${schedule.successThreshold} in a row`,
    );
    const results = await Promise.all(
      config.requests.map(async (request) => {
        const result = await probeUrl(request, config.checks, schedule, {
          transport: deps.transport,
          clock,
          onAttempt: (record) =>
            logger.info(
              `${request.url.origin}${request.url.pathname} attempt ${record.attempt}/${schedule.maxAttempts}: ` +
                `${record.ok ? 'ok' : 'failed'}, ${record.detail}`,
            ),
        });
        logger.info(`${result.url}: ${result.diagnosis}`);
        return result;
      }),
    );
    const durationMs = Math.round(clock.now() - started);

    const reports = toReports(results);
    const healthy = reports.every((r) => r.healthy);
    reporter.setOutput('healthy', String(healthy));
    reporter.setOutput('attempts', String(Math.max(...reports.map((r) => r.attempts))));
    reporter.setOutput('duration-ms', String(durationMs));
    reporter.setOutput('results', JSON.stringify(reports));
    await reporter.writeSummary(summaryMarkdown(reports, durationMs));
    if (!healthy) {
      for (const report of reports.filter((r) => !r.healthy)) logger.error(`${report.url}: ${report.diagnosis}`);
      reporter.setFailed(failureMessage(reports));
    }
    return healthy;
  });
}
