// The three audits, as pure functions from the manifest's requirements and what was found to a report.
import { escapePointer, type Manifest, type Position, type Scope } from './load.ts';
import { type Requirement, requirements } from './resolve.ts';
import type { SecretReference, WorkflowJob } from './workflows.ts';

export type Mode = 'github' | 'env' | 'workflows';
export const MODES: readonly Mode[] = ['github', 'env', 'workflows'];
export type Level = 'error' | 'warning' | 'info';

export type FindingKind =
  | 'missing'
  | 'empty'
  | 'unused'
  | 'exception'
  | 'broader-scope'
  | 'optional-missing'
  | 'undefined-secret'
  | 'unknown-environment'
  | 'unresolved-reference'
  | 'not-used-by-workflows'
  | 'no-github-environment';

export interface AuditFinding {
  mode: Mode;
  level: Level;
  kind: FindingKind;
  /** The environment, or '(repository)' for repository-wide findings, or '(any)' for dynamic environments. */
  environment: string;
  /** A secret or variable name; never a value. */
  name: string;
  message: string;
  /** Where to annotate: the manifest line, or the workflow line. */
  file: string;
  position: Position;
}

export interface EnvironmentSummary {
  environment: string;
  checked: number;
  /** Checked and set: checked minus missing minus optionalMissing. */
  present: number;
  missing: string[];
  /** Optional variables and secrets that are not set: not an error, and not present either. */
  optionalMissing: string[];
  unused: string[];
  exceptions: string[];
}

export interface AuditReport {
  manifest: string;
  modes: Mode[];
  ok: boolean;
  environments: EnvironmentSummary[];
  findings: AuditFinding[];
}

const sameName = (a: string, b: string) => a.toUpperCase() === b.toUpperCase();
const describe = (r: Requirement) => `${r.secret ? 'secret' : 'variable'} ${r.name}${r.name !== r.variable ? ` (${r.variable})` : ''}`;

// ---------------------------------------------------------------- github

/** What GitHub holds, by scope: names only. An environment GitHub does not have is absent from the map. */
export interface Inventory {
  environments: Map<string, { secrets: string[]; variables: string[] }>;
  repository: { secrets: string[]; variables: string[] };
  organization: { secrets: string[]; variables: string[] };
}

const SCOPE_ORDER: Scope[] = ['environment', 'repository', 'organization'];

export function auditGithub(
  manifest: Manifest,
  environments: readonly string[],
  inventory: Inventory,
  failOnUnused: boolean,
): AuditFinding[] {
  const findings: AuditFinding[] = [];
  const all = requirements(manifest);
  const at = (position: Position) => ({ file: manifest.file, position });
  for (const environment of environments) {
    const held = inventory.environments.get(environment);
    const wanted = all.filter((r) => r.environment === environment);
    if (!held) {
      findings.push({
        mode: 'github',
        level: 'info',
        kind: 'no-github-environment',
        environment,
        name: environment,
        file: manifest.file,
        position: manifest.positionOf(`/environments/${escapePointer(environment)}`),
        message: `GitHub has no environment ${environment} (or the token cannot see it: that needs Environments: read); only repository and organization secrets were checked for it`,
      });
    }
    for (const requirement of wanted) {
      const kind = requirement.secret ? 'secrets' : 'variables';
      const lists: Record<Scope, string[]> = {
        environment: held?.[kind] ?? [],
        repository: inventory.repository[kind],
        organization: inventory.organization[kind],
      };
      const foundAt = SCOPE_ORDER.find((scope) => lists[scope].some((n) => sameName(n, requirement.name)));
      if (!foundAt) {
        findings.push({
          mode: 'github',
          environment,
          name: requirement.name,
          ...at(requirement.position),
          ...(requirement.required
            ? {
                level: 'error',
                kind: 'missing',
                message: `${describe(requirement)} is missing for ${environment}: not in the environment, the repository or the organization`,
              }
            : { level: 'info', kind: 'optional-missing', message: `optional ${describe(requirement)} is not set for ${environment}` }),
        });
      } else if (SCOPE_ORDER.indexOf(foundAt) > SCOPE_ORDER.indexOf(requirement.scope)) {
        findings.push({
          mode: 'github',
          level: 'info',
          kind: 'broader-scope',
          environment,
          name: requirement.name,
          ...at(requirement.position),
          message: `${describe(requirement)} for ${environment} comes from the ${foundAt}, where the manifest expects the ${requirement.scope}`,
        });
      }
      if (requirement.exception) findings.push(exceptionFinding('github', requirement, manifest.file));
    }
    for (const kind of ['secrets', 'variables'] as const) {
      for (const name of held?.[kind] ?? []) {
        if (!wanted.some((r) => sameName(r.name, name))) {
          findings.push(
            unusedFinding(
              manifest,
              environment,
              name,
              `${kind === 'secrets' ? 'secret' : 'variable'} ${name} is set in environment ${environment} but the manifest does not use it there`,
              failOnUnused,
            ),
          );
        }
      }
    }
  }
  for (const kind of ['secrets', 'variables'] as const) {
    for (const name of inventory.repository[kind]) {
      if (!all.some((r) => sameName(r.name, name))) {
        findings.push(
          unusedFinding(
            manifest,
            '(repository)',
            name,
            `repository ${kind === 'secrets' ? 'secret' : 'variable'} ${name} is not used by any environment in the manifest`,
            failOnUnused,
          ),
        );
      }
    }
  }
  return findings;
}

