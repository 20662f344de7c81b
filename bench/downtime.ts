#!/usr/bin/env node
/**
 * What users see during a deploy, strategy replace against strategy switch, in the same run on the lab,
 * rounds interleaved so machine noise hits both alike. Two clients ask the published port for /version
 * every 10 ms each (100 requests/s on new connections, 100 on one kept-alive connection) during:
 *   upgrade  — v1 → v2;
 *   broken   — v2 → a build that fails its gate (the deploy rolls back);
 *   fault    — v2 → v1 with the SSH session's processes killed at a random moment.
 * Reports failed requests (refused, reset, 5xx), the longest gap without a healthy answer, the requests the
 * broken build answered, and the time from the deploy's start until the new version first answers.
 * Writes bench/results/downtime.json and downtime.md.
 *
 *   node bench/downtime.ts [--rounds N]     (the lab must be up: scripts/lab up)
 */
import { writeFileSync } from 'node:fs';
import { median } from '#stats/index';
import { buildFixtureVersions, dockerMaybe, startExtraSshd } from '../test/support/docker.ts';
import { servesWithin } from '../test/support/faults.ts';
import { labDeployInputs, runDeploy } from '../test/support/deploy.ts';
import { labEnv } from '../test/support/lab.ts';
import { startLoad, type LoadReport } from '../test/support/load.ts';
import { freePort } from '../test/support/servers.ts';
import { sectionsOf } from './sections.ts';
import { countFlags } from '#args/index';

const { rounds: ROUNDS } = countFlags(process.argv.slice(2), { rounds: 5 });
const STRATEGIES = ['replace', 'switch'] as const;
const CASES = ['upgrade', 'broken', 'fault'] as const;
type Strategy = (typeof STRATEGIES)[number];
type Case = (typeof CASES)[number];

const lab = labEnv();
const sshd = await startExtraSshd(lab, await freePort());
const ports: Record<Strategy, number> = { replace: await freePort(), switch: await freePort() };
const names: Record<Strategy, string> = { replace: 'gp-bench-replace', switch: 'gp-bench-switch' };
const { v1, v2, broken } = await buildFixtureVersions(lab, 'downtime');

async function deploy(strategy: Strategy, image: string): Promise<number | null> {
  const port = ports[strategy];
  const main = await runDeploy(
    {
      ...labDeployInputs(lab, { host: '127.0.0.1', port: sshd.port, knownHosts: sshd.knownHosts }, `http://127.0.0.1:${port}/health/`),
      image,
      name: names[strategy],
      ports: `127.0.0.1:${port}:80`,
      'docker-args': '--init',
      'keep-images': '10',
      strategy,
      'proxy-image': lab.LAB_NGINX_IMAGE!,
      'drain-timeout': '5s',
      'lock-timeout': '30s',
    },
    { runId: 'bench-downtime', timeoutMs: 120_000 },
  );
  return main.exitCode;
}

interface Sample {
  failed: number;
  failedKept: number;
  retriedKept: number;
  gapMs: number;
  brokenAnswers: number;
  newServesMs?: number;
  deployMs: number;
}

/** One deploy with both clients running; the window runs on until the port serves `settle` again after a fault. */
async function measure(strategy: Strategy, kind: Case): Promise<Sample> {
  const url = `http://127.0.0.1:${ports[strategy]}/version`;
  const target = { upgrade: v2, broken: broken, fault: v1 }[kind];
  const fresh = startLoad(url, { keepAlive: false, intervalMs: 10 });
  const kept = startLoad(url, { keepAlive: true, intervalMs: 10 });
  await new Promise((resolve) => setTimeout(resolve, 300));
  const started = performance.now();
  const running = deploy(strategy, target);
  if (kind === 'fault') {
    await new Promise((resolve) => setTimeout(resolve, 200 + Math.random() * 2500));
    await sshd.killSessions();
  }
  await running;
  const deployMs = Math.round(performance.now() - started);
  // After a fault, the window includes the host's own recovery: until something healthy answers again.
  if (kind === 'fault') await servesWithin(url, 10_000, (body) => body === 'v1' || body === 'v2');
  await new Promise((resolve) => setTimeout(resolve, 300));
  const a: LoadReport = await fresh.stop();
  const b: LoadReport = await kept.stop();
  const newVersion = kind === 'upgrade' ? 'v2' : undefined;
  return {
    failed: a.failed,
    failedKept: b.failed,
    retriedKept: b.retried,
    gapMs: Math.max(a.longestGapMs, b.longestGapMs),
    brokenAnswers: (a.answers.broken ?? 0) + (b.answers.broken ?? 0),
    newServesMs: newVersion && a.firstSeenMs[newVersion] !== undefined ? Math.round(a.firstSeenMs[newVersion]! - 300) : undefined,
    deployMs,
  };
}

