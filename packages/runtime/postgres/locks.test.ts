import { describe, expect, it } from 'vitest';
import {
  describeBlocker,
  describeBlockers,
  describeLock,
  type LockWait,
  LockWatch,
  lookAtRun,
  type RowQuery,
  type RunSessions,
} from './locks.ts';

const blockerRow = {
  pid: 4242,
  user: 'app',
  app: 'report',
  state: 'idle in transaction',
  xact_ms: 23_456,
  query: 'SELECT *\n  FROM orders',
};
const waitRow = {
  pid: 77,
  mode: 'AccessExclusiveLock',
  locktype: 'relation',
  relation: 'public.orders',
  xid: '',
  since: '2026-12-04 16:00:00.1+00',
  waited_ms: '1500',
  queued: 12,
  blockers: [blockerRow],
};

/** A fake connection: answers the count query, then the detail query, and records what was asked. */
function fakeQuery(counts: { sessions: number; waiting: number }, rows: unknown[]): { query: RowQuery; asked: string[] } {
  const asked: string[] = [];
  const query = (async (text: string, values: unknown[]) => {
    asked.push(`${text.includes('pg_locks') ? 'detail' : 'count'} ${JSON.stringify(values)}`);
    return text.includes('pg_locks') ? rows : [counts];
  }) as RowQuery;
  return { query, asked };
}

describe('lookAtRun', () => {
  it('asks only pg_stat_activity while no session of the run waits (no lock-manager access)', async () => {
    const { query, asked } = fakeQuery({ sessions: 2, waiting: 0 }, []);
    expect(await lookAtRun(query, 'gp-migrate/1.1/9')).toEqual({ sessions: 2, waits: [] });
    expect(asked).toEqual(['count ["gp-migrate/1.1/9"]']);
  });

  it('reads a wait, its blockers and the queue behind it', async () => {
    const { query } = fakeQuery({ sessions: 1, waiting: 1 }, [waitRow]);
    expect(await lookAtRun(query, 'gp')).toEqual({
      sessions: 1,
      waits: [
        {
          pid: 77,
          lock: 'AccessExclusiveLock on public.orders',
          since: '2026-12-04 16:00:00.1+00',
          waitedMs: 1500,
          queuedBehind: 12,
          blockers: [
            {
              pid: 4242,
              user: 'app',
              applicationName: 'report',
              state: 'idle in transaction',
              transactionMs: 23_456,
              query: 'SELECT * FROM orders',
            },
          ],
        },
      ],
    });
  });

  it("keeps out what this role may not see of another role's session", async () => {
    const hidden = { pid: 5, user: 'etl', app: 'nightly', state: null, xact_ms: null, query: '<insufficient privilege>' };
    const { query } = fakeQuery({ sessions: 1, waiting: 1 }, [{ ...waitRow, blockers: [hidden] }]);
    const [wait] = (await lookAtRun(query, 'gp')).waits;
    expect(wait!.blockers).toEqual([{ pid: 5, user: 'etl', applicationName: 'nightly' }]);
    expect(describeBlocker(wait!.blockers[0]!)).toBe(
      "pid 5 (user etl, application_name 'nightly', its state and query need pg_read_all_stats to be seen)",
    );
  });
});

describe('lock waits in words', () => {
  it('says what a lock is on', () => {
    expect(describeLock({ mode: 'ShareLock', locktype: 'transactionid', relation: '', xid: '991' })).toBe(
      'ShareLock on transaction 991 (a row it changed or locked)',
    );
    expect(describeLock({ mode: 'ExclusiveLock', locktype: 'advisory', relation: '', xid: '' })).toBe('ExclusiveLock (advisory)');
  });
  it('names every blocker, or says none was seen', () => {
    const a = { pid: 1, user: 'app', applicationName: '', state: 'active', transactionMs: 1200, query: 'VACUUM FULL t' };
    const b = { pid: 2, user: 'app', applicationName: 'psql', state: 'idle in transaction', transactionMs: 60_000 };
    expect(describeBlockers([a, b])).toBe(
      "held by pid 1 (user app, application_name '', active, transaction open 1.2 s): VACUUM FULL t and " +
        "pid 2 (user app, application_name 'psql', idle in transaction, transaction open 60.0 s)",
    );
    expect(describeBlockers([])).toBe('its holder had gone before it could be seen');
  });
});

describe('LockWatch', () => {
  const wait = (pid: number, since: string, waitedMs: number): LockWait => ({
    pid,
    lock: 'AccessExclusiveLock on t',
    since,
    waitedMs,
    blockers: [],
    queuedBehind: 0,
  });

  /** Runs a watch over scripted looks, then stops it. */
  async function watchOver(looks: Array<RunSessions | Error>, options: { reportAfterMs?: number; reportEveryMs?: number } = {}) {
    const reported: string[] = [];
    const sessions: number[] = [];
    const errors: string[] = [];
    let index = 0;
    let finish: () => void;
    const finished = new Promise<void>((resolve) => (finish = resolve));
    const watch = new LockWatch(
      async () => {
        const look = looks[Math.min(index, looks.length - 1)]!;
        index += 1;
        if (index === looks.length) finish();
        if (look instanceof Error) throw look;
        return look;
      },
      {
        pollMs: 1,
        reportAfterMs: options.reportAfterMs ?? 0,
        reportEveryMs: options.reportEveryMs ?? 10_000,
        onWait: (w, repeated) => reported.push(`${w.pid} ${w.waitedMs}${repeated ? ' again' : ''}`),
        onSessions: (count) => sessions.push(count),
        onError: (error) => errors.push(error.message),
      },
    );
    await finished;
    await watch.stop();
    return { watch, reported, sessions, errors };
  }

  it('keeps each wait as last seen, longest first, and reports it once it is long enough, then every reportEveryMs', async () => {
    const { watch, reported } = await watchOver(
      [
        { sessions: 1, waits: [wait(7, 'a', 100)] },
        { sessions: 2, waits: [wait(7, 'a', 600), wait(8, 'b', 50)] },
        { sessions: 2, waits: [wait(7, 'a', 1700)] },
        { sessions: 1, waits: [wait(7, 'c', 300)] },
      ],
      { reportAfterMs: 500, reportEveryMs: 1000 },
    );
    expect(watch.since(0).map((w) => `${w.pid}@${w.since} ${w.waitedMs}`)).toEqual(['7@a 1700', '7@c 300', '8@b 50']);
    expect(reported).toEqual(['7 600', '7 1700 again']);
  });

  it('gives the waits first seen after a mark, for one step of a run', async () => {
    const { watch } = await watchOver([
      { sessions: 1, waits: [wait(7, 'a', 10)] },
      { sessions: 1, waits: [wait(9, 'b', 20)] },
    ]);
    expect(watch.since(1).map((w) => w.pid)).toEqual([9]);
    expect(watch.since(watch.mark())).toEqual([]);
  });

  it('goes on after a failed look, and hands every count of named sessions on', async () => {
    const { watch, sessions, errors } = await watchOver([
      { sessions: 3, waits: [] },
      new Error('Connection terminated'),
      { sessions: 1, waits: [wait(7, 'a', 10)] },
    ]);
    expect(errors).toEqual(['Connection terminated']);
    expect(sessions.slice(0, 2)).toEqual([3, 1]);
    expect(watch.since(0)).toHaveLength(1);
  });
});
