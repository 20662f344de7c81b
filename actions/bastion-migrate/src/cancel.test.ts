import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import { CANCEL_SIGNALS, listenForCancel } from './cancel.ts';

describe('listenForCancel', () => {
  it('turns the first cancel signal into an abort, names it, and lets go of every signal on dispose', () => {
    const target = new EventEmitter();
    const cancel = listenForCancel(target as unknown as NodeJS.Process);
    expect(cancel.signal.aborted).toBe(false);
    target.emit('SIGTERM', 'SIGTERM');
    target.emit('SIGINT', 'SIGINT');
    expect(cancel.signal.aborted).toBe(true);
    expect(cancel.cause()).toBe('SIGTERM');
    cancel.dispose();
    for (const signal of CANCEL_SIGNALS) expect(target.listenerCount(signal)).toBe(0);
  });
});