function unusedFinding(manifest: Manifest, environment: string, name: string, message: string, failOnUnused: boolean): AuditFinding {
  return {
    mode: 'github',
    level: failOnUnused ? 'error' : 'warning',
    kind: 'unused',
    environment,
    name,
    message,
    file: manifest.file,
    position: manifest.positionOf('/environments'),
  };
}

function exceptionFinding(mode: Mode, requirement: Requirement, file: string): AuditFinding {
  const { exception } = requirement;
  return {
    mode,
    level: 'info',
    kind: 'exception',
    environment: requirement.environment,
    name: requirement.name,
    file,
    position: requirement.position,
    message: `${requirement.environment} uses ${requirement.name} for ${requirement.variable} instead of ${requirement.defaultName}: ${exception!.reason}`,
  };
}

// ---------------------------------------------------------------- env

export type NameKind = 'variable' | 'secret';

/** Checks the step's environment for the variables `environment` needs; reads presence only, never values. */
export function auditEnv(
  manifest: Manifest,
  environment: string,
  env: Readonly<Record<string, string | undefined>>,
  names: NameKind,
  source = "this step's environment",
): AuditFinding[] {
  const findings: AuditFinding[] = [];
  for (const requirement of requirements(manifest).filter((r) => r.environment === environment)) {
    const key = names === 'secret' ? requirement.name : requirement.variable;
    const value = env[key];
    const base = { mode: 'env' as const, environment, name: key, file: manifest.file, position: requirement.position };
    if (value !== undefined && value !== '') {
      if (requirement.exception) findings.push(exceptionFinding('env', requirement, manifest.file));
      continue;
    }
    const state = value === undefined ? 'not set' : 'set but empty';
    if (requirement.required) {
      findings.push({
        ...base,
        level: 'error',
        kind: value === undefined ? 'missing' : 'empty',
        message: `${key} is ${state} in ${source} (${describe(requirement)} for ${environment})`,
      });
    } else {
      findings.push({
        ...base,
        level: 'info',
        kind: 'optional-missing',
        message: `optional ${key} is ${state} in ${source}`,
      });
    }
  }
  return findings;
}

// ---------------------------------------------------------------- workflows

const BUILT_IN_SECRETS = new Set(['GITHUB_TOKEN']);

/**
 * Every secrets.NAME a job with an environment uses must be a manifest secret of that environment (of any
 * environment when the job's environment is an expression); every manifest secret should be used somewhere.
 */
