// Event data that reaches a later step through a step's outputs, followed as far as the workflow shows it.
import { isMap, isScalar, type YAMLMap } from 'yaml';

/** Expressions whose value anyone who opens an issue, a pull request or a comment can write (GitHub's script-injection list). */
export const UNTRUSTED_EXPRESSION =
  /\$\{\{\s*[^}]*?\b(github\.event\.[\w.*[\]-]*\b(?:title|body|message|name|email|label|ref|page_name|default_branch)\b|github\.head_ref)[^}]*\}\}/g;

/** Where a step output's value comes from, when event data may be in it. */
export interface OutputOrigin {
  /** In words: `step meta writes github.event.issue.title to $GITHUB_OUTPUT`. */
  from: string;
  /** False where the workflow cannot tell: an action given event data may or may not pass it on. */
  certain: boolean;
}

/** `steps.ID.outputs.NAME` → its origin, for the outputs that carry event data. */
export type TaintedOutputs = ReadonlyMap<string, OutputOrigin>;

const STEP_OUTPUT = /\$\{\{\s*steps\.([\w-]+)\.outputs\.([\w-]+)\s*\}\}/g;

/** The first event value, or tainted step output, that `text` holds: its path, and where it comes from. */
export function untrustedIn(text: string, tainted: TaintedOutputs): { path: string; origin?: OutputOrigin } | undefined {
  const direct = new RegExp(UNTRUSTED_EXPRESSION.source).exec(text);
  if (direct) return { path: direct[1]! };
  for (const match of text.matchAll(STEP_OUTPUT)) {
    const path = `steps.${match[1]}.outputs.${match[2]}`;
    const origin = tainted.get(path) ?? tainted.get(`steps.${match[1]}.outputs.*`);
    if (origin) return { path, origin };
  }
  return undefined;
}

/** Every `${{ }}` in `text` that is event data or a tainted step output, with its offset. */
export function untrustedExpressions(
  text: string,
  tainted: TaintedOutputs,
): Array<{ index: number; expression: string; path: string; origin?: OutputOrigin }> {
  const found: Array<{ index: number; expression: string; path: string; origin?: OutputOrigin }> = [];
  for (const match of text.matchAll(/\$\{\{[^}]*\}\}/g)) {
    const value = untrustedIn(match[0], tainted);
    if (value) found.push({ index: match.index, expression: match[0], ...value });
  }
  return found;
}

/** The string values of an `env:` (or `with:`) mapping; an expression-valued or flow one gives what it can. */
export function envValues(node: unknown): Record<string, string> {
  if (!isMap(node)) return {};
  const values: Record<string, string> = {};
  for (const pair of node.items) if (isScalar(pair.key) && isScalar(pair.value)) values[String(pair.key.value)] = String(pair.value.value);
  return values;
}

/**
 * The writes of a `run:` script to $GITHUB_OUTPUT that carry event data: `NAME=value` on a line that appends to
 * it, and `NAME<<DELIM` blocks up to their DELIM, whose value holds an event expression, a tainted output, or
 * a variable whose env: value does.
 */
function taintedWrites(script: string, env: Record<string, string>, tainted: TaintedOutputs): Map<string, string> {
  const writes = new Map<string, string>();
  if (!script.includes('GITHUB_OUTPUT')) return writes;
  const carries = (value: string): string | undefined => {
    const direct = untrustedIn(value, tainted);
    if (direct) return direct.path;
    for (const variable of value.matchAll(/\$\{?([A-Za-z_]\w*)\}?/g)) {
      const from = env[variable[1]!] === undefined ? undefined : untrustedIn(env[variable[1]!]!, tainted);
      if (from) return `${from.path} (through $${variable[1]})`;
    }
    return undefined;
  };
  for (const line of script.split('\n')) {
    if (!/>>\s*"?\$\{?GITHUB_OUTPUT\}?"?/.test(line)) continue;
    const assignment = /\b([A-Za-z_][\w-]*)=(.*?)(?:["']?\s*>>)/.exec(line);
    const from = assignment ? carries(assignment[2]!) : undefined;
    if (assignment && from) writes.set(assignment[1]!, from);
  }
  for (const block of script.matchAll(/\b([A-Za-z_][\w-]*)<<["']?([\w-]+)["']?/g)) {
    const end = script.indexOf(block[2]!, block.index + block[0].length);
    const from = carries(script.slice(block.index + block[0].length, end < 0 ? undefined : end));
    if (from) writes.set(block[1]!, from);
  }
  return writes;
}

/**
 * For each step of a job (in order), the outputs of the steps before it that carry event data. A `run:` step's
 * writes are read from its script; an action given event data in `with:` may pass it on, which the workflow
 * cannot show, so its outputs are marked uncertain.
 */
export function taintedOutputsBySteps(steps: readonly YAMLMap[], inheritedEnv: Record<string, string>): TaintedOutputs[] {
  const tainted = new Map<string, OutputOrigin>();
  const visible: TaintedOutputs[] = [];
  for (const step of steps) {
    visible.push(new Map(tainted));
    const id = step.get('id');
    if (typeof id !== 'string') continue;
    const run = step.get('run');
    if (typeof run === 'string') {
      const env = { ...inheritedEnv, ...envValues(step.get('env', true)) };
      for (const [name, from] of taintedWrites(run, env, tainted))
        tainted.set(`steps.${id}.outputs.${name}`, { from: `step ${id} writes ${from} to $GITHUB_OUTPUT`, certain: true });
      continue;
    }
    const uses = step.get('uses');
    const given = Object.values(envValues(step.get('with', true)))
      .map((value) => untrustedIn(value, tainted)?.path)
      .find(Boolean);
    if (typeof uses === 'string' && given) {
      tainted.set(`steps.${id}.outputs.*`, {
        from: `step ${id} runs ${uses} with ${given} among its inputs; whether this output carries it cannot be known from the workflow`,
        certain: false,
      });
    }
  }
  return visible;
}
