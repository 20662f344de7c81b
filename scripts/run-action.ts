#!/usr/bin/env node
/**
 * Runs an action's committed bundle locally, exactly as the GitHub runner would (see tools/runner).
 *
 *   node scripts/run-action.ts actions/health-check --input urls=http://127.0.0.1:8000/health \
 *        [--input name=value ...] [--env NAME=value ...] [--json]
 *
 * Prints the step's log as the job log would show it (masks applied), then its outputs and summary.
 * With --json prints one JSON object instead. Exits with the step's exit code.
 */
import { parseCommandLine } from '#args/index';
import { applyMasks, runAction, type StepRun } from '#runner/index';

function usage(message: string): never {
  console.error(
    `run-action: ${message}\nusage: node scripts/run-action.ts <action-dir> [--input name=value]... [--env NAME=value]... [--json]`,
  );
  process.exit(2);
}

let parsed: ReturnType<typeof parse>;
try {
  parsed = parse(process.argv.slice(2));
} catch (error) {
  usage((error as Error).message);
}
const { values, positionals } = parsed;
const actionDir = positionals[0];
if (!actionDir || positionals.length > 1) usage('name one action folder, e.g. actions/health-check');
const json = values.json ?? false;
const inputs = pairs('--input', values.input);
const env = pairs('--env', values.env);

function parse(argv: string[]) {
  const options = {
    input: { type: 'string', multiple: true },
    env: { type: 'string', multiple: true },
    json: { type: 'boolean' },
  } as const;
  return parseCommandLine(argv, options, true);
}

/** `name=value` pairs of a repeated flag; the value may itself contain `=`. */
function pairs(flag: string, given: string[] = []): Record<string, string> {
  const result: Record<string, string> = {};
  for (const pair of given) {
    const equals = pair.indexOf('=');
    if (equals <= 0) usage(`${flag} takes name=value, not "${pair}"`);
    result[pair.slice(0, equals)] = pair.slice(equals + 1);
  }
  return result;
}

function show(step: StepRun): void {
  console.log(`── ${step.step} step: exit ${step.exitCode}`);
  process.stdout.write(step.maskedLog);
  if (step.stderr) process.stderr.write(step.stderr);
  if (Object.keys(step.outputs).length > 0) {
    console.log('── outputs');
    // Masked like the job log: an output such as a database URL carries a password.
    for (const [name, value] of Object.entries(step.outputs)) console.log(`${name}=${applyMasks(value, step.masks)}`);
  }
  if (step.summary) console.log(`── summary\n${applyMasks(step.summary, step.masks)}`);
}

const run = await runAction(actionDir, { inputs, env });
const steps = [run.main, ...(run.post ? [run.post] : [])];
if (json) {
  const masked = (step: StepRun, value: string) => applyMasks(value, step.masks);
  console.log(
    JSON.stringify(
      steps.map((step) => ({
        step: step.step,
        exitCode: step.exitCode,
        log: step.maskedLog,
        summary: masked(step, step.summary),
        outputs: Object.fromEntries(Object.entries(step.outputs).map(([k, v]) => [k, masked(step, v)])),
        state: Object.fromEntries(Object.entries(step.state).map(([k, v]) => [k, masked(step, v)])),
      })),
      null,
      2,
    ),
  );
} else {
  steps.forEach(show);
}
process.exit(steps.find((s) => s.exitCode !== 0)?.exitCode ?? 0);
