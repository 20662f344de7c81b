import { describe, expect, it } from 'vitest';
import {
  compileBodyPattern,
  evaluateResponse,
  nextWaitMs,
  parseJsonPath,
  pollUntil,
  probeUrl,
  readJsonPath,
  redactUrl,
  TransportError,
  type ProbeRequest,
  type ProbeSchedule,
  type ResponseChecks,
} from './index.ts';
import { ScriptedTransport, VirtualClock, type ScriptedAnswer } from './testing.ts';

const request: ProbeRequest = {
  url: new URL('http://app.test/health'),
  method: 'GET',
  headers: {},
  timeoutMs: 1000,
  followRedirects: true,
  insecure: false,
};
const checks: ResponseChecks = { expectedStatus: [{ from: 200, to: 399 }], jsonFields: [] };
const schedule: ProbeSchedule = {
  initialDelayMs: 0,
  intervalMs: 5000,
  successThreshold: 1,
  maxAttempts: 5,
  backoff: 'fixed',
  maxIntervalMs: 60_000,
};

async function probe(script: ScriptedAnswer[], overrides: Partial<ProbeSchedule> = {}, checkOverrides: Partial<ResponseChecks> = {}) {
  const clock = new VirtualClock();
  const transport = new ScriptedTransport(clock, script);
  const result = await probeUrl(request, { ...checks, ...checkOverrides }, { ...schedule, ...overrides }, { transport, clock });
  return { result, clock, transport };
}

const refused = { error: new TransportError('connection-refused', 'connection refused by app.test') };

describe('probeUrl scheduling', () => {
  it('is healthy on the first good answer and makes no further request', async () => {
    const { result, transport } = await probe([{ status: 200 }]);
    expect(result.healthy).toBe(true);
    expect(result.attempts).toBe(1);
    expect(transport.requests).toHaveLength(1);
    expect(result.diagnosis).toMatch(/^healthy after 1 attempt in \d+ ms$/);
  });

  it('retries a 503 until the service answers 200, attempts 5 s apart start to start', async () => {
    const { result, clock } = await probe([{ status: 503 }, { status: 503 }, { status: 200 }]);
    expect(result.healthy).toBe(true);
    expect(result.attempts).toBe(3);
    expect(clock.sleeps).toEqual([4990, 4990]);
    expect(result.history.map((r) => r.startedAtMs)).toEqual([0, 5000, 10000]);
  });

  it('gives up after max-attempts with the last failure in the diagnosis', async () => {
    const { result } = await probe([refused], { maxAttempts: 3 });
    expect(result.healthy).toBe(false);
    expect(result.attempts).toBe(3);
    expect(result.lastError).toBe('connection refused by app.test');
    expect(result.diagnosis).toBe('unhealthy after 3 attempts in 10010 ms: max-attempts (3) reached; last: connection refused by app.test');
  });

  it('needs success-threshold consecutive successes; a failure resets the streak', async () => {
    const { result } = await probe([{ status: 200 }, { status: 500 }, { status: 200 }, { status: 200 }], { successThreshold: 2 });
    expect(result.healthy).toBe(true);
    expect(result.attempts).toBe(4);
    expect(result.diagnosis).toMatch(/\(2 consecutive successes\)/);
  });

  it('stops early once the threshold can no longer be met', async () => {
    const { result, transport } = await probe([{ status: 500 }], { successThreshold: 3, maxAttempts: 4 });
    expect(transport.requests).toHaveLength(2);
    expect(result.diagnosis).toMatch(/success-threshold \(3\) can no longer be met within max-attempts \(4\)/);
  });

  it('waits initial-delay before the first attempt', async () => {
    const { result, clock } = await probe([{ status: 200 }], { initialDelayMs: 3000 });
    expect(clock.sleeps[0]).toBe(3000);
    expect(result.history[0]!.startedAtMs).toBe(3000);
  });

  it('doubles the wait after consecutive failures up to the cap, and resets it after a success', async () => {
    const s = { ...schedule, backoff: 'exponential' as const, intervalMs: 1000, maxIntervalMs: 5000 };
    expect([1, 2, 3, 4, 5].map((failures) => nextWaitMs(s, false, failures))).toEqual([1000, 2000, 4000, 5000, 5000]);
    expect(nextWaitMs(s, true, 0)).toBe(1000);
    expect(nextWaitMs({ ...s, backoff: 'fixed' }, false, 4)).toBe(1000);
  });

  it('stops at the overall deadline instead of sleeping past it', async () => {
    const { result, clock } = await probe([refused], { deadlineMs: 12_000, maxAttempts: 10 });
    expect(result.attempts).toBe(3);
    expect(clock.time).toBeLessThanOrEqual(12_000);
    expect(result.diagnosis).toMatch(/deadline of 12000 ms reached/);
  });

  it('shrinks the request timeout to what is left of the deadline', async () => {
    const { transport } = await probe([refused], { deadlineMs: 5500, intervalMs: 5000, maxAttempts: 2 });
    expect(transport.requests.map((r) => r.timeoutMs)).toEqual([1000, 500]);
  });

  it('reports a hanging request as a timeout', async () => {
    const { result } = await probe([{ status: 200, latencyMs: 5000 }], { maxAttempts: 1 });
    expect(result.history[0]).toMatchObject({ ok: false, failure: 'timeout' });
  });
});

