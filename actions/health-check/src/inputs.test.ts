import { afterAll, describe, expect, it } from 'vitest';
import { InputReader } from '#inputs/index';
import { makePki } from '../../../test/support/servers.ts';
import { readHealthCheckInputs } from './inputs.ts';

const read = (values: Record<string, string>) => readHealthCheckInputs(new InputReader((name) => values[name] ?? ''));
// A real CA certificate, made once for these tests.
const pki = makePki();
const PEM = pki.caPem;
afterAll(() => pki.cleanup());

describe('health-check inputs: defaults', () => {
  it('follows the golden pipeline rule: 5 attempts, 5 s apart, 200-399, GET', () => {
    const config = read({ urls: 'http://127.0.0.1:8000/health' });
    expect(config.schedule).toEqual({
      initialDelayMs: 0,
      intervalMs: 5000,
      successThreshold: 1,
      maxAttempts: 5,
      deadlineMs: undefined,
      backoff: 'fixed',
      maxIntervalMs: 60_000,
    });
    expect(config.checks).toEqual({
      expectedStatus: [{ from: 200, to: 399 }],
      bodyContains: undefined,
      bodyRegex: undefined,
      jsonFields: [],
      maxLatencyMs: undefined,
    });
    expect(config.requests[0]).toMatchObject({ method: 'GET', timeoutMs: 10_000, followRedirects: true, insecure: false, headers: {} });
    expect(config.secrets).toEqual([]);
  });
});

describe('health-check inputs: every input', () => {
  it('reads URLs separated by newlines or commas', () => {
    const config = read({ urls: 'http://a.test/h, https://b.test/h\nhttp://c.test:8080/' });
    expect(config.requests.map((r) => r.url.href)).toEqual(['http://a.test/h', 'https://b.test/h', 'http://c.test:8080/']);
  });
  it('reads checks: status ranges, body text, regex, JSON fields, latency', () => {
    const config = read({
      urls: 'http://a.test',
      'expected-status': '200-204,301',
      'body-contains': 'ready',
      'body-regex': '^ok',
      'json-field': 'status=ok\n$.db.up = true',
      'max-latency-ms': '250',
    });
    expect(config.checks.expectedStatus).toEqual([
      { from: 200, to: 204 },
      { from: 301, to: 301 },
    ]);
    expect(config.checks.bodyContains).toBe('ready');
    expect(config.checks.bodyRegex?.source).toBe('^ok');
    expect(config.checks.jsonFields).toEqual([
      { path: 'status', expected: 'ok' },
      { path: '$.db.up', expected: 'true' },
    ]);
    expect(config.checks.maxLatencyMs).toBe(250);
  });
  it('reads the request: method, headers, redirects, TLS', () => {
    const config = read({
      urls: 'https://a.test',
      method: 'head',
      headers: 'X-Probe: 1\nX-Api-Key: k3y',
      'follow-redirects': 'false',
      insecure: 'true',
    });
    expect(config.requests[0]).toMatchObject({ method: 'HEAD', followRedirects: false, insecure: true });
    expect(config.requests[0]!.headers).toEqual({ 'X-Probe': '1', 'X-Api-Key': 'k3y' });
    expect(config.secrets).toEqual(['k3y']);
  });
  it('turns basic-auth into a masked Authorization header, masking the encoded form too', () => {
    const config = read({ urls: 'http://a.test', 'basic-auth': 'probe:pa:ss' });
    const encoded = Buffer.from('probe:pa:ss').toString('base64');
    expect(config.requests[0]!.headers.authorization).toBe(`Basic ${encoded}`);
    expect(config.secrets).toEqual(['probe:pa:ss', 'pa:ss', encoded]);
  });
  it('turns bearer-token into a masked Authorization header', () => {
    const config = read({ urls: 'http://a.test', 'bearer-token': 'tok-123' });
    expect(config.requests[0]!.headers.authorization).toBe('Bearer tok-123');
    expect(config.secrets).toEqual(['tok-123']);
  });
  it('masks a password embedded in a URL', () => {
    expect(read({ urls: 'http://user:p%40ss@a.test/' }).secrets).toEqual(['p@ss']);
  });
  it('reads timing: durations with units, threshold, attempts, deadline, backoff', () => {
    const config = read({
      urls: 'http://a.test',
      'initial-delay': '1.5',
      interval: '500ms',
      timeout: '2s',
      'success-threshold': '2',
      'max-attempts': '10',
      deadline: '2m',
      backoff: 'exponential:30s',
    });
    expect(config.schedule).toEqual({
      initialDelayMs: 1500,
      intervalMs: 500,
      successThreshold: 2,
      maxAttempts: 10,
      deadlineMs: 120_000,
      backoff: 'exponential',
      maxIntervalMs: 30_000,
    });
    expect(config.requests[0]!.timeoutMs).toBe(2000);
    expect(read({ urls: 'http://a.test', backoff: 'exponential' }).schedule.maxIntervalMs).toBe(60_000);
  });
  it('reads ca-cert inline or from a file path', () => {
    expect(read({ urls: 'https://a.test', 'ca-cert': PEM }).requests[0]!.ca).toBe(PEM.trim());
    expect(read({ urls: 'https://a.test', 'ca-cert': pki.caFile }).requests[0]!.ca).toBe(PEM);
    expect(() => read({ urls: 'https://a.test', 'ca-cert': '/nonexistent/ca.pem' })).toThrow(
      "Input 'ca-cert': is neither a PEM certificate nor a readable file: '/nonexistent/ca.pem'",
    );
  });
});

