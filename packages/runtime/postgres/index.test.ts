import { describe, expect, it } from 'vitest';
import {
  databaseUrl,
  describeDbError,
  libpqEnvironment,
  lockKeyFor,
  MAX_APPLICATION_NAME,
  parseDatabaseUrl,
  parseLockKey,
  pgOptions,
  runApplicationName,
  sessionEnvironment,
} from './index.ts';

const db = { host: 'db.internal', port: 5432, database: 'app', user: 'app', password: 'p@ss:w/rd' };

describe('database settings', () => {
  it('round-trips a URL with a percent-encoded password', () => {
    expect(databaseUrl(db)).toBe('postgresql://app:p%40ss%3Aw%2Frd@db.internal:5432/app');
    expect(parseDatabaseUrl('database-url', databaseUrl(db))).toEqual(db);
    expect(parseDatabaseUrl('database-url', 'postgres://u@h/d')).toEqual({ host: 'h', port: 5432, database: 'd', user: 'u', password: '' });
  });
  it.each([
    ['not a url', "Input 'database-url': is not a URL"],
    ['mysql://u:p@h/d', "Input 'database-url': must use postgres://"],
    ['postgres://h:5432/d', "Input 'database-url': needs a user, a host and a database name"],
    ['postgres://u:p@h:5432/', "Input 'database-url': needs a user"],
  ])('rejects %j naming the input', (raw, message) => {
    expect(() => parseDatabaseUrl('database-url', raw)).toThrow(message);
  });
  it('gives libpq every variable a migration tool reads', () => {
    expect(libpqEnvironment(db)).toEqual({
      DATABASE_URL: databaseUrl(db),
      PGHOST: 'db.internal',
      PGPORT: '5432',
      PGUSER: 'app',
      PGPASSWORD: 'p@ss:w/rd',
      PGDATABASE: 'app',
    });
  });
});

describe('lock keys', () => {
  it('derives a stable signed 64-bit key from the database name, and accepts numbers as they are', () => {
    expect(parseLockKey('', 'app')).toBe(lockKeyFor('app'));
    expect(lockKeyFor('app')).toBe(lockKeyFor('app'));
    expect(lockKeyFor('app')).not.toBe(lockKeyFor('app2'));
    expect(BigInt(lockKeyFor('app')) < 2n ** 63n).toBe(true);
    expect(parseLockKey('-42', 'app')).toBe('-42');
    expect(parseLockKey('my-service', 'app')).toBe(lockKeyFor('my-service'));
    expect(() => parseLockKey('9223372036854775808', 'app')).toThrow("Input 'lock-key': must fit in a signed 64-bit integer");
  });
});

describe('describeDbError', () => {
  it('tells a down database, a wrong password and a missing database apart', () => {
    expect(describeDbError(new Error('x'), db, 'the bastion could not open db.internal:5432: Connection refused')).toBe(
      'the bastion could not open db.internal:5432: Connection refused (is the database down, or db-host/db-port wrong?)',
    );
    expect(describeDbError({ code: '28P01', message: 'password authentication failed' }, db)).toBe(
      'the database refused the password for user app (check db-password)',
    );
    expect(describeDbError({ code: '3D000', message: '' }, db)).toBe('database app does not exist');
  });
});

describe('the settings every session of a run gets', () => {
  const settings = { lockTimeoutMs: 2000, applicationName: 'gp-migrate/7.1/42/acme/app' };
  it('names the run: the workflow run and attempt, the pid, the repository', () => {
    expect(runApplicationName({ GITHUB_RUN_ID: '7', GITHUB_RUN_ATTEMPT: '3', GITHUB_REPOSITORY: 'acme/app' }, 42)).toBe(
      'gp-migrate/7.3/42/acme/app',
    );
    expect(runApplicationName({}, 42)).toBe('gp-migrate/local/42');
  });
  it('keeps the name within what PostgreSQL keeps, and to characters PGOPTIONS needs no escape for', () => {
    const name = runApplicationName({ GITHUB_RUN_ID: '123456789012', GITHUB_REPOSITORY: `acme/${'very-long-name'.repeat(8)}` }, 4_194_304);
    expect(name.length).toBe(MAX_APPLICATION_NAME);
    expect(name.startsWith('gp-migrate/123456789012.1/4194304/acme/very-long-name')).toBe(true);
    expect(runApplicationName({ GITHUB_REPOSITORY: 'a b/c\\d é' }, 1)).toBe('gp-migrate/local/1/a_b/c_d__');
  });
  it("puts the inputs after the job's own PGOPTIONS, so they win, and leaves statement_timeout alone unless given", () => {
    expect(pgOptions(settings)).toBe('-c application_name=gp-migrate/7.1/42/acme/app -c lock_timeout=2000');
    expect(pgOptions({ ...settings, lockTimeoutMs: 0, statementTimeoutMs: 60_000 }, ' -c search_path=app ')).toBe(
      '-c search_path=app -c application_name=gp-migrate/7.1/42/acme/app -c lock_timeout=0 -c statement_timeout=60000',
    );
    expect(sessionEnvironment(settings)).toEqual({ PGOPTIONS: pgOptions(settings), PGAPPNAME: settings.applicationName });
  });
});
