/**
 * The labelled corpus: every case's label is confirmed by running bash (and dash where the label names it),
 * and the linter must agree with every label: precision and recall 100%.
 *
 * A case is valid when the shell runs it to its last line (`echo DONE`) with exit 0, without a
 * here-document warning, and, for workflows, without running, or ending early on, a hostile `${{ }}` value.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { applyEdits, lintText } from './lint.ts';
import { DEFAULT_SCRIPT_INPUTS } from './sources.ts';

const CORPUS = join(import.meta.dirname, 'corpus');
/** What a secret, input or event value could hold: a command substitution, and lines equal to common delimiters. */
const HOSTILE_VALUE = 'x$(touch INJECTED)`touch INJECTED`\nEOF\nEND\ntouch EARLY';
/** Files the hostile value creates if bash runs it: executed, or ended the heredoc early. */
const CANARIES = ['INJECTED', 'EARLY'];
const HAZARDOUS = /^(secrets|inputs)\.|^github\.event\.|^github\.head_ref\b/;
/** Event data is written by outsiders who read the public workflow: they also know its delimiters. */
const UNTRUSTED = /^github\.event\.|^github\.head_ref\b/;

interface Label {
  valid: boolean;
  rules: string[];
  dash?: boolean;
}

interface Script {
  text: string;
  shell: 'bash' | 'sh';
  /** The step's env:, as GitHub passes it (its expressions substituted like the script's). */
  env?: Record<string, string>;
}

function corpusFiles(directory = CORPUS): string[] {
  return readdirSync(directory, { withFileTypes: true })
    .flatMap((entry) => (entry.isDirectory() ? corpusFiles(join(directory, entry.name)) : [join(directory, entry.name)]))
    .sort();
}

function readLabel(content: string, file: string): Label {
  const match = /^# corpus: (valid|invalid)((?: [\w=]+)*)\r?$/m.exec(content);
  if (!match) throw new Error(`${file} has no "# corpus:" label`);
  const words = match[2]!.trim().split(' ').filter(Boolean);
  const dash = words.find((w) => w.startsWith('dash='));
  return {
    valid: match[1] === 'valid',
    rules: words.filter((w) => /^HD\d+$/.test(w)).sort(),
    dash: dash ? dash === 'dash=valid' : undefined,
  };
}

/** The scripts GitHub would run, read with a plain YAML parse (independent of the linter's own reconstruction). */
function scriptsOf(file: string, content: string): Script[] {
  if (!/\.ya?ml$/.test(file)) return [{ text: content, shell: content.startsWith('#!/bin/sh') ? 'sh' : 'bash' }];
  const document = parse(content) as Record<string, any>;
  const shellOf = (...declared: (string | undefined)[]) => (declared.find(Boolean) === 'sh' ? 'sh' : 'bash');
  const steps: Script[] = [];
  const jobs: Record<string, any>[] = document.jobs ? Object.values(document.jobs) : [{ steps: document.runs.steps }];
  for (const job of jobs) {
    for (const step of job.steps ?? []) {
      if (typeof step.run === 'string')
        steps.push({
          text: step.run,
          shell: shellOf(step.shell, job.defaults?.run?.shell, document.defaults?.run?.shell),
          env: Object.fromEntries(Object.entries(step.env ?? {}).map(([name, value]) => [name, String(value)])),
        });
      // with: inputs run as shell, here by the local shell: the remote-shell actions' scripts by bash (input names
      // ignore case), post-deploy line by line by sh.
      for (const spec of DEFAULT_SCRIPT_INPUTS.filter((s) => !s.perLine)) {
        if (!new RegExp(`(^|/)${spec.action}@`, 'i').test(step.uses ?? '')) continue;
        const value = Object.entries(step.with ?? {}).find(([name]) => name.toLowerCase() === spec.input.toLowerCase())?.[1];
        if (typeof value === 'string') steps.push({ text: value, shell: 'bash' });
      }
      if (/\/deploy-container@/.test(step.uses ?? '') && typeof step.with?.['post-deploy'] === 'string') {
        for (const line of step.with['post-deploy'].split('\n').filter((l: string) => l.trim() !== ''))
          steps.push({ text: line, shell: 'sh' });
      }
    }
  }
  return steps;
}

/** GitHub substitutes expressions as text before the shell starts; `delimiters` are the script's own, for event data. */
function substitute(text: string, hostile: boolean, delimiters: readonly string[]): string {
  return text.replace(/\$\{\{\s*([^}]*?)\s*\}\}/g, (_, expression: string) => {
    if (!hostile || !HAZARDOUS.test(expression)) return 'v1';
    return UNTRUSTED.test(expression) ? [HOSTILE_VALUE, ...delimiters, 'touch EARLY'].join('\n') : HOSTILE_VALUE;
  });
}

