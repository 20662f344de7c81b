// The audit-secrets command: argument parsing, output and exit codes (0 all present, 1 missing, 2 usage or invalid manifest).
import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseCommandLine, UsageError } from '#args/index';
import { GitHubApiError } from '#github/errors';
import { MODES, type NameKind } from './audit.ts';
import { renderText } from './format.ts';
import { parseRepository } from './inventory.ts';
import { ManifestError } from './load.ts';
import { type AuditIo, type AuditOptions, AuditUsageError, runAudit } from './run.ts';
import { WorkflowParseError } from './workflows.ts';
import { SUITE_VERSION } from '#release/version';

export const DEFAULT_MANIFEST = 'config/env.manifest.json';
export const DEFAULT_WORKFLOWS_DIR = '.github/workflows';
export const DEFAULT_API_URL = 'https://api.github.com';

export const USAGE = `usage: audit-secrets [--manifest FILE] --mode workflows|env|github [--mode …] [--environment E]
                     [--workflows-dir DIR] [--names variable|secret] [--fail-on-unused]
                     [--repository OWNER/REPO] [--api-url URL] [--format text|json]
       audit-secrets --help | --version

Proves that every environment has exactly the secrets its manifest (default ${DEFAULT_MANIFEST}) says.
  workflows  every secrets.NAME a job with environment: E uses is defined for E; every manifest secret is used
  env        every variable the manifest requires for --environment is set and non-empty here (values never printed)
  github     GitHub holds every secret (REST API; token from GITHUB_TOKEN or GH_TOKEN, with Secrets: read and
             Environments: read; repository from --repository or GITHUB_REPOSITORY)

Exit status: 0 all present, 1 something missing, 2 usage error or invalid manifest.
`;

export interface CliIo extends AuditIo {
  cwd: string;
  stdout: (text: string) => void;
  stderr: (text: string) => void;
}

function parseArguments(
  argv: readonly string[],
  env: Readonly<Record<string, string | undefined>>,
): (AuditOptions & { format: 'text' | 'json' }) | 'help' | 'version' {
  const { values } = parseCommandLine(argv, {
    help: { type: 'boolean', short: 'h' },
    version: { type: 'boolean' },
    manifest: { type: 'string' },
    mode: { type: 'string', multiple: true },
    environment: { type: 'string' },
    'workflows-dir': { type: 'string' },
    names: { type: 'string' },
    'fail-on-unused': { type: 'boolean' },
    format: { type: 'string' },
    repository: { type: 'string' },
    'api-url': { type: 'string' },
  });
  if (values.help) return 'help';
  if (values.version) return 'version';
  for (const flag of ['manifest', 'environment', 'workflows-dir', 'names', 'format', 'repository', 'api-url'] as const) {
    if (values[flag] === '') throw new UsageError(`--${flag} needs a value`);
  }
  const choice = <T extends string>(flag: string, given: string | undefined, choices: readonly T[], fallback: T): T => {
    if (given === undefined) return fallback;
    if (!(choices as readonly string[]).includes(given))
      throw new UsageError(`--${flag} must be one of ${choices.join(', ')}, not "${given}"`);
    return given as T;
  };
  // --mode repeats, and each takes a comma-separated list.
  const modes = (values.mode ?? []).flatMap((list) => list.split(',').map((mode) => choice('mode', mode.trim(), MODES, 'workflows')));
  if (modes.length === 0) throw new UsageError('--mode is required');
  const repository = values.repository ?? env.GITHUB_REPOSITORY ?? '';
  const apiUrl = values['api-url'] ?? (env.GITHUB_API_URL || DEFAULT_API_URL);
  let github: AuditOptions['github'];
  if (modes.includes('github')) {
    const token = env.GITHUB_TOKEN || env.GH_TOKEN || '';
    if (!token) throw new UsageError('github mode reads the token from GITHUB_TOKEN or GH_TOKEN; neither is set');
    const parsed = parseRepository(repository);
    if (!parsed)
      throw new UsageError(`--repository must be OWNER/REPO${repository ? `, not "${repository}"` : ' (or set GITHUB_REPOSITORY)'}`);
    if (!/^https?:\/\//.test(apiUrl)) throw new UsageError(`--api-url must be an http(s) URL, not "${apiUrl}"`);
    github = { token, apiUrl, repository: parsed, maxRateLimitWaitMs: 120_000 };
  }
  return {
    manifestPath: values.manifest ?? DEFAULT_MANIFEST,
    modes: [...new Set(modes)],
    environment: values.environment ?? '',
    names: choice<NameKind>('names', values.names, ['variable', 'secret'], 'variable'),
    workflowsDir: values['workflows-dir'] ?? DEFAULT_WORKFLOWS_DIR,
    failOnUnused: values['fail-on-unused'] ?? false,
    github,
    format: choice('format', values.format, ['text', 'json'] as const, 'text'),
  };
}

export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  let options: ReturnType<typeof parseArguments>;
  try {
    options = parseArguments(argv, io.env);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    io.stderr(`audit-secrets: ${(error as Error).message} (audit-secrets --help for usage)\n`);
    return 2;
  }
  if (options === 'help') {
    io.stdout(USAGE);
    return 0;
  }
  if (options === 'version') {
    io.stdout(`audit-secrets ${SUITE_VERSION}\n`);
    return 0;
  }
  try {
    const { report } = await runAudit(options, io);
    io.stdout(options.format === 'json' ? `${JSON.stringify(report, null, 2)}\n` : renderText(report));
    return report.ok ? 0 : 1;
  } catch (error) {
    if (error instanceof ManifestError) {
      for (const p of error.problems)
        io.stderr(`${error.file}:${p.position.line}:${p.position.column} ${p.path || '(root)'}: ${p.message}\n`);
      io.stderr(`audit-secrets: ${error.file} is not a valid manifest (${error.problems.length} problem(s))\n`);
      return 2;
    }
    if (error instanceof WorkflowParseError) {
      io.stderr(`audit-secrets: ${error.position!.file}:${error.position!.line}:${error.position!.column}: ${error.problem}\n`);
      return 2;
    }
    // The command's usage errors speak of what was asked, not of action inputs.
    if (error instanceof AuditUsageError) {
      io.stderr(`audit-secrets: ${error.problem}\n`);
      return 2;
    }
    if (error instanceof GitHubApiError) {
      io.stderr(`audit-secrets: ${error.message}\n`);
      return 2;
    }
    throw error;
  }
}

/** The real files and environment, relative to cwd. */
export function nodeIo(cwd: string): Pick<CliIo, 'readFile' | 'listWorkflows'> {
  return {
    readFile: (path) => readFileSync(resolve(cwd, path), 'utf8'),
    listWorkflows: (directory) =>
      readdirSync(resolve(cwd, directory))
        .filter((name) => /\.ya?ml$/.test(name))
        .sort()
        .map((name) => join(directory, name)),
  };
}
