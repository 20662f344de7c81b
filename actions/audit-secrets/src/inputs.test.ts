import { describe, expect, it } from 'vitest';
import { InputReader } from '#inputs/index';
import { readAuditInputs } from './main.ts';

const read = (inputs: Record<string, string>) => ({ options: readAuditInputs(new InputReader((name) => inputs[name] ?? '')) });

describe('audit-secrets inputs', () => {
  it('defaults to a workflows audit of config/env.manifest.json', () => {
    expect(read({}).options).toEqual({
      manifestPath: 'config/env.manifest.json',
      modes: ['workflows'],
      environment: '',
      names: 'variable',
      workflowsDir: '.github/workflows',
      failOnUnused: false,
      secrets: [],
    });
  });

  it('takes several modes, once each, and hands the token over to be masked', () => {
    const { options } = read({
      mode: 'github\nenv, github',
      token: 'tok-123456',
      repository: 'o/r',
      'api-url': 'https://ghe.example/api/v3',
      environment: 'uat2',
    });
    expect(options.modes).toEqual(['github', 'env']);
    expect(options.github).toEqual({
      token: 'tok-123456',
      repository: { owner: 'o', name: 'r' },
      apiUrl: 'https://ghe.example/api/v3',
      maxRateLimitWaitMs: 120_000,
    });
    expect(options.secrets).toEqual(['tok-123456']);
  });

  it.each([
    [{ mode: 'secrets' }, /^Input 'mode': expected one or several of github, env, workflows, got 'secrets'/],
    [{ names: 'both' }, /^Input 'names': expected one of variable, secret, got 'both'/],
    [{ 'fail-on-unused': 'maybe' }, /^Input 'fail-on-unused'/],
    [{ mode: 'github' }, /^Input 'token': is required for github mode/],
    [{ mode: 'github', token: 't', repository: 'o' }, /^Input 'repository': must be OWNER\/REPO, got 'o'/],
    [{ mode: 'github', token: 't', repository: 'o/r', 'api-url': 'api.github.com' }, /^Input 'api-url': must be an http\(s\) URL/],
    [{ mode: 'github', token: 't', repository: 'o/r', 'rate-limit-wait': '-1s' }, /^Input 'rate-limit-wait'/],
  ])('names the input for %j', (inputs, message) => {
    expect(() => read(inputs as Record<string, string>)).toThrow(message);
  });
});
