import { readFileSync } from 'node:fs';
import type { Logger } from '#log/index';
import { settleStep } from '#log/action';
import { coreLogger } from '#log/core';
import type { ActionReporter } from '#log/reporter';
import { coreReporter } from '#log/reporter-core';
import type { StateProvider } from '#log/state';
import { coreState } from '#log/state-core';
import { HELPER_PID_STATE } from './state.ts';

/**
 * Closes the keep-open tunnel: ends the helper this job started, by the pid saved in state, after
 * checking that the pid is still that helper. Idempotent: nothing to close is not an error.
 */
export async function closeTunnel(pidText: string, log: (message: string) => void): Promise<void> {
  const pid = Number(pidText);
  if (!pidText || !Number.isInteger(pid) || pid <= 1) return log('no tunnel helper to close');
  let commandLine = '';
  try {
    commandLine = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
  } catch {
    /* gone */
  }
  if (!commandLine.includes('keep-open-helper.cjs')) return log(`tunnel helper ${pid} has already ended`);
  process.kill(pid, 'SIGTERM');
  for (let waited = 0; waited < 10_000; waited += 100) {
    try {
      process.kill(pid, 0);
    } catch {
      return log(`tunnel helper ${pid} closed the tunnel and released the lock`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  process.kill(pid, 'SIGKILL');
  log(`tunnel helper ${pid} did not stop in 10 s and was killed`);
}

/** The post step: the pid comes from the main step's state. */
export function run(
  state: StateProvider = coreState,
  logger: Logger = coreLogger,
  reporter: ActionReporter = coreReporter,
): Promise<boolean> {
  return settleStep('bastion-migrate post', { logger, reporter }, async () => {
    await closeTunnel(state.get(HELPER_PID_STATE), (message) => logger.info(message));
    return true;
  });
}
