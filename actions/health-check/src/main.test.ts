import { describe, expect, it } from 'vitest';
import { MemoryLogger } from '#log/index';
import { MemoryReporter } from '#log/reporter';
import { TransportError } from '#probe/index';
import { ScriptedTransport, VirtualClock, type ScriptedAnswer } from '#probe/testing';
import { runHealthCheck } from './main.ts';

async function runWith(inputs: Record<string, string>, script: ScriptedAnswer[]) {
  const clock = new VirtualClock();
  const transport = new ScriptedTransport(clock, script);
  const logger = new MemoryLogger();
  const reporter = new MemoryReporter();
  const healthy = await runHealthCheck({ inputs: (name) => inputs[name] ?? '', logger, reporter, transport, clock });
  return { healthy, transport, logger, reporter };
}

describe('runHealthCheck', () => {
  it('reports every output and a summary row per URL when all are healthy', async () => {
    const { healthy, reporter } = await runWith({ urls: 'http://a.test/h,http://b.test/h' }, [{ status: 200, latencyMs: 12 }]);
    expect(healthy).toBe(true);
    expect(reporter.failure).toBeUndefined();
    expect(reporter.outputs).toMatchObject({ healthy: 'true', attempts: '1' });
    expect(Number(reporter.outputs['duration-ms'])).toBeGreaterThanOrEqual(0);
    const results = JSON.parse(reporter.outputs.results!);
    expect(results).toHaveLength(2);
    expect(results[0]).toMatchObject({
      url: 'http://a.test/h',
      healthy: true,
      attempts: 1,
      status: 200,
      error: null,
      latency_ms: { min: 12, median: 12, max: 12 },
    });
    expect(reporter.summary).toContain('| http://b.test/h | ✅ healthy | 200 | 1 | 12 / 12 / 12 ms |');
  });

  it('fails the step with the last error per URL when a URL stays unhealthy', async () => {
    const error = new TransportError('connection-refused', 'connection refused by a.test');
    const { healthy, reporter, logger } = await runWith({ urls: 'http://a.test/h', 'max-attempts': '2', interval: '1s' }, [{ error }]);
    expect(healthy).toBe(false);
    expect(reporter.outputs.healthy).toBe('false');
    expect(reporter.outputs.attempts).toBe('2');
    expect(JSON.parse(reporter.outputs.results!)[0]).toMatchObject({
      status: null,
      error: 'connection refused by a.test',
      latency_ms: null,
    });
    expect(reporter.failure).toBe(
      '1 of 1 URL unhealthy: http://a.test/h unhealthy after 2 attempts in 1010 ms: ' +
        'max-attempts (2) reached; last: connection refused by a.test',
    );
    expect(logger.text()).toContain('attempt 2/2: failed, connection refused by a.test');
  });

  it('rejects bad input before any request is made', async () => {
    const { healthy, transport, reporter } = await runWith({ urls: 'http://a.test', 'success-threshold': '0' }, [{ status: 200 }]);
    expect(healthy).toBe(false);
    expect(transport.requests).toHaveLength(0);
    expect(reporter.failure).toBe("Input 'success-threshold': must be at least 1, got 0");
    expect(reporter.outputs).toEqual({});
  });

  it('masks auth values before the first request', async () => {
    const { logger } = await runWith({ urls: 'http://a.test', 'bearer-token': 'tok-xyz' }, [{ status: 200 }]);
    expect(logger.masked).toEqual(['tok-xyz']);
  });
});
