import { spawn } from 'node:child_process';
import type { Logger } from '../../../packages/log/index.ts';

export interface CommandResult {
  code: number;
  timedOut: boolean;
}

/**
 * Runs a user's command on the runner the way a workflow `run:` step does (bash -eo pipefail),
 * streaming each output line through the logger, where registered secrets are masked. On timeout
 * or `abort`, the whole process group is killed.
 */
export function runCommand(
  command: string, env: Record<string, string>, logger: Logger, options: RunOptions = {},
): Promise<CommandResult> {
  return runProcess('bash', ['--noprofile', '--norc', '-eo', 'pipefail', '-c', command], env, logger, options);
}

export interface RunOptions {
  timeoutMs?: number;
  /** When this rejects (e.g. the SSH connection is lost), the process group is killed. */
  abort?: Promise<unknown>;
}

/** Runs a program with an argv (no shell), streaming its output lines through the logger. */
export function runProcess(
  file: string, args: string[], env: Record<string, string>, logger: Logger, options: RunOptions = {},
): Promise<CommandResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, {
      env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'], detached: true,
    });
    let timedOut = false;
    const killGroup = () => { try { process.kill(-child.pid!, 'SIGKILL'); } catch { /* already gone */ } };
    const timer = options.timeoutMs ? setTimeout(() => { timedOut = true; killGroup(); }, options.timeoutMs) : undefined;
    options.abort?.catch(() => killGroup());
    for (const stream of [child.stdout, child.stderr]) {
      let pending = '';
      stream.setEncoding('utf8').on('data', (chunk: string) => {
        pending += chunk;
        const lines = pending.split('\n');
        pending = lines.pop()!;
        for (const line of lines) logger.info(line);
      });
      stream.on('end', () => { if (pending) logger.info(pending); });
    }
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code: code ?? (signal ? 128 : 1), timedOut });
    });
  });
}
