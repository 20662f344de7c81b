#!/usr/bin/env node
/**
 * heredoc-lint against the ShellCheck route (what actionlint does: take each run: script out of the
 * workflow, replace ${{ }} with underscores of the same length, and run ShellCheck on it).
 *
 * Speed: FILES workflow files (the labelled corpus and the real-world patterns, repeated), linted by the
 * heredoc-lint command in one process, against ShellCheck on the extracted scripts with one process per
 * script, as actionlint runs it, on every core. A second baseline hands ShellCheck 50 scripts a process,
 * which no linter of workflows does but which is ShellCheck's best case. Only ShellCheck's own processes
 * are timed on its side; extracting and writing the scripts is free. Runs are interleaved and the median
 * of RUNS is reported as a ratio.
 *
 * Accuracy: precision and recall of both tools on the labelled corpus (labels confirmed by bash in
 * packages/heredoc/corpus.test.ts) plus the real-world patterns (all valid). ShellCheck counts as flagging a
 * case when it reports any of its here-document checks or a parse error.
 *
 *   npm run bench:heredoc [-- --runs N --files N]
 * Writes bench/results/heredoc.json and heredoc.md. Installs ShellCheck from Debian's packages if missing.
 */
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { parse } from 'yaml';
import { median } from '../packages/stats/index.ts';

const flag = (name: string, fallback: number) => {
  const at = process.argv.indexOf(name);
  return at > 0 ? Number(process.argv[at + 1]) : fallback;
};
const RUNS = flag('--runs', 3);
const FILES = flag('--files', 1000);
const GOAL_RATIO = 20;
/** Scripts per ShellCheck process: 1 is what actionlint does; 50 is ShellCheck's best case. */
const PER_SCRIPT = 1;
const BATCHED = 50;
/** ShellCheck's here-document checks (wiki SC1039–SC1044, SC1118–SC1122). */
const SHELLCHECK_HEREDOC_CODES = new Set([1039, 1040, 1041, 1042, 1043, 1044, 1118, 1119, 1120, 1121, 1122]);

const root = join(import.meta.dirname, '..');
const CORPUS = join(root, 'packages/heredoc/corpus');
const REALWORLD = join(root, 'packages/heredoc/realworld/.github/workflows');
const BIN = join(root, 'packages/cli/bin/heredoc-lint.cjs');

if (spawnSync('shellcheck', ['--version']).status !== 0) {
  console.log('[bench] installing shellcheck from Debian packages');
  execFileSync('bash', ['-c', 'apt-get -o DPkg::Lock::Timeout=300 update -qq && DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=300 install -y -qq shellcheck'], { stdio: 'inherit' });
}
const shellcheckVersion = /version: (\S+)/.exec(execFileSync('shellcheck', ['--version'], { encoding: 'utf8' }))![1]!;

interface Case { path: string; valid: boolean }
const listFiles = (directory: string): string[] => readdirSync(directory, { withFileTypes: true })
  .flatMap((e) => (e.isDirectory() ? listFiles(join(directory, e.name)) : [join(directory, e.name)])).sort();
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
  return jobs.flatMap((job) => (job.steps ?? []).filter((s: any) => typeof s.run === 'string').map((s: any) => ({
    text: (s.run as string).replace(/\$\{\{[\s\S]*?\}\}/g, (e) => '_'.repeat(e.length)),
    shell: [s.shell, job.defaults?.run?.shell, document.defaults?.run?.shell].find(Boolean) === 'sh' ? 'sh' as const : 'bash' as const,
  })));
}

const work = mkdtempSync(join(tmpdir(), 'heredoc-bench-'));
process.on('exit', () => rmSync(work, { recursive: true, force: true }));

// The workflow set: corpus and real-world workflow files repeated until there are FILES of them.
const sources = labelled.filter((c) => c.path.endsWith('.yml'));
const workflows = join(work, '.github/workflows');
mkdirSync(workflows, { recursive: true });
for (let i = 0; i < FILES; i++) cpSync(sources[i % sources.length]!.path, join(workflows, `w${String(i).padStart(4, '0')}.yml`));

// The ShellCheck route's input, written once, untimed.
const scriptsDir = join(work, 'scripts');
mkdirSync(scriptsDir);
const byShell: Record<'bash' | 'sh', string[]> = { bash: [], sh: [] };
for (const file of readdirSync(workflows).sort()) {
  extract(join(workflows, file)).forEach((script, k) => {
    const path = join(scriptsDir, `${file}.${k}.sh`);
    writeFileSync(path, script.text);
    byShell[script.shell].push(path);
  });
}
const scriptCount = byShell.bash.length + byShell.sh.length;

function runProcess(command: string, args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', 'ignore', 'ignore'] });
    child.on('error', reject);
    child.on('close', () => resolve());
  });
}

async function timeHeredocLint(): Promise<number> {
  const started = performance.now();
  await runProcess(process.execPath, [BIN, '--format', 'json', workflows]);
  return performance.now() - started;
}