describe('health-check inputs: every bad input names the input', () => {
  it.each([
    [{ urls: ' , ' }, "Input 'urls': is required"],
    [{ urls: 'not a url' }, "Input 'urls': 'not a url' is not a valid URL"],
    [{ urls: 'ftp://a.test/' }, "Input 'urls': 'ftp://a.test/' must use http or https"],
    [{ 'expected-status': 'abc' }, "Input 'expected-status': 'abc' is not a status code or range"],
    [{ 'body-regex': '(' }, "Input 'body-regex': is not a valid RE2 regular expression"],
    [
      { 'body-regex': 'a(?=b)' },
      "Input 'body-regex': is not a valid RE2 regular expression (linear-time: no lookaround or backreferences)",
    ],
    [{ 'body-regex': '(a)\\1' }, "Input 'body-regex': is not a valid RE2 regular expression"],
    [{ 'json-field': 'status' }, "Input 'json-field': 'status' is not 'path=value'"],
    [{ 'json-field': '=ok' }, "Input 'json-field': '=ok' is not 'path=value'"],
    [{ method: 'GE T' }, "Input 'method': 'GE T' is not an HTTP method"],
    [{ headers: 'X-Ok: 1\nno colon here' }, "Input 'headers': line 2 is not 'Name: value'"],
    [{ headers: 'Bad Name: 1' }, "Input 'headers': line 1 is not 'Name: value'"],
    [{ 'basic-auth': 'nopassword' }, "Input 'basic-auth': expected 'user:password'"],
    [{ 'basic-auth': 'a:b', 'bearer-token': 't' }, "Input 'bearer-token': cannot be combined with basic-auth"],
    [{ headers: 'Authorization: x', 'bearer-token': 't' }, "Input 'headers': sets Authorization, which bearer-token also sets"],
    [{ 'follow-redirects': 'sometimes' }, "Input 'follow-redirects': expected true or false"],
    [
      { 'ca-cert': '-----BEGIN CERTIFICATE-----\nnope\n-----END CERTIFICATE-----' },
      "Input 'ca-cert': does not contain a valid PEM certificate",
    ],
    [{ insecure: 'maybe' }, "Input 'insecure': expected true or false"],
    [{ 'initial-delay': 'soon' }, "Input 'initial-delay': expected a duration"],
    [{ interval: '-5' }, "Input 'interval': must not be negative"],
    [{ timeout: '0' }, "Input 'timeout': must be at least 1 ms"],
    [{ 'success-threshold': '0' }, "Input 'success-threshold': must be at least 1, got 0"],
    [{ 'success-threshold': '6' }, "Input 'success-threshold': (6) cannot exceed max-attempts (5)"],
    [{ 'max-attempts': '0' }, "Input 'max-attempts': must be at least 1, got 0"],
    [{ 'max-attempts': 'many' }, "Input 'max-attempts': expected a whole number"],
    [{ deadline: '0' }, "Input 'deadline': must be at least 1 ms"],
    [{ backoff: 'linear' }, "Input 'backoff': expected fixed, exponential or exponential:<max>"],
    [{ backoff: 'exponential:forever' }, "Input 'backoff': expected a duration"],
    [{ 'max-latency-ms': '0' }, "Input 'max-latency-ms': must be at least 1, got 0"],
    [{ 'max-latency-ms': '1.5' }, "Input 'max-latency-ms': expected a whole number"],
  ])('%j', (values, message) => {
    expect(() => read({ urls: 'https://a.test/health', ...values })).toThrow(message);
  });
});
