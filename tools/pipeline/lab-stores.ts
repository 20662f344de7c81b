// What GitHub's secret and variable stores would hold for an example, in the lab: the lab's own infrastructure
// (deploy host, registry, bastion, database) for the pipeline's variables, and the example's lab.json for its
// application's. The jobs read them as a deploy job reads toJSON(secrets) and toJSON(vars).
import { randomBytes } from 'node:crypto';
import { UserError } from '#errors/index';
import type { Manifest } from '#audit/load';
import { requirementsOf } from '#audit/resolve';
import type { GithubStores } from '#audit/stores';

/** An example's lab.json: repository variables its deploy.yml reads, and lab values of its manifest variables. */
export interface LabValues {
  vars: Record<string, string>;
  values: Record<string, string>;
}

/** The pipeline's own variables (the manifest's infrastructure, and the database migrate-command reaches), from the lab. */
export function labInfrastructure(lab: Readonly<Record<string, string>>, readFile: (path: string) => string): Record<string, string> {
  return {
    HOST: lab.LAB_SSH_HOST!,
    SSH_USER: lab.LAB_SSH_USER!,
    SSH_PRIVATE_KEY: readFile(lab.LAB_SSH_KEY_FILE!),
    SSH_HOST_KEY: lab.LAB_SSH_KNOWN_HOSTS!,
    SSH_PASSWORD: lab.LAB_SSH_PASSWORD!,
    REGISTRY_PASSWORD: lab.LAB_REGISTRY_PASSWORD!,
    BASTION_HOST: lab.LAB_BASTION_HOST!,
    BASTION_HOST_KEY: lab.LAB_BASTION_KNOWN_HOSTS!,
    BASTION_PRIVATE_KEY: readFile(lab.LAB_BASTION_KEY_FILE!),
    DB_HOST: lab.LAB_DB_HOST!,
    DB_NAME: lab.LAB_DB_NAME!,
    DB_USER: lab.LAB_DB_USER!,
    DB_PASSWORD: lab.LAB_DB_PASSWORD!,
  };
}

/** lab.json, with each ${LAB_NAME} replaced by the lab's value. */
export function parseLabValues(file: string, text: string, lab: Readonly<Record<string, string>>): LabValues {
  let parsed: { vars?: Record<string, unknown>; values?: Record<string, unknown> };
  try {
    parsed = JSON.parse(text) as typeof parsed;
  } catch (error) {
    throw new UserError(`${file}: ${(error as Error).message}`);
  }
  const section = (name: 'vars' | 'values') =>
    Object.fromEntries(
      Object.entries(parsed[name] ?? {}).map(([key, value]) => {
        if (typeof value !== 'string') throw new UserError(`${file}: ${name}.${key} must be a string`);
        return [
          key,
          value.replace(/\$\{(LAB_[A-Z0-9_]+)\}/g, (_, ref: string) => {
            if (lab[ref] === undefined)
              throw new UserError(`${file}: ${name}.${key} refers to ${ref}, which scripts/lab env does not give`);
            return lab[ref];
          }),
        ];
      }),
    );
  return { vars: section('vars'), values: section('values') };
}

/**
 * The stores of one manifest environment, by GitHub name. A secret the lab has no value for is generated once
 * and kept in `generated` (the caller persists it, as scripts/lab keeps its own secrets); a plain variable
 * without a value is an error naming it.
 */
export function labStores(
  manifest: Manifest,
  environment: string,
  known: Readonly<Record<string, string>>,
  generated: Record<string, string>,
  source: string,
): GithubStores {
  const secrets: Record<string, string> = {};
  const vars: Record<string, string> = {};
  for (const requirement of requirementsOf(manifest, environment)) {
    let value = known[requirement.variable];
    if (value === undefined && requirement.secret) value = generated[requirement.variable] ??= randomBytes(18).toString('base64url');
    if (value === undefined) {
      if (!requirement.required) continue;
      throw new UserError(`${source} gives no lab value for ${requirement.variable} (${requirement.name} for ${environment})`);
    }
    (requirement.secret ? secrets : vars)[requirement.name] = value;
  }
  return { secrets, vars };
}
