import { InputError, InputReader, envInputSource, type RawInputSource } from '#inputs/index';
import type { Logger } from '#log/index';
import { coreLogger } from '#log/core';
import { settleStep } from '#log/action';
import { type ActionReporter } from '#log/reporter';
import { coreReporter } from '#log/reporter-core';
import { MODES, type Mode } from '#audit/audit';
import { DEFAULT_API_URL, DEFAULT_MANIFEST, DEFAULT_WORKFLOWS_DIR, nodeIo } from '#audit/cli';
import { annotations, problemAnnotations, summaryMarkdown } from '#audit/format';
import { parseRepository } from '#audit/inventory';
import { ManifestError } from '#audit/load';
import { requirementsOf } from '#audit/resolve';
import { containerEnv, parseStore } from '#audit/stores';
import { type AuditIo, type AuditOptions, runAudit } from '#audit/run';

export interface AuditSecretsDependencies {
  inputs: RawInputSource;
  logger: Logger;
  reporter: ActionReporter;
  /** The workspace that manifest and workflows-dir are relative to. */
  cwd: string;
  io: Pick<AuditIo, 'readFile' | 'listWorkflows' | 'env' | 'fetch'>;
}

/** The audit's options, and the secrets among the inputs (the token) for the caller to mask. */
export function readAuditInputs(reader: InputReader): AuditOptions & { secrets: string[] } {
  const modes = reader.list('mode').map((mode) => mode.toLowerCase());
  for (const mode of modes) {
    if (!(MODES as readonly string[]).includes(mode))
      throw new InputError('mode', `expected one or several of ${MODES.join(', ')}, got '${mode}'`);
  }
  const options: AuditOptions & { secrets: string[] } = {
    manifestPath: reader.string('manifest', DEFAULT_MANIFEST),
    modes: modes.length > 0 ? [...new Set(modes as Mode[])] : ['workflows'],
    environment: reader.string('environment'),
    names: reader.oneOf('names', ['variable', 'secret'] as const, 'variable'),
    workflowsDir: reader.string('workflows-dir', DEFAULT_WORKFLOWS_DIR),
    failOnUnused: reader.boolean('fail-on-unused', false),
    secrets: [],
  };
  const secretsText = reader.string('secrets');
  const varsText = reader.string('vars');
  if (secretsText || varsText) {
    options.stores = { secrets: parseStore('secrets', secretsText), vars: parseStore('vars', varsText) };
    // Every value of the secret store, whether the manifest names it or not.
    options.secrets.push(...Object.values(options.stores.secrets).filter((value) => value !== ''));
    if (!options.environment) throw new InputError('environment', 'is required with secrets or vars: they are read for one environment');
  }
  if (options.modes.includes('github')) {
    const token = reader.string('token');
    if (!token)
      throw new InputError(
        'token',
        'is required for github mode: a token that can read secrets (GITHUB_TOKEN cannot), e.g. a fine-grained token with Secrets: read and Environments: read',
      );
    options.secrets.push(token);
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
  return settleStep('audit-secrets', deps, async () => {
    try {
      const options = readAuditInputs(new InputReader(deps.inputs));
      for (const secret of options.secrets) logger.mask(secret);
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
        if (options.stores && report.ok)
          reporter.setOutput('env', containerEnv(manifest, report.environments[0]!.environment, options.stores).join('\n'));
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
      // Each manifest problem is also an annotation on its line; the step's sentence names the first.
      if (error instanceof ManifestError)
        for (const annotation of problemAnnotations(error.file, error.problems)) logger.annotate(annotation);
      throw error;
    }
  });
}
