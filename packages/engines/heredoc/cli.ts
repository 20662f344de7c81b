// The heredoc-lint command line: argument parsing, output and exit codes (0 clean, 1 findings, 2 usage or I/O).
import { availableParallelism } from 'node:os';
import { parseCommandLine, UsageError } from '#args/index';
import { expandPaths, DEFAULT_PATTERNS, PathError } from './files.ts';
import { type Format, FORMATS, render, TOOL_VERSION } from './format.ts';
import { type FileAccess, failing, lintFiles, type LintRun, ReadError } from './run.ts';
import { lintFilesInThreads, MIN_BYTES_PER_THREAD, threadsFor } from './threads.ts';
import type { Severity } from './rules.ts';
import { DEFAULT_SCRIPT_INPUTS, parseScriptInput, type ScriptInput, ScriptInputError } from './sources.ts';

const MIN_MIB = MIN_BYTES_PER_THREAD / 1024 / 1024;

export interface CliIo {
  cwd: string;
  files: FileAccess;
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  /**
   * A script that serves lint work when loaded in a worker thread (serveLintWorker). With it, a long list of
   * files is linted on up to --jobs threads, reading and writing them with node:fs; without it, `files` on one.
   */
  workerEntry?: string;
}

const SEVERITIES: readonly Severity[] = ['error', 'warning', 'info'];

export const USAGE = `usage: heredoc-lint [--format text|json|sarif|github] [--fix] [--fail-on error|warning|info]
                    [--script-input ACTION:INPUT]... [--script-command NAME]... [--jobs N]
                    [PATHS...]

Finds heredocs whose terminator bash will not see where the author meant it, in workflow
run: blocks, composite actions and shell scripts. PATHS are files, directories or globs;
without them: ${DEFAULT_PATTERNS.join(' ')}

Also linted: the with: inputs that actions run as shell (${DEFAULT_SCRIPT_INPUTS.map((s) => `${s.action}:${s.input}`).join(', ')};
add more with --script-input), and the bodies fed to a shell, ssh or docker/kubectl exec (add
commands whose standard input is a script with --script-command).

--jobs N lints on up to N threads (default: one per core); a thread is started only for
every ${MIN_MIB} MiB of input, so a few files are linted on one.

Exit status: 0 clean, 1 a finding at or above --fail-on (default warning), 2 usage or I/O error.
Suppress one heredoc's findings with a comment on its line: # heredoc-lint disable=HD004
`;

interface CliOptions {
  format: Format;
  fix: boolean;
  failOn: Severity;
  paths: string[];
  scriptInputs: ScriptInput[];
  scriptCommands: string[];
  jobs: number;
}

function parseArguments(argv: readonly string[]): CliOptions | 'help' | 'version' {
  const { values, positionals } = parseCommandLine(
    argv,
    {
      help: { type: 'boolean', short: 'h' },
      version: { type: 'boolean' },
      fix: { type: 'boolean' },
      format: { type: 'string', short: 'f' },
      'fail-on': { type: 'string' },
      'script-input': { type: 'string', multiple: true },
      'script-command': { type: 'string', multiple: true },
      jobs: { type: 'string', short: 'j' },
    },
    true,
  );
  if (values.help) return 'help';
  if (values.version) return 'version';
  const format = values.format ?? 'text';
  if (!(FORMATS as readonly string[]).includes(format))
    throw new UsageError(`--format must be one of ${FORMATS.join(', ')}, not "${format}"`);
  const failOn = values['fail-on'] ?? 'warning';
  if (!(SEVERITIES as readonly string[]).includes(failOn))
    throw new UsageError(`--fail-on must be one of ${SEVERITIES.join(', ')}, not "${failOn}"`);
  const scriptInputs = (values['script-input'] ?? []).map((spec) => {
    try {
      return parseScriptInput(spec);
    } catch (error) {
      if (error instanceof ScriptInputError) throw new UsageError(`--script-input: ${error.message}`);
      throw error;
    }
  });
  const scriptCommands = values['script-command'] ?? [];
  for (const name of scriptCommands) {
    if (!/^[\w.+-]+$/.test(name)) throw new UsageError(`--script-command takes a command name, not "${name}"`);
  }
  if (values.jobs !== undefined && !/^[1-9]\d{0,3}$/.test(values.jobs))
    throw new UsageError(`--jobs takes a number of threads from 1 to 9999, not "${values.jobs}"`);
  const jobs = values.jobs === undefined ? availableParallelism() : Number(values.jobs);
  return {
    format: format as Format,
    fix: values.fix ?? false,
    failOn: failOn as Severity,
    paths: positionals,
    scriptInputs,
    scriptCommands,
    jobs,
  };
}

export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  let options: ReturnType<typeof parseArguments>;
  try {
    options = parseArguments(argv);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    io.stderr(`heredoc-lint: ${(error as Error).message} (heredoc-lint --help for usage)\n`);
    return 2;
  }
  if (options === 'help') {
    io.stdout(USAGE);
    return 0;
  }
  if (options === 'version') {
    io.stdout(`heredoc-lint ${TOOL_VERSION}\n`);
    return 0;
  }

  try {
    const named = options.paths.length > 0;
    const files = expandPaths(named ? options.paths : DEFAULT_PATTERNS, io.cwd, undefined, { named });
    const lintOptions = {
      fix: options.fix,
      scriptInputs: [...DEFAULT_SCRIPT_INPUTS, ...options.scriptInputs],
      scriptCommands: new Set(options.scriptCommands),
    };
    const run: LintRun & { threadsUsed?: number } = io.workerEntry
      ? await lintFilesInThreads(files, io.cwd, lintOptions, { entry: io.workerEntry, threads: threadsFor(files, io.cwd, options.jobs) })
      : lintFiles(files, io.files, lintOptions);
    io.stdout(render(options.format, run.findings));
    const skipped = run.results.filter((r) => r.kind === 'skipped' && options.paths.includes(r.file));
    for (const result of skipped) io.stderr(`heredoc-lint: skipped ${result.file}: ${result.reason}\n`);
    if (options.fix) io.stderr(`heredoc-lint: fixed ${run.fixed} finding(s) in ${run.fixedFiles.length} file(s)\n`);
    const linted = run.results.filter((r) => r.kind !== 'skipped').length;
    const threads = (run.threadsUsed ?? 1) > 1 ? ` on ${run.threadsUsed} threads` : '';
    if (options.format === 'text') io.stderr(`heredoc-lint: ${run.findings.length} finding(s) in ${linted} file(s)${threads}\n`);
    return failing(run.findings, options.failOn).length > 0 ? 1 : 0;
  } catch (error) {
    if (error instanceof PathError || error instanceof ReadError) {
      io.stderr(`heredoc-lint: ${error.message}\n`);
      return 2;
    }
    throw error;
  }
}
