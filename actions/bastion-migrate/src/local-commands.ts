import { spawn } from 'node:child_process';
import type { Logger } from '#log/index';

export interface CommandResult {
  code: number;
  timedOut: boolean;
  /** Stopped because `signal` aborted (the job was cancelled, or the SSH connection was lost). */
  stopped: boolean;
}

export interface RunOptions {
  timeoutMs?: number;
  /** When this aborts, the process group is killed. */
  signal?: AbortSignal;
  /** Each output line (stdout or stderr), as it is logged. */
  onLine?: (line: string) => void;
}

/**
 * The small parent every command runs under, so that it never outlives the action, SIGKILL included.
 * bash with job control starts the command in its own process group, with /dev/null as its stdin, and
 * reads its own stdin: a pipe whose only writer is the action. The pipe closes when the action closes it
 * (timeout, cancel) or when the action dies in any way; the watchdog then kills the command's whole group.
 * It exits with the command's status.
 */
const WATCHDOG = [
  // Job control gives the command its own group; its notices ("Killed …") go to /dev/null, the command's
  // own stderr to the real one (fd 3).
  'exec 3>&2 2>/dev/null',
  'set -m',
  '"$@" </dev/null 2>&3 3>&- &',
  'command=$!',
  '{ while read -r _; do :; done; kill -KILL -- "-$command" 2>/dev/null; } &',
  'watcher=$!',
  'wait "$command"; status=$?',
  'kill "$watcher" 2>/dev/null',
  'exit "$status"',
].join('\n');

/**
 * Runs a user's command on the runner the way a workflow `run:` step does (bash -eo pipefail),
 * streaming each output line through the logger, where registered secrets are masked.
 */
export function runCommand(command: string, env: Record<string, string>, logger: Logger, options: RunOptions = {}): Promise<CommandResult> {
  return runProcess('bash', ['--noprofile', '--norc', '-eo', 'pipefail', '-c', command], env, logger, options);
}

/**
 * Runs a program with an argv (no shell) under the watchdog, streaming its output lines through the
 * logger. On timeout or `signal`, and whenever this process ends, the program's process group is killed.
 */
export function runProcess(
  file: string,
  args: string[],
  env: Record<string, string>,
  logger: Logger,
  options: RunOptions = {},
): Promise<CommandResult> {
  return new Promise((resolve, reject) => {
    const child = spawn('bash', ['--noprofile', '--norc', '-c', WATCHDOG, 'watchdog', file, ...args], {
      env: { ...process.env, ...env },
      stdio: ['pipe', 'pipe', 'pipe'],
      detached: true,
    });
    let timedOut = false;
    let stopped = false;
    // Ending the lifeline is the one way to stop the command: the watchdog kills its group.
    const endLifeline = () => child.stdin.destroy();
    child.stdin.on('error', () => undefined);
    const timer = options.timeoutMs
      ? setTimeout(() => {
          timedOut = true;
          endLifeline();
        }, options.timeoutMs)
      : undefined;
    const onAbort = () => {
      stopped = true;
      endLifeline();
    };
    if (options.signal?.aborted) onAbort();
    else options.signal?.addEventListener('abort', onAbort, { once: true });
    const emit = (line: string) => {
      logger.info(line);
      options.onLine?.(line);
    };
    for (const stream of [child.stdout, child.stderr]) {
      let pending = '';
      stream.setEncoding('utf8').on('data', (chunk: string) => {
        pending += chunk;
        const lines = pending.split('\n');
        pending = lines.pop()!;
        for (const line of lines) emit(line);
      });
      stream.on('end', () => {
        if (pending) emit(pending);
      });
    }
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      options.signal?.removeEventListener('abort', onAbort);
      endLifeline();
      resolve({ code: code ?? (signal ? 128 : 1), timedOut, stopped });
    });
  });
}
