import { describe, expect, it } from 'vitest';
import { MemoryLogger } from '#log/index';
import type { LockWait, RunSessions } from '#postgres/locks';
import { InputReader } from '#inputs/index';
import { failedOnLockTimeout, lockPollMs, runMigration, runSettings, unnamedSessionCheck } from './migrate.ts';
import { readMigrateInputs } from './inputs.ts';
import type { DbSession } from './session.ts';
import { VALID_MIGRATE_INPUTS } from './testing.ts';

// Each run spawns bash twice per step (watchdog and command), and a lock retry waits its 1 s backoff.
const TIMEOUT_MS = 20_000;
const failed = { code: 1, timedOut: false, stopped: false };
const wait = (waitedMs: number): LockWait => ({
  pid: 77,
  lock: 'AccessExclusiveLock on orders',
  since: `t${waitedMs}`,
  waitedMs,
  queuedBehind: 3,
  blockers: [{ pid: 4242, user: 'app', applicationName: 'report', state: 'idle in transaction', transactionMs: 9000, query: 'SELECT 1' }],
});

describe('a step that failed on the lock timeout', () => {
  it("is known by PostgreSQL's message, or by a wait about as long as the timeout", () => {
    expect(failedOnLockTimeout(failed, true, undefined, 2000)).toBe(true);
    expect(failedOnLockTimeout(failed, false, wait(1600), 2000)).toBe(true);
    expect(failedOnLockTimeout(failed, false, wait(900), 2000)).toBe(false);
    expect(failedOnLockTimeout(failed, false, undefined, 2000)).toBe(false);
  });
  it('is never a step that succeeded, timed out, was stopped, or ran with the timeout off', () => {
    expect(failedOnLockTimeout({ ...failed, code: 0 }, true, wait(5000), 2000)).toBe(false);
    expect(failedOnLockTimeout({ ...failed, timedOut: true }, true, wait(5000), 2000)).toBe(false);
    expect(failedOnLockTimeout({ ...failed, stopped: true }, true, wait(5000), 2000)).toBe(false);
    expect(failedOnLockTimeout(failed, false, wait(60_000), 0)).toBe(false);
  });
  it('is looked for often enough to be seen several times before the timeout ends the wait', () => {
    expect([lockPollMs(2000), lockPollMs(100), lockPollMs(60_000), lockPollMs(0)]).toEqual([250, 100, 500, 500]);
  });
});

describe('unnamed sessions through the tunnel', () => {
  it('warn once, and only when they last about a second', () => {
    const warnings: number[] = [];
    const check = unnamedSessionCheck(250, (count) => warnings.push(count));
    for (const unnamed of [1, 1, 0, 1, 1, 1, 1, 2, 2, 2, 2, 2]) check(unnamed);
    expect(warnings).toEqual([2]);
  });
});

/** A session whose database answers with scripted lock waits while a step runs; the commands are real bash. */
function fakeSession(looks: () => RunSessions, tunnelConnections = 1): DbSession {
  return {
    local: { host: '127.0.0.1', port: 5999, database: 'app', user: 'app', password: 'secret-pw' },
    lockWaitMs: 3,
    lost: new Promise<never>(() => undefined),
    lookAtRun: async () => looks(),
    tunnelConnections: () => tunnelConnections,
    close: async () => undefined,
  };
}

async function migrateWith(values: Record<string, string>, session: DbSession) {
  const inputs = readMigrateInputs(new InputReader((name) => ({ ...VALID_MIGRATE_INPUTS, ...values })[name] ?? ''));
  const logger = new MemoryLogger();
  let summary = '';
  const cancel = { signal: new AbortController().signal, cause: () => undefined, dispose: () => undefined };
  const error = await runMigration(
    {
      inputs,
      session,
      logger,
      cancel,
      stop: new AbortController().signal,
      lost: () => undefined,
      writeSummary: async (markdown) => {
        summary += markdown;
      },
    },
    runSettings(inputs, {}, 42),
  ).then(
    () => undefined,
    (e: Error) => e.message,
  );
  return { error, log: logger.text(), summary };
}