const samples: Record<Strategy, Record<Case, Sample[]>> = {
  replace: { upgrade: [], broken: [], fault: [] },
  switch: { upgrade: [], broken: [], fault: [] },
};
try {
  for (const strategy of STRATEGIES) await deploy(strategy, v1);
  for (let round = 1; round <= ROUNDS; round += 1) {
    for (const strategy of STRATEGIES) {
      // Each round starts from v1 serving: upgrade to v2, break it, then back to v1 under a fault.
      for (const kind of CASES) samples[strategy][kind].push(await measure(strategy, kind));
      if ((await deploy(strategy, v1)) !== 0) await deploy(strategy, v1);
    }
    console.log(`round ${round}/${ROUNDS} done`);
  }
} finally {
  await sshd.stop();
  for (const strategy of STRATEGIES) {
    const listed = await dockerMaybe('container', 'ls', '--all', '--quiet', '--filter', `label=golden.deploy.service=${names[strategy]}`);
    await dockerMaybe(
      'container',
      'rm',
      '--force',
      names[strategy],
      `${names[strategy]}.previous`,
      ...listed.stdout.trim().split('\n').filter(Boolean),
    );
  }
  await dockerMaybe('network', 'rm', `${names.switch}-net`);
}

interface Stat {
  median: number;
  min: number;
  max: number;
}
const stat = (values: number[]): Stat => ({ median: median(values), min: Math.min(...values), max: Math.max(...values) });
const summary = {} as Record<Strategy, Record<Case, Record<string, Stat>>>;
for (const strategy of STRATEGIES) {
  summary[strategy] = {} as Record<Case, Record<string, Stat>>;
  for (const kind of CASES) {
    const list = samples[strategy][kind];
    const times = list.map((s) => s.newServesMs).filter((t): t is number => t !== undefined);
    summary[strategy][kind] = {
      failed_new_connections: stat(list.map((s) => s.failed)),
      failed_kept_alive: stat(list.map((s) => s.failedKept)),
      kept_alive_retried: stat(list.map((s) => s.retriedKept)),
      longest_gap_ms: stat(list.map((s) => s.gapMs)),
      broken_answers: stat(list.map((s) => s.brokenAnswers)),
      ...(times.length ? { new_version_serves_after_ms: stat(times) } : {}),
      deploy_ms: stat(list.map((s) => s.deployMs)),
    };
  }
}

const goalMet = CASES.every((kind) => samples.switch[kind].every((s) => s.failed === 0 && s.failedKept === 0 && s.brokenAnswers === 0));
const result = {
  date: new Date().toISOString(),
  node: process.version,
  rounds: ROUNDS,
  request_rate_per_client: 100,
  summary,
  samples,
  goal: { switch_failed_and_broken_answers_zero_every_round: goalMet },
};
const cell = (value: Stat | undefined, unit = '') => (value ? `${value.median}${unit} (${value.min}–${value.max})` : '–');
const rows = CASES.flatMap((kind) => [
  `| ${kind} | failed, new connections | ${cell(summary.replace[kind].failed_new_connections)} | ${cell(summary.switch[kind].failed_new_connections)} |`,
  `| | failed, kept-alive | ${cell(summary.replace[kind].failed_kept_alive)} | ${cell(summary.switch[kind].failed_kept_alive)} |`,
  `| | longest gap without a healthy answer | ${cell(summary.replace[kind].longest_gap_ms, ' ms')} | ${cell(summary.switch[kind].longest_gap_ms, ' ms')} |`,
  `| | requests the broken build answered | ${cell(summary.replace[kind].broken_answers)} | ${cell(summary.switch[kind].broken_answers)} |`,
  ...(kind === 'upgrade'
    ? [
        `| | new version first answers after | ${cell(summary.replace[kind].new_version_serves_after_ms, ' ms')} | ${cell(summary.switch[kind].new_version_serves_after_ms, ' ms')} |`,
      ]
    : []),
  `| | deploy wall time | ${cell(summary.replace[kind].deploy_ms, ' ms')} | ${cell(summary.switch[kind].deploy_ms, ' ms')} |`,
]);
const table = [
  `# Downtime during a deploy: replace vs switch (median (min–max) of ${ROUNDS} interleaved rounds, ${result.date.slice(0, 10)})`,
  '',
  'Two clients on the published port, 100 requests/s each: one on new connections, one on a kept-alive connection',
  '(which retries once on a new connection when the server closed it while idle, as browsers do; such retries are',
  `counted apart: switch ${cell(summary.switch.upgrade.kept_alive_retried)} per upgrade). The fault case kills the SSH session's processes at a`,
  'random moment and keeps measuring until the port answers again.',
  '',
  '| case | measure | replace | switch |',
  '| --- | --- | --- | --- |',
  ...rows,
  '',
  `Goal for switch, 0 failed requests and 0 answers from the broken build in every round: **${goalMet ? 'met' : 'MISSED'}**.`,
  '',
].join('\n');
writeFileSync('bench/results/downtime.json', `${JSON.stringify(result, null, 2)}\n`);
// The multi-host section belongs to bench/rolling.ts.
writeFileSync('bench/results/downtime.md', `${table}\n${sectionsOf('bench/results/downtime.md')}`.trimEnd() + '\n');
console.log(table);
