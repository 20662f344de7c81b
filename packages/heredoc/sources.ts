// Rebuilds the exact scripts a file runs: workflow and composite-action `run:` values (from a real YAML
// parse, so folding and chomping match GitHub's) or a whole shell script, each with a map back to the file.
import { isMap, isScalar, isSeq, parseDocument, type Scalar, type YAMLMap } from 'yaml';
import { type FilePosition, lastAtOrBelow, LineIndex } from '../text/lines.ts';
import type { Shell } from './scan.ts';

export type { FilePosition } from '../text/lines.ts';

export type FileKind = 'workflow' | 'action' | 'script';


export interface ExtractedScript {
  text: string;
  shell: Shell;
  expressions: boolean;
  /** Folded, plain or quoted YAML scalars join lines. */
  folded: boolean;
  /** Exact when every script character has a known place in the file; approximate maps disable --fix. */
  exact: boolean;
  map: (offset: number) => FilePosition;
  /** Where the scalar starts (for findings about the whole script). */
  origin: FilePosition;
}

export type Classified =
  | { kind: FileKind; scripts: ExtractedScript[] }
  | { kind: 'yaml-error'; position: FilePosition; message: string }
  | { kind: 'skipped'; reason: string };

const SHEBANG = /^#![ \t]*\S*?\/(?:env[ \t]+(?:-\S+[ \t]+)*)?(bash|sh|dash)\b/;

export function isBinary(content: string): boolean {
  return content.slice(0, 8000).includes('\0');
}

/** Classifies by content, as the CLI does for files named on the command line. */
export function classify(path: string, content: string): Classified {
  if (isBinary(content)) return { kind: 'skipped', reason: 'binary file' };
  const shebang = SHEBANG.exec(content);
  const isYamlName = /\.ya?ml$/i.test(path);
  if (shebang || (/\.(sh|bash)$/i.test(path) && !isYamlName)) return { kind: 'script', scripts: [wholeScript(content, shebang?.[1] === 'bash' || !shebang ? 'bash' : 'sh')] };
  if (!isYamlName && !/^\s*(jobs|runs|name|on)\s*:/m.test(content)) return { kind: 'skipped', reason: 'not a workflow, action or shell script' };
  return classifyYaml(content, isYamlName);
}

function wholeScript(content: string, shell: Shell): ExtractedScript {
  const index = new LineIndex(content);
  return { text: content, shell, expressions: false, folded: false, exact: true, map: (o) => index.position(o), origin: index.position(0) };
}

function classifyYaml(content: string, namedYaml: boolean): Classified {
  const index = new LineIndex(content);
  const doc = parseDocument(content, { prettyErrors: false, strict: false, uniqueKeys: false });
  if (doc.errors.length > 0) {
    if (!namedYaml) return { kind: 'skipped', reason: 'not YAML' };
    const error = doc.errors[0]!;
    return { kind: 'yaml-error', position: index.position(error.pos[0]), message: error.message.split('\n')[0]! };
  }
  const root = doc.contents;
  if (!isMap(root)) return { kind: 'skipped', reason: 'not a workflow or action (no mapping at the top)' };
  if (root.has('jobs')) return { kind: 'workflow', scripts: workflowScripts(root, index) };
  if (root.has('runs')) return { kind: 'action', scripts: actionScripts(root, index) };
  return { kind: 'skipped', reason: 'a YAML file that is neither a workflow (jobs:) nor an action (runs:)' };
}

function defaultShell(node: unknown): string | undefined {
  if (!isMap(node)) return undefined;
  const value = node.getIn(['defaults', 'run', 'shell']);
  return typeof value === 'string' ? value : undefined;
}

function workflowScripts(root: YAMLMap, index: LineIndex): ExtractedScript[] {
  const scripts: ExtractedScript[] = [];
  const workflowShell = defaultShell(root);
  const jobs = root.get('jobs');
  if (!isMap(jobs)) return scripts;
  for (const pair of jobs.items) {
    const job = pair.value;
    if (!isMap(job)) continue;
    const jobShell = defaultShell(job) ?? workflowShell;
    scripts.push(...stepScripts(job.get('steps'), jobShell, index));
  }
  return scripts;
}

