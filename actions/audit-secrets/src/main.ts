import { GitHubApiError } from '../../../packages/github/errors.ts';
import { InputError, InputReader, envInputSource, type RawInputSource } from '../../../packages/inputs/index.ts';
import type { Logger } from '../../../packages/log/index.ts';
import { coreLogger } from '../../../packages/log/core.ts';
import { type ActionReporter, stepFailure } from '../../../packages/log/reporter.ts';
import { coreReporter } from '../../../packages/log/reporter-core.ts';
import { MODES, type Mode } from '../../../packages/manifest/audit.ts';
import { DEFAULT_API_URL, DEFAULT_MANIFEST, DEFAULT_WORKFLOWS_DIR, nodeIo } from '../../../packages/manifest/cli.ts';
import { annotations, problemAnnotations, summaryMarkdown } from '../../../packages/manifest/format.ts';
import { parseRepository } from '../../../packages/manifest/inventory.ts';
import { ManifestError } from '../../../packages/manifest/load.ts';
import { requirementsOf } from '../../../packages/manifest/resolve.ts';
import { type AuditIo, type AuditOptions, AuditUsageError, runAudit } from '../../../packages/manifest/run.ts';
import { WorkflowParseError } from '../../../packages/manifest/workflows.ts';

export interface AuditSecretsDependencies {
  inputs: RawInputSource;
  logger: Logger;
  reporter: ActionReporter;
  /** The workspace that manifest and workflows-dir are relative to. */
  cwd: string;
  io: Pick<AuditIo, 'readFile' | 'listWorkflows' | 'env' | 'fetch'>;
}

export function readAuditInputs(reader: InputReader, logger: Logger): AuditOptions {
  const modes = reader.list('mode').map((mode) => mode.toLowerCase());
  for (const mode of modes) {
    if (!(MODES as readonly string[]).includes(mode))
      throw new InputError('mode', `expected one or several of ${MODES.join(', ')}, got '${mode}'`);
  }
  const options: AuditOptions = {
    manifestPath: reader.string('manifest', DEFAULT_MANIFEST),
    modes: modes.length > 0 ? [...new Set(modes as Mode[])] : ['workflows'],
    environment: reader.string('environment'),
    names: reader.oneOf('names', ['variable', 'secret'] as const, 'variable'),
    workflowsDir: reader.string('workflows-dir', DEFAULT_WORKFLOWS_DIR),
    failOnUnused: reader.boolean('fail-on-unused', false),
  };
  if (options.modes.includes('github')) {
    const token = reader.string('token');
    if (!token)
      throw new InputError(
        'token',
        'is required for github mode: a token that can read secrets (GITHUB_TOKEN cannot), e.g. a fine-grained token with Secrets: read and Environments: read',
      );
    logger.mask(token);
    const repositoryText = reader.string('repository');
    const repository = parseRepository(repositoryText);
    if (!repository) throw new InputError('repository', `must be OWNER/REPO, got '${repositoryText}'`);
    const apiUrl = reader.string('api-url', DEFAULT_API_URL);
    if (!/^https?:\/\/[^\s/]+/.test(apiUrl)) throw new InputError('api-url', `must be an http(s) URL, got '${apiUrl}'`);
    options.github = { token, repository, apiUrl, maxRateLimitWaitMs: reader.duration('rate-limit-wait', 120_000) };
  }
  return options;
}

/** The action as the runner (and @github/local-action) runs it: production dependencies. */
export function run(): Promise<boolean> {
  const cwd = process.env.GITHUB_WORKSPACE || process.cwd();
  return runAuditSecrets({
    inputs: envInputSource(),
    logger: coreLogger,
    reporter: coreReporter,
    cwd,
    io: { ...nodeIo(cwd), env: process.env },
  });
}

/** Audits and reports; returns whether every required secret is present. */
export async function runAuditSecrets(deps: AuditSecretsDependencies): Promise<boolean> {
  const { logger, reporter } = deps;
  try {
    const options = readAuditInputs(new InputReader(deps.inputs), logger);
    const { manifest, report } = await runAudit(options, { ...deps.io, log: (message) => logger.info(message) });
    for (const annotation of annotations(report.findings)) logger.annotate(annotation);
    for (const summary of report.environments) {
      logger.info(
        `${summary.environment}: ${summary.present}/${summary.checked} present${summary.missing.length ? `; missing ${summary.missing.join(', ')}` : ''}`,
      );
    }
    const count = (kinds: string[]) => String(report.findings.filter((f) => kinds.includes(f.kind)).length);
    reporter.setOutput('report', JSON.stringify(report));
    reporter.setOutput('missing', count(['missing', 'empty']));
    reporter.setOutput('unused', count(['unused', 'not-used-by-workflows']));
    if (report.environments.length === 1) {
      // Names, never values: later jobs look their secrets up with secrets[fromJSON(…names).VARIABLE].
      const names = Object.fromEntries(requirementsOf(manifest, report.environments[0]!.environment).map((r) => [r.variable, r.name]));
      reporter.setOutput('names', JSON.stringify(names));
    }
    await reporter.writeSummary(summaryMarkdown(report));
    if (!report.ok) {
      const errors = report.findings.filter((f) => f.level === 'error');
      reporter.setFailed(
        `audit-secrets found ${errors.length} problem(s); the first: ${errors[0]!.message} (${errors[0]!.file}:${errors[0]!.position.line})`,
      );
    }
    return report.ok;
  } catch (error) {
    if (error instanceof ManifestError) {
      for (const annotation of problemAnnotations(error.file, error.problems)) logger.annotate(annotation);
      reporter.setFailed(
        stepFailure(
          'audit-secrets',
          new InputError(
            'manifest',
            `${error.file} is not a valid manifest: ${error.problems.length} problem(s), the first at line ${error.problems[0]!.position.line}:${error.problems[0]!.position.column}: ${error.problems[0]!.path || '(root)'}: ${error.problems[0]!.message}`,
          ),
        ),
      );
    } else if (error instanceof AuditUsageError) {
      reporter.setFailed(stepFailure('audit-secrets', new InputError(error.input, error.message)));
    } else if (error instanceof WorkflowParseError) {
      reporter.setFailed(
        stepFailure('audit-secrets', new InputError('workflows-dir', error.problem, { file: error.file, ...error.position })),
      );
    } else {
      reporter.setFailed(stepFailure('audit-secrets', error));
      if (!(error instanceof InputError || error instanceof GitHubApiError)) logger.debug((error as Error).stack ?? String(error));
    }
    return false;
  }
}
