/**
 * Lock waits in PostgreSQL, seen from a session of our own while a migration runs: which of the run's
 * sessions wait for a lock, on what, who holds it, and how many other sessions queue behind the waiter.
 * The waiter that queues behind a long transaction is what stalls a site (every later query on the table
 * queues behind it), so this is read while it happens, not afterwards, when the blocker may be gone.
 */
import { setTimeout as delay } from 'node:timers/promises';

/** A session that holds (or is ahead in the queue for) the lock a run's session waits for. */
export interface LockBlocker {
  pid: number;
  user: string;
  applicationName: string;
  /** `active`, `idle in transaction`, …; undefined when this role may not see it (pg_read_all_stats). */
  state?: string;
  /** How long its transaction has been open. */
  transactionMs?: number;
  /** The start of its current or last query. */
  query?: string;
}

/** One of the run's sessions waiting for a lock. */
export interface LockWait {
  pid: number;
  /** What it waits for, e.g. `AccessExclusiveLock on public.orders`. */
  lock: string;
  /** When the wait started (pg_locks.waitstart), as the server's clock gives it: identifies one wait. */
  since: string;
  waitedMs: number;
  blockers: LockBlocker[];
  /** Sessions waiting behind this one: the site's queries that the wait stalls. */
  queuedBehind: number;
}

/** Runs one query and returns its rows: a pg.Client's `query`, or a fake in tests. */
export type RowQuery = <Row>(text: string, values: unknown[]) => Promise<Row[]>;

const QUERY_LENGTH = 160;

/**
 * The cheap look first (pg_stat_activity only: no lock-manager access), and the detailed one only when a
 * session of the run waits: pg_locks and pg_blocking_pids briefly lock the lock manager's shared state.
 */
const RUN_SESSIONS = `SELECT count(*)::int AS sessions, (count(*) FILTER (WHERE wait_event_type = 'Lock'))::int AS waiting
  FROM pg_stat_activity WHERE application_name = $1`;
const WAITS = `
  SELECT w.pid, l.mode, l.locktype, COALESCE(l.relation::regclass::text, '') AS relation,
         COALESCE(l.transactionid::text, '') AS xid, l.waitstart::text AS since,
         (extract(epoch FROM clock_timestamp() - l.waitstart) * 1000)::bigint AS waited_ms,
         (SELECT count(*) FROM pg_stat_activity q
           WHERE q.wait_event_type = 'Lock' AND q.pid <> w.pid AND w.pid = ANY (pg_blocking_pids(q.pid)))::int AS queued,
         COALESCE((SELECT json_agg(json_build_object(
             'pid', b.pid, 'user', b.usename, 'app', b.application_name, 'state', b.state,
             'xact_ms', (extract(epoch FROM clock_timestamp() - b.xact_start) * 1000)::bigint,
             'query', left(b.query, ${QUERY_LENGTH})) ORDER BY b.pid)
           FROM pg_stat_activity b WHERE b.pid = ANY (pg_blocking_pids(w.pid))), '[]') AS blockers
    FROM pg_stat_activity w JOIN pg_locks l ON l.pid = w.pid AND NOT l.granted
   WHERE w.application_name = $1 AND w.wait_event_type = 'Lock' AND l.waitstart IS NOT NULL`;

/** A run's sessions as one look sees them. */
export interface RunSessions {
  /** How many sessions carry the run's application_name. */
  sessions: number;
  waits: LockWait[];
}

interface WaitRow {
  pid: number;
  mode: string;
  locktype: string;
  relation: string;
  xid: string;
  since: string | null;
  waited_ms: string | number | null;
  queued: number;
  blockers: BlockerRow[];
}

interface BlockerRow {
  pid: number;
  user: string | null;
  app: string | null;
  state: string | null;
  xact_ms: number | null;
  query: string | null;
}

/** What a waiting lock is on, in words. */
export function describeLock(row: Pick<WaitRow, 'mode' | 'locktype' | 'relation' | 'xid'>): string {
  if (row.locktype === 'relation' && row.relation) return `${row.mode} on ${row.relation}`;
  if (row.locktype === 'transactionid' && row.xid) return `${row.mode} on transaction ${row.xid} (a row it changed or locked)`;
  return `${row.mode} (${row.locktype})`;
}

/** The sessions carrying `applicationName`: how many, and those that wait for a lock now, with their blockers. */
export async function lookAtRun(query: RowQuery, applicationName: string): Promise<RunSessions> {
  const [counts] = await query<{ sessions: number; waiting: number }>(RUN_SESSIONS, [applicationName]);
  if (!counts || counts.waiting === 0) return { sessions: counts?.sessions ?? 0, waits: [] };
  const rows = await query<WaitRow>(WAITS, [applicationName]);
  const waits = rows.map((row) => ({
    pid: row.pid,
    lock: describeLock(row),
    since: row.since ?? '',
    waitedMs: Number(row.waited_ms ?? 0),
    queuedBehind: row.queued,
    blockers: row.blockers.map((b) => ({
      pid: b.pid,
      user: b.user ?? '?',
      applicationName: b.app ?? '',
      ...(b.state ? { state: b.state } : {}),
      ...(b.xact_ms !== null && b.xact_ms !== undefined ? { transactionMs: Number(b.xact_ms) } : {}),
      ...(b.query && b.query !== '<insufficient privilege>' ? { query: b.query.replace(/\s+/g, ' ').trim() } : {}),
    })),
  }));
  return { sessions: counts.sessions, waits };
}

