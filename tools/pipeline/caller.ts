// What a caller passes to .github/workflows/reusable-deploy.yml (its job's `with:`), read for the local
// pipeline: the example's deploy.yml is the one definition of its app, and the reusable workflow's own inputs
// give the defaults, so the lab runs exactly what GitHub would.
import { isMap, isScalar, parseDocument, type Node } from 'yaml';
import { UserError } from '#errors/index';
import { LineIndex } from '#text/lines';
import { jobNodes } from '#workflow/index';

export const REUSABLE_WORKFLOW = '.github/workflows/reusable-deploy.yml';
const CALL = /(^|\/)\.github\/workflows\/reusable-deploy\.yml(@|$)/;

/** A problem in a caller or in the reusable workflow, at file:line:col. */
export class CallerError extends UserError {}

/** The workflow_call inputs of the reusable workflow: each input's default, and which are required. */
export interface WorkflowInputs {
  defaults: Record<string, string>;
  required: string[];
}

export function readWorkflowInputs(text: string): WorkflowInputs {
  const document = parseDocument(text);
  const inputs = document.getIn(['on', 'workflow_call', 'inputs']) as unknown;
  if (!isMap(inputs)) throw new CallerError(`${REUSABLE_WORKFLOW} declares no workflow_call inputs`);
  const defaults: Record<string, string> = {};
  const required: string[] = [];
  for (const pair of inputs.items) {
    const name = String((pair.key as { value: unknown }).value);
    const spec = isMap(pair.value) ? (pair.value.toJSON() as { default?: unknown; required?: boolean }) : {};
    defaults[name] = spec.default === undefined ? '' : String(spec.default);
    if (spec.required) required.push(name);
  }
  return { defaults, required };
}

/** The contexts a caller's expressions may read here: repository variables and a few github.* facts. */
export interface CallerContexts {
  vars: Readonly<Record<string, string>>;
  github: Readonly<Record<string, string>>;
}

/**
 * The inputs a caller's job passes, with its `${{ vars.X }}` and `${{ github.x }}` expressions evaluated and the
 * reusable workflow's defaults filled in. Anything GitHub would refuse (an unknown input, a missing required one)
 * or that the lab cannot evaluate is an error at its line and column.
 */
export function readCaller(file: string, text: string, workflow: WorkflowInputs, contexts: CallerContexts): Record<string, string> {
  const lines = new LineIndex(text);
  const at = (node: Node | null | undefined) => {
    const { line, column } = lines.position(node?.range?.[0] ?? 0);
    return `${file}:${line}:${column}`;
  };
  const document = parseDocument(text);
  if (document.errors.length > 0) {
    const error = document.errors[0]!;
    const { line, column } = lines.position(error.pos[0]);
    throw new CallerError(`${file}:${line}:${column}: invalid YAML: ${error.message.split('\n')[0]}`);
  }
  const calls = jobNodes(document.contents).filter(({ job }) => CALL.test(String(job.get('uses') ?? '')));
  if (calls.length !== 1) throw new CallerError(`${file}: expected one job that calls ${REUSABLE_WORKFLOW}, found ${calls.length}`);
  const { id, job, key } = calls[0]!;
  const given = job.get('with', true);
  if (given !== undefined && !isMap(given)) throw new CallerError(`${at(given as Node)}: job ${id}'s with: must be a mapping`);

  const inputs = { ...workflow.defaults };
  for (const pair of isMap(given) ? given.items : []) {
    const name = String((pair.key as { value: unknown }).value);
    if (!(name in workflow.defaults)) throw new CallerError(`${at(pair.key as Node)}: ${name} is not an input of ${REUSABLE_WORKFLOW}`);
    if (!isScalar(pair.value)) throw new CallerError(`${at(pair.key as Node)}: ${name} must be a string, number or boolean`);
    inputs[name] = evaluate(String(pair.value.value ?? ''), contexts, `${at(pair.value as Node)}: ${name}`);
  }
  for (const name of workflow.required) {
    if (!isMap(given) || !given.has(name))
      throw new CallerError(`${at(key)}: job ${id} does not pass ${name}, which ${REUSABLE_WORKFLOW} requires`);
  }
  return inputs;
}

