import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { envInputSource, InputError, InputReader, type RawInputSource } from '#inputs/index';
import { type Logger } from '#log/index';
import { coreLogger } from '#log/core';
import { settleStep } from '#log/action';
import { type ActionReporter } from '#log/reporter';
import { coreReporter } from '#log/reporter-core';
import { DEFAULT_PATTERNS, expandPaths, PathError } from '#heredoc/files';
import { annotationsOf, type Format, FORMATS, render } from '#heredoc/format';
import { type FileAccess, failing, lintFiles, nodeFileAccess } from '#heredoc/run';
import type { Severity } from '#heredoc/rules';
import { DEFAULT_SCRIPT_INPUTS, parseScriptInput, type ScriptInput, ScriptInputError } from '#heredoc/sources';
import { summaryMarkdown } from './report.ts';

export interface HeredocLintDependencies {
  inputs: RawInputSource;
  logger: Logger;
  reporter: ActionReporter;
  /** The workspace the paths are relative to. */
  cwd: string;
  files: FileAccess;
}

export interface HeredocLintInputs {
  paths: string[];
  format: Format;
  sarifFile: string;
  failOn: Severity;
  scriptInputs: ScriptInput[];
  scriptCommands: string[];
}

export function readHeredocLintInputs(reader: InputReader): HeredocLintInputs {
  const paths = reader.list('paths');
  // The input's default (action.yml) is the default globs, which may match nothing in a repository: only
  // globs a user named must match a file.
  const named = paths.length > 0 && paths.join('\n') !== DEFAULT_PATTERNS.join('\n');
  return {
    paths: named ? paths : DEFAULT_PATTERNS,
    format: reader.oneOf('format', FORMATS, 'github'),
    sarifFile: reader.string('sarif-file'),
    failOn: reader.oneOf('fail-on', ['error', 'warning', 'info'] as const, 'warning'),
    scriptInputs: reader.list('script-inputs').map((spec) => {
      try {
        return parseScriptInput(spec);
      } catch (error) {
        if (error instanceof ScriptInputError) throw new InputError('script-inputs', error.message);
        throw error;
      }
    }),
    scriptCommands: reader.list('script-commands').map((name) => {
      if (!/^[\w.+-]+$/.test(name)) throw new InputError('script-commands', `"${name}" is not a command name`);
      return name;
    }),
  };
}

/** The action as the runner (and @github/local-action) runs it: production dependencies. */
export function run(): Promise<boolean> {
  const cwd = process.env.GITHUB_WORKSPACE || process.cwd();
  return runHeredocLint({ inputs: envInputSource(), logger: coreLogger, reporter: coreReporter, cwd, files: nodeFileAccess(cwd) });
}

/** Lints the files and reports; returns whether the step passed. */
export async function runHeredocLint(deps: HeredocLintDependencies): Promise<boolean> {
  const { logger, reporter } = deps;
  return settleStep('heredoc-lint', deps, async () => {
    const config = readHeredocLintInputs(new InputReader(deps.inputs));
    let files: string[];
    try {
      files = expandPaths(config.paths, deps.cwd, undefined, { named: config.paths !== DEFAULT_PATTERNS });
    } catch (error) {
      if (error instanceof PathError) throw new InputError('paths', error.message);
      throw error;
    }
    const lint = lintFiles(files, deps.files, {
      fix: false,
      scriptInputs: [...DEFAULT_SCRIPT_INPUTS, ...config.scriptInputs],
      scriptCommands: new Set(config.scriptCommands),
    });
    const linted = lint.results.filter((r) => r.kind !== 'skipped');
    logger.info(
      `Linted ${linted.length} file(s) (${lint.results.reduce((n, r) => n + r.scripts, 0)} script(s)); ${lint.findings.length} finding(s)`,
    );
    if (config.format === 'github') {
      for (const annotation of annotationsOf(lint.findings)) logger.annotate(annotation);
    } else {
      const rendered = render(config.format, lint.findings);
      for (const line of rendered.replace(/\n$/, '').split('\n')) if (line !== '') logger.info(line);
    }

    if (config.sarifFile) {
      const target = resolve(deps.cwd, config.sarifFile);
      try {
        mkdirSync(dirname(target), { recursive: true });
        writeFileSync(target, render('sarif', lint.findings));
      } catch (error) {
        throw new InputError('sarif-file', `cannot write ${config.sarifFile}: ${(error as Error).message}`);
      }
      logger.info(`SARIF written to ${config.sarifFile}`);
    }
    const count = (severity: Severity) => String(lint.findings.filter((f) => f.severity === severity).length);
    reporter.setOutput('findings', String(lint.findings.length));
    reporter.setOutput('errors', count('error'));
    reporter.setOutput('warnings', count('warning'));
    reporter.setOutput('files', String(linted.length));
    await reporter.writeSummary(summaryMarkdown(lint.findings, linted.length));

    const failures = failing(lint.findings, config.failOn);
    if (failures.length > 0) {
      reporter.setFailed(
        `heredoc-lint found ${failures.length} heredoc problem(s) at or above ${config.failOn}; the first: ` +
          `${failures[0]!.file}:${failures[0]!.line}:${failures[0]!.column} ${failures[0]!.rule}`,
      );
      return false;
    }
    return true;
  });
}