export function auditWorkflows(manifest: Manifest, jobs: readonly WorkflowJob[], failOnUnused: boolean): AuditFinding[] {
  const findings: AuditFinding[] = [];
  const all = requirements(manifest).filter((r) => r.secret);
  const used = new Set<string>();
  const environments = Object.keys(manifest.data.environments);

  for (const job of jobs) {
    let scope: Requirement[];
    let label: string;
    if (job.environment === undefined) {
      // A job without an environment may use tooling secrets the manifest does not list (a registry token, an
      // audit token); what it uses of the manifest still counts as used.
      for (const reference of job.secrets) {
        if (reference.kind === 'name') for (const r of all) if (sameName(r.name, reference.name)) used.add(r.name.toUpperCase());
      }
      continue;
    } else if (job.environment.dynamic) {
      scope = all;
      label = '(any)';
    } else {
      const environment = environments.find((e) => sameName(e, job.environment!.name));
      if (!environment) {
        findings.push({
          mode: 'workflows',
          level: 'warning',
          kind: 'unknown-environment',
          environment: job.environment.name,
          name: job.environment.name,
          file: job.file,
          position: job.environment.position,
          message: `job ${job.id} deploys to environment ${job.environment.name}, which the manifest does not list (${environments.join(', ')})`,
        });
        continue;
      }
      scope = all.filter((r) => r.environment === environment);
      label = environment;
    }
    for (const reference of job.secrets) checkReference(job, reference, scope, label);
  }

  const reported = new Set<string>();
  for (const requirement of all) {
    const key = requirement.name.toUpperCase();
    if (used.has(key) || reported.has(key)) continue;
    reported.add(key);
    const where = all.filter((r) => sameName(r.name, requirement.name)).map((r) => r.environment);
    findings.push({
      mode: 'workflows',
      level: failOnUnused ? 'error' : 'warning',
      kind: 'not-used-by-workflows',
      environment: where.join(', '),
      name: requirement.name,
      file: manifest.file,
      position: requirement.position,
      message: `manifest secret ${requirement.name} (${requirement.variable} for ${where.join(', ')}) is not used by any workflow`,
    });
  }
  return findings;

  function checkReference(job: WorkflowJob, reference: SecretReference, scope: readonly Requirement[], label: string): void {
    const base = { mode: 'workflows' as const, environment: label, file: job.file, position: reference.position };
    if (reference.kind === 'name') {
      if (BUILT_IN_SECRETS.has(reference.name.toUpperCase())) return;
      const match = scope.filter((r) => sameName(r.name, reference.name));
      if (match.length > 0) {
        used.add(reference.name.toUpperCase());
        return;
      }
      const elsewhere = all.filter((r) => sameName(r.name, reference.name)).map((r) => r.environment);
      findings.push({
        ...base,
        level: 'error',
        kind: 'undefined-secret',
        name: reference.name,
        message:
          `job ${job.id} uses secrets.${reference.name}, which the manifest does not define for ${label === '(any)' ? 'any environment' : label}` +
          (elsewhere.length > 0 ? ` (it is defined for ${[...new Set(elsewhere)].join(', ')})` : ''),
      });
    } else if (reference.kind === 'pattern') {
      const pattern = new RegExp(`^${reference.pattern}$`, 'i');
      const match = scope.filter((r) => pattern.test(r.name));
      for (const r of match) used.add(r.name.toUpperCase());
      if (match.length === 0) {
        findings.push({
          ...base,
          level: 'error',
          kind: 'undefined-secret',
          name: reference.text,
          message: `job ${job.id} uses secrets[${reference.text}], which matches no manifest secret for ${label}`,
        });
      }
    } else if (reference.kind === 'all') {
      for (const r of scope) used.add(r.name.toUpperCase());
    } else if (reference.kind === 'variable') {
      const match = scope.filter((r) => sameName(r.variable, reference.variable));
      for (const r of match) used.add(r.name.toUpperCase());
      if (match.length === 0) {
        findings.push({
          ...base,
          level: 'error',
          kind: 'undefined-secret',
          name: reference.variable,
          message: `job ${job.id} uses the manifest's secret for ${reference.variable} (secrets[${reference.text}]), but the manifest defines no secret ${reference.variable} for ${label === '(any)' ? 'any environment' : label}`,
        });
      }
    } else {
      findings.push({
        ...base,
        level: 'info',
        kind: 'unresolved-reference',
        name: reference.text,
        message: `job ${job.id} indexes secrets with ${reference.text}, which cannot be checked statically`,
      });
    }
  }
}

// ---------------------------------------------------------------- report

/** Summaries per environment, in manifest order; ok is false when any finding is an error. */
export function buildReport(manifest: Manifest, modes: Mode[], environments: readonly string[], findings: AuditFinding[]): AuditReport {
  const all = requirements(manifest);
  const summaries = environments.map((environment) => {
    const mine = findings.filter((f) => f.environment === environment);
    const checked = all.filter((r) => r.environment === environment).length;
    const missing = [...new Set(mine.filter((f) => f.kind === 'missing' || f.kind === 'empty').map((f) => f.name))];
    const optionalMissing = [...new Set(mine.filter((f) => f.kind === 'optional-missing').map((f) => f.name))];
    return {
      environment,
      checked,
      present: checked - missing.length - optionalMissing.length,
      missing,
      optionalMissing,
      unused: [...new Set(mine.filter((f) => f.kind === 'unused').map((f) => f.name))],
      exceptions: [...new Set(mine.filter((f) => f.kind === 'exception').map((f) => f.name))],
    };
  });
  return { manifest: manifest.file, modes, ok: !findings.some((f) => f.level === 'error'), environments: summaries, findings };
}