const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

/** One blocker in words: `pid 4242 (user app, application_name 'report', idle in transaction, transaction open 23.4 s): SELECT …`. */
export function describeBlocker(blocker: LockBlocker): string {
  const facts = [`user ${blocker.user}`, `application_name '${blocker.applicationName}'`];
  if (blocker.state) facts.push(blocker.state);
  if (blocker.transactionMs !== undefined) facts.push(`transaction open ${seconds(blocker.transactionMs)}`);
  if (!blocker.state && blocker.query === undefined) facts.push('its state and query need pg_read_all_stats to be seen');
  const query = blocker.query ? `: ${blocker.query}` : '';
  return `pid ${blocker.pid} (${facts.join(', ')})${query}`;
}

/** `held by pid 1 (…) and pid 2 (…)`, or why no holder is named. */
export function describeBlockers(blockers: readonly LockBlocker[]): string {
  if (blockers.length === 0) return 'its holder had gone before it could be seen';
  return `held by ${blockers.map(describeBlocker).join(' and ')}`;
}

/** A line of PostgreSQL's error output that says a statement was cancelled by lock_timeout (SQLSTATE 55P03). */
export const LOCK_TIMEOUT_MESSAGE = /canceling statement due to lock timeout|\b55P03\b/;
/** Likewise for statement_timeout (SQLSTATE 57014 is shared with a user's cancel, so the text alone decides). */
export const STATEMENT_TIMEOUT_MESSAGE = /canceling statement due to statement timeout/;

export interface LockWatchOptions {
  pollMs: number;
  /** Called once a wait has lasted `reportAfterMs`, and then every `reportEveryMs` while it lasts. */
  onWait: (wait: LockWait, repeated: boolean) => void;
  reportAfterMs: number;
  reportEveryMs: number;
  /** Every look: how many sessions carry the run's name. */
  onSessions?: (sessions: number) => void;
  /** A failed look (the session closing, a network blip); the watch goes on. */
  onError?: (error: Error) => void;
}

/**
 * Polls lookAtRun until stopped and keeps, per wait, the last sight of it: the longest it was seen
 * waiting and who blocked it then. `since(mark)` gives the waits seen after a mark, for one step of a run.
 */
export class LockWatch {
  /** Each wait (pid and start) as last seen, and the order in which it was first seen. */
  private readonly seen = new Map<string, { wait: LockWait; order: number }>();
  private readonly reported = new Map<string, number>();
  private readonly stopper = new AbortController();
  private order = 0;
  private readonly done: Promise<void>;
  private readonly sample: () => Promise<RunSessions>;
  private readonly options: LockWatchOptions;

  constructor(sample: () => Promise<RunSessions>, options: LockWatchOptions) {
    this.sample = sample;
    this.options = options;
    this.done = this.loop();
  }

  /** A mark to pass to `since`: waits seen from now on. */
  mark(): number {
    return this.order;
  }

  /** Waits first seen after `mark`, longest first (each as last seen). */
  since(mark: number): LockWait[] {
    return [...this.seen.values()]
      .filter((entry) => entry.order > mark)
      .map((entry) => entry.wait)
      .sort((a, b) => b.waitedMs - a.waitedMs);
  }

  private async look(): Promise<void> {
    try {
      const { sessions, waits } = await this.sample();
      this.options.onSessions?.(sessions);
      for (const wait of waits) this.record(wait);
    } catch (error) {
      this.options.onError?.(error as Error);
    }
  }

  async stop(): Promise<void> {
    this.stopper.abort();
    await this.done;
  }

  private record(wait: LockWait): void {
    const key = `${wait.pid}@${wait.since}`;
    this.seen.set(key, { wait, order: this.seen.get(key)?.order ?? (this.order += 1) });
    const last = this.reported.get(key);
    if (wait.waitedMs < this.options.reportAfterMs) return;
    if (last === undefined || wait.waitedMs - last >= this.options.reportEveryMs) {
      this.reported.set(key, wait.waitedMs);
      this.options.onWait(wait, last !== undefined);
    }
  }

  private async loop(): Promise<void> {
    const signal = this.stopper.signal;
    while (!signal.aborted) {
      await this.look();
      await delay(this.options.pollMs, undefined, { signal }).catch(() => undefined);
    }
  }
}
