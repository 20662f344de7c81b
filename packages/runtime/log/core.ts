import * as core from '@actions/core';
import { type Logger, maskablePieces } from './index.ts';

/** The Logger backed by @actions/core workflow commands. */
export const coreLogger: Logger = {
  debug: (message) => core.debug(message),
  info: (message) => core.info(message),
  warning: (message) => core.warning(message),
  error: (message) => core.error(message),
  startGroup: (title) => core.startGroup(title),
  endGroup: () => core.endGroup(),
  mask: (secret) => {
    for (const piece of maskablePieces(secret)) core.setSecret(piece);
  },
  // Through the toolkit's annotation API, so every runner (and @github/local-action) shows it as one.
  annotate: ({ level, message, file, line, column, title }) => core[level](message, { title, file, startLine: line, startColumn: column }),
};

/**
 * Runs an action's entry point so that it never ends with status 0 without having finished: if the event
 * loop empties while `run` has not settled (a promise nothing will ever settle), the step fails saying so.
 */
export function runToCompletion(action: string, run: () => Promise<unknown>): void {
  let settled = false;
  process.on('beforeExit', () => {
    if (settled) return;
    settled = true;
    core.setFailed(`${action} stopped before it finished: it was waiting for something that can no longer happen (a lost connection?)`);
  });
  run().then(
    () => {
      settled = true;
    },
    (error: unknown) => {
      settled = true;
      core.setFailed(`${action} failed: ${(error as Error)?.message ?? error}`);
    },
  );
}
