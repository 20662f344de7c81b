import { describe, expect, it } from 'vitest';
import { median } from './index.ts';

describe('median', () => {
  it('takes the middle value, or the mean of the two middle values', () => {
    expect(median([5, 1, 3])).toBe(3);
    expect(median([4, 1, 3, 2])).toBe(2.5);
  });
  it('refuses an empty list instead of inventing a number', () => {
    expect(() => median([])).toThrow('median of no values');
  });
});
