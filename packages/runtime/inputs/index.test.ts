import { describe, expect, it } from 'vitest';
import {
  InputError,
  InputReader,
  envInputSource,
  inputEnvName,
  parseDuration,
  parseHttpUrl,
  parseList,
  parseStatusRanges,
  statusMatches,
  formatStatusRanges,
} from './index.ts';

const reader = (values: Record<string, string>) => new InputReader((name) => values[name] ?? '');

describe('inputEnvName', () => {
  it('follows the runner: upper-case, spaces to underscores, dashes kept', () => {
    expect(inputEnvName('expected-status')).toBe('INPUT_EXPECTED-STATUS');
    expect(inputEnvName('my input')).toBe('INPUT_MY_INPUT');
  });
  it('reads values from the environment as given; the reader trims, except verbatim', () => {
    const source = envInputSource({ 'INPUT_BODY-REGEX': '  ok \n' });
    expect(source('body-regex')).toBe('  ok \n');
    expect(new InputReader(source).string('body-regex')).toBe('ok');
    expect(new InputReader(source).verbatim('body-regex')).toBe('  ok \n');
  });
});

describe('parseDuration', () => {
  it.each([
    ['5', 5000],
    ['0.5', 500],
    ['.25', 250],
    ['500ms', 500],
    ['5s', 5000],
    ['2m', 120_000],
    ['1h', 3_600_000],
    [' 1.5 s ', 1500],
    ['0', 0],
  ])('reads %j as %d ms', (raw, ms) => {
    expect(parseDuration('interval', raw)).toBe(ms);
  });
  it.each(['abc', '5 minutes', '1d', '', '5s5', '1e3'])('rejects %j with an error naming the input', (raw) => {
    expect(() => parseDuration('interval', raw)).toThrow(/^Input 'interval': expected a duration/);
  });
  it('rejects negative durations as negative, not as unreadable', () => {
    expect(() => parseDuration('interval', '-5')).toThrow("Input 'interval': must not be negative, got '-5'");
  });
});

describe('parseStatusRanges', () => {
  it('reads codes and inclusive ranges', () => {
    const ranges = parseStatusRanges('expected-status', '200-299, 301\n404');
    expect(ranges).toEqual([
      { from: 200, to: 299 },
      { from: 301, to: 301 },
      { from: 404, to: 404 },
    ]);
    expect(formatStatusRanges(ranges)).toBe('200-299,301,404');
    expect(statusMatches(ranges, 204)).toBe(true);
    expect(statusMatches(ranges, 302)).toBe(false);
  });
  it.each([
    ['abc', /'abc' is not a status code/],
    ['', /at least one/],
    ['300-200', /empty range/],
    ['099', /outside/],
    ['200-700', /outside/],
    ['2xx', /not a status code/],
  ])('rejects %j', (raw, message) => {
    expect(() => parseStatusRanges('expected-status', raw)).toThrow(message);
    expect(() => parseStatusRanges('expected-status', raw)).toThrow(/^Input 'expected-status'/);
  });
});

describe('parseHttpUrl', () => {
  it('accepts http and https', () => {
    expect(parseHttpUrl('urls', 'https://example.test/health').hostname).toBe('example.test');
  });
  it.each(['not a url', 'ftp://example.test/', 'example.test/health'])('rejects %j', (raw) => {
    expect(() => parseHttpUrl('urls', raw)).toThrow(/^Input 'urls': /);
  });
});

describe('parseList', () => {
  it('splits on newlines and commas and drops blanks', () => {
    expect(parseList('a, b\n\n c,')).toEqual(['a', 'b', 'c']);
  });
});

describe('InputReader', () => {
  it('returns defaults for empty inputs', () => {
    const inputs = reader({});
    expect(inputs.boolean('insecure', false)).toBe(false);
    expect(inputs.integer('max-attempts', 5)).toBe(5);
    expect(inputs.duration('interval', 5000)).toBe(5000);
    expect(inputs.oneOf('backoff', ['fixed', 'exponential'], 'fixed')).toBe('fixed');
  });
  it('names the input in every error', () => {
    const inputs = reader({ flag: 'maybe', count: '1.5', low: '0', pick: 'sideways', need: '' });
    expect(() => inputs.boolean('flag', false)).toThrow("Input 'flag': expected true or false, got 'maybe'");
    expect(() => inputs.integer('count', 1)).toThrow("Input 'count': expected a whole number, got '1.5'");
    expect(() => inputs.integer('low', 1, { min: 1 })).toThrow("Input 'low': must be at least 1, got 0");
    expect(() => inputs.oneOf('pick', ['up', 'down'], 'up')).toThrow("Input 'pick': expected one of up, down");
    expect(() => inputs.required('need')).toThrow("Input 'need': is required");
  });
  it('enforces a minimum duration', () => {
    expect(() => reader({ timeout: '0' }).duration('timeout', 1000, { minMs: 1 })).toThrow(/at least 1 ms/);
  });
  it('places file errors at line:column', () => {
    const error = new InputError('manifest', 'unknown key', { file: 'env.json', line: 3, column: 7 });
    expect(error.message).toBe("Input 'manifest' (env.json:3:7): unknown key");
  });
});
