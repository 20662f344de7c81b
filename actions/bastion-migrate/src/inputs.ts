import { InputError, type InputReader } from '../../../packages/inputs/index.ts';
import { type DbSettings, parseDatabaseUrl, parseLockKey } from '../../../packages/postgres/index.ts';
import { readHostKeyPins, readSshCredentials, requirePinFor, type SshTarget } from '../../../packages/ssh/index.ts';

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
  secrets: string[];
}

const HOST = /^(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)*|[0-9a-fA-F:]+)$/;

function host(inputs: InputReader, name: string, required: boolean): string {
  const value = required ? inputs.required(name) : inputs.string(name);
  if (value && !HOST.test(value)) throw new InputError(name, `'${value}' is not a host name or address`);
  return value;
}

export function readMigrateInputs(inputs: InputReader): MigrateInputs {
  const secrets: string[] = [];
  const keep = (secret: string) => {
    secrets.push(secret);
  };
  const insecure = inputs.boolean('insecure-ignore-host-key', false);
  const bastion: SshTarget = {
    host: host(inputs, 'bastion-host', true),
    port: inputs.integer('bastion-port', 22, { min: 1, max: 65535 }),
    username: inputs.required('bastion-user'),
    ...readSshCredentials(inputs, { key: 'bastion-key', passphrase: 'bastion-passphrase', password: 'bastion-password' }, keep),
    hostKeys: readHostKeyPins(inputs, 'bastion-host-key', insecure),
    insecureIgnoreHostKey: insecure,
    connectTimeoutMs: inputs.duration('connect-timeout', 20_000, { minMs: 1 }),
  };
  requirePinFor(bastion.hostKeys, 'bastion-host-key', bastion.host, bastion.port, insecure);

  const url = inputs.string('database-url');
  const fields = ['db-host', 'db-name', 'db-user', 'db-password'].filter((name) => inputs.string(name));
  if (url && fields.length > 0) throw new InputError('database-url', `cannot be combined with ${fields.join(', ')}; use one form`);
  const db: DbSettings = url
    ? parseDatabaseUrl('database-url', url)
    : {
        host: host(inputs, 'db-host', true),
        port: inputs.integer('db-port', 5432, { min: 1, max: 65535 }),
        database: inputs.required('db-name'),
        user: inputs.required('db-user'),
        password: inputs.string('db-password'),
      };
  if (url) keep(url);
  if (db.password) keep(db.password);

  const timeout = inputs.string('command-timeout');
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
    secrets,
  };
}
