/**
 * Counts calls to crypto.randomFillSync. Import it before anything that takes its own reference to the
 * function at load time (ssh2 does), so that those calls are counted too.
 */
import crypto from 'node:crypto';

export const randomFillCalls = { count: 0 };
const original = crypto.randomFillSync;
crypto.randomFillSync = ((...args: Parameters<typeof original>) => {
  randomFillCalls.count += 1;
  return original(...args);
}) as typeof original;
