/**
 * The tunnelled database session shared by the migrate step and the keep-open helper: connect to
 * the bastion, forward a local port, prove it with a real PostgreSQL query, take the lock.
 */
import { UserError } from '#errors/index';
import type pg from 'pg';
import type { Logger } from '#log/index';
import { acquireAdvisoryLock, connectDb, type DbSettings, describeDbError, serverVersion } from '#postgres/index';
import { lookAtRun, type RunSessions } from '#postgres/locks';
import { descendsFrom, loopbackPeer } from '#process/index';
import { openTunnel, type RemoteHost, type SshTarget, type Tunnel } from '#ssh/index';
import type { MigrateInputs } from './inputs.ts';

export interface DbSession {
  /** The database as the runner reaches it: 127.0.0.1 and the tunnel's port. */
  local: DbSettings;
  lockWaitMs: number;
  /** Rejects when the SSH connection to the bastion drops. */
  lost: Promise<never>;
  /** The sessions named `applicationName`, and those of them that wait for a lock, seen from this session's own connection. */
  lookAtRun(applicationName: string): Promise<RunSessions>;
  /** Connections the tunnel forwards now, this session's own included. */
  tunnelConnections(): number;
  /** Releases the lock and closes the database session, the listener and the SSH connection. Idempotent. */
  close(): Promise<void>;
}

export type Connect = (target: SshTarget) => Promise<RemoteHost>;

/**
 * Who may use the tunnel. A fixed `local-port` is a port a process of an earlier, killed run may still be
 * aiming at; so each connection to it must come from a process descended from `root` (the action for a
 * migration, the job's runner process for the keep-open tunnel). The default, a free port chosen per run,
 * is known only to this run. A process whose owner cannot be seen (another user's, a container's) is refused.
 */
export function runOnlyAdmission(root: number): (peerPort: number, listenPort: number) => true | string {
  return (peerPort, listenPort) => {
    const pid = loopbackPeer(peerPort, listenPort);
    if (pid === undefined)
      return `refused a connection from 127.0.0.1:${peerPort}: its process cannot be seen, so it may not be this run's`;
    if (!descendsFrom(pid, root))
      return `refused a connection from process ${pid}: it is not this run's (with a fixed local-port only this run's processes may connect)`;
    return true;
  };
}

export interface SessionOptions {
  /** Aborts the wait for the lock (the job was cancelled). */
  signal?: AbortSignal;
  /** With a fixed local-port, the process every connection must descend from (see runOnlyAdmission). */
  runRoot: number;
}

export async function openSession(inputs: MigrateInputs, logger: Logger, connect: Connect, options: SessionOptions): Promise<DbSession> {
  let host: RemoteHost | undefined;
  let tunnel: Tunnel | undefined;
  let client: pg.Client | undefined;
  let release: (() => Promise<void>) | undefined;
  let closing: Promise<void> | undefined;
  const close = () =>
    (closing ??= (async () => {
      await release?.().catch(() => undefined);
      await client?.end().catch(() => undefined);
      await tunnel?.close();
      host?.close();
    })());

  try {
    const bastion = `${inputs.bastion.username}@${inputs.bastion.host}:${inputs.bastion.port}`;
    host = await connect(inputs.bastion);
    logger.info(`connected to the bastion ${bastion}`);
    tunnel = await openTunnel(
      host,
      inputs.db.host,
      inputs.db.port,
      inputs.localPort,
      inputs.localPort === 0
        ? {}
        : {
            admit: runOnlyAdmission(options.runRoot),
            onRefused: (reason) => logger.warning(`tunnel: ${reason}`),
          },
    );
    logger.info(`tunnel: 127.0.0.1:${tunnel.port} → ${inputs.db.host}:${inputs.db.port} via the bastion`);
    const local: DbSettings = { ...inputs.db, host: '127.0.0.1', port: tunnel.port };
    try {
      client = await connectDb(local, inputs.bastion.connectTimeoutMs);
      logger.info(`database: ${await serverVersion(client)}`);
    } catch (error) {
      throw new UserError(describeDbError(error, inputs.db, tunnel.lastForwardError()));
    }
    let lockWaitMs = 0;
    if (inputs.lock) {
      const lock = await acquireAdvisoryLock(
        client,
        inputs.lockKey,
        inputs.lockTimeoutMs,
        () => logger.info(`waiting up to ${Math.round(inputs.lockTimeoutMs / 1000)} s for the migration lock (key ${inputs.lockKey})`),
        500,
        options.signal,
      );
      release = lock.release;
      lockWaitMs = lock.waitedMs;
      logger.info(`migration lock taken (key ${inputs.lockKey}) after ${lockWaitMs} ms`);
    }
    const connected = client;
    const forwarding = tunnel;
    return {
      local,
      lockWaitMs,
      lost: host.lost,
      lookAtRun: (applicationName) => lookAtRun(async (text, values) => (await connected.query(text, values)).rows, applicationName),
      tunnelConnections: () => forwarding.openConnections(),
      close,
    };
  } catch (error) {
    await close();
    throw error;
  }
}
