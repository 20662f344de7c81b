// Reads a manifest: JSON with positions, the JSON Schema (draft 2020-12, ajv standalone code), and the checks a schema
// cannot express (mapping keys that are environments, names that differ only in case). Every problem
// carries its JSON path and its line:column in the file.
import { escapePointer, jsonPointerOffsets } from '#text/json-positions';

export { escapePointer } from '#text/json-positions';
import { InputError } from '#inputs/index';
import { LineIndex } from '#text/lines';
import validateManifest from './validate-manifest.generated.cjs';

export type EnvironmentType = 'backend' | 'frontend';
export type Scope = 'environment' | 'repository' | 'organization';

export interface EnvironmentSpec {
  type: EnvironmentType;
  prefix: string;
  description?: string;
}

export interface VariableSpec {
  description: string;
  applies_to?: EnvironmentType[];
  required?: boolean;
  secret?: boolean;
  scope?: Scope;
  ci_secret_mapping?: Record<string, string>;
  exceptions?: Record<string, string>;
}

export interface ManifestData {
  project: string;
  version: string;
  environments: Record<string, EnvironmentSpec>;
  variables: Record<string, Record<string, VariableSpec>>;
}

export interface Position {
  line: number;
  column: number;
}

export interface ManifestProblem {
  /** JSON Pointer of the offending value ('' for the whole file). */
  path: string;
  position: Position;
  message: string;
}

export interface Manifest {
  file: string;
  data: ManifestData;
  /** line:column of any JSON Pointer in the file (the nearest enclosing value that exists). */
  positionOf(path: string): Position;
}

/** The manifest input is not a valid manifest: every problem, with its position; the message names the first, at its line:col. */
export class ManifestError extends InputError {
  readonly file: string;
  readonly problems: ManifestProblem[];
  constructor(file: string, problems: ManifestProblem[]) {
    const first = problems[0]!;
    super('manifest', `is not a valid manifest: ${problems.length} problem(s); the first: ${first.path || '(root)'}: ${first.message}`, {
      file,
      ...first.position,
    });
    this.file = file;
    this.problems = problems;
  }
}

// The schema, compiled ahead of time into standalone code: no ajv compiler at run time.
const validate = (data: unknown): data is ManifestData => validateManifest(data);

/** Parses and validates; throws ManifestError listing every problem. */
export function parseManifest(file: string, text: string): Manifest {
  const lines = new LineIndex(text);
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (error) {
    throw new ManifestError(file, [
      {
        path: '',
        position: jsonErrorPosition(error as Error, lines),
        message: `malformed JSON: ${(error as Error).message.replace(/ in JSON at position \d+.*$/, '')}`,
      },
    ]);
  }
  const offsets = jsonPointerOffsets(text);
  const positionOf = (path: string): Position => {
    // The nearest enclosing member that exists: a missing property points at its parent.
    let pointer = path;
    while (!offsets.has(pointer)) pointer = pointer.slice(0, Math.max(0, pointer.lastIndexOf('/')));
    const { line, column } = lines.position(offsets.get(pointer)!);
    return { line, column };
  };
  const problems: ManifestProblem[] = [];
  if (!validate(data)) {
    for (const error of validateManifest.errors ?? []) {
      // The wrapper of a property-name error repeats what the error inside it says.
      if (error.keyword === 'propertyNames') continue;
      // Point at the offending property itself: an unknown one, or one whose name is not allowed.
      const extra = (error.params as { additionalProperty?: string }).additionalProperty;
      const named = extra ?? error.propertyName;
      const path = named !== undefined ? `${error.instancePath}/${escapePointer(named)}` : error.instancePath;
      const detail =
        extra !== undefined
          ? `unknown property "${extra}"`
          : error.propertyName !== undefined
            ? `the name "${error.propertyName}" ${error.message}`
            : error.keyword === 'enum'
              ? `${error.message} (${(error.params as { allowedValues: unknown[] }).allowedValues.join(', ')})`
              : (error.message ?? 'is invalid');
      problems.push({ path, position: positionOf(path), message: detail });
    }
    throw new ManifestError(file, dedupe(problems));
  }
  const manifest: Manifest = { file, data, positionOf };
  problems.push(...semanticProblems(manifest));
  if (problems.length > 0) throw new ManifestError(file, problems);
  return manifest;
}

/** What JSON Schema cannot say: every mapping key is an environment; no two names differ only in case. */
function semanticProblems(manifest: Manifest): ManifestProblem[] {
  const { data } = manifest;
  const problems: ManifestProblem[] = [];
  const add = (path: string, message: string) => problems.push({ path, position: manifest.positionOf(path), message });
  const environments = Object.keys(data.environments);
  const known = new Set(environments);

  const environmentsByCase = new Map<string, string>();
  for (const name of environments) {
    const other = environmentsByCase.get(name.toLowerCase());
    if (other)
      add(
        `/environments/${escapePointer(name)}`,
        `environment "${name}" differs from "${other}" only in case; GitHub environment names are case-insensitive`,
      );
    else environmentsByCase.set(name.toLowerCase(), name);
  }

  const variablesByCase = new Map<string, string>();
  for (const [group, variables] of Object.entries(data.variables)) {
    for (const [name, spec] of Object.entries(variables)) {
      const path = `/variables/${escapePointer(group)}/${escapePointer(name)}`;
      const other = variablesByCase.get(name.toUpperCase());
      if (other)
        add(path, `variable "${name}" differs from "${other}" only in case; GitHub secret and variable names are case-insensitive`);
      else variablesByCase.set(name.toUpperCase(), name);
      for (const key of ['ci_secret_mapping', 'exceptions'] as const) {
        for (const environment of Object.keys(spec[key] ?? {})) {
          if (!known.has(environment)) {
            const hint = environments.find((e) => e.toLowerCase() === environment.toLowerCase());
            add(
              `${path}/${key}/${escapePointer(environment)}`,
              `unknown environment "${environment}"${hint ? ` (did you mean "${hint}"?)` : ''}; environments are: ${environments.join(', ')}`,
            );
          }
        }
      }
      const mappedByCase = new Map<string, string>();
      for (const [environment, secret] of Object.entries(spec.ci_secret_mapping ?? {})) {
        const other = mappedByCase.get(secret.toUpperCase());
        if (other && other !== secret)
          add(
            `${path}/ci_secret_mapping/${escapePointer(environment)}`,
            `secret name "${secret}" differs from "${other}" only in case; GitHub treats them as one secret`,
          );
        else mappedByCase.set(secret.toUpperCase(), secret);
      }
    }
  }
  return problems;
}

function dedupe(problems: ManifestProblem[]): ManifestProblem[] {
  const seen = new Set<string>();
  return problems.filter((p) => {
    const key = `${p.path}\n${p.message}`;
    return !seen.has(key) && seen.add(key);
  });
}

function jsonErrorPosition(error: Error, lines: LineIndex): Position {
  const lineColumn = /\(line (\d+) column (\d+)\)/.exec(error.message);
  if (lineColumn) return { line: Number(lineColumn[1]), column: Number(lineColumn[2]) };
  const at = /at position (\d+)/.exec(error.message);
  const { line, column } = lines.position(at ? Number(at[1]) : lines.text.length);
  return { line, column };
}
