// One audit run, shared by the audit-secrets action and command: load the manifest, run each mode, report.
import {
  type AuditFinding,
  type AuditReport,
  auditEnv,
  auditGithub,
  auditWorkflows,
  buildReport,
  type Mode,
  type NameKind,
} from './audit.ts';
import { InputError } from '#inputs/index';
import { fetchInventory, type Repository } from './inventory.ts';
import { type Manifest, parseManifest } from './load.ts';
import { findEnvironment, requirements } from './resolve.ts';
import { type GithubStores, storesByName } from './stores.ts';
import { parseWorkflow, type WorkflowJob } from './workflows.ts';

export interface AuditOptions {
  manifestPath: string;
  modes: Mode[];
  /** One environment, or every environment in the manifest when empty (env mode needs one). */
  environment: string;
  names: NameKind;
  workflowsDir: string;
  failOnUnused: boolean;
  /** GitHub's stores as the job sees them: env mode then checks these, by GitHub name, instead of the process env. */
  stores?: GithubStores;
  github?: { token: string; apiUrl: string; repository: Repository; maxRateLimitWaitMs: number };
}

export interface AuditIo {
  readFile(path: string): string;
  /** Workflow files (.yml/.yaml) in a directory, as paths. */
  listWorkflows(directory: string): string[];
  env: Readonly<Record<string, string | undefined>>;
  fetch?: typeof fetch;
  log(message: string): void;
}

/** A problem with how the audit was asked for: the CLI's exit 2, the action's input error. */
export class AuditUsageError extends InputError {}

export async function runAudit(options: AuditOptions, io: AuditIo): Promise<{ manifest: Manifest; report: AuditReport }> {
  let text: string;
  try {
    text = io.readFile(options.manifestPath);
  } catch (error) {
    throw new AuditUsageError(
      'manifest',
      `cannot read ${options.manifestPath}: ${(error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (error as Error).message}`,
    );
  }
  const manifest = parseManifest(options.manifestPath, text);
  const all = Object.keys(manifest.data.environments);
  let environments = all;
  if (options.environment) {
    const found = findEnvironment(manifest, options.environment);
    if (!found)
      throw new AuditUsageError(
        'environment',
        `"${options.environment}" is not an environment of ${options.manifestPath}; it has ${all.join(', ')}`,
      );
    environments = [found];
  } else if (options.modes.includes('env')) {
    throw new AuditUsageError('environment', `env mode checks one environment: name it (${all.join(', ')})`);
  }

  const findings: AuditFinding[] = [];
  for (const mode of options.modes) {
    if (mode === 'env') {
      findings.push(
        ...(options.stores
          ? auditEnv(
              manifest,
              environments[0]!,
              storesByName(manifest, environments[0]!, options.stores),
              'secret',
              'the secrets and vars given',
            )
          : auditEnv(manifest, environments[0]!, io.env, options.names)),
      );
    } else if (mode === 'workflows') {
      const jobs: WorkflowJob[] = [];
      let files: string[];
      try {
        files = io.listWorkflows(options.workflowsDir);
      } catch (error) {
        const missing = (error as NodeJS.ErrnoException).code === 'ENOENT';
        throw new AuditUsageError(
          'workflows-dir',
          `cannot read ${options.workflowsDir}: ${missing ? 'no such directory' : (error as Error).message}`,
        );
      }
      for (const file of files) jobs.push(...parseWorkflow(file, io.readFile(file)));
      io.log(
        `workflows: ${files.length} file(s), ${jobs.length} job(s), ${jobs.reduce((n, j) => n + j.secrets.length, 0)} secret reference(s)`,
      );
      findings.push(...auditWorkflows(manifest, jobs, options.failOnUnused));
    } else {
      if (!options.github)
        throw new AuditUsageError(
          'token',
          'github mode needs a token that can read secrets (GITHUB_TOKEN cannot): a fine-grained token with Secrets: read and Environments: read',
        );
      const { token, apiUrl, repository, maxRateLimitWaitMs } = options.github;
      // Loaded here, not at start-up: only this mode needs Octokit (the bundles keep it in a chunk of its own).
      const { GitHubClient } = await import('#github/client');
      const client = new GitHubClient({ token, apiUrl, maxRateLimitWaitMs, fetch: io.fetch, onWait: io.log });
      const withVariables = requirements(manifest).some((r) => !r.secret);
      const inventory = await fetchInventory(client, repository, environments, withVariables);
      io.log(
        `github: ${repository.owner}/${repository.name}: ${inventory.repository.secrets.length} repository secret(s), ${inventory.organization.secrets.length} organization secret(s) visible, ${inventory.environments.size}/${environments.length} environment(s) found`,
      );
      findings.push(...auditGithub(manifest, environments, inventory, options.failOnUnused));
    }
  }
  return { manifest, report: buildReport(manifest, options.modes, environments, findings) };
}
