import { describe, expect, it } from 'vitest';
import { inGroup, maskablePieces, MemoryLogger, worthMasking } from './index.ts';

describe('maskablePieces', () => {
  it('masks each line of a multi-line secret so no line of a private key can leak', () => {
    expect(maskablePieces('line-one\r\nline-two\n\nline-three')).toEqual([
      'line-one\r\nline-two\n\nline-three',
      'line-one',
      'line-two',
      'line-three',
    ]);
  });
  it('does not register blank secrets, which would mask every space in the log', () => {
    expect(maskablePieces('  \n ')).toEqual([]);
  });
});

describe('inGroup', () => {
  it('closes the group and reports elapsed time even when the work fails', async () => {
    const logger = new MemoryLogger();
    await expect(
      inGroup(logger, 'phase', async () => {
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    expect(logger.lines[0]).toBe('group: phase');
    expect(logger.lines[1]).toMatch(/^phase: \d+ ms$/);
    expect(logger.lines[2]).toBe('endgroup');
  });
});

describe('worthMasking', () => {
  it('registers values that may be secret from 4 characters, never 1-3 character ones that would blank the log', () => {
    expect(['1', 'on', 'yes', ' no ', ''].map(worthMasking)).toEqual([false, false, false, false, false]);
    expect(['true', 'hunter2', ' abcd '].map(worthMasking)).toEqual([true, true, true]);
  });
});
