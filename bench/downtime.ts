#!/usr/bin/env node
/**
 * What users see during a deploy, in the same run on the lab, rounds interleaved so machine noise hits all
 * alike: strategy replace; strategy switch as the earlier version ran it, behind an nginx proxy moved by
 * config rewrite and graceful reload (that version's bundle, from git); and strategy switch behind the
 * HAProxy edge, moved through its runtime API. Two clients ask the published port for /version: one every
 * 10 ms on new connections, one back to back on a kept-alive connection; a third starts a 4-second request
 * every half second. During:
 *   upgrade  — v1 → v2;
 *   broken   — v2 → a build that fails its gate (the deploy rolls back);
 *   fault    — v2 → v1 with the SSH session's processes killed at a random moment.
 * Reports failed requests (refused, reset, 5xx); the kept-alive requests a client that never retries would
 * have lost (failed, plus those the load client retried on a new connection); the 4-second requests that did
 * not complete; the longest gap without a healthy answer; the requests the broken build answered; and the
 * time from the deploy's start until the new version first answers.
 * Writes bench/results/downtime.json and downtime.md.
 *
 *   node bench/downtime.ts [--rounds N]     (the lab must be up: scripts/lab up)
 */
import { rmSync, writeFileSync } from 'node:fs';
import { buildFixtureVersions, dockerMaybe, startExtraSshd } from '../test/support/docker.ts';
import { servesWithin } from '../test/support/faults.ts';
import { deployActionAt, labDeployInputs, NGINX_PROXY_COMMIT, runDeploy } from '../test/support/deploy.ts';
import * as http from 'node:http';
import { labEnv } from '../test/support/lab.ts';
import { startLoad, type LoadReport } from '../test/support/load.ts';
import { freePort } from '../test/support/servers.ts';
import { sectionsOf, stat, statCell, type Stat } from './sections.ts';
import { countFlags } from '#args/index';

const { rounds: ROUNDS } = countFlags(process.argv.slice(2), { rounds: 5 });
/** replace; switch behind the earlier version's nginx proxy; switch behind the HAProxy edge. */
const STRATEGIES = ['replace', 'nginx', 'edge'] as const;
const CASES = ['upgrade', 'broken', 'fault'] as const;
type Strategy = (typeof STRATEGIES)[number];
type Case = (typeof CASES)[number];

const lab = labEnv();
const sshd = await startExtraSshd(lab, await freePort());
const ports: Record<Strategy, number> = { replace: await freePort(), nginx: await freePort(), edge: await freePort() };
const names: Record<Strategy, string> = { replace: 'gp-bench-replace', nginx: 'gp-bench-nginx', edge: 'gp-bench-edge' };
const nginxAction = deployActionAt(NGINX_PROXY_COMMIT);
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
      strategy: strategy === 'replace' ? 'replace' : 'switch',
      'proxy-image': strategy === 'nginx' ? lab.LAB_NGINX_IMAGE! : lab.LAB_PROXY_IMAGE!,
      'drain-timeout': '5s',
      'lock-timeout': '30s',
    },
    { runId: 'bench-downtime', timeoutMs: 120_000, action: strategy === 'nginx' ? nginxAction : undefined },
  );
  return main.exitCode;
}

interface Sample {
  failed: number;
  failedKept: number;
  retriedKept: number;
  slowStarted: number;
  slowIncomplete: number;
  gapMs: number;
  brokenAnswers: number;
  newServesMs?: number;
  deployMs: number;
}