function actionScripts(root: YAMLMap, index: LineIndex): ExtractedScript[] {
  const runs = root.get('runs');
  return isMap(runs) ? stepScripts(runs.get('steps'), undefined, index) : [];
}

function stepScripts(steps: unknown, inherited: string | undefined, index: LineIndex): ExtractedScript[] {
  if (!isSeq(steps)) return [];
  const scripts: ExtractedScript[] = [];
  for (const step of steps.items) {
    if (!isMap(step)) continue;
    const run = step.get('run', true);
    if (!isScalar(run) || run.value === null || run.value === undefined) continue;
    const declared = step.get('shell');
    const shell = shellOf(typeof declared === 'string' ? declared : inherited);
    if (shell) scripts.push(scalarScript(run, shell, index));
  }
  return scripts;
}

/** The shell GitHub runs a step with: bash when none is given (on Linux); only bash and sh are judged. */
export function shellOf(declared: string | undefined): Shell | undefined {
  if (declared === undefined || declared.includes('${{')) return 'bash';
  const command = declared.trim().split(/\s+/)[0]!.split('/').pop();
  if (command === 'bash') return 'bash';
  if (command === 'sh' || command === 'dash') return 'sh';
  return undefined;
}

function scalarScript(node: Scalar, shell: Shell, index: LineIndex): ExtractedScript {
  const text = String(node.value);
  const [start, valueEnd] = node.range ?? [0, 0, 0];
  const origin = index.position(start);
  const base = { text, shell, expressions: true, origin };
  if (node.type === 'BLOCK_LITERAL') {
    const literal = literalMap(text, origin.line - 1, index);
    if (literal) return { ...base, folded: false, exact: true, map: literal };
  }
  const multiline = index.position(valueEnd).line > origin.line || node.type === 'BLOCK_FOLDED';
  return { ...base, folded: multiline && node.type !== 'BLOCK_LITERAL', exact: false, map: searchMap(text, start, valueEnd, index) };
}

/**
 * A literal block's lines sit one per file line after the header, shifted by the block indentation
 * (tabs after it are content). Returns undefined if the file does not line up, e.g. for unusual layouts.
 */
function literalMap(text: string, headerLine: number, index: LineIndex): ((offset: number) => FilePosition) | undefined {
  const lines = text.split('\n');
  const scriptStarts: number[] = [];
  let offset = 0;
  for (const line of lines) { scriptStarts.push(offset); offset += line.length + 1; }
  let indent = -1;
  const fileStarts: number[] = [];
  for (const [k, line] of lines.entries()) {
    const fileLine = headerLine + 1 + k;
    if (fileLine >= index.starts.length) {
      if (line !== '') return undefined;
      fileStarts.push(index.text.length);
      continue;
    }
    const fileText = index.lineText(fileLine);
    if (line !== '') {
      if (indent < 0) indent = fileText.length - line.length;
      if (indent < 0 || fileText !== ' '.repeat(indent) + line) return undefined;
    }
    fileStarts.push(index.starts[fileLine]! + Math.min(Math.max(indent, 0), fileText.length));
  }
  return (scriptOffset) => {
    const k = lastAtOrBelow(scriptStarts, scriptOffset);
    return index.position(fileStarts[k]! + (scriptOffset - scriptStarts[k]!));
  };
}

/** For folded and flow scalars: find the text around the offset in the source, else the scalar's start. */
function searchMap(text: string, start: number, end: number, index: LineIndex): (offset: number) => FilePosition {
  const source = index.text.slice(start, end);
  return (offset) => {
    const snippet = text.slice(offset).split(/\s/)[0]!.slice(0, 24);
    const found = snippet ? source.indexOf(snippet) : -1;
    return index.position(start + Math.max(found, 0));
  };
}