describe('evaluateResponse', () => {
  const answer = (status: number, body = '', latencyMs = 10) => ({ status, body, latencyMs, finalUrl: 'http://x/', redirects: 0 });
  it('checks status against the expected ranges', () => {
    expect(evaluateResponse(answer(503), checks)).toEqual({ ok: false, failure: 'status', detail: 'status 503, expected 200-399' });
  });
  it('checks body-contains and body-regex and shows the start of the body', () => {
    expect(evaluateResponse(answer(200, 'starting'), { ...checks, bodyContains: 'ready' })).toMatchObject({
      failure: 'body',
      detail: 'body does not contain "ready"; body starts "starting"',
    });
    expect(evaluateResponse(answer(200, 'v1.2'), { ...checks, bodyRegex: compileBodyPattern('^v\\d+\\.\\d+$') })).toEqual({ ok: true });
    // Catastrophic for a backtracking engine (14.5 s with RegExp at 28 characters); linear here, even at the 1 MiB body cap.
    for (const body of ['a'.repeat(28) + '!', 'a'.repeat(1024 * 1024 - 1) + '!']) {
      const started = performance.now();
      const outcome = evaluateResponse(answer(200, body), { ...checks, bodyRegex: compileBodyPattern('^(a+)+$') });
      expect(outcome).toMatchObject({ ok: false, failure: 'body' });
      expect(performance.now() - started).toBeLessThan(5_000);
    }
  });
  it('compares JSON fields by path, strings as written and other values as JSON', () => {
    const body = JSON.stringify({ status: 'ok', checks: { db: [{ up: true }] }, count: 3, note: null });
    const fields = (...pairs: Array<[string, string]>) => ({
      ...checks,
      jsonFields: pairs.map(([path, expected]) => ({ path, expected })),
    });
    expect(
      evaluateResponse(answer(200, body), fields(['status', 'ok'], ['$.checks.db[0].up', 'true'], ['count', '3'], ['note', 'null'])),
    ).toEqual({ ok: true });
    expect(evaluateResponse(answer(200, body), fields(['status', 'degraded']))).toMatchObject({
      failure: 'json',
      detail: 'JSON field status is "ok", expected "degraded"',
    });
    expect(evaluateResponse(answer(200, body), fields(['checks.cache', 'up']))).toMatchObject({
      detail: 'JSON field checks.cache is missing',
    });
    expect(evaluateResponse(answer(200, '<html>'), fields(['status', 'ok']))).toMatchObject({ failure: 'json' });
  });
  it('fails an answer slower than max-latency-ms', () => {
    expect(evaluateResponse(answer(200, '', 250), { ...checks, maxLatencyMs: 100 })).toMatchObject({
      failure: 'latency',
      detail: 'answered in 250 ms, over the 100 ms limit',
    });
  });
});

describe('JSON paths and URLs', () => {
  it('parses dotted paths with array indexes', () => {
    expect(parseJsonPath('$.a.b[2].c')).toEqual(['a', 'b', 2, 'c']);
    expect(readJsonPath({ a: [{ b: 0 }] }, 'a[0].b')).toEqual({ found: true, value: 0 });
    expect(readJsonPath({ a: 1 }, 'a.b')).toEqual({ found: false });
  });
  it('never shows credentials embedded in a URL', () => {
    expect(redactUrl(new URL('https://user:s3cret@app.test/h'))).toBe('https://***:***@app.test/h');
  });
});

describe('pollUntil: the one wait for what is not an HTTP answer', () => {
  it('looks until the condition holds, interval apart start to start, and says after how many looks', async () => {
    const clock = new VirtualClock();
    const seen: number[] = [];
    const result = await pollUntil(
      async (attempt) => {
        seen.push(clock.now());
        clock.time += 30; // the look itself takes time
        return attempt === 3 ? { done: true, value: 'ready' } : { done: false, seen: `attempt ${attempt}` };
      },
      { intervalMs: 100, maxAttempts: 5 },
      clock,
    );
    expect(result).toEqual({ done: true, value: 'ready', attempts: 3 });
    expect(seen).toEqual([0, 100, 200]);
  });

  it('stops at maxAttempts or at the deadline, with what it saw last; a check that throws ends the wait', async () => {
    const never = async (attempt: number) => ({ done: false as const, seen: `look ${attempt}` });
    expect(await pollUntil(never, { intervalMs: 100, maxAttempts: 4 }, new VirtualClock())).toEqual({
      done: false,
      last: 'look 4',
      attempts: 4,
    });
    const clock = new VirtualClock();
    const byDeadline = await pollUntil(never, { intervalMs: 200, deadlineMs: 500 }, clock);
    expect(byDeadline).toMatchObject({ done: false, attempts: 4 });
    expect(clock.now()).toBe(500);
    await expect(pollUntil(async () => Promise.reject(new Error('gone')), { intervalMs: 10 }, new VirtualClock())).rejects.toThrow('gone');
  });
});