/** Starts a 4-second request every half second until stopped; counts those that did not complete with 200. */
function startSlowRequests(port: number) {
  let running = true;
  const requests: Array<Promise<boolean>> = [];
  const loop = (async () => {
    while (running) {
      requests.push(
        new Promise<boolean>((resolve) => {
          http
            .get({ host: '127.0.0.1', port, path: '/cgi-bin/slow', agent: false, timeout: 15_000 }, (response) => {
              response.resume();
              response.on('end', () => resolve(response.statusCode === 200));
              response.on('error', () => resolve(false));
            })
            .on('error', () => resolve(false))
            .on('timeout', function (this: http.ClientRequest) {
              this.destroy();
            });
        }),
      );
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
  })();
  return {
    async stop() {
      running = false;
      await loop;
      const done = await Promise.all(requests);
      return { started: done.length, incomplete: done.filter((ok) => !ok).length };
    },
  };
}

/** One deploy with the clients running; the window runs on until the port serves `settle` again after a fault. */
async function measure(strategy: Strategy, kind: Case): Promise<Sample> {
  const url = `http://127.0.0.1:${ports[strategy]}/version`;
  const target = { upgrade: v2, broken: broken, fault: v1 }[kind];
  const fresh = startLoad(url, { keepAlive: false, intervalMs: 10 });
  // Back to back: a kept-alive connection that is never idle long meets a close at a reload (issue #25's client).
  const kept = startLoad(url, { keepAlive: true, intervalMs: 0 });
  const slow = startSlowRequests(ports[strategy]);
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
  const long = await slow.stop();
  const newVersion = kind === 'upgrade' ? 'v2' : undefined;
  return {
    failed: a.failed,
    failedKept: b.failed,
    retriedKept: b.retried,
    slowStarted: long.started,
    slowIncomplete: long.incomplete,
    gapMs: Math.max(a.longestGapMs, b.longestGapMs),
    brokenAnswers: (a.answers.broken ?? 0) + (b.answers.broken ?? 0),
    newServesMs: newVersion && a.firstSeenMs[newVersion] !== undefined ? Math.round(a.firstSeenMs[newVersion]! - 300) : undefined,
    deployMs,
  };
}

const samples: Record<Strategy, Record<Case, Sample[]>> = {
  replace: { upgrade: [], broken: [], fault: [] },
  nginx: { upgrade: [], broken: [], fault: [] },
  edge: { upgrade: [], broken: [], fault: [] },
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
  rmSync(nginxAction, { recursive: true, force: true });
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
  await dockerMaybe('network', 'rm', `${names.nginx}-net`, `${names.edge}-net`);
}

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
      kept_alive_lost_without_retry: stat(list.map((s) => s.failedKept + s.retriedKept)),
      slow_requests_started: stat(list.map((s) => s.slowStarted)),
      slow_requests_incomplete: stat(list.map((s) => s.slowIncomplete)),
      longest_gap_ms: stat(list.map((s) => s.gapMs)),
      broken_answers: stat(list.map((s) => s.brokenAnswers)),
      ...(times.length ? { new_version_serves_after_ms: stat(times) } : {}),
      deploy_ms: stat(list.map((s) => s.deployMs)),
    };
  }
}

const edgeClean = (s: Sample) =>
  s.failed === 0 && s.failedKept === 0 && s.retriedKept === 0 && s.slowIncomplete === 0 && s.brokenAnswers === 0;
const goalMet = CASES.every((kind) => samples.edge[kind].every(edgeClean));
const result = {
  date: new Date().toISOString(),
  node: process.version,
  rounds: ROUNDS,
  new_connection_requests_per_second: 100,
  kept_alive_client: 'back to back',
  nginx_version: NGINX_PROXY_COMMIT,
  summary,
  samples,
  goal: { edge_no_failed_lost_or_incomplete_request_every_round: goalMet },
};
const cell = (value: Stat | undefined, unit = '') => (value ? statCell(value, unit) : '–');
const row = (kind: Case, label: string, key: string, unit = '') =>
  `| ${label} | ${STRATEGIES.map((strategy) => cell(summary[strategy][kind][key], unit)).join(' | ')} |`;
const rows = CASES.flatMap((kind) => [
  `| **${kind}** | | | |`,
  row(kind, 'failed, new connections', 'failed_new_connections'),
  row(kind, 'failed, kept-alive (retrying once)', 'failed_kept_alive'),
  row(kind, 'lost by a kept-alive client that never retries', 'kept_alive_lost_without_retry'),
  row(kind, '4 s requests that did not complete', 'slow_requests_incomplete'),
  row(kind, '4 s requests started', 'slow_requests_started'),
  row(kind, 'longest gap without a healthy answer', 'longest_gap_ms', ' ms'),
  row(kind, 'requests the broken build answered', 'broken_answers'),
  ...(kind === 'upgrade' ? [row(kind, 'new version first answers after', 'new_version_serves_after_ms', ' ms')] : []),
  row(kind, 'deploy wall time', 'deploy_ms', ' ms'),
]);
const table = [
  `# Downtime during a deploy (median (min–max) of ${ROUNDS} interleaved rounds, ${result.date.slice(0, 10)})`,
  '',
  'Two clients on the published port: one on new connections, 100 requests/s, and one on a kept-alive connection, back',
  'to back (it retries once on a new connection when the server closed it while idle, as browsers do; a client that',
  'never retries loses those too); a third starts a 4-second request every half second. The fault case kills the',
  "SSH session's processes at a random moment and keeps measuring until the port answers again. `switch (nginx)` is",
  `strategy switch as ${NGINX_PROXY_COMMIT} ran it (config rewrite and graceful reload); \`switch (edge)\` moves traffic`,
  "through HAProxy's runtime API.",
  '',
  '| measure | replace | switch (nginx) | switch (edge) |',
  '| --- | --- | --- | --- |',
  ...rows,
  '',
  `Goal for the edge, no failed, lost or incomplete request and no answer from the broken build in every round: **${goalMet ? 'met' : 'MISSED'}**.`,
  '',
].join('\n');
writeFileSync('bench/results/downtime.json', `${JSON.stringify(result, null, 2)}\n`);
// The multi-host section belongs to bench/rolling.ts.
writeFileSync('bench/results/downtime.md', `${table}\n${sectionsOf('bench/results/downtime.md')}`.trimEnd() + '\n');
console.log(table);