async function timeShellCheck(size: number): Promise<number> {
  const batches: string[][] = [];
  for (const shell of ['bash', 'sh'] as const) {
    for (let i = 0; i < byShell[shell].length; i += size) batches.push([`--shell=${shell}`, '--format=json1', ...byShell[shell].slice(i, i + size)]);
  }
  const started = performance.now();
  const workers = Array.from({ length: availableParallelism() }, async () => {
    for (let batch = batches.shift(); batch; batch = batches.shift()) await runProcess('shellcheck', batch);
  });
  await Promise.all(workers);
  return performance.now() - started;
}

const ours: number[] = [];
const theirs: number[] = [];
const batched: number[] = [];
for (let run = 0; run < RUNS; run++) {
  ours.push(await timeHeredocLint());
  theirs.push(await timeShellCheck(PER_SCRIPT));
  batched.push(await timeShellCheck(BATCHED));
  console.log(`[bench] run ${run + 1}/${RUNS}: heredoc-lint ${ours.at(-1)!.toFixed(0)} ms, ShellCheck per script ${theirs.at(-1)!.toFixed(0)} ms, batched ${batched.at(-1)!.toFixed(0)} ms`);
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
    else if (flagged) { tally.fp++; tally.falseAlarms.push(name); } else if (!c.valid) { tally.fn++; tally.missed.push(name); } else tally.tn++;
  }
  return { ...tally, precision: tally.tp / (tally.tp + tally.fp || 1), recall: tally.tp / (tally.tp + tally.fn || 1) };
}
const accuracy = { heredocLint: score(heredocLintFlags), shellCheck: score(shellCheckFlags) };

const ourMedian = median(ours);
const theirMedian = median(theirs);
const ratio = theirMedian / ourMedian;
const batchedMedian = median(batched);
const strictlyBetter = accuracy.heredocLint.precision >= accuracy.shellCheck.precision && accuracy.heredocLint.recall >= accuracy.shellCheck.recall &&
  (accuracy.heredocLint.precision > accuracy.shellCheck.precision || accuracy.heredocLint.recall > accuracy.shellCheck.recall);
const pct = (x: number) => `${(x * 100).toFixed(1)}%`;
const result = {
  date: new Date().toISOString(), node: process.version, shellcheck: shellcheckVersion, cores: availableParallelism(), runs: RUNS,
  workflowFiles: FILES, scripts: scriptCount, labelledCases: labelled.length,
  heredocLintMs: { median: ourMedian, runs: ours }, shellCheckMs: { median: theirMedian, runs: theirs },
  shellCheckBatchedMs: { median: batchedMedian, runs: batched }, speedup: ratio, speedupOverBatched: batchedMedian / ourMedian, goalSpeedup: GOAL_RATIO, speedGoalMet: ratio >= GOAL_RATIO, accuracyGoalMet: strictlyBetter,
  accuracy,
};
mkdirSync(join(root, 'bench/results'), { recursive: true });
writeFileSync(join(root, 'bench/results/heredoc.json'), `${JSON.stringify(result, null, 2)}\n`);
const markdown = `# heredoc-lint vs the ShellCheck route

${FILES} workflow files (${scriptCount} run: scripts), median of ${RUNS} interleaved runs, ${availableParallelism()} cores, Node ${process.version}, ShellCheck ${shellcheckVersion}.

| | wall time (median) | precision | recall | missed | false alarms |
| --- | ---: | ---: | ---: | --- | --- |
| heredoc-lint (one process) | ${ourMedian.toFixed(0)} ms | ${pct(accuracy.heredocLint.precision)} | ${pct(accuracy.heredocLint.recall)} | ${accuracy.heredocLint.missed.length} | ${accuracy.heredocLint.falseAlarms.length} |
| ShellCheck on extracted scripts, one process a script as actionlint runs it, ${availableParallelism()} at once | ${theirMedian.toFixed(0)} ms | ${pct(accuracy.shellCheck.precision)} | ${pct(accuracy.shellCheck.recall)} | ${accuracy.shellCheck.missed.length} | ${accuracy.shellCheck.falseAlarms.length} |
| ShellCheck, ${BATCHED} scripts a process (its best case; no workflow linter runs it so) | ${batchedMedian.toFixed(0)} ms | same | same | | |

**Speed: ${ratio.toFixed(1)}× faster** than the actionlint route (goal ≥ ${GOAL_RATIO}×: ${ratio >= GOAL_RATIO ? 'met' : 'missed'}); ${(batchedMedian / ourMedian).toFixed(1)}× faster than ShellCheck's batched best case. **Accuracy: ${strictlyBetter ? 'strictly better' : 'not strictly better'}** on ${labelled.length} labelled cases.

ShellCheck missed: ${accuracy.shellCheck.missed.map((m) => `\`${m.replace(/^packages\/heredoc\//, '')}\``).join(', ') || 'none'}.

ShellCheck false alarms: ${accuracy.shellCheck.falseAlarms.map((m) => `\`${m.replace(/^packages\/heredoc\//, '')}\``).join(', ') || 'none'}.
`;
writeFileSync(join(root, 'bench/results/heredoc.md'), markdown);
console.log(markdown);
