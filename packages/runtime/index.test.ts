import { describe, expect, it } from 'vitest';
import { exitOnUnsupportedNode } from './index.ts';

describe('exitOnUnsupportedNode', () => {
  it('exits 2 with one line below Node 20, and does nothing from 20 on', () => {
    const exits: number[] = [];
    const exit = ((code: number) => { exits.push(code); throw new Error('exit'); }) as (code: number) => never;
    expect(() => exitOnUnsupportedNode('heredoc-lint', '18.19.0', exit)).toThrow('exit');
    expect(exits).toEqual([2]);
    exitOnUnsupportedNode('heredoc-lint', '20.0.0', exit);
    exitOnUnsupportedNode('heredoc-lint', '24.21.0', exit);
    expect(exits).toEqual([2]);
  });
});
