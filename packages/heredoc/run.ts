// Lints a list of files (and fixes them), shared by the CLI and the action.
import { readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { applyEdits, atOrAbove, type FileResult, type Finding, type LintOptions, lintText } from './lint.ts';
import type { Severity } from './rules.ts';
import { UserError } from '../errors/index.ts';

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
  /** Findings removed by --fix. */
  fixed: number;
  fixedFiles: string[];
}

export function lintFiles(files: readonly string[], access: FileAccess, options: LintOptions & { fix: boolean }): LintRun {
  const results: FileResult[] = [];
  let fixed = 0;
  const fixedFiles: string[] = [];
  for (const file of files) {
    let content: string;
    try {
      content = access.read(file);
    } catch (error) {
      throw new ReadError(`cannot read ${file}: ${(error as Error).message}`);
    }
    let result = lintText(file, content, options);
    if (options.fix && result.edits.some(Boolean)) {
      const { content: repaired, applied } = applyEdits(content, result.edits);
      if (applied > 0) {
        access.write(file, repaired);
        const after = lintText(file, repaired, options);
        fixed += result.findings.length - after.findings.length;
        fixedFiles.push(file);
        result = after;
      }
    }
    results.push(result);
  }
  return { results, findings: results.flatMap((r) => r.findings), fixed, fixedFiles };
}

export function failing(findings: readonly Finding[], failOn: Severity): Finding[] {
  return findings.filter((f) => atOrAbove(f, failOn));
}
