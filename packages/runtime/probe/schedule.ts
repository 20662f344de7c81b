import { evaluateResponse } from './checks.ts';
import {
  type AttemptRecord,
  type Clock,
  type HttpTransport,
  type ProbeRequest,
  type ProbeResult,
  type ProbeSchedule,
  type ResponseChecks,
  TransportError,
} from './types.ts';

export const realClock: Clock = {
  now: () => performance.now(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
};

export interface ProbeDependencies {
  transport: HttpTransport;
  clock?: Clock;
  /** Called after each attempt, for live progress lines. */
  onAttempt?: (record: AttemptRecord) => void;
  /** Stops probing before the next attempt, e.g. when the connection probes go through is gone. */
  signal?: AbortSignal;
}

/** The wait before the next attempt: the interval after a success, backoff after failures. */
export function nextWaitMs(
  schedule: Pick<ProbeSchedule, 'intervalMs' | 'backoff' | 'maxIntervalMs'>,
  lastOk: boolean,
  consecutiveFailures: number,
): number {
  if (lastOk || schedule.backoff === 'fixed') return schedule.intervalMs;
  const grown = schedule.intervalMs * 2 ** Math.max(0, consecutiveFailures - 1);
  return Math.min(grown, Math.max(schedule.maxIntervalMs, schedule.intervalMs));
}

type StopReason = 'healthy' | 'attempts' | 'deadline' | 'threshold-unreachable' | 'aborted';

/**
 * Probes one URL with Kubernetes probe semantics: an initial delay, then attempts `interval` apart
 * (start to start, with backoff after failures) until `successThreshold` consecutive successes,
 * `maxAttempts`, or the overall deadline. Every failure kind is retried.
 */
export async function probeUrl(
  request: ProbeRequest,
  checks: ResponseChecks,
  schedule: ProbeSchedule,
  deps: ProbeDependencies,
): Promise<ProbeResult> {
  const clock = deps.clock ?? realClock;
  const started = clock.now();
  const elapsed = () => clock.now() - started;
  const remaining = () => (schedule.deadlineMs === undefined ? Infinity : schedule.deadlineMs - elapsed());
  const history: AttemptRecord[] = [];
  let streak = 0;
  let consecutiveFailures = 0;
  let stop: StopReason = 'attempts';

  if (schedule.initialDelayMs > 0) await clock.sleep(Math.min(schedule.initialDelayMs, Math.max(0, remaining())));

  while (history.length < schedule.maxAttempts) {
    if (remaining() <= 0) {
      stop = 'deadline';
      break;
    }
    if (deps.signal?.aborted) {
      stop = 'aborted';
      break;
    }
    const attemptStart = clock.now();
    const record = await attempt(
      request,
      checks,
      deps.transport,
      history.length + 1,
      attemptStart - started,
      Math.min(request.timeoutMs, remaining()),
    );
    history.push(record);
    deps.onAttempt?.(record);

    if (record.ok) {
      streak += 1;
      consecutiveFailures = 0;
    } else {
      streak = 0;
      consecutiveFailures += 1;
    }
    if (streak >= schedule.successThreshold) {
      stop = 'healthy';
      break;
    }
    const attemptsLeft = schedule.maxAttempts - history.length;
    if (attemptsLeft === 0) {
      stop = 'attempts';
      break;
    }
    if (attemptsLeft < schedule.successThreshold - streak) {
      stop = 'threshold-unreachable';
      break;
    }

    const wait = Math.max(0, nextWaitMs(schedule, record.ok, consecutiveFailures) - (clock.now() - attemptStart));
    if (wait >= remaining()) {
      stop = 'deadline';
      break;
    }
    if (wait > 0) await clock.sleep(wait);
  }

  const last = history.at(-1);
  const result: ProbeResult = {
    url: redactUrl(request.url),
    healthy: stop === 'healthy',
    attempts: history.length,
    durationMs: Math.round(elapsed()),
    lastStatus: [...history].reverse().find((r) => r.status !== undefined)?.status,
    lastError: last && !last.ok ? last.detail : undefined,
    latenciesMs: history.map((r) => r.latencyMs),
    history,
    diagnosis: '',
  };
  result.diagnosis = diagnose(result, schedule, stop);
  return result;
}

async function attempt(
  request: ProbeRequest,
  checks: ResponseChecks,
  transport: HttpTransport,
  number: number,
  startedAtMs: number,
  timeoutMs: number,
): Promise<AttemptRecord> {
  const base = { attempt: number, startedAtMs: Math.round(startedAtMs) };
  try {
    const response = await transport.send({ ...request, timeoutMs });
    const outcome = evaluateResponse(response, checks);
    const latencyMs = Math.round(response.latencyMs);
    const where = response.redirects > 0 ? ` from ${response.finalUrl}` : '';
    return outcome.ok
      ? { ...base, ok: true, status: response.status, latencyMs, detail: `status ${response.status}${where} in ${latencyMs} ms` }
      : { ...base, ok: false, status: response.status, latencyMs, failure: outcome.failure, detail: outcome.detail + where };
  } catch (error) {
    if (error instanceof TransportError) {
      return { ...base, ok: false, latencyMs: 0, failure: error.kind, detail: error.message };
    }
    throw error;
  }
}

function diagnose(result: ProbeResult, schedule: ProbeSchedule, stop: StopReason): string {
  const tries = `${result.attempts} attempt${result.attempts === 1 ? '' : 's'}`;
  if (stop === 'healthy') {
    const streak = schedule.successThreshold > 1 ? ` (${schedule.successThreshold} consecutive successes)` : '';
    return `healthy after ${tries}${streak} in ${result.durationMs} ms`;
  }
  const why = {
    attempts: `max-attempts (${schedule.maxAttempts}) reached`,
    deadline: `deadline of ${schedule.deadlineMs} ms reached`,
    aborted: 'probing was stopped',
    'threshold-unreachable': `success-threshold (${schedule.successThreshold}) can no longer be met within max-attempts (${schedule.maxAttempts})`,
  }[stop];
  const last = result.lastError ?? 'no attempt was made';
  return `unhealthy after ${tries} in ${result.durationMs} ms: ${why}; last: ${last}`;
}

/** The URL without any user:password, for logs, results and summaries. */
export function redactUrl(url: URL): string {
  if (!url.username && !url.password) return url.href;
  const copy = new URL(url.href);
  copy.username = copy.username ? '***' : '';
  copy.password = copy.password ? '***' : '';
  return copy.href;
}

/** One look at a condition: it holds (with what it found), or not yet (with what was seen instead). */
export type PollCheck<T> = { done: true; value: T } | { done: false; seen: string };

export type PollResult<T> = { done: true; value: T; attempts: number } | { done: false; last: string; attempts: number };

/**
 * Looks at a condition on the probe schedule until it holds: `intervalMs` apart, start to start, at most
 * `maxAttempts` times and within `deadlineMs`. The one way this project waits for something that is not an
 * HTTP answer (a container's health, a proxy's config, a drain); a check that throws ends the wait with it.
 */
export async function pollUntil<T>(
  check: (attempt: number) => Promise<PollCheck<T>>,
  schedule: { intervalMs: number; maxAttempts?: number; deadlineMs?: number },
  clock: Clock = realClock,
): Promise<PollResult<T>> {
  const started = clock.now();
  const maxAttempts = schedule.maxAttempts ?? Infinity;
  let last = 'not checked';
  for (let attempt = 1; ; attempt += 1) {
    const attemptStart = clock.now();
    const result = await check(attempt);
    if (result.done) return { done: true, value: result.value, attempts: attempt };
    last = result.seen;
    const wait = Math.max(
      0,
      nextWaitMs({ ...schedule, backoff: 'fixed', maxIntervalMs: schedule.intervalMs }, false, 1) - (clock.now() - attemptStart),
    );
    const budgetLeft = schedule.deadlineMs === undefined ? Infinity : schedule.deadlineMs - (clock.now() - started);
    if (attempt >= maxAttempts || budgetLeft <= 0) return { done: false, last, attempts: attempt };
    await clock.sleep(Math.min(wait, budgetLeft));
  }
}
