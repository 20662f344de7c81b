import { describe, expect, it } from 'vitest';
import { countFlags, parseCommandLine, UsageError } from './index.ts';

const OPTIONS = { env: { type: 'string' }, list: { type: 'string', multiple: true }, quiet: { type: 'boolean', short: 'q' } } as const;

describe('parseCommandLine', () => {
  it('reads both value forms, repeated flags, short flags and positionals after --', () => {
    const { values, positionals } = parseCommandLine(
      ['--env', 'dev', '--list=a', '--list', 'b', '-q', 'x', '--', '--not-a-flag'],
      OPTIONS,
      true,
    );
    expect(values).toEqual({ env: 'dev', list: ['a', 'b'], quiet: true });
    expect(positionals).toEqual(['x', '--not-a-flag']);
  });

  it.each([
    [['--frobnicate'], 'unknown option --frobnicate'],
    [['-z'], 'unknown option -z'],
    [['--env'], '--env needs a value'],
    [['--env', '--quiet'], '--env needs a value (write --env=-… for one that starts with a dash)'],
    [['--quiet=yes'], '--quiet takes no value'],
    [['stray'], 'unexpected argument "stray"'],
  ])('%j: %s', (argv, message) => {
    let thrown: unknown;
    try {
      parseCommandLine(argv, OPTIONS);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(UsageError);
    expect((thrown as Error).message).toBe(message);
  });
});

describe('countFlags', () => {
  it('reads positive whole numbers, keeping defaults', () => {
    expect(countFlags(['--runs', '5'], { runs: 21, files: 1000 })).toEqual({ runs: 5, files: 1000 });
    expect(countFlags([], { rounds: 3 })).toEqual({ rounds: 3 });
  });

  it.each([
    [['--runs', '0'], '--runs must be a positive whole number, not "0"'],
    [['--runs', 'many'], '--runs must be a positive whole number, not "many"'],
    [['--runs', '2.5'], '--runs must be a positive whole number, not "2.5"'],
    [['--rounds', '3'], 'unknown option --rounds'],
  ])('%j: %s', (argv, message) => {
    expect(() => countFlags(argv, { runs: 21 })).toThrow(message);
  });
});
