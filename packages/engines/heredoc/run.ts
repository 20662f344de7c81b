// Lints a list of files (and fixes them), shared by the CLI and the action.
import { readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { applyEdits, atOrAbove, type FileResult, type Finding, type LintOptions, lintText } from './lint.ts';
import type { Severity } from './rules.ts';
import { UserError } from '#errors/index';

export interface FileAccess {
  read(path: string): string;
  write(path: string, content: string): void;
}

export const nodeFileAccess = (cwd: string): FileAccess => ({
  read: (path) => readFileSync(resolve(cwd, path), 'utf8'),
  write: (path, content) => writeFileSync(resolve(cwd, path), content),
});

export class ReadError extends UserError {}

export interface LintRun {
  results: FileResult[];
  findings: Finding[];
  /** Findings --fix fixed, uncovered ones included. */
  fixed: number;
  fixedFiles: string[];
}

/** One file's lint, and what --fix did to it. */
export interface FileOutcome {
  result: FileResult;
  /** Findings --fix fixed, over as many rounds as it took. */
  fixed: number;
  rewritten: boolean;
}

/** Reads, lints and (with fix) repairs one file; an unreadable file is a ReadError. */
export function lintFile(file: string, access: FileAccess, options: LintOptions & { fix: boolean }): FileOutcome {
  let content: string;
  try {
    content = access.read(file);
  } catch (error) {
    throw new ReadError(`cannot read ${file}: ${(error as Error).message}`);
  }
  let result = lintText(file, content, options);
  if (!options.fix) return { result, fixed: 0, rewritten: false };
  // A fix can uncover the next defect (a repaired terminator hands the lines after it back to the shell, and
  // they may hold another broken heredoc), so fix until nothing fixable is left; each applied group is one fix.
  let fixed = 0;
  let repaired = content;
  for (let round = 0; round < MAX_FIX_ROUNDS && result.edits.some(Boolean); round++) {
    const { content: next, applied } = applyEdits(repaired, result.edits);
    if (applied === 0 || next === repaired) break;
    fixed += applied;
    repaired = next;
    result = lintText(file, repaired, options);
  }
  if (fixed > 0) access.write(file, repaired);
  return { result, fixed, rewritten: fixed > 0 };
}

/** Rounds of fixing one file: each round fixes at least one finding, so this only stops a runaway. */
const MAX_FIX_ROUNDS = 50;

/** A run's totals from its files' outcomes, in the order the files were named. */
export function collectRun(outcomes: readonly FileOutcome[]): LintRun {
  const results = outcomes.map((o) => o.result);
  return {
    results,
    findings: results.flatMap((r) => r.findings),
    fixed: outcomes.reduce((n, o) => n + o.fixed, 0),
    fixedFiles: outcomes.filter((o) => o.rewritten).map((o) => o.result.file),
  };
}

export function lintFiles(files: readonly string[], access: FileAccess, options: LintOptions & { fix: boolean }): LintRun {
  return collectRun(files.map((file) => lintFile(file, access, options)));
}

export function failing(findings: readonly Finding[], failOn: Severity): Finding[] {
  return findings.filter((f) => atOrAbove(f, failOn));
}
