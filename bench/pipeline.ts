#!/usr/bin/env node
/**
 * The swimlane pipeline against the same jobs run one after another, both by the local pipeline on the lab.
 * Runs alternate (sequential, swimlanes, sequential, …) with a fresh SHA each, so both modes do the same work:
 * new images built, pushed, tested, migrated, deployed and health-checked. Two workloads: cold builds
 * (--no-cache, as a fresh CI runner builds) and warm builds (layer cache, as a developer's machine builds).
 * Reports the median wall time of each mode, the ratio (target ≤ 0.6), and the floor the job graph allows:
 * the longest chain of needs over the sum of all jobs.
 *
 *   npm run bench:pipeline [-- --runs N]
 * Writes bench/results/pipeline.json and pipeline.md.
 */
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PIPELINE_GRAPH } from '#pipeline/graph';
import type { JobRecord } from '#pipeline/schedule';
import { median } from '#stats/index';
import { countFlags } from '#args/index';

const { runs: RUNS } = countFlags(process.argv.slice(2), { runs: 3 });
const TARGET = 0.6;
const root = join(import.meta.dirname, '..');
const scratch = mkdtempSync(join(tmpdir(), 'bench-pipeline-'));

interface Run {
  totalMs: number;
  jobs: JobRecord[];
}

function pipeline(sequential: boolean, cold: boolean): Run {
  const result = join(scratch, 'result.json');
  const args = [
    'scripts/pipeline.ts',
    '--sha',
    randomBytes(6).toString('hex'),
    '--result',
    result,
    ...(sequential ? ['--sequential'] : []),
    ...(cold ? ['--no-cache'] : []),
  ];
  const child = spawnSync(process.execPath, args, { cwd: root, encoding: 'utf8' });
  if (child.status !== 0) throw new Error(`pipeline ${args.slice(4).join(' ')} failed:\n${child.stdout.slice(-2000)}`);
  return JSON.parse(readFileSync(result, 'utf8')) as Run;
}

const duration = (job: JobRecord) => job.endMs! - job.startMs!;

/** The swimlanes' floor for this workload: the longest chain of needs, over the sum of every job. */
function floor(run: Run): number {
  const byId = new Map(run.jobs.map((j) => [j.id, j]));
  const chain = (id: string): number => duration(byId.get(id)!) + Math.max(0, ...PIPELINE_GRAPH.find((g) => g.id === id)!.needs.map(chain));
  return Math.max(...run.jobs.map((j) => chain(j.id))) / run.jobs.reduce((sum, j) => sum + duration(j), 0);
}

function measure(cold: boolean) {
  const sequential: Run[] = [];
  const swimlanes: Run[] = [];
  for (let i = 0; i < RUNS; i++) {
    sequential.push(pipeline(true, cold));
    swimlanes.push(pipeline(false, cold));
    console.log(
      `[bench] ${cold ? 'cold' : 'warm'} run ${i + 1}/${RUNS}: sequential ${(sequential.at(-1)!.totalMs / 1000).toFixed(1)} s, swimlanes ${(swimlanes.at(-1)!.totalMs / 1000).toFixed(1)} s`,
    );
  }
  const seqMs = median(sequential.map((r) => r.totalMs));
  const laneMs = median(swimlanes.map((r) => r.totalMs));
  const jobMs = Object.fromEntries(
    PIPELINE_GRAPH.map(({ id }) => [id, Math.round(median(sequential.map((r) => duration(r.jobs.find((j) => j.id === id)!))))]),
  );
  return {
    sequentialMs: { median: seqMs, runs: sequential.map((r) => r.totalMs) },
    swimlanesMs: { median: laneMs, runs: swimlanes.map((r) => r.totalMs) },
    ratio: laneMs / seqMs,
    floor: median(sequential.map(floor)),
    jobMs,
  };
}

// One untimed run first, so the first timed run does not pay for pushing the base layers.
pipeline(false, false);
const cold = measure(true);
const warm = measure(false);
rmSync(scratch, { recursive: true, force: true });

const result = {
  date: new Date().toISOString(),
  node: process.version,
  runs: RUNS,
  target: TARGET,
  targetMet: cold.ratio <= TARGET,
  cold,
  warm,
};
mkdirSync(join(root, 'bench/results'), { recursive: true });
writeFileSync(join(root, 'bench/results/pipeline.json'), `${JSON.stringify(result, null, 2)}\n`);
const s1 = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
const row = (name: string, m: typeof cold) =>
  `| ${name} | ${s1(m.sequentialMs.median)} | ${s1(m.swimlanesMs.median)} | **${m.ratio.toFixed(2)}×** | ${m.floor.toFixed(2)}× |`;
const markdown = `# Swimlanes vs one job at a time

The local pipeline (\`npm run pipeline\`) on the lab: ${RUNS} alternating runs of each mode per workload, a new SHA every run,
Node ${process.version}. The floor is the best any schedule of this job graph can do: the longest chain of needs
over the sum of all jobs (measured in the sequential runs).

| workload | one job at a time (median) | swimlanes (median) | ratio | floor |
| --- | ---: | ---: | ---: | ---: |
${row('cold builds (`--no-cache`, as a fresh CI runner)', cold)}
${row('warm builds (layer cache)', warm)}

Target ≤ ${TARGET} on the CI-like cold workload: **${cold.ratio <= TARGET ? 'met' : 'missed'}**.

Median time per job, run alone (ms), cold: ${Object.entries(cold.jobMs)
  .map(([id, ms]) => `${id} ${ms}`)
  .join(', ')}.
Warm: ${Object.entries(warm.jobMs)
  .map(([id, ms]) => `${id} ${ms}`)
  .join(', ')}.
`;
writeFileSync(join(root, 'bench/results/pipeline.md'), markdown);
console.log(markdown);
