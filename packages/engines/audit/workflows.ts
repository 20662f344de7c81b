// Reads workflows statically: each job's environment and every secret it references, with positions.
import { isMap, isScalar, type Node, parseDocument, type YAMLMap } from 'yaml';
import { InputError } from '#inputs/index';
import { LineIndex } from '#text/lines';
import { jobNodes } from '#workflow/index';
import type { Position } from './load.ts';

export type SecretReference =
  | { kind: 'name'; name: string; position: Position }
  /** secrets[format('{0}_HOST', inputs.prefix)]: a regular expression over names. */
  | { kind: 'pattern'; pattern: string; text: string; position: Position }
  /**
   * secrets[fromJSON(needs.audit.outputs.backend-names).DB_HOST]: the manifest's secret for variable DB_HOST in the
   * job's environment, looked up through audit-secrets' `names` output.
   */
  | { kind: 'variable'; variable: string; text: string; position: Position }
  /** toJSON(secrets): every secret the job can read, so every manifest secret of its environment is used. */
  | { kind: 'all'; text: string; position: Position }
  /** secrets[something else]: cannot be resolved statically. */
  | { kind: 'opaque'; text: string; position: Position };

export interface WorkflowJob {
  file: string;
  id: string;
  environment?: { name: string; dynamic: boolean; position: Position };
  secrets: SecretReference[];
}

/** A workflow file that cannot be read as YAML; the input is workflows-dir, the position the file's. */
export class WorkflowParseError extends InputError {
  constructor(file: string, position: Position, problem: string) {
    super('workflows-dir', problem, { file, ...position });
  }
}

const EXPRESSION = /\$\{\{([\s\S]*?)\}\}/g;
const REFERENCE = new RegExp(
  [
    String.raw`(?<![\w.-])secrets\s*(?:\.\s*([A-Za-z_][A-Za-z0-9_-]*)`, // secrets.NAME, not needs.audit-secrets.outputs
    String.raw`|\[\s*(?:'([^']*)'|"([^"]*)"`, // secrets['NAME'], secrets["NAME"]
    String.raw`|(format\s*\(\s*'((?:[^']|'')*)'[^)]*\))`, // secrets[format('{0}_HOST', …)]
    String.raw`|(fromJSON\s*\([^)]*\)\s*(?:\.\s*([A-Za-z_][A-Za-z0-9_]*)|\[\s*'([A-Za-z_][A-Za-z0-9_]*)'\s*\]))`, // secrets[fromJSON(…).VAR]
    String.raw`|([^\]]+?))\s*\])`, // anything else
  ].join(''),
  'gi',
);

const WHOLE_STORE = /\btoJSON\s*\(\s*secrets\s*\)/gi;

export function parseWorkflow(file: string, text: string): WorkflowJob[] {
  const lines = new LineIndex(text);
  const position = (offset: number): Position => {
    const p = lines.position(offset);
    return { line: p.line, column: p.column };
  };
  const document = parseDocument(text, { uniqueKeys: false });
  if (document.errors.length > 0)
    throw new WorkflowParseError(file, position(document.errors[0]!.pos[0]), `invalid YAML: ${document.errors[0]!.message.split('\n')[0]}`);
  return jobNodes(document.contents).map(({ id, job }) => {
    const [start, , end] = job.range ?? [0, 0, 0];
    return { file, id, environment: environmentOf(job, position), secrets: secretReferences(text, start, end, position) };
  });
}

function environmentOf(job: YAMLMap, position: (offset: number) => Position): WorkflowJob['environment'] {
  let node = job.get('environment', true) as Node | undefined;
  if (isMap(node)) node = node.get('name', true) as Node | undefined;
  if (!isScalar(node) || node.value === null || node.value === undefined || String(node.value) === '') return undefined;
  const name = String(node.value);
  return { name, dynamic: name.includes('${{'), position: position(node.range?.[0] ?? 0) };
}

/** Every secrets reference inside ${{ }} expressions in text[start, end). */
export function secretReferences(text: string, start: number, end: number, position: (offset: number) => Position): SecretReference[] {
  const references: SecretReference[] = [];
  const slice = text.slice(start, end);
  for (const expression of slice.matchAll(EXPRESSION)) {
    const body = expression[1]!;
    const bodyOffset = start + expression.index + 3;
    for (const match of body.matchAll(WHOLE_STORE))
      references.push({ kind: 'all', text: match[0], position: position(bodyOffset + match.index) });
    for (const match of body.matchAll(REFERENCE)) {
      const at = position(bodyOffset + match.index);
      const [, dotted, single, double, formatCall, formatString, lookup, lookupDotted, lookupQuoted, other] = match;
      const literal = dotted ?? single ?? double;
      if (literal !== undefined) references.push({ kind: 'name', name: literal, position: at });
      else if (formatCall !== undefined)
        references.push({ kind: 'pattern', pattern: formatPattern(formatString!.replace(/''/g, "'")), text: formatCall, position: at });
      else if (lookup !== undefined)
        references.push({ kind: 'variable', variable: (lookupDotted ?? lookupQuoted)!, text: lookup, position: at });
      else references.push({ kind: 'opaque', text: other!.trim(), position: at });
    }
  }
  return references;
}

/** format('{0}_DB_HOST', x) → a regular expression: literal text, each {n} a name fragment. */
function formatPattern(format: string): string {
  return format
    .split(/\{\d+\}/)
    .map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
    .join('[A-Za-z0-9_]+');
}
