// Per-environment resolution: which variables an environment needs and the GitHub name that holds each,
// with the format's implicit rules applied explicitly.
import { escapePointer, type EnvironmentType, type Manifest, type Position, type Scope } from './load.ts';

export interface Requirement {
  environment: string;
  group: string;
  /** The variable as the application reads it, e.g. DB_HOST. */
  variable: string;
  /** The GitHub secret (or variable) name, e.g. DEV_DB_HOST. */
  name: string;
  /** <PREFIX>_<VARIABLE>: what the name would be without a mapping. */
  defaultName: string;
  required: boolean;
  secret: boolean;
  scope: Scope;
  /** Set when the name departs from the default: the documented reason, or undefined if undocumented. */
  exception?: { documented: boolean; reason: string };
  /** Where the manifest says this: the mapping entry, or the variable. */
  position: Position;
}

/** The environments a variable applies to: applies_to types, else the mapping's keys, else every environment. */
export function environmentsFor(
  manifest: Manifest,
  spec: { applies_to?: EnvironmentType[]; ci_secret_mapping?: Record<string, string> },
): string[] {
  const all = Object.entries(manifest.data.environments);
  if (spec.applies_to) return all.filter(([, e]) => spec.applies_to!.includes(e.type)).map(([name]) => name);
  if (spec.ci_secret_mapping) return all.map(([name]) => name).filter((name) => name in spec.ci_secret_mapping!);
  return all.map(([name]) => name);
}

/** Every requirement of every environment, in manifest order. */
export function requirements(manifest: Manifest): Requirement[] {
  const result: Requirement[] = [];
  for (const [group, variables] of Object.entries(manifest.data.variables)) {
    for (const [variable, spec] of Object.entries(variables)) {
      const variablePath = `/variables/${escapePointer(group)}/${escapePointer(variable)}`;
      for (const environment of environmentsFor(manifest, spec)) {
        const defaultName = `${manifest.data.environments[environment]!.prefix}_${variable}`;
        const mapped = spec.ci_secret_mapping?.[environment];
        const name = mapped ?? defaultName;
        const documented = spec.exceptions?.[environment];
        const exception =
          name !== defaultName
            ? {
                documented: documented !== undefined,
                reason: documented ?? `mapped to ${name} instead of ${defaultName} without a documented reason`,
              }
            : undefined;
        result.push({
          environment,
          group,
          variable,
          name,
          defaultName,
          required: spec.required ?? true,
          secret: spec.secret ?? true,
          scope: spec.scope ?? 'environment',
          exception,
          position: manifest.positionOf(
            mapped !== undefined ? `${variablePath}/ci_secret_mapping/${escapePointer(environment)}` : variablePath,
          ),
        });
      }
    }
  }
  return result;
}

export function requirementsOf(manifest: Manifest, environment: string): Requirement[] {
  return requirements(manifest).filter((r) => r.environment === environment);
}

/** Finds an environment by name, case-insensitively as GitHub does; undefined if the manifest has none. */
export function findEnvironment(manifest: Manifest, name: string): string | undefined {
  return Object.keys(manifest.data.environments).find((e) => e.toLowerCase() === name.toLowerCase());
}
