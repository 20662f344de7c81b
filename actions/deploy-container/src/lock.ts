import { hostCommands } from '#docker/index';
import type { Logger } from '#log/index';
import type { RemoteHost } from '#ssh/index';
import { UserError } from '#errors/index';

export interface HeldLock {
  release(): Promise<void>;
}

const CONFLICT = 75;

/**
 * Takes the per-container deploy lock on the host with flock(1), waiting up to `timeoutMs`.
 * An owner file beside the lock says who holds it, for the message a waiting deploy prints.
 */
export async function acquireLock(host: RemoteHost, lockPath: string, owner: string, timeoutMs: number, logger: Logger): Promise<HeldLock> {
  const ownerPath = `${lockPath}.owner`;
  const seconds = Math.max(0, Math.ceil(timeoutMs / 1000));
  const holder = await host.start(hostCommands.holdLock(lockPath, seconds, CONFLICT));
  const locked = holder.firstLine.then(
    (line) => line === 'locked',
    () => false,
  );
  const quick = await Promise.race([locked, new Promise<'pending'>((resolve) => setTimeout(resolve, 250, 'pending'))]);
  let heldBy = 'another deploy';
  if (quick === 'pending') {
    heldBy = (await host.exec(hostCommands.readFile(ownerPath))).stdout.trim() || heldBy;
    logger.info(`${host.name}: waiting up to ${seconds} s for the deploy lock, held by ${heldBy}`);
  }
  if (!(await locked)) {
    holder.end();
    const code = await holder.exit;
    if (code === CONFLICT) {
      throw new UserError(
        `${host.name}: another deploy of this container still holds the lock after ` +
          `${seconds} s (${heldBy}); raise lock-timeout or wait for it to finish`,
      );
    }
    throw new UserError(`${host.name}: could not take the deploy lock ${lockPath} (flock exited ${code})`);
  }
  await host.writeFile(ownerPath, `${owner}\n`, 0o600);
  return {
    async release() {
      await host.exec(hostCommands.removeFile(ownerPath)).catch(() => undefined);
      holder.end();
      await holder.exit;
    },
  };
}
