#!/usr/bin/env node
/**
 * A stand-in for a job's runner process: runs one action's main step through the harness (inputs as JSON
 * on stdin), prints the step's outputs as one JSON line, then stays alive as a runner does between steps,
 * until it is killed. Tests kill it to cancel "the job".
 *
 *   node test/support/job.ts actions/bastion-migrate < inputs.json
 */
import { text } from 'node:stream/consumers';
import { runStep } from '#runner/index';

const inputs = JSON.parse(await text(process.stdin)) as Record<string, string>;
const main = await runStep(process.argv[2]!, 'main', { inputs, timeoutMs: 120_000 });
process.stdout.write(`${JSON.stringify({ exitCode: main.exitCode, outputs: main.outputs, state: main.state, log: main.maskedLog })}\n`);
setInterval(() => undefined, 60_000);
