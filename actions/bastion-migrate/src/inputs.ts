import { InputError, type InputReader } from '#inputs/index';
import { type DbSettings, parseDatabaseUrl, parseLockKey } from '#postgres/index';
import { parseHostEntry, readSshTarget, type SshTarget } from '#ssh/index';

export interface MigrateInputs {
  bastion: SshTarget;
  /** The database as the bastion sees it. */
  db: DbSettings;
  localPort: number;
  command: string;
  commandTimeoutMs?: number;
  checkCommand: string;
  lock: boolean;
  lockTimeoutMs: number;
  lockKey: string;
  backupFile?: string;
  /** lock_timeout for every session the commands open (0: off). */
  dbLockTimeoutMs: number;
  /** statement_timeout for them; undefined leaves the server's own. */
  dbStatementTimeoutMs?: number;
  /** How often `command` is run again after it failed on the lock timeout. */
  lockRetries: number;
  secrets: string[];
}

/** The most retries `lock-retries` takes: with the backoff's 30 s ceiling, about ten minutes of trying. */
export const MAX_LOCK_RETRIES = 20;

/** PostgreSQL's timeouts are int milliseconds: a longer one is refused at connect time, so refuse it here. */
function serverMilliseconds(input: string, ms: number): number {
  if (ms > 2 ** 31 - 1) throw new InputError(input, 'must be at most 596h (PostgreSQL keeps timeouts as int milliseconds)');
  return ms;
}

export function readMigrateInputs(inputs: InputReader): MigrateInputs {
  const secrets: string[] = [];
  const keep = (secret: string) => {
    secrets.push(secret);
  };
  const bastion = readSshTarget(
    inputs,
    {
      host: 'bastion-host',
      port: 'bastion-port',
      username: 'bastion-user',
      key: 'bastion-key',
      passphrase: 'bastion-passphrase',
      password: 'bastion-password',
      hostKey: 'bastion-host-key',
    },
    keep,
  );

  const url = inputs.string('database-url');
  const fields = ['db-host', 'db-name', 'db-user', 'db-password'].filter((name) => inputs.string(name));
  if (url && fields.length > 0) throw new InputError('database-url', `cannot be combined with ${fields.join(', ')}; use one form`);
  const db: DbSettings = url
    ? parseDatabaseUrl('database-url', url)
    : {
        ...parseHostEntry('db-host', inputs.required('db-host'), inputs.integer('db-port', 5432, { min: 1, max: 65535 })),
        database: inputs.required('db-name'),
        user: inputs.required('db-user'),
        password: inputs.string('db-password'),
      };
  if (url) keep(url);
  if (db.password) keep(db.password);

  const timeout = inputs.string('command-timeout');
  const statementTimeout = inputs.string('db-statement-timeout');
  const backupFile = inputs.string('backup-file') || undefined;
  if (backupFile && backupFile.endsWith('/')) throw new InputError('backup-file', 'must be a file path, not a directory');
  return {
    bastion,
    db,
    localPort: inputs.integer('local-port', 0, { min: 0, max: 65535 }),
    command: inputs.multiline('command'),
    commandTimeoutMs: timeout ? inputs.duration('command-timeout', 0, { minMs: 1 }) : undefined,
    checkCommand: inputs.multiline('check-command'),
    lock: inputs.boolean('lock', true),
    lockTimeoutMs: inputs.duration('lock-timeout', 300_000),
    lockKey: parseLockKey(inputs.string('lock-key'), db.database),
    backupFile,
    dbLockTimeoutMs: serverMilliseconds('db-lock-timeout', inputs.duration('db-lock-timeout', 2000)),
    dbStatementTimeoutMs: statementTimeout
      ? serverMilliseconds('db-statement-timeout', inputs.duration('db-statement-timeout', 0))
      : undefined,
    lockRetries: inputs.integer('lock-retries', 0, { min: 0, max: MAX_LOCK_RETRIES }),
    secrets,
  };
}
