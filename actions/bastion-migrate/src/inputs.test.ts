import { utils } from 'ssh2';
import { describe, expect, it } from 'vitest';
import { InputReader } from '#inputs/index';
import { lockKeyFor } from '#postgres/index';
import { TEST_PRIVATE_KEY } from '#ssh/testing';
import { readMigrateInputs } from './inputs.ts';
import { VALID_MIGRATE_INPUTS } from './testing.ts';

const KEY = TEST_PRIVATE_KEY;
const base = VALID_MIGRATE_INPUTS;
const read = (values: Record<string, string>) => readMigrateInputs(new InputReader((name) => ({ ...base, ...values })[name] ?? ''));

describe('bastion-migrate inputs', () => {
  it('reads defaults: port 22 and 5432, a free local port, the lock on with a key from the database name', () => {
    const inputs = read({});
    expect(inputs.bastion).toMatchObject({
      host: 'bastion.example',
      port: 22,
      username: 'jump',
      privateKey: KEY,
      insecureIgnoreHostKey: false,
    });
    expect(inputs.db).toEqual({ host: '10.0.0.5', port: 5432, database: 'app', user: 'app', password: 'secret-pw' });
    expect(inputs).toMatchObject({
      localPort: 0,
      lock: true,
      lockTimeoutMs: 300_000,
      lockKey: lockKeyFor('app'),
      checkCommand: '',
      backupFile: undefined,
      commandTimeoutMs: undefined,
      dbLockTimeoutMs: 2000,
      dbStatementTimeoutMs: undefined,
      lockRetries: 0,
    });
    expect(inputs.secrets).toEqual([KEY, 'secret-pw']);
  });
  it('reads every other input', () => {
    const inputs = read({
      'bastion-port': '2222',
      'bastion-password': 'pw',
      'local-port': '5433',
      'command-timeout': '10m',
      'check-command': 'make check',
      lock: 'false',
      'lock-timeout': '30s',
      'lock-key': '42',
      'backup-file': '/tmp/pre.dump',
      'db-port': '6432',
      'connect-timeout': '5s',
      'db-lock-timeout': '500ms',
      'db-statement-timeout': '15m',
      'lock-retries': '3',
    });
    expect(inputs).toMatchObject({
      localPort: 5433,
      commandTimeoutMs: 600_000,
      checkCommand: 'make check',
      lock: false,
      lockTimeoutMs: 30_000,
      lockKey: '42',
      backupFile: '/tmp/pre.dump',
      dbLockTimeoutMs: 500,
      dbStatementTimeoutMs: 900_000,
      lockRetries: 3,
    });
    expect(inputs.bastion).toMatchObject({ port: 2222, password: 'pw', connectTimeoutMs: 5000 });
    expect(inputs.db.port).toBe(6432);
  });
  it('takes database-url instead of the db-* inputs and masks it', () => {
    const inputs = read({
      'db-host': '',
      'db-name': '',
      'db-user': '',
      'db-password': '',
      'database-url': 'postgres://u:pw%21@db:6543/shop',
    });
    expect(inputs.db).toEqual({ host: 'db', port: 6543, database: 'shop', user: 'u', password: 'pw!' });
    expect(inputs.secrets).toEqual(expect.arrayContaining(['postgres://u:pw%21@db:6543/shop', 'pw!']));
  });
  it('takes 0 as a lock or statement timeout that is off', () => {
    expect(read({ 'db-lock-timeout': '0', 'db-statement-timeout': '0' })).toMatchObject({ dbLockTimeoutMs: 0, dbStatementTimeoutMs: 0 });
  });
  it('keeps an empty command: keep-open mode', () => {
    expect(read({ command: '' }).command).toBe('');
  });
  it.each([
    [{ 'bastion-host': '' }, "Input 'bastion-host': is required"],
    [{ 'bastion-host': 'bad host;' }, "Input 'bastion-host': 'bad host;' is not a host name"],
    [{ 'bastion-port': '0' }, "Input 'bastion-port': must be at least 1"],
    [{ 'bastion-user': '' }, "Input 'bastion-user': is required"],
    [{ 'bastion-key': '' }, "Input 'bastion-key': is required (or bastion-password)"],
    [
      { 'bastion-host-key': 'other.example ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIKJZTpw//4sZs8bVBBPw2/dwlbJKwmSMMu4vjfVE/JLV' },
      "Input 'bastion-host-key': has no key for bastion.example:22",
    ],
    [{ 'bastion-key': 'nope' }, "Input 'bastion-key': is not a PEM or OpenSSH private key"],
    [
      {
        'bastion-passphrase': 'x',
        'bastion-key': utils.generateKeyPairSync('ed25519', { passphrase: 'y', cipher: 'aes256-ctr', rounds: 2 }).private,
      },
      "Input 'bastion-passphrase': does not decrypt bastion-key",
    ],
    [{ 'bastion-host-key': '' }, "Input 'bastion-host-key': is required"],
    [{ 'insecure-ignore-host-key': 'sure' }, "Input 'insecure-ignore-host-key': expected true or false"],
    [{ 'db-host': '' }, "Input 'db-host': is required"],
    [{ 'db-port': '99999' }, "Input 'db-port': must be at most 65535"],
    [{ 'db-name': '' }, "Input 'db-name': is required"],
    [{ 'db-user': '' }, "Input 'db-user': is required"],
    [{ 'database-url': 'postgres://u:p@h/d' }, "Input 'database-url': cannot be combined with db-host, db-name, db-user, db-password"],
    [{ 'local-port': '-1' }, "Input 'local-port': must be at least 0"],
    [{ 'command-timeout': 'soon' }, "Input 'command-timeout': expected a duration"],
    [{ lock: 'maybe' }, "Input 'lock': expected true or false"],
    [{ 'lock-timeout': '-5' }, "Input 'lock-timeout': must not be negative"],
    [{ 'lock-key': '99999999999999999999' }, "Input 'lock-key': must fit in a signed 64-bit integer"],
    [{ 'backup-file': '/tmp/' }, "Input 'backup-file': must be a file path"],
    [{ 'connect-timeout': '0' }, "Input 'connect-timeout': must be at least 1 ms"],
    [{ 'db-lock-timeout': 'short' }, "Input 'db-lock-timeout': expected a duration"],
    [{ 'db-lock-timeout': '-1s' }, "Input 'db-lock-timeout': must not be negative"],
    [{ 'db-lock-timeout': '600h' }, "Input 'db-lock-timeout': must be at most 596h"],
    [{ 'db-statement-timeout': '1 week' }, "Input 'db-statement-timeout': expected a duration"],
    [{ 'lock-retries': '-1' }, "Input 'lock-retries': must be at least 0"],
    [{ 'lock-retries': '21' }, "Input 'lock-retries': must be at most 20"],
    [{ 'lock-retries': 'twice' }, "Input 'lock-retries': expected a whole number"],
  ])('%j is refused, naming the input', (values, message) => {
    expect(() => read(values)).toThrow(message);
  });
});
