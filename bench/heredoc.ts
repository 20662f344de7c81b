#!/usr/bin/env node
/**
 * heredoc-lint against the ShellCheck route (what actionlint does: take each run: script out of the
 * workflow, replace ${{ }} with underscores of the same length, and run ShellCheck on it).
 *
 * Speed, on two sets: FILES workflow files (the labelled corpus and the real-world patterns, repeated), and
 * REAL_FILES real-shaped ones (bench/realshaped.ts), each linted by the heredoc-lint command in one process
 * (on its default threads, one per core, and on one thread with --jobs 1), against ShellCheck on the
 * extracted scripts with one process per script, as actionlint runs it, on every core. On the real-shaped
 * set it also measures the YAML parse's share of heredoc-lint's time. A second baseline hands ShellCheck
 * 50 scripts a process, which no linter of workflows does but which is ShellCheck's best case. Only
 * ShellCheck's own processes are timed on its side; extracting and writing the scripts is free. Runs are
 * interleaved and the median of RUNS is reported as a ratio.
 *
 * Accuracy: precision and recall of both tools on the labelled corpus (labels confirmed by bash in
 * packages/engines/heredoc/corpus.test.ts) plus the real-world patterns (all valid). ShellCheck counts as flagging a
 * case when it reports any of its here-document checks or a parse error.
 *
 *   npm run bench:heredoc [-- --runs N --files N --real-files N]
 * Writes bench/results/heredoc.json and heredoc.md. Installs ShellCheck from Debian's packages if missing.
 */
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { parse, parseDocument } from 'yaml';
import { lintText } from '#heredoc/lint';
import { median } from '#stats/index';
import { realShapedWorkflows } from './realshaped.ts';
import { countFlags } from '#args/index';

const {
  runs: RUNS,
  files: FILES,
  'real-files': REAL_FILES,
} = countFlags(process.argv.slice(2), { runs: 3, files: 1000, 'real-files': 876 });
/** Against ShellCheck a process a script: the corpus set's goal, and the real-shaped set's. */
const GOAL_CORPUS = 20;
const GOAL_REAL = 40;
/** Scripts per ShellCheck process: 1 is what actionlint does; 50 is ShellCheck's best case. */
const PER_SCRIPT = 1;
const BATCHED = 50;
/** ShellCheck's here-document checks (wiki SC1039–SC1044, SC1118–SC1122). */
const SHELLCHECK_HEREDOC_CODES = new Set([1039, 1040, 1041, 1042, 1043, 1044, 1118, 1119, 1120, 1121, 1122]);

const root = join(import.meta.dirname, '..');
const CORPUS = join(root, 'packages/engines/heredoc/corpus');
const REALWORLD = join(root, 'packages/engines/heredoc/realworld/.github/workflows');
const BIN = join(root, 'packages/cli/bin/heredoc-lint.cjs');

if (spawnSync('shellcheck', ['--version']).status !== 0) {
  console.log('[bench] installing shellcheck from Debian packages');
  execFileSync(
    'bash',
    [
      '-c',
      'apt-get -o DPkg::Lock::Timeout=300 update -qq && DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=300 install -y -qq shellcheck',
    ],
    { stdio: 'inherit' },
  );
}
const shellcheckVersion = /version: (\S+)/.exec(execFileSync('shellcheck', ['--version'], { encoding: 'utf8' }))![1]!;

interface Case {
  path: string;
  valid: boolean;
}
const listFiles = (directory: string): string[] =>
  readdirSync(directory, { withFileTypes: true })
    .flatMap((e) => (e.isDirectory() ? listFiles(join(directory, e.name)) : [join(directory, e.name)]))
    .sort();
