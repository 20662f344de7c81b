/**
 * A client that keeps asking a published port what it serves while a deploy runs, the way users would:
 * one request every `intervalMs`, on new connections or over one keep-alive connection. It counts failed
 * requests (refused, reset, timeout or a status outside 2xx), which version answered, and the longest
 * gap without a healthy answer.
 *
 * Keep-alive follows RFC 9112 §9.3.1 as browsers do: a GET that fails on a reused connection before any
 * answer (the server closed it while idle, as every graceful reload or shutdown does) is sent once more on
 * a new connection. Such retries are counted in `retried`; only what still fails counts as failed.
 */
import * as http from 'node:http';

export interface LoadReport {
  sent: number;
  failed: number;
  /** Kept-alive connections the server closed while the request was on its way, retried on a new connection. */
  retried: number;
  /** Answers per body (the fixture app's /version answers its version). */
  answers: Record<string, number>;
  /** When each body was first answered, in ms since the client started. */
  firstSeenMs: Record<string, number>;
  /** Longest time without a healthy answer, in ms. */
  longestGapMs: number;
  errors: string[];
}

export interface LoadClient {
  stop(): Promise<LoadReport>;
}

export function startLoad(url: string, options: { keepAlive: boolean; intervalMs?: number; timeoutMs?: number }): LoadClient {
  const intervalMs = options.intervalMs ?? 10;
  // New connections: no agent, so a request that hangs never holds back the next one.
  const agent = options.keepAlive ? new http.Agent({ keepAlive: true, maxSockets: 1 }) : false;
  const report: LoadReport = { sent: 0, failed: 0, retried: 0, answers: {}, firstSeenMs: {}, longestGapMs: 0, errors: [] };
  const started = performance.now();
  let lastHealthy = started;
  let running = true;
  const inFlight = new Set<Promise<void>>();

  const one = (retry = false): Promise<void> =>
    new Promise<void>((resolve) => {
      if (!retry) report.sent += 1;
      const request = http.get(url, { agent: retry ? false : agent, timeout: options.timeoutMs ?? 5000 }, (response) => {
        let body = '';
        response.setEncoding('utf8');
        response.on('data', (chunk: string) => {
          body += chunk;
        });
        response.on('end', () => {
          const ok = (response.statusCode ?? 0) >= 200 && (response.statusCode ?? 0) < 300;
          const key = ok ? body.trim() : `status ${response.statusCode}`;
          report.answers[key] = (report.answers[key] ?? 0) + 1;
          report.firstSeenMs[key] ??= Math.round(performance.now() - started);
          if (ok) mark();
          else fail(key);
          resolve();
        });
        response.on('error', (error) => {
          fail(error.message);
          resolve();
        });
      });
      request.on('timeout', () => request.destroy(new Error('timeout')));
      request.on('error', (error: NodeJS.ErrnoException) => {
        if (request.reusedSocket && !retry && error.code === 'ECONNRESET') {
          report.retried += 1;
          resolve(one(true));
          return;
        }
        fail(error.code ?? error.message);
        resolve();
      });
    });
  const mark = () => {
    const now = performance.now();
    report.longestGapMs = Math.max(report.longestGapMs, now - lastHealthy);
    lastHealthy = now;
  };
  const fail = (why: string) => {
    report.failed += 1;
    if (report.errors.length < 20) report.errors.push(why);
  };

  const loop = (async () => {
    while (running) {
      const sentAt = performance.now();
      const request = one();
      inFlight.add(request);
      void request.finally(() => inFlight.delete(request));
      // Keep-alive: one request at a time on the connection, as a browser tab would.
      if (options.keepAlive) await request;
      const wait = intervalMs - (performance.now() - sentAt);
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    }
  })();

  return {
    async stop() {
      running = false;
      await loop;
      await Promise.all(inFlight);
      const now = performance.now();
      report.longestGapMs = Math.round(Math.max(report.longestGapMs, now - lastHealthy));
      if (agent) agent.destroy();
      return report;
    },
  };
}

/**
 * Runs `work` with two clients on `url`, 100 requests/s each (new connections, and one keep-alive
 * connection), from 300 ms before it until 300 ms after; returns its result and both clients' reports.
 */
export async function withLoad<T>(url: string, work: () => Promise<T>): Promise<{ result: T; fresh: LoadReport; kept: LoadReport }> {
  const fresh = startLoad(url, { keepAlive: false, intervalMs: 10 });
  const kept = startLoad(url, { keepAlive: true, intervalMs: 10 });
  await new Promise((resolve) => setTimeout(resolve, 300));
  const result = await work();
  await new Promise((resolve) => setTimeout(resolve, 300));
  return { result, fresh: await fresh.stop(), kept: await kept.stop() };
}