/** `${{ vars.NAME }}` and `${{ github.name }}` replaced by their values; any other expression is refused. */
export function evaluate(value: string, contexts: CallerContexts, where: string): string {
  return value.replace(/\$\{\{\s*([\s\S]*?)\s*\}\}/g, (whole, expression: string) => {
    const match = /^(vars|github)\.([A-Za-z_][A-Za-z0-9_]*)$/.exec(expression);
    if (!match) throw new CallerError(`${where}: the lab evaluates only vars.NAME and github.NAME, not ${whole}`);
    const context = match[1] === 'vars' ? contexts.vars : contexts.github;
    const found = Object.keys(context).find((name) => name.toLowerCase() === match[2]!.toLowerCase());
    if (found === undefined) throw new CallerError(`${where}: ${match[1]}.${match[2]} has no value in the lab`);
    return context[found]!;
  });
}

/** One swimlane as the caller configured it. */
export interface Lane {
  name: 'backend' | 'frontend';
  environment: string;
  image: string;
  context: string;
  dockerfile: string;
  buildArgs: string[];
  testCommand: string;
  /** deploy-container's strategy for the lane: switch, or swarm (with replicas). */
  strategy: string;
  replicas: string;
  container: string;
  ports: string;
  containerHealthUrl: string;
  healthUrls: string[];
  healthJsonField: string;
}

export interface PipelineCall {
  tagPrefix: string;
  registry: string;
  manifest: string;
  proxyImage: string;
  backend?: Lane;
  frontend?: Lane;
  migrate?: { command: string; checkCommand: string };
}

const lines = (text: string) =>
  text
    .split('\n')
    .map((line) => line.trim())
    .filter(Boolean);

/** The caller's inputs as lanes, with the checks the workflow's first step makes. */
export function pipelineCall(inputs: Record<string, string>, file: string): PipelineCall {
  const lane = (name: 'backend' | 'frontend'): Lane | undefined => {
    const input = (suffix: string) => inputs[`${name}-${suffix}`] ?? '';
    const environment = input('environment');
    if (!environment) return undefined;
    for (const required of ['image', 'container', 'ports', 'container-health-url'])
      if (!input(required)) throw new CallerError(`${file}: ${name}-environment is set: ${name}-${required} is required`);
    return {
      name,
      environment,
      image: input('image'),
      context: input('context'),
      dockerfile: input('dockerfile'),
      buildArgs: [...lines(inputs['build-args'] ?? ''), ...lines(input('build-args'))],
      testCommand: input('test-command'),
      strategy: input('strategy'),
      replicas: input('replicas'),
      container: input('container'),
      ports: input('ports'),
      containerHealthUrl: input('container-health-url'),
      healthUrls: lines(`${input('health-url')}\n${name === 'frontend' ? (inputs['frontend-proxy-url'] ?? '') : ''}`),
      healthJsonField: input('health-json-field'),
    };
  };
  const backend = lane('backend');
  const frontend = lane('frontend');
  if (!backend && !frontend)
    throw new CallerError(`${file}: set backend-environment, frontend-environment or both: there is no lane to run`);
  const command = inputs['migrate-command'] ?? '';
  const checkCommand = inputs['migrate-check-command'] ?? '';
  if ((command || checkCommand) && !backend)
    throw new CallerError(`${file}: migrate-command runs in the backend lane: set backend-environment`);
  return {
    tagPrefix: inputs['tag-prefix']!,
    registry: inputs.registry!,
    manifest: inputs.manifest!,
    proxyImage: inputs['proxy-image']!,
    backend,
    frontend,
    migrate: command ? { command, checkCommand } : undefined,
  };
}
