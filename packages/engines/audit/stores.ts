// GitHub's secret and variable stores as a job sees them (`${{ toJSON(secrets) }}`, `${{ toJSON(vars) }}`):
// how env mode reads them, and the container environment rendered from them.
import { InputError } from '#inputs/index';
import type { Manifest } from './load.ts';
import { type Requirement, requirementsOf } from './resolve.ts';

export interface GithubStores {
  secrets: Readonly<Record<string, string>>;
  vars: Readonly<Record<string, string>>;
}

/**
 * The manifest group whose variables run the deploy (hosts, keys, the registry). Every other group is the
 * application's: what its container is given. The deploy's own credentials never reach the app.
 */
export const INFRASTRUCTURE_GROUP = 'infrastructure';

/** A store as an input gives it: a JSON object of strings, or empty for none. */
export function parseStore(input: string, text: string): Record<string, string> {
  if (text.trim() === '') return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new InputError(input, `must be a JSON object such as \${{ toJSON(${input}) }}: ${(error as Error).message}`);
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed))
    throw new InputError(
      input,
      `must be a JSON object such as \${{ toJSON(${input}) }}, not ${Array.isArray(parsed) ? 'an array' : typeof parsed}`,
    );
  const store: Record<string, string> = {};
  for (const [name, value] of Object.entries(parsed)) {
    if (typeof value !== 'string') throw new InputError(input, `${name} must be a string, not ${typeof value}`);
    store[name] = value;
  }
  return store;
}

/** What GitHub holds for a requirement: a secret from secrets, a plain variable from vars; names are case-insensitive. */
export function storedValue(requirement: Requirement, stores: GithubStores): string | undefined {
  const store = requirement.secret ? stores.secrets : stores.vars;
  const wanted = requirement.name.toUpperCase();
  const key = Object.keys(store).find((name) => name.toUpperCase() === wanted);
  return key === undefined ? undefined : store[key];
}

/** The stores keyed by each requirement's GitHub name, as env mode reads an environment (names: secret). */
export function storesByName(manifest: Manifest, environment: string, stores: GithubStores): Record<string, string | undefined> {
  return Object.fromEntries(requirementsOf(manifest, environment).map((r) => [r.name, storedValue(r, stores)]));
}

/**
 * The application's environment, as NAME=value lines in manifest order: every variable of the environment
 * outside the infrastructure group, named as the application reads it (DB_HOST, not DEV_DB_HOST). An optional
 * variable GitHub does not hold is left out; a value on several lines cannot be one line and is refused.
 */
export function containerEnv(manifest: Manifest, environment: string, stores: GithubStores): string[] {
  const lines: string[] = [];
  for (const requirement of requirementsOf(manifest, environment)) {
    if (requirement.group === INFRASTRUCTURE_GROUP) continue;
    const value = storedValue(requirement, stores);
    if (value === undefined || value === '') continue;
    if (/[\r\n]/.test(value))
      throw new InputError(
        requirement.secret ? 'secrets' : 'vars',
        `${requirement.name} (${requirement.variable} for ${environment}) spans several lines; a container's environment takes one line per variable`,
      );
    lines.push(`${requirement.variable}=${value}`);
  }
  return lines;
}
