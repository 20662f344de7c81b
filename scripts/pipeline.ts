#!/usr/bin/env node
/**
 * The golden pipeline, locally, against the lab: the same jobs as .github/workflows/reusable-deploy.yml,
 * in the same two swimlanes, running the committed action bundles through the runner harness.
 *
 *   audit-secrets ─┬─ build-backend ─┬─ test-backend ── migrate ──┬── deploy-backend ── health-backend
 *                  │                 └─ scan-backend (non-blocking)│
 *                  └─ build-frontend ┬─ test-frontend ─────────────┴── deploy-frontend ── health-frontend
 *                                    └─ scan-frontend (non-blocking)
 *
 *   npm run pipeline [-- --example APP] [--env dev|uat|prod] [--sha SHA] [--hosts N] [--break-backend]
 *                        [--sequential] [--no-cache] [--result FILE]
 *
 * --example APP runs examples/APP/deploy.yml's call of the reusable workflow (default: golden): its `with:` is
 * the one definition of the app, the workflow's inputs give the defaults, and a lane it leaves out is skipped.
 * The lab stands in for what GitHub holds: its registry, deploy host, bastion and database, and examples/APP/lab.json
 * for the repository variables and application values (secrets it lacks are generated once, never committed).
 * --env picks another of the golden example's environments. --hosts N (2 or more) deploys the backend to N of the
 * lab's separate app hosts, one at a time, behind the lab's load balancer (LAB_LB_URL), and checks that every host
 * answers through it. --swarm deploys the backend to the lab's swarm (backend-strategy: swarm), checked through its
 * balancer (LAB_SWARM_LB_URL). --sequential runs one job at a time (the baseline of bench/pipeline.ts); --no-cache builds
 * images without the layer cache, as a fresh CI runner does.
 *
 * Every job reads the secrets as a deploy job reads toJSON(secrets): audit-secrets checks them and renders each
 * container's environment from the manifest. Exit status: 0 when every blocking job succeeded, 1 otherwise (a
 * --break-backend run fails by design, after showing the rollback).
 */
import { spawnSync } from 'node:child_process';
import { appendFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { UserError } from '#errors/index';
import { UsageError } from '#args/index';
import { parsePipelineOptions, PIPELINE_USAGE } from '#pipeline/options';
import { blockingFailures, consoleReport, type DeployedRow, eventLine, clock, type RunReport, summaryMarkdown } from '#pipeline/report';
import { type JobRecord, runSchedule } from '#pipeline/schedule';
import { buildContext, type Context, healthUrls, jobs, lanesOf } from './pipeline-jobs.ts';

const root = resolve(import.meta.dirname, '..');

async function run(context: Context): Promise<number> {
  const { options } = context;
  const specs = jobs(context);
  const width = Math.max(...specs.map((s) => s.id.length));
  const started = performance.now();
  const since = () => performance.now() - started;
  const running = new Map<string, number>();
  const lanes = lanesOf(context.call);
  console.log(
    `golden pipeline: examples/${options.example}, ${lanes.map((lane) => `${lane.name} → ${lane.environment}`).join(' + ')}, tag ${context.tag}` +
      `${context.backendHosts.length > 0 ? `, backend on ${context.backendHosts.length} app hosts behind ${context.lab.LAB_LB_URL}` : ''}` +
      `${context.call.backend?.strategy === 'swarm' ? `, backend on the lab's swarm behind ${context.lab.LAB_SWARM_LB_URL}` : ''}` +
      `${options.breakBackend ? ', BROKEN backend build' : ''}${options.sequential ? ', one job at a time' : ', swimlanes in parallel'}`,
  );
  console.log(`logs: ${join(context.workdir, 'logs')}`);

  const heartbeat = setInterval(() => {
    if (running.size === 0) return;
    console.log(`${clock(since())} … running: ${[...running].map(([id, at]) => `${id} ${Math.round((since() - at) / 1000)}s`).join(', ')}`);
  }, 5000);
  let records: JobRecord[];
  try {
    records = await runSchedule(specs, context, {
      sequential: options.sequential,
      onEvent: (event) => {
        if (event.kind === 'start') running.set(event.job.id, since());
        else if (event.kind !== 'progress') running.delete(event.job.id);
        console.log(eventLine(event, width, since()));
      },
    });
  } finally {
    clearInterval(heartbeat);
    rmSync(context.dockerConfig, { recursive: true, force: true });
  }
  const totalMs = since();

  // What serves now, as the first lane's first health URL answers it: the rollback, if any, is checked live.
  const first = lanes[0]!;
  const served = await fetch(healthUrls(context, first)[0] ?? first.containerHealthUrl)
    .then((r) => r.json() as Promise<{ version?: string }>)
    .catch(() => undefined);
  const recordOf = (id: string) => records.find((r) => r.id === id)!;
  const rows: DeployedRow[] = lanes.map((lane) => ({
    component: lane.name,
    environment: lane.environment,
    image: context.images[lane.name]!,
    url: healthUrls(context, lane)[0] ?? lane.containerHealthUrl,
    record: recordOf(`deploy-${lane.name}`),
  }));
  const report: RunReport = {
    ok: blockingFailures(records).length === 0,
    env: `${options.example} ${context.call.tagPrefix}`,
    tag: context.tag,
    sequential: options.sequential,
    totalMs,
    rows,
    served: served?.version,
    records,
  };
  const markdown = summaryMarkdown(report);
  writeFileSync(join(context.workdir, 'summary.md'), markdown);
  if (process.env.GITHUB_STEP_SUMMARY) appendFileSync(process.env.GITHUB_STEP_SUMMARY, markdown);
  console.log(consoleReport(report));
  console.log(`summary with a Mermaid Gantt chart: ${join(context.workdir, 'summary.md')}`);

  const result = {
    ok: report.ok,
    example: options.example,
    env: context.call.tagPrefix,
    tag: context.tag,
    sequential: options.sequential,
    breakBackend: options.breakBackend,
    totalMs,
    served: served?.version ?? null,
    workdir: context.workdir,
    jobs: records,
  };
  writeFileSync(options.result ?? join(context.lab.LAB_DIR!, 'pipeline', 'last-result.json'), `${JSON.stringify(result, null, 2)}\n`);
  return report.ok ? 0 : 1;
}

async function main(): Promise<number> {
  try {
    const options = parsePipelineOptions(process.argv.slice(2));
    if (!options.sha) {
      const head = spawnSync('git', ['rev-parse', '--short=12', 'HEAD'], { cwd: root, encoding: 'utf8' });
      options.sha = head.status === 0 ? head.stdout.trim() : '000000000000';
    }
    return await run(buildContext(options));
  } catch (error) {
    if (!(error instanceof UserError)) throw error;
    console.error(`pipeline: ${error.message}${error instanceof UsageError ? `\n${PIPELINE_USAGE}` : ''}`);
    return 2;
  }
}

process.exitCode = await main();
