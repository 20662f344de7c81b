import { describe, expect, it } from 'vitest';
import { parsePipelineOptions } from './options.ts';

describe('the local pipeline command line', () => {
  it('defaults to the golden example as its deploy.yml calls it, one host, in parallel, with the layer cache', () => {
    expect(parsePipelineOptions([])).toEqual({
      example: 'golden',
      env: undefined,
      sha: '',
      hosts: 1,
      swarm: false,
      breakBackend: false,
      sequential: false,
      noCache: false,
      result: undefined,
    });
  });

  it('reads every flag, in either form', () => {
    expect(
      parsePipelineOptions([
        '--env',
        'uat',
        '--sha=abc1234',
        '--hosts',
        '2',
        '--break-backend',
        '--sequential',
        '--no-cache',
        '--result',
        'r.json',
      ]),
    ).toEqual({
      example: 'golden',
      env: 'uat',
      sha: 'abc1234',
      hosts: 2,
      swarm: false,
      breakBackend: true,
      sequential: true,
      noCache: true,
      result: 'r.json',
    });
  });

  it('takes --swarm', () => {
    expect(parsePipelineOptions(['--swarm']).swarm).toBe(true);
  });

  it.each([
    [['--env', 'staging'], '--env must be one of dev, uat, prod, not "staging"'],
    [['--env'], '--env needs a value'],
    [['--example', '../etc'], '--example must name a directory of examples/, not "../etc"'],
    [['--example', 'status', '--env', 'uat'], "--env picks the golden example's environments"],
    [['--sha', 'xyz'], '--sha must be 7 to 40 hex digits, not "xyz"'],
    [['--sha', ''], '--sha must be 7 to 40 hex digits, not ""'],
    [['--hosts', '0'], '--hosts must be a number of app hosts from 1 to 9, not "0"'],
    [['--hosts', '10'], '--hosts must be a number of app hosts from 1 to 9, not "10"'],
    [['--result', ''], '--result needs a file name'],
    [['--swarm', '--hosts', '2'], '--swarm and --hosts are two ways to deploy the backend: choose one'],
    [['--fast'], 'unknown option --fast'],
    [['--sequential=yes'], '--sequential takes no value'],
    [['dev'], 'unexpected argument "dev"'],
  ])('%j is refused, naming the flag', (argv, message) => {
    expect(() => parsePipelineOptions(argv)).toThrow(message);
  });
});