const lockTimeoutOutput = 'echo "ERROR:  canceling statement due to lock timeout" >&2; exit 1';

describe('runMigration', () => {
  it(
    'gives every command the run’s PGOPTIONS and PGAPPNAME, and puts the plan in the summary before the command runs',
    async () => {
      const { error, log, summary } = await migrateWith(
        { 'check-command': 'echo "would apply 0002"', command: 'echo "$PGAPPNAME|$PGOPTIONS"', 'db-statement-timeout': '5m' },
        fakeSession(() => ({ sessions: 1, waits: [] })),
      );
      expect(error).toBeUndefined();
      expect(log).toContain('gp-migrate/local/42|-c application_name=gp-migrate/local/42 -c lock_timeout=2000 -c statement_timeout=300000');
      expect(summary.indexOf('would apply 0002')).toBeLessThan(summary.indexOf('## ✅'));
    },
    TIMEOUT_MS,
  );

  it(
    'runs a command that failed on the lock timeout again, with backoff, up to lock-retries, then names the blocker',
    async () => {
      let looks = 0;
      const { error, log, summary } = await migrateWith(
        { command: `sleep 0.3; ${lockTimeoutOutput}`, 'lock-retries': '1', 'db-lock-timeout': '1s' },
        fakeSession(() => ({ sessions: 1, waits: [wait(200 + (looks += 1))] })),
      );
      expect(error).toMatch(
        /^the migration command could not get a lock within db-lock-timeout \(1 s\), 2 times, and failed: it waited for AccessExclusiveLock on orders, held by pid 4242 \(user app, application_name 'report', idle in transaction, transaction open 9\.0 s\): SELECT 1 \(exit 1\)$/,
      );
      expect(log).toMatch(/command could not get a lock within db-lock-timeout \(1 s\) on attempt 1 of 2: .*; running it again in 1 s/);
      expect(log).toContain('group: command (attempt 2 of 2)');
      expect(summary).toContain('| 4242 | app | report | idle in transaction | 9.0 s | `SELECT 1` |');
    },
    TIMEOUT_MS,
  );

  it(
    'does not run again a command that failed for another reason, nor check-command, which stops the run',
    async () => {
      const other = await migrateWith(
        { command: 'exit 3', 'lock-retries': '5' },
        fakeSession(() => ({ sessions: 1, waits: [] })),
      );
      expect(other.error).toBe('the migration command failed (exit 3)');
      expect(other.log).not.toContain('running it again');
      const check = await migrateWith(
        { 'check-command': lockTimeoutOutput, command: 'echo never', 'lock-retries': '5' },
        fakeSession(() => ({ sessions: 1, waits: [] })),
      );
      expect(check.error).toBe(
        'check-command could not get a lock within db-lock-timeout (2 s) and failed: the blocking session was gone before it could be seen; nothing was migrated (exit 1)',
      );
      expect(check.log).not.toContain('never');
    },
    TIMEOUT_MS,
  );

  it(
    'says when a statement ran past db-statement-timeout',
    async () => {
      const { error } = await migrateWith(
        { command: 'echo "ERROR:  canceling statement due to statement timeout" >&2; exit 1', 'db-statement-timeout': '3s' },
        fakeSession(() => ({ sessions: 1, waits: [] })),
      );
      expect(error).toBe('the migration command failed: a statement ran longer than db-statement-timeout (3 s) and was cancelled (exit 1)');
    },
    TIMEOUT_MS,
  );

  it(
    'warns when the tunnel carries sessions that do not carry the run’s name',
    async () => {
      const { log } = await migrateWith(
        { command: 'sleep 1.5' },
        fakeSession(() => ({ sessions: 0, waits: [] }), 2),
      );
      expect(log).toContain('warning: 1 connection(s) through the tunnel are not sessions named gp-migrate/local/42');
    },
    TIMEOUT_MS,
  );
});
