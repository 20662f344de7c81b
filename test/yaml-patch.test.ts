/**
 * patches/yaml+*.patch (applied by scripts/bootstrap with patch-package) makes yaml's parser read its
 * LOG_TOKENS debug switch once per parser rather than once per token: process.env is a getter that calls
 * getenv, and the per-token read was a quarter of heredoc-lint's YAML parse. These tests fail without it,
 * in the installed package and in the committed bundles.
 */
import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { parseDocument } from 'yaml';
import { realShapedWorkflows } from '../bench/realshaped.ts';
import { committedBundles } from './support/bundles.ts';

const realEnv = process.env;
afterEach(() => {
  process.env = realEnv;
  vi.restoreAllMocks();
});

/** process.env replaced by a copy that counts the reads of one name. */
function countEnvReads(name: string): { reads: number } {
  const counter = { reads: 0 };
  process.env = new Proxy(
    { ...realEnv },
    {
      get(target, key) {
        if (key === name) counter.reads++;
        return Reflect.get(target, key);
      },
    },
  );
  return counter;
}

describe('the yaml patch', () => {
  it('reads LOG_TOKENS once per parse, not once per token', () => {
    const [workflow] = realShapedWorkflows(1);
    const counter = countEnvReads('LOG_TOKENS');
    const document = parseDocument(workflow!.content);
    expect(document.errors).toEqual([]);
    expect(workflow!.content.split('\n').length).toBeGreaterThan(100);
    expect(counter.reads).toBe(1);
  });

  it('still logs the tokens when LOG_TOKENS is set', () => {
    process.env = { ...realEnv, LOG_TOKENS: '1' };
    const log = vi.spyOn(console, 'log').mockImplementation(() => undefined);
    parseDocument('a: 1\n');
    expect(log.mock.calls.filter(([mark]) => mark === '|').length).toBeGreaterThan(3);
  });

  it('is in every committed bundle that parses YAML', () => {
    const bundles = committedBundles();
    // yaml's parser says this of a bad token; only bundles with the parser carry it.
    const withParser = bundles.filter((file) => readFileSync(file, 'utf8').includes('Not a YAML token'));
    expect(withParser.length).toBeGreaterThanOrEqual(4);
    for (const file of withParser) expect(readFileSync(file, 'utf8'), file).toContain('if(this.logTokens)console.log(');
  });
});
