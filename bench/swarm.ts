#!/usr/bin/env node
/**
 * What users see while deploy-container updates a service on the lab's swarm (strategy swarm: app1–app3, each node's
 * edge behind the lab's swarm balancer), with 1, 3 and 6 replicas; and, in the same run, strategy switch rolling the
 * same fixture across the same three hosts behind the lab's other balancer, the baseline. Two clients ask the balancer
 * for /version every 10 ms each (new connections; one kept-alive connection) during each update. Reports failed
 * requests, the longest gap without a healthy answer and the update's wall time, as ratios to the switch roll.
 * Writes bench/results/swarm.json and bench/results/swarm.md.
 *
 *   node bench/swarm.ts [--rounds N]     (the lab must be up: scripts/lab up)
 */
import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { promisify } from 'node:util';
import { countFlags } from '#args/index';
import { stat, statCell } from './sections.ts';
import { appHosts, removeService } from '../test/support/app-hosts.ts';
import { buildFixtureVersions } from '../test/support/docker.ts';
import { labRollInputs, labSwarmInputs, runDeploy } from '../test/support/deploy.ts';
import { labEnv } from '../test/support/lab.ts';
import { withLoad } from '../test/support/load.ts';

const { rounds: ROUNDS } = countFlags(process.argv.slice(2), { rounds: 3 });
const STACK = 'gp-bench-swarm';
const SWITCH_NAME = 'gp-bench-swarm-switch';
const REPLICAS = [1, 3, 6];
const lab = labEnv();
const hosts = appHosts(lab).filter((host) => !host.jumpOnly);
const built = await buildFixtureVersions(lab, 'bench-swarm');
const images = Object.fromEntries(
  Object.entries(built).map(([version, ref]) => [version, ref.replace(lab.LAB_REGISTRY!, lab.LAB_APP_REGISTRY!)]),
);
const swarmDocker = (...args: string[]) =>
  promisify(execFile)('docker', args, { env: { ...process.env, DOCKER_HOST: lab.LAB_SWARM_DOCKER_HOST! } });

async function swarmDeploy(replicas: number, image: string): Promise<number | null> {
  const main = await runDeploy(
    { ...labSwarmInputs(lab, STACK, image), replicas: String(replicas) },
    { runId: 'bench-swarm', timeoutMs: 300_000 },
  );
  return main.exitCode;
}

async function switchRoll(image: string): Promise<number | null> {
  const main = await runDeploy(
    labRollInputs(
      lab,
      hosts.map((h) => h.address),
      SWITCH_NAME,
      image,
    ),
    { runId: 'bench-swarm-switch', timeoutMs: 300_000 },
  );
  return main.exitCode;
}

interface Sample {
  failed: number;
  failedKept: number;
  gapMs: number;
  updateMs: number;
  exitCode: number | null;
}

async function measure(url: string, update: () => Promise<number | null>): Promise<Sample> {
  let updateMs = 0;
  const {
    result: exitCode,
    fresh,
    kept,
  } = await withLoad(url, async () => {
    const started = performance.now();
    const code = await update();
    updateMs = Math.round(performance.now() - started);
    return code;
  });
  return { failed: fresh.failed, failedKept: kept.failed, gapMs: Math.max(fresh.longestGapMs, kept.longestGapMs), updateMs, exitCode };
}

const samples: Record<string, Sample[]> = { switch: [], ...Object.fromEntries(REPLICAS.map((r) => [`swarm ${r}`, []])) };
try {
  if ((await switchRoll(images.v1!)) !== 0) throw new Error('the first switch roll failed');
  let next = 'v2';
  for (let round = 1; round <= ROUNDS; round += 1) {
    samples.switch!.push(await measure(`${lab.LAB_LB_URL}/version`, () => switchRoll(images[next]!)));
    for (const replicas of REPLICAS) {
      // Each replica count from the same start: a service of that size on the other version.
      if ((await swarmDeploy(replicas, images[next === 'v2' ? 'v1' : 'v2']!)) !== 0)
        throw new Error(`setting up ${replicas} replicas failed`);
      samples[`swarm ${replicas}`]!.push(await measure(`${lab.LAB_SWARM_LB_URL}/version`, () => swarmDeploy(replicas, images[next]!)));
    }
    next = next === 'v2' ? 'v1' : 'v2';
    console.log(`round ${round}/${ROUNDS} done`);
  }
} finally {
  await removeService(hosts, SWITCH_NAME);
  await swarmDocker('stack', 'rm', STACK).catch(() => undefined);
}

const describe = (list: Sample[]) => ({
  failed_new_connections: stat(list.map((s) => s.failed)),
  failed_kept_alive: stat(list.map((s) => s.failedKept)),
  longest_gap_ms: stat(list.map((s) => s.gapMs)),
  update_ms: stat(list.map((s) => s.updateMs)),
});
const summary = Object.fromEntries(Object.entries(samples).map(([name, list]) => [name, describe(list)]));
const baselineMs = summary.switch!.update_ms.median;
const all = Object.values(samples).flat();
const goalMet = all.every((s) => s.failed === 0 && s.failedKept === 0 && s.exitCode === 0);
const result = {
  date: new Date().toISOString(),
  node: process.version,
  rounds: ROUNDS,
  nodes: hosts.length,
  request_rate_per_client: 100,
  summary,
  samples,
  goal: { zero_failed_every_update: goalMet },
};

const cell = statCell;
const names = Object.keys(summary);
const row = (label: string, pick: (s: ReturnType<typeof describe>) => string) =>
  `| ${label} | ${names.map((n) => pick(summary[n]!)).join(' | ')} |`;
const markdown = [
  '# Docker Swarm: strategy swarm against strategy switch',
  '',
  `Median (min–max) of ${ROUNDS} rounds, ${result.date.slice(0, 10)}, on a 2-core machine. The lab's swarm: app1–app3, three`,
  "managers, each node's edge (HAProxy) publishing LAB_SWARM_PORT in host mode behind the lab's nginx balancer. The baseline,",
  "in the same run: strategy switch rolling the same fixture across the same three hosts, one at a time, behind the lab's",
  'other balancer. Two clients on the balancer, 100 requests/s each (new connections; one kept-alive connection).',
  '',
  `| measure | ${names.map((n) => (n === 'switch' ? 'switch across 3 hosts' : `swarm, ${n.split(' ')[1]} replicas`)).join(' | ')} |`,
  `| --- |${' --- |'.repeat(names.length)}`,
  row('failed, new connections', (s) => cell(s.failed_new_connections)),
  row('failed, kept-alive', (s) => cell(s.failed_kept_alive)),
  row('longest gap without a healthy answer', (s) => cell(s.longest_gap_ms, ' ms')),
  row('update wall time', (s) => cell(s.update_ms, ' ms')),
  `| wall time ÷ switch roll | ${names.map((n) => `${(summary[n]!.update_ms.median / baselineMs).toFixed(2)}×`).join(' | ')} |`,
  '',
  `Goal, 0 failed requests in every update: **${goalMet ? 'met' : 'MISSED'}**. The swarm's update time grows with the replicas:`,
  "the engine replaces one task at a time, each healthy (its HEALTHCHECK) before the next, plus the update's 5 s monitor window.",
  '',
].join('\n');
writeFileSync('bench/results/swarm.json', `${JSON.stringify(result, null, 2)}\n`);
writeFileSync('bench/results/swarm.md', markdown);
console.log(markdown);
