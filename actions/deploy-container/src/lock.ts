import type { Logger } from '../../../packages/log/index.ts';
import type { RemoteHost } from '../../../packages/ssh/index.ts';

export interface HeldLock {
  release(): Promise<void>;
}

export class LockTimeoutError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'LockTimeoutError';
  }
}

const CONFLICT = 75;
// Holds the lock for as long as its stdin stays open. Closing stdin, the runner dying or the SSH
// connection dropping all end `cat`, and the kernel releases the flock: a lock can never go stale.
const HOLD = ['sh', '-c', 'echo locked; exec cat >/dev/null'];

/**
 * Takes the per-container deploy lock on the host with flock(1), waiting up to `timeoutMs`.
 * An owner file beside the lock says who holds it, for the message a waiting deploy prints.
 */
export async function acquireLock(
  host: RemoteHost, lockPath: string, owner: string, timeoutMs: number, logger: Logger,
): Promise<HeldLock> {
  const ownerPath = `${lockPath}.owner`;
  const probe = await host.exec(['flock', '--nonblock', '--conflict-exit-code', String(CONFLICT), lockPath, 'true']);
  let holder = '';
  if (probe.code === CONFLICT) {
    holder = (await host.exec(['cat', ownerPath])).stdout.trim() || 'an unknown deploy';
    logger.info(`${host.name}: waiting up to ${Math.round(timeoutMs / 1000)} s for the deploy lock, held by ${holder}`);
  } else if (probe.code !== 0) {
    throw new Error(`${host.name}: cannot use the deploy lock ${lockPath}: ${probe.stderr.trim() || `flock exited ${probe.code}`}`);
  }
  const seconds = Math.max(0, Math.ceil(timeoutMs / 1000));
  const process = await host.start(['flock', '--wait', String(seconds), '--conflict-exit-code', String(CONFLICT), lockPath, ...HOLD]);
  const outcome = await Promise.race([
    process.firstLine.then((line) => ({ locked: line === 'locked' })),
    process.exit.then((code) => ({ locked: false, code })),
  ]);
  if (!outcome.locked) {
    process.end();
    const code = 'code' in outcome ? outcome.code : undefined;
    if (code === CONFLICT) {
      throw new LockTimeoutError(`${host.name}: another deploy of this container still holds the lock after ` +
        `${seconds} s (${holder || 'held by another deploy'}); raise lock-timeout or wait for it to finish`);
    }
    throw new Error(`${host.name}: could not take the deploy lock ${lockPath} (flock exited ${code})`);
  }
  await host.writeFile(ownerPath, `${owner}\n`, 0o600);
  return {
    async release() {
      await host.exec(['rm', '-f', ownerPath]).catch(() => undefined);
      process.end();
      await process.exit;
    },
  };
}
