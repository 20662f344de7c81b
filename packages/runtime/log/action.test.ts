import { describe, expect, it } from 'vitest';
import { CancelledError, UserError } from '#errors/index';
import { InputError } from '#inputs/index';
import { settleStep } from './action.ts';
import { MemoryLogger } from './index.ts';
import { MemoryReporter } from './reporter.ts';

async function ending(main: () => Promise<boolean>) {
  const io = { logger: new MemoryLogger(), reporter: new MemoryReporter() };
  const ok = await settleStep('demo-action', io, main);
  return { ok, failure: io.reporter.failure, log: io.logger.lines };
}

describe('settleStep: every action step ends the same way', () => {
  it('passes a result through, and fails nothing on success', async () => {
    expect(await ending(async () => true)).toEqual({ ok: true, failure: undefined, log: [] });
    // A main that set its own failure (unhealthy URLs, findings) returns false; the wrapper adds nothing.
    expect(await ending(async () => false)).toEqual({ ok: false, failure: undefined, log: [] });
  });

  it('a bad input fails the step with its own sentence, and no stack', async () => {
    const result = await ending(async () => {
      throw new InputError('hosts', "'bad host' is not a host name");
    });
    expect(result).toEqual({ ok: false, failure: "Input 'hosts': 'bad host' is not a host name", log: [] });
  });

  it('another user error names the action, with no stack', async () => {
    const result = await ending(async () => {
      throw new UserError('authentication as deploy@web:22 failed');
    });
    expect(result).toEqual({ ok: false, failure: 'demo-action failed: authentication as deploy@web:22 failed', log: [] });
  });

  it('a cancel says so', async () => {
    const result = await ending(async () => {
      throw new CancelledError('SIGTERM', 'command was stopped');
    });
    expect(result.failure).toBe('demo-action: cancelled (SIGTERM): command was stopped');
    expect(result.log).toEqual([]);
  });

  it('a bug gets the same one sentence, plus a group with its stack to report', async () => {
    const result = await ending(async () => {
      const value = undefined as unknown as { length: number };
      return value.length > 0;
    });
    expect(result.ok).toBe(false);
    expect(result.failure).toMatch(/^demo-action failed: Cannot read properties of undefined/);
    expect(result.log[0]).toBe('group: demo-action: an unexpected error (a bug: please report it with these lines)');
    expect(result.log[1]).toMatch(/^TypeError: Cannot read properties of undefined[\s\S]*\n\s+at .*action\.test\.ts/);
    expect(result.log[2]).toBe('endgroup');
  });

  it('a thrown non-Error is still reported', async () => {
    const result = await ending(() => Promise.reject('plain string'));
    expect(result.failure).toBe('demo-action failed: plain string');
    expect(result.log[1]).toBe('plain string');
  });
});
