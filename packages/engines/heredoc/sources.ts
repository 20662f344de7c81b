// Rebuilds the exact scripts a file runs: workflow and composite-action `run:` values (from a real YAML
// parse, so folding and chomping match GitHub's) or a whole shell script, each with a map back to the file.
import { isMap, isScalar, parseDocument, type Scalar, type YAMLMap } from 'yaml';
import { actionStepNodes, jobNodes, stepNodes } from '#workflow/index';
import { type FilePosition, lastAtOrBelow, LineIndex } from '#text/lines';
import type { Shell } from './scan.ts';
import { UserError } from '#errors/index';
import { envValues, type TaintedOutputs, taintedOutputsBySteps } from './outputs.ts';

export type { FilePosition } from '#text/lines';

export type FileKind = 'workflow' | 'action' | 'script';

/** A `with:` input of an action that runs it as shell: `uses` matches `action` (owner/repo[/path], any ref). */
export interface ScriptInput {
  action: string;
  input: string;
  /** Each line is its own `sh -c` command (deploy-container's post-deploy), rather than one bash script. */
  perLine?: boolean;
}

/**
 * Inputs linted by default: the remote-shell actions in common use, whose input the host's shell runs as one
 * script (appleboy/ssh-action's `script`, its lines joined; the `command` of garygrossgarten/github-action-ssh,
 * fifsky/ssh-action, D3rHase/ssh-command-action and nekiro/ssh-job; easingthemes/ssh-deploy's scripts before and
 * after the copy), and this suite's own deploy-container `post-deploy` (each line run by the container's sh).
 */
export const DEFAULT_SCRIPT_INPUTS: readonly ScriptInput[] = [
  { action: 'appleboy/ssh-action', input: 'script' },
  { action: 'garygrossgarten/github-action-ssh', input: 'command' },
  { action: 'fifsky/ssh-action', input: 'command' },
  { action: 'D3rHase/ssh-command-action', input: 'command' },
  { action: 'nekiro/ssh-job', input: 'command' },
  { action: 'easingthemes/ssh-deploy', input: 'SCRIPT_BEFORE' },
  { action: 'easingthemes/ssh-deploy', input: 'SCRIPT_AFTER' },
  { action: 'actions/deploy-container', input: 'post-deploy', perLine: true },
];

export class ScriptInputError extends UserError {}

/** `ACTION:INPUT`, e.g. `appleboy/ssh-action:script` or `acme/remote-run:command`. */
export function parseScriptInput(spec: string): ScriptInput {
  const match = /^([\w.-]+(?:\/[\w.-]+)*):([\w-]+)$/.exec(spec.trim());
  if (!match) throw new ScriptInputError(`"${spec}" is not ACTION:INPUT (e.g. appleboy/ssh-action:script)`);
  return { action: match[1]!, input: match[2]! };
}

export interface SourceOptions {
  /** The `with:` inputs to lint beside `run:` (defaults: DEFAULT_SCRIPT_INPUTS). */
  scriptInputs?: readonly ScriptInput[];
}

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
  /** For a `run:` script: how a fix adds variables to its step's `env:` (undefined where it cannot). */
  stepEnv?: StepEnv;
  /** The action (its `uses:`) that inserts an exit-code check after every line of this script, if it does. */
  checkedLineByLine?: string;
  /** Outputs of earlier steps that carry event data, as the workflow shows them. */
  untrustedOutputs?: TaintedOutputs;
}

/** A replacement in file offsets (the shape of lint.ts's FileEdit). */
interface Replacement {
  start: number;
  end: number;
  text: string;
}

