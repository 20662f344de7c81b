import { describe, expect, it } from 'vitest';
import { markdownCell } from './markdown.ts';

describe('markdownCell', () => {
  it('keeps a value in its cell: pipes escaped, line breaks (LF or CR LF) as spaces', () => {
    expect(markdownCell('a | b\r\nc\nd')).toBe('a \\| b c d');
    expect(markdownCell('plain')).toBe('plain');
  });
});
