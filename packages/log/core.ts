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
  annotate: ({ level, message, file, line, column, title }) =>
    core[level](message, { title, file, startLine: line, startColumn: column }),
};