/** Every heredoc delimiter word the script uses, unquoted. */
function delimitersOf(script: string): string[] {
  return [...new Set([...script.matchAll(/<<-?[ \t]*['"\\]?([\w.-]+)/g)].map((match) => match[1]!))];
}

const work = mkdtempSync(join(tmpdir(), 'heredoc-corpus-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** Runs a script as GitHub runs a step: bash --noprofile --norc -eo pipefail, or sh -e, with the step's env. */
function runsCleanly(script: string, shell: 'bash' | 'sh', env: Record<string, string> = {}): boolean {
  const path = join(work, 'step.sh');
  writeFileSync(path, script);
  for (const canary of CANARIES) rmSync(join(work, canary), { force: true });
  const argv =
    shell === 'bash' ? (['bash', ['--noprofile', '--norc', '-eo', 'pipefail', path]] as const) : (['dash', ['-e', path]] as const);
  const result = spawnSync(argv[0], argv[1], {
    cwd: work,
    encoding: 'utf8',
    // The runner gives every step a job summary file.
    env: { ...env, PATH: process.env.PATH, HOME: work, GITHUB_STEP_SUMMARY: join(work, 'summary.md') },
    timeout: 10_000,
  });
  const lines = result.stdout.trimEnd().split('\n');
  return (
    result.status === 0 &&
    lines[lines.length - 1] === 'DONE' &&
    !/here-document/.test(result.stderr) &&
    !CANARIES.some((canary) => existsSync(join(work, canary)))
  );
}

function shellVerdict(scripts: readonly Script[], override?: 'sh'): boolean {
  return scripts.every((s) =>
    [false, true].every((hostile) => {
      const delimiters = delimitersOf(s.text);
      const env = Object.fromEntries(Object.entries(s.env ?? {}).map(([name, value]) => [name, substitute(value, hostile, delimiters)]));
      return runsCleanly(substitute(s.text, hostile, delimiters), override ?? s.shell, env);
    }),
  );
}

const files = corpusFiles();
const tally = { truePositive: 0, falsePositive: 0, falseNegative: 0, trueNegative: 0 };

describe('heredoc corpus', () => {
  it('holds at least 40 cases, in workflows, actions and shell scripts', () => {
    expect(files.length).toBeGreaterThanOrEqual(40);
    expect(files.some((f) => f.endsWith('.sh'))).toBe(true);
    expect(files.some((f) => f.endsWith('action.yml'))).toBe(true);
    expect(files.filter((f) => f.endsWith('.yml')).length).toBeGreaterThanOrEqual(20);
  });

  describe.each(files.map((f) => relative(CORPUS, f)))('%s', (name) => {
    const content = readFileSync(join(CORPUS, name), 'utf8');
    const label = readLabel(content, name);
    const scripts = scriptsOf(name, content);

    it(`is labelled as bash itself runs it (${label.valid ? 'valid' : 'invalid'})`, () => {
      expect(scripts.length).toBeGreaterThan(0);
      expect(shellVerdict(scripts)).toBe(label.valid);
      if (label.dash !== undefined) expect(shellVerdict(scripts, 'sh'), 'dash').toBe(label.dash);
    });

    it(`gets exactly the labelled findings: ${label.rules.join(', ') || 'none'}`, () => {
      const found = [...new Set(lintText(name, content).findings.map((f) => f.rule))].sort();
      expect(found).toEqual(label.rules);
      const flagged = found.length > 0;
      if (flagged && !label.valid) tally.truePositive++;
      else if (flagged) tally.falsePositive++;
      else if (!label.valid) tally.falseNegative++;
      else tally.trueNegative++;
    });
  });

  // Where every finding of an invalid case has a mechanical fix, applying the fixes must give a script the shell runs cleanly.
  const fixable = files
    .map((f) => relative(CORPUS, f))
    .filter((name) => {
      const content = readFileSync(join(CORPUS, name), 'utf8');
      const result = lintText(name, content);
      return !readLabel(content, name).valid && result.findings.length > 0 && result.edits.every(Boolean);
    });
  it.each(fixable)('%s: --fix gives a script the shell runs cleanly', (name) => {
    const content = readFileSync(join(CORPUS, name), 'utf8');
    const fixed = applyEdits(content, lintText(name, content).edits).content;
    expect(shellVerdict(scriptsOf(name, fixed))).toBe(true);
    expect(lintText(name, fixed).findings).toEqual([]);
  });

  it('has fixes that work for at least ten invalid cases', () => {
    expect(fixable.length).toBeGreaterThanOrEqual(10);
  });

  it('has precision and recall of 100% over the whole corpus', () => {
    const { truePositive, falsePositive, falseNegative } = tally;
    expect(truePositive + falsePositive + falseNegative + tally.trueNegative).toBe(files.length);
    expect({ precision: truePositive / (truePositive + falsePositive), recall: truePositive / (truePositive + falseNegative) }).toEqual({
      precision: 1,
      recall: 1,
    });
  });
});