/** The `env:` of the step a script runs in, as a fix may extend it. */
export interface StepEnv {
  /** Names the step's env: sets already. */
  names: ReadonlySet<string>;
  /** The step has no env: yet, so an edit makes one: only one such edit may apply per round. */
  creates: boolean;
  /** The edit that adds `NAME: value` entries to the step's env:, making one if it has none. */
  add(entries: ReadonlyArray<{ name: string; value: string }>): Replacement;
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
export function classify(path: string, content: string, options: SourceOptions = {}): Classified {
  if (isBinary(content)) return { kind: 'skipped', reason: 'binary file' };
  const shebang = SHEBANG.exec(content);
  const isYamlName = /\.ya?ml$/i.test(path);
  if (shebang || (/\.(sh|bash)$/i.test(path) && !isYamlName))
    return { kind: 'script', scripts: [wholeScript(content, shebang?.[1] === 'bash' || !shebang ? 'bash' : 'sh')] };
  if (!isYamlName && !/^\s*(jobs|runs|name|on)\s*:/m.test(content))
    return { kind: 'skipped', reason: 'not a workflow, action or shell script' };
  return classifyYaml(content, isYamlName, options.scriptInputs ?? DEFAULT_SCRIPT_INPUTS);
}

function wholeScript(content: string, shell: Shell): ExtractedScript {
  const index = new LineIndex(content);
  return { text: content, shell, expressions: false, folded: false, exact: true, map: (o) => index.position(o), origin: index.position(0) };
}

function classifyYaml(content: string, namedYaml: boolean, scriptInputs: readonly ScriptInput[]): Classified {
  const index = new LineIndex(content);
  // GitHub's own options (@actions/workflow-parser): strict YAML 1.2, duplicate keys left to later checks. A file
  // GitHub cannot read is reported in its words and at its place; one it reads is read here too.
  const doc = parseDocument(content, { uniqueKeys: false });
  if (doc.errors.length > 0) {
    if (!namedYaml) return { kind: 'skipped', reason: 'not YAML' };
    const error = doc.errors[0]!;
    const [at] = error.linePos ?? [];
    const position = at ? { line: at.line, column: at.col, offset: error.pos[0] } : index.position(error.pos[0]);
    return { kind: 'yaml-error', position, message: error.message.split('\n')[0]!.replace(/:$/, '') };
  }
  const root = doc.contents;
  if (!isMap(root)) return { kind: 'skipped', reason: 'not a workflow or action (no mapping at the top)' };
  if (root.has('jobs')) return { kind: 'workflow', scripts: workflowScripts(root, index, scriptInputs) };
  if (root.has('runs')) return { kind: 'action', scripts: actionScripts(root, index, scriptInputs) };
  return { kind: 'skipped', reason: 'a YAML file that is neither a workflow (jobs:) nor an action (runs:)' };
}

function defaultShell(node: unknown): string | undefined {
  if (!isMap(node)) return undefined;
  const value = node.getIn(['defaults', 'run', 'shell']);
  return typeof value === 'string' ? value : undefined;
}

function workflowScripts(root: YAMLMap, index: LineIndex, scriptInputs: readonly ScriptInput[]): ExtractedScript[] {
  const scripts: ExtractedScript[] = [];
  const workflowShell = defaultShell(root);
  for (const { job } of jobNodes(root)) {
    const steps = stepNodes(job);
    const tainted = taintedOutputsBySteps(steps, { ...envValues(root.get('env', true)), ...envValues(job.get('env', true)) });
    scripts.push(...stepScripts(steps, defaultShell(job) ?? workflowShell, index, scriptInputs, tainted));
  }
  return scripts;
}

function actionScripts(root: YAMLMap, index: LineIndex, scriptInputs: readonly ScriptInput[]): ExtractedScript[] {
  const steps = actionStepNodes(root);
  return stepScripts(steps, undefined, index, scriptInputs, taintedOutputsBySteps(steps, {}));
}

/**
 * appleboy/ssh-action before v1.2.0 with `script_stop: true` appends an exit-code check after every line of the
 * script, heredoc bodies included, and drops blank lines (its issue 335; v1.2.0 removed script_stop). Judged
 * only where the version is known: a tag (v1.0.3, v1.1), or a commit pinned with a `# v1.0.3` comment.
 */
function insertsLineChecks(step: YAMLMap, uses: string): string | undefined {
  if (!usesAction(uses, 'appleboy/ssh-action')) return undefined;
  const stop = withInput(step, 'script_stop');
  if (!isScalar(stop) || String(stop.value).toLowerCase() !== 'true') return undefined;
  const ref = uses.slice(uses.lastIndexOf('@') + 1);
  const comment = (step.get('uses', true) as Scalar | undefined)?.comment ?? '';
  const version = /^v?\d+(\.\d+)*$/.test(ref) ? ref : /^[0-9a-f]{40}$/.test(ref) ? /\bv?(\d+(?:\.\d+)*)\b/.exec(comment)?.[0] : undefined;
  if (!version) return undefined;
  const [major = 0, minor] = version.replace(/^v/, '').split('.').map(Number);
  // A bare major tag (v1) floats to the newest v1.x, which has no script_stop.
  if (minor === undefined) return major < 1 ? uses : undefined;
  const named = version === ref ? uses : `${uses} (${version})`;
  return major < 1 || (major === 1 && minor < 2) ? named : undefined;
}

/** Whether `uses: owner/repo/path@ref` (or ./path, $/path) is the action a ScriptInput names (GitHub ignores case). */
function usesAction(uses: string, action: string): boolean {
  const name = uses.replace(/@[^@]*$/, '').toLowerCase();
  const wanted = action.toLowerCase();
  return name === wanted || name.endsWith(`/${wanted}`);
}

/** A `with:` input's node; input names are case-insensitive (SCRIPT_AFTER and script_after are one input). */
function withInput(step: YAMLMap, name: string): unknown {
  const inputs = step.get('with', true);
  if (!isMap(inputs)) return undefined;
  return inputs.items.find((pair) => isScalar(pair.key) && String(pair.key.value).toLowerCase() === name.toLowerCase())?.value;
}

/** The scripts an action runs from its `with:` inputs, rebuilt the way it runs them. */
function inputScripts(step: YAMLMap, index: LineIndex, scriptInputs: readonly ScriptInput[]): ExtractedScript[] {
  const uses = step.get('uses');
  if (typeof uses !== 'string') return [];
  const scripts: ExtractedScript[] = [];
  for (const spec of scriptInputs.filter((s) => usesAction(uses, s.action))) {
    const node = withInput(step, spec.input);
    if (!isScalar(node) || typeof node.value !== 'string') continue;
    const whole = { ...scalarScript(node, spec.perLine ? 'sh' : 'bash', index), checkedLineByLine: insertsLineChecks(step, uses) };
    if (!spec.perLine) {
      scripts.push(whole);
      continue;
    }
    let offset = 0;
    for (const line of whole.text.split('\n')) {
      const start = offset;
      offset += line.length + 1;
      if (line.trim() === '') continue;
      scripts.push({ ...whole, text: line, folded: false, map: (o) => whole.map(start + o), origin: whole.map(start) });
    }
  }
  return scripts;
}

function stepScripts(
  steps: readonly YAMLMap[],
  inherited: string | undefined,
  index: LineIndex,
  scriptInputs: readonly ScriptInput[],
  tainted: readonly TaintedOutputs[],
): ExtractedScript[] {
  const scripts: ExtractedScript[] = [];
  for (const [k, step] of steps.entries()) {
    const untrustedOutputs = tainted[k];
    scripts.push(...inputScripts(step, index, scriptInputs).map((script) => ({ ...script, untrustedOutputs })));
    const run = step.get('run', true);
    if (!isScalar(run) || run.value === null || run.value === undefined) continue;
    const declared = step.get('shell');
    const shell = shellOf(typeof declared === 'string' ? declared : inherited);
    if (shell) scripts.push({ ...scalarScript(run, shell, index), stepEnv: stepEnvOf(step, index), untrustedOutputs });
  }
  return scripts;
}

/** A value as a YAML plain scalar where it can be one, else single-quoted (an expression may hold ': ' or ' #'). */
function yamlScalar(value: string): string {
  return /^[$\w][^:#'"\n]*$/.test(value) && !/\s$/.test(value) ? value : `'${value.replace(/'/g, "''")}'`;
}

/**
 * Where `NAME: value` lines go in a block-style step: before the first entry of its block `env:`, or, with no
 * `env:`, a new one before the `run:` key, at that key's indentation. A flow-style step or `env:`, or an `env:`
 * given as one expression, cannot take lines.
 */
function stepEnvOf(step: YAMLMap, index: LineIndex): StepEnv | undefined {
  if (step.flow) return undefined;
  const newline = index.text.includes('\r\n') ? '\r\n' : '\n';
  const keyOf = (name: string) => step.items.find((pair) => isScalar(pair.key) && pair.key.value === name);
  const env = keyOf('env');
  const lines = (entries: ReadonlyArray<{ name: string; value: string }>, indent: number) =>
    entries.map((e) => `${e.name}: ${yamlScalar(e.value)}${newline}${' '.repeat(indent)}`).join('');
  if (env) {
    if (!isMap(env.value) || env.value.flow || env.value.items.length === 0) return undefined;
    const first = env.value.items[0]!.key as Scalar;
    const at = first.range?.[0];
    if (at === undefined) return undefined;
    const indent = index.position(at).column - 1;
    const names = new Set(env.value.items.map((pair) => String((pair.key as Scalar).value)));
    return { names, creates: false, add: (entries) => ({ start: at, end: at, text: lines(entries, indent) }) };
  }
  const run = keyOf('run')?.key as Scalar | undefined;
  const at = run?.range?.[0];
  if (at === undefined) return undefined;
  const indent = index.position(at).column - 1;
  return {
    names: new Set(),
    creates: true,
    add: (entries) => ({
      start: at,
      end: at,
      text: `env:${newline}${' '.repeat(indent + 2)}${lines(entries, indent + 2).trimEnd()}${newline}${' '.repeat(indent)}`,
    }),
  };
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
  for (const line of lines) {
    scriptStarts.push(offset);
    offset += line.length + 1;
  }
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
