import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
// @ts-expect-error: plain CommonJS without types, kept ES5 so that any Node can run it
import { exitOnUnsupportedNode, MIN_NODE_MAJOR } from './supported-node.cjs';

describe('exitOnUnsupportedNode', () => {
  it('exits 2 with one line below Node 20, and does nothing from 20 on', () => {
    const exits: number[] = [];
    const exit = (code: number) => {
      exits.push(code);
      throw new Error('exit');
    };
    expect(() => exitOnUnsupportedNode('heredoc-lint', '18.19.0', exit)).toThrow('exit');
    expect(exits).toEqual([2]);
    exitOnUnsupportedNode('heredoc-lint', '20.0.0', exit);
    exitOnUnsupportedNode('heredoc-lint', '24.21.0', exit);
    expect(exits).toEqual([2]);
  });

  it('agrees with the package’s engines', () => {
    expect(JSON.parse(readFileSync('packages/cli/package.json', 'utf8')).engines.node).toBe(`>=${MIN_NODE_MAJOR}`);
  });
});
