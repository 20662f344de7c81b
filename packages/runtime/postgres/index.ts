/**
 * PostgreSQL through a tunnel: connection settings, a probe, the advisory lock that serialises
 * migrations (as Flyway, golang-migrate, Prisma and Rails do), and errors a user can act on.
 */
import { UserError } from '#errors/index';
import { createHash } from 'node:crypto';
import pg from 'pg';
import { InputError } from '#inputs/index';

export interface DbSettings {
  host: string;
  port: number;
  database: string;
  user: string;
  password: string;
}

/** Parses `postgres://user:password@host:port/db`; the password may be percent-encoded. */
export function parseDatabaseUrl(input: string, raw: string): DbSettings {
  let url: URL;
  try {
    url = new URL(raw.trim());
  } catch {
    throw new InputError(input, 'is not a URL such as postgres://user:password@db-host:5432/app');
  }
  if (url.protocol !== 'postgres:' && url.protocol !== 'postgresql:')
    throw new InputError(input, `must use postgres://, not ${url.protocol}//`);
  const database = decodeURIComponent(url.pathname.replace(/^\//, ''));
  if (!url.hostname || !url.username || !database) throw new InputError(input, 'needs a user, a host and a database name');
  return {
    host: url.hostname.replace(/^\[|\]$/g, ''),
    port: url.port ? Number(url.port) : 5432,
    database,
    user: decodeURIComponent(url.username),
    password: decodeURIComponent(url.password),
  };
}

export function databaseUrl(settings: DbSettings): string {
  const user = encodeURIComponent(settings.user);
  const password = settings.password ? `:${encodeURIComponent(settings.password)}` : '';
  return `postgresql://${user}${password}@${settings.host}:${settings.port}/${encodeURIComponent(settings.database)}`;
}

/** libpq's environment, so psql, pg_dump and Django all find the database. */
export function libpqEnvironment(settings: DbSettings): Record<string, string> {
  return {
    DATABASE_URL: databaseUrl(settings),
    PGHOST: settings.host,
    PGPORT: String(settings.port),
    PGUSER: settings.user,
    PGPASSWORD: settings.password,
    PGDATABASE: settings.database,
  };
}

/** What every session a run opens gets from its environment (libpq's PGOPTIONS and PGAPPNAME). */
export interface SessionSettings {
  /** lock_timeout in ms; 0 turns it off (PostgreSQL's meaning of 0). */
  lockTimeoutMs: number;
  /** statement_timeout in ms (0 turns it off); undefined leaves the server's or role's own setting. */
  statementTimeoutMs?: number;
  /** Names the run's sessions in pg_stat_activity (printable ASCII, no spaces, at most 63 bytes). */
  applicationName: string;
}

/** PostgreSQL keeps the first 63 bytes of an application_name (NAMEDATALEN - 1). */
export const MAX_APPLICATION_NAME = 63;

/**
 * An application_name that names one run: `gp-migrate/<run>/<pid>/<repository>`, cut to fit, with only
 * characters that need no escaping in PGOPTIONS (a space would need a backslash there).
 */
export function runApplicationName(env: NodeJS.ProcessEnv, pid: number): string {
  const run = env.GITHUB_RUN_ID ? `${env.GITHUB_RUN_ID}.${env.GITHUB_RUN_ATTEMPT ?? '1'}` : 'local';
  const name = `gp-migrate/${run}/${pid}/${env.GITHUB_REPOSITORY ?? ''}`.replace(/[^A-Za-z0-9._:@/-]/g, '_').replace(/\/$/, '');
  return name.slice(0, MAX_APPLICATION_NAME);
}

/**
 * PGOPTIONS for a run: the caller's own PGOPTIONS first, then ours, so the inputs win where both set a
 * setting (libpq applies `-c` options in order). Every libpq client and node-postgres read it.
 */
export function pgOptions(settings: SessionSettings, existing = ''): string {
  const ours = [`-c application_name=${settings.applicationName}`, `-c lock_timeout=${settings.lockTimeoutMs}`];
  if (settings.statementTimeoutMs !== undefined) ours.push(`-c statement_timeout=${settings.statementTimeoutMs}`);
  return [existing.trim(), ...ours].filter(Boolean).join(' ');
}

/** The environment that carries SessionSettings to every client a command starts. */
export function sessionEnvironment(settings: SessionSettings, existingOptions = ''): Record<string, string> {
  return { PGOPTIONS: pgOptions(settings, existingOptions), PGAPPNAME: settings.applicationName };
}

/** A stable signed 64-bit advisory lock key for a name (as a decimal string for the bigint parameter). */
export function lockKeyFor(name: string): string {
  return createHash('sha256').update(`golden-pipeline-migrate:${name}`).digest().readBigInt64BE(0).toString();
}

/** `lock-key`: a whole number used as is, or any text hashed to one. */
export function parseLockKey(raw: string, database: string): string {
  const text = raw.trim();
  if (text === '') return lockKeyFor(database);
  if (/^-?\d+$/.test(text)) {
    const value = BigInt(text);
    if (value < -(2n ** 63n) || value >= 2n ** 63n) throw new InputError('lock-key', 'must fit in a signed 64-bit integer');
    return value.toString();
  }
  return lockKeyFor(text);
}

/** Turns a pg or socket error into one sentence saying what is wrong. */
export function describeDbError(error: unknown, settings: DbSettings, forwardError?: string): string {
  const e = error as { code?: string; message?: string };
  if (forwardError) return `${forwardError} (is the database down, or db-host/db-port wrong?)`;
  switch (e.code) {
    case '28P01':
      return `the database refused the password for user ${settings.user} (check db-password)`;
    case '28000':
      return `the database refused user ${settings.user}: ${e.message}`;
    case '3D000':
      return `database ${settings.database} does not exist`;
    case '57P03':
      return 'the database is starting up or shutting down';
    default:
      return `cannot talk to the database through the tunnel: ${e.message ?? String(error)}`;
  }
}

export async function connectDb(settings: DbSettings, timeoutMs: number): Promise<pg.Client> {
  const client = new pg.Client({ ...settings, connectionTimeoutMillis: timeoutMs, application_name: 'golden-pipeline-migrate' });
  client.on('error', () => {
    /* surfaced by the next query */
  });
  await client.connect();
  return client;
}

export async function serverVersion(client: pg.Client): Promise<string> {
  return (await client.query<{ version: string }>('SELECT version()')).rows[0]!.version;
}

export interface AdvisoryLock {
  waitedMs: number;
  release(): Promise<void>;
}

/**
 * Polls pg_try_advisory_lock on its own session until it is granted or `timeoutMs` passes; never
 * blocks inside PostgreSQL. The lock lives as long as the session: if the runner dies, it goes too.
 */
export async function acquireAdvisoryLock(
  client: pg.Client,
  key: string,
  timeoutMs: number,
  onWait: (waitedMs: number) => void,
  pollMs = 500,
  signal?: AbortSignal,
): Promise<AdvisoryLock> {
  const started = performance.now();
  let announced = false;
  for (;;) {
    signal?.throwIfAborted();
    const granted = (await client.query<{ ok: boolean }>('SELECT pg_try_advisory_lock($1::bigint) AS ok', [key])).rows[0]!.ok;
    const waited = performance.now() - started;
    if (granted) {
      return {
        waitedMs: Math.round(waited),
        release: async () => {
          await client.query('SELECT pg_advisory_unlock($1::bigint)', [key]);
        },
      };
    }
    if (waited >= timeoutMs) {
      // A bigint advisory key shows in pg_locks as its high and low 32 bits, unsigned.
      const unsigned = BigInt.asUintN(64, BigInt(key));
      const holder = await client.query<{ pid: number; app: string; since: string }>(
        `SELECT l.pid, a.application_name AS app, a.backend_start::text AS since FROM pg_locks l
           JOIN pg_stat_activity a USING (pid)
          WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 1 AND l.classid = $1::oid AND l.objid = $2::oid`,
        [(unsigned >> 32n).toString(), (unsigned & 0xffffffffn).toString()],
      );
      const who = holder.rows[0]
        ? ` (held by backend ${holder.rows[0].pid}, ${holder.rows[0].app || 'unnamed'}, since ${holder.rows[0].since})`
        : '';
      throw new UserError(
        `another migration still holds the lock after ${Math.round(timeoutMs / 1000)} s${who}; raise lock-timeout or wait for it`,
      );
    }
    if (!announced) {
      onWait(Math.round(waited));
      announced = true;
    }
    await new Promise((resolve) => setTimeout(resolve, Math.min(pollMs, Math.max(1, timeoutMs - waited))));
  }
}