const labelled: Case[] = [
  ...listFiles(CORPUS).map((path) => ({ path, valid: /^# corpus: valid/m.test(readFileSync(path, 'utf8')) })),
  ...listFiles(REALWORLD).map((path) => ({ path, valid: true })),
];

/** The scripts actionlint would hand ShellCheck, with the shell it would name. */
function extract(path: string): { text: string; shell: 'bash' | 'sh' }[] {
  const content = readFileSync(path, 'utf8');
  if (!path.endsWith('.yml')) return [{ text: content, shell: content.startsWith('#!/bin/sh') ? 'sh' : 'bash' }];
  const document = parse(content) as Record<string, any>;
  const jobs: Record<string, any>[] = document.jobs ? Object.values(document.jobs) : [{ steps: document.runs?.steps ?? [] }];
  return jobs.flatMap((job) =>
    (job.steps ?? [])
      .filter((s: any) => typeof s.run === 'string')
      .map((s: any) => ({
        text: (s.run as string).replace(/\$\{\{[\s\S]*?\}\}/g, (e) => '_'.repeat(e.length)),
        shell:
          [s.shell, job.defaults?.run?.shell, document.defaults?.run?.shell].find(Boolean) === 'sh' ? ('sh' as const) : ('bash' as const),
      })),
  );
}

const work = mkdtempSync(join(tmpdir(), 'heredoc-bench-'));
process.on('exit', () => rmSync(work, { recursive: true, force: true }));

interface WorkflowSet {
  label: string;
  goal: number;
  dir: string;
  files: number;
  bytes: number;
  byShell: Record<'bash' | 'sh', string[]>;
  scripts: number;
}

/** Writes a set of workflow files and, untimed, the scripts the ShellCheck route would be given. */
function prepareSet(label: string, name: string, goal: number, files: { name: string; content: string }[]): WorkflowSet {
  const dir = join(work, name, '.github/workflows');
  mkdirSync(dir, { recursive: true });
  for (const file of files) writeFileSync(join(dir, file.name), file.content);
  const scriptsDir = join(work, name, 'scripts');
  mkdirSync(scriptsDir);
  const byShell: Record<'bash' | 'sh', string[]> = { bash: [], sh: [] };
  for (const file of readdirSync(dir).sort()) {
    extract(join(dir, file)).forEach((script, k) => {
      const path = join(scriptsDir, `${file}.${k}.sh`);
      writeFileSync(path, script.text);
      byShell[script.shell].push(path);
    });
  }
  return {
    label,
    goal,
    dir,
    files: files.length,
    bytes: files.reduce((n, f) => n + f.content.length, 0),
    byShell,
    scripts: byShell.bash.length + byShell.sh.length,
  };
}

// The labelled set: corpus and real-world pattern files repeated until there are FILES of them (small files).
const sources = labelled.filter((c) => c.path.endsWith('.yml'));
const corpusSet = prepareSet(
  `${FILES} corpus and pattern files, repeated`,
  'corpus',
  GOAL_CORPUS,
  Array.from({ length: FILES }, (_, i) => ({
    name: `w${String(i).padStart(4, '0')}.yml`,
    content: readFileSync(sources[i % sources.length]!.path, 'utf8'),
  })),
);
// Real-shaped: as many files as the survey of public repositories linted, with their sizes and structure.
const realFiles = realShapedWorkflows(REAL_FILES);
const realSet = prepareSet(`${REAL_FILES} real-shaped workflow files`, 'real', GOAL_REAL, realFiles);

function runProcess(command: string, args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', 'ignore', 'ignore'] });
    child.on('error', reject);
    child.on('close', () => resolve());
  });
}

async function timeHeredocLint(set: WorkflowSet, jobs: number): Promise<number> {
  const started = performance.now();
  await runProcess(process.execPath, [BIN, '--format', 'json', '--jobs', String(jobs), set.dir]);
  return performance.now() - started;
}

async function timeShellCheck(set: WorkflowSet, size: number): Promise<number> {
  const batches: string[][] = [];
  for (const shell of ['bash', 'sh'] as const) {
    for (let i = 0; i < set.byShell[shell].length; i += size)
      batches.push([`--shell=${shell}`, '--format=json1', ...set.byShell[shell].slice(i, i + size)]);
  }
  const started = performance.now();
  const workers = Array.from({ length: availableParallelism() }, async () => {
    for (let batch = batches.shift(); batch; batch = batches.shift()) await runProcess('shellcheck', batch);
  });
  await Promise.all(workers);
  return performance.now() - started;
}

interface Timing {
  ours: number[];
  oneThread: number[];
  theirs: number[];
  batched: number[];
}
const timings = new Map<WorkflowSet, Timing>([
  [corpusSet, { ours: [], oneThread: [], theirs: [], batched: [] }],
  [realSet, { ours: [], oneThread: [], theirs: [], batched: [] }],
]);
for (let run = 0; run < RUNS; run++) {
  for (const [set, timing] of timings) {
    // Which of the two heredoc-lint runs goes first alternates, so neither always meets the cache first.
    const lints: [number[], number][] = [
      [timing.ours, availableParallelism()],
      [timing.oneThread, 1],
    ];
    for (const [into, jobs] of run % 2 === 0 ? lints : lints.toReversed()) into.push(await timeHeredocLint(set, jobs));
    timing.theirs.push(await timeShellCheck(set, PER_SCRIPT));
    timing.batched.push(await timeShellCheck(set, BATCHED));
    console.log(
      `[bench] run ${run + 1}/${RUNS}, ${set.label}: heredoc-lint ${timing.ours.at(-1)!.toFixed(0)} ms (1 thread ${timing.oneThread.at(-1)!.toFixed(0)} ms), ShellCheck per script ${timing.theirs.at(-1)!.toFixed(0)} ms, batched ${timing.batched.at(-1)!.toFixed(0)} ms`,
    );
  }
}

// Where heredoc-lint's time goes on the real-shaped files, in one warm process: the YAML parse (GitHub's options)
// against the whole lint, round by round (a round's two passes run back to back, so a noisy moment hits both).
const SHARE_ROUNDS = 9;
const yamlShare: number[] = [];
for (let round = 0; round < SHARE_ROUNDS; round++) {
  let started = performance.now();
  for (const file of realFiles) parseDocument(file.content, { uniqueKeys: false });
  const parsing = performance.now() - started;
  started = performance.now();
  for (const file of realFiles) lintText(file.name, file.content);
  yamlShare.push(parsing / (performance.now() - started));
}

// Accuracy on the labelled cases.
function heredocLintFlags(path: string): boolean {
  const result = spawnSync(process.execPath, [BIN, '--format', 'json', '--fail-on', 'info', path], { encoding: 'utf8' });
  return (JSON.parse(result.stdout) as { findings: unknown[] }).findings.length > 0;
}
function shellCheckFlags(path: string): boolean {
  return extract(path).some((script) => {
    const file = join(work, 'case.sh');
    writeFileSync(file, script.text);
    const result = spawnSync('shellcheck', [`--shell=${script.shell}`, '--format=json1', file], { encoding: 'utf8' });
    const comments = (JSON.parse(result.stdout || '{"comments":[]}') as { comments: { code: number; level: string }[] }).comments;
    return comments.some((c) => SHELLCHECK_HEREDOC_CODES.has(c.code) || (c.code < 2000 && c.level === 'error'));
  });
}
function score(flags: (path: string) => boolean) {
  const tally = { tp: 0, fp: 0, fn: 0, tn: 0, missed: [] as string[], falseAlarms: [] as string[] };
  for (const c of labelled) {
    const flagged = flags(c.path);
    const name = relative(root, c.path);
    if (flagged && !c.valid) tally.tp++;
    else if (flagged) {
      tally.fp++;
      tally.falseAlarms.push(name);
    } else if (!c.valid) {
      tally.fn++;
      tally.missed.push(name);
    } else tally.tn++;
  }
  return { ...tally, precision: tally.tp / (tally.tp + tally.fp || 1), recall: tally.tp / (tally.tp + tally.fn || 1) };
}
const accuracy = { heredocLint: score(heredocLintFlags), shellCheck: score(shellCheckFlags) };

const pct = (x: number) => `${(x * 100).toFixed(1)}%`;
const speed = [...timings].map(([set, t]) => {
  const ours = median(t.ours);
  const oneThread = median(t.oneThread);
  const theirs = median(t.theirs);
  const batched = median(t.batched);
  return {
    label: set.label,
    files: set.files,
    kilobytes: Math.round(set.bytes / 1024),
    scripts: set.scripts,
    heredocLintMs: { median: ours, runs: t.ours },
    heredocLintOneThreadMs: { median: oneThread, runs: t.oneThread },
    shellCheckMs: { median: theirs, runs: t.theirs },
    shellCheckBatchedMs: { median: batched, runs: t.batched },
    speedup: theirs / ours,
    speedupOneThread: theirs / oneThread,
    speedupOverBatched: batched / ours,
    goal: set.goal,
    goalMet: theirs / ours >= set.goal,
  };
});
const strictlyBetter =
  accuracy.heredocLint.precision >= accuracy.shellCheck.precision &&
  accuracy.heredocLint.recall >= accuracy.shellCheck.recall &&
  (accuracy.heredocLint.precision > accuracy.shellCheck.precision || accuracy.heredocLint.recall > accuracy.shellCheck.recall);
const share = { median: median(yamlShare), min: Math.min(...yamlShare), max: Math.max(...yamlShare) };
const result = {
  date: new Date().toISOString(),
  node: process.version,
  shellcheck: shellcheckVersion,
  cores: availableParallelism(),
  runs: RUNS,
  labelledCases: labelled.length,
  speed,
  yamlParseShareOfLint: share,
  accuracyGoalMet: strictlyBetter,
  accuracy,
};
mkdirSync(join(root, 'bench/results'), { recursive: true });
writeFileSync(join(root, 'bench/results/heredoc.json'), `${JSON.stringify(result, null, 2)}\n`);
const rows = speed.flatMap((s) => [
  `| ${s.label} (${s.kilobytes} KB, ${s.scripts} run: scripts) | ${s.heredocLintMs.median.toFixed(0)} ms (${Math.min(...s.heredocLintMs.runs).toFixed(0)}–${Math.max(...s.heredocLintMs.runs).toFixed(0)}) | ` +
    `${s.heredocLintOneThreadMs.median.toFixed(0)} ms (${s.speedupOneThread.toFixed(1)}×) | ` +
    `${s.shellCheckMs.median.toFixed(0)} ms (${Math.min(...s.shellCheckMs.runs).toFixed(0)}–${Math.max(...s.shellCheckMs.runs).toFixed(0)}) | ${s.shellCheckBatchedMs.median.toFixed(0)} ms | ` +
    `**${s.speedup.toFixed(1)}×** (goal ≥ ${s.goal}×: ${s.goalMet ? 'met' : 'missed'}) | ${s.speedupOverBatched.toFixed(1)}× |`,
]);
const markdown = `# heredoc-lint vs the ShellCheck route

Median of ${RUNS} interleaved runs, ${availableParallelism()} cores, Node ${process.version}, ShellCheck ${shellcheckVersion}. heredoc-lint runs as one
process over the folder, on a thread per core (and, for comparison, on one thread, \`--jobs 1\`); ShellCheck gets the scripts actionlint would extract, one process a script as actionlint runs it,
${availableParallelism()} at once (and, as its best case, ${BATCHED} scripts a process, which no workflow linter does).

| workflow files | heredoc-lint | heredoc-lint, 1 thread (speed-up) | ShellCheck, a process a script | ShellCheck, ${BATCHED} a process | speed-up | over batched |
| --- | ---: | ---: | ---: | ---: | ---: | ---: |
${rows.join('\n')}

The real-shaped files (\`bench/realshaped.ts\`: generated, with the sizes and structure of public workflows: median
${Math.round(realFiles.map((f) => f.content.length).sort((a, b) => a - b)[realFiles.length >> 1]! / 1024)} KB, jobs with matrices, env and \`with:\` blocks, run: scripts from one line to forty, a quarter of the files with a
heredoc) hold more YAML per script than the corpus. **The YAML parse is ${pct(share.median)} of heredoc-lint's time on them**
(${pct(share.min)}–${pct(share.max)} over ${SHARE_ROUNDS} warm rounds), with GitHub's own parser options (strict, as @actions/workflow-parser reads).

| accuracy on ${labelled.length} labelled cases | precision | recall | missed | false alarms |
| --- | ---: | ---: | --- | --- |
| heredoc-lint | ${pct(accuracy.heredocLint.precision)} | ${pct(accuracy.heredocLint.recall)} | ${accuracy.heredocLint.missed.length} | ${accuracy.heredocLint.falseAlarms.length} |
| ShellCheck | ${pct(accuracy.shellCheck.precision)} | ${pct(accuracy.shellCheck.recall)} | ${accuracy.shellCheck.missed.length} | ${accuracy.shellCheck.falseAlarms.length} |

**Accuracy: ${strictlyBetter ? 'strictly better' : 'not strictly better'}.**

ShellCheck missed: ${accuracy.shellCheck.missed.map((m) => `\`${m.replace(/^packages\/heredoc\//, '')}\``).join(', ') || 'none'}.

ShellCheck false alarms: ${accuracy.shellCheck.falseAlarms.map((m) => `\`${m.replace(/^packages\/heredoc\//, '')}\``).join(', ') || 'none'}.
`;
writeFileSync(join(root, 'bench/results/heredoc.md'), markdown);
console.log(markdown);
