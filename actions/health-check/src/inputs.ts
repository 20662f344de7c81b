import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { InputError, type InputReader, parseDuration, parseHttpUrl, parseStatusRanges } from '#inputs/index';
import {
  type BodyPattern,
  compileBodyPattern,
  type JsonFieldCheck,
  type ProbeRequest,
  type ProbeSchedule,
  type ResponseChecks,
} from '#probe/index';

export interface HealthCheckInputs {
  /** One request per URL, headers and TLS settings included. */
  requests: ProbeRequest[];
  checks: ResponseChecks;
  schedule: ProbeSchedule;
  /** Values that must never appear in a log line, summary or output. */
  secrets: string[];
}

// The golden pipeline's rule: 5 attempts, 5 s apart.
export const DEFAULTS = {
  expectedStatus: '200-399',
  method: 'GET',
  intervalMs: 5000,
  timeoutMs: 10_000,
  maxAttempts: 5,
  successThreshold: 1,
  maxBackoffMs: 60_000,
} as const;

const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
const SENSITIVE_HEADER = /auth|token|secret|key|cookie|session|password/i;

export function readHealthCheckInputs(inputs: InputReader): HealthCheckInputs {
  const secrets: string[] = [];
  const urls = inputs.list('urls');
  if (urls.length === 0) throw new InputError('urls', 'is required: give one or more http(s) URLs, one per line or comma-separated');

  const headers = readHeaders(inputs.multiline('headers'), secrets);
  const basicAuth = inputs.string('basic-auth');
  const bearerToken = inputs.string('bearer-token');
  if (basicAuth && bearerToken) throw new InputError('bearer-token', 'cannot be combined with basic-auth; choose one');
  const authHeaderGiven = Object.keys(headers).some((name) => name.toLowerCase() === 'authorization');
  if (authHeaderGiven && (basicAuth || bearerToken)) {
    throw new InputError('headers', `sets Authorization, which ${basicAuth ? 'basic-auth' : 'bearer-token'} also sets; keep one`);
  }
  if (basicAuth) {
    const colon = basicAuth.indexOf(':');
    if (colon <= 0) throw new InputError('basic-auth', "expected 'user:password'");
    const encoded = Buffer.from(basicAuth).toString('base64');
    secrets.push(basicAuth, basicAuth.slice(colon + 1), encoded);
    headers.authorization = `Basic ${encoded}`;
  }
  if (bearerToken) {
    secrets.push(bearerToken);
    headers.authorization = `Bearer ${bearerToken}`;
  }

  const method = inputs.string('method', DEFAULTS.method).toUpperCase();
  if (!HEADER_NAME.test(method)) throw new InputError('method', `'${method}' is not an HTTP method`);
  const insecure = inputs.boolean('insecure', false);
  const ca = readCaCert(inputs.multiline('ca-cert'));
  const timeoutMs = inputs.duration('timeout', DEFAULTS.timeoutMs, { minMs: 1 });
  const followRedirects = inputs.boolean('follow-redirects', true);

  const requests = urls.map((raw): ProbeRequest => {
    const url = parseHttpUrl('urls', raw);
    if (url.password) secrets.push(decodeURIComponent(url.password));
    return { url, method, headers, timeoutMs, followRedirects, ca, insecure };
  });

  return { requests, checks: readChecks(inputs), schedule: readSchedule(inputs), secrets };
}

function readHeaders(raw: string, secrets: string[]): Record<string, string> {
  const headers: Record<string, string> = {};
  raw.split(/\r?\n/).forEach((line, index) => {
    if (line.trim() === '') return;
    const colon = line.indexOf(':');
    const name = colon > 0 ? line.slice(0, colon).trim() : '';
    if (!HEADER_NAME.test(name)) {
      throw new InputError('headers', `line ${index + 1} is not 'Name: value'`);
    }
    const value = line.slice(colon + 1).trim();
    if (SENSITIVE_HEADER.test(name) && value) secrets.push(value);
    headers[name] = value;
  });
  return headers;
}

/** A PEM bundle given inline, or the path of a PEM file. */
function readCaCert(raw: string): string | undefined {
  if (raw.trim() === '') return undefined;
  let pem = raw;
  if (!raw.includes('-----BEGIN')) {
    try {
      pem = readFileSync(raw.trim(), 'utf8');
    } catch {
      throw new InputError('ca-cert', `is neither a PEM certificate nor a readable file: '${raw.trim()}'`);
    }
  }
  try {
    new X509Certificate(pem);
  } catch {
    throw new InputError('ca-cert', 'does not contain a valid PEM certificate');
  }
  return pem;
}

function readChecks(inputs: InputReader): ResponseChecks {
  const expectedStatus = parseStatusRanges('expected-status', inputs.string('expected-status', DEFAULTS.expectedStatus));
  const regexSource = inputs.string('body-regex');
  let bodyRegex: BodyPattern | undefined;
  if (regexSource) {
    try {
      bodyRegex = compileBodyPattern(regexSource);
    } catch (error) {
      throw new InputError(
        'body-regex',
        `is not a valid RE2 regular expression (linear-time: no lookaround or backreferences): ${(error as Error).message}`,
      );
    }
  }
  const jsonFields = inputs.lines('json-field').map((line): JsonFieldCheck => {
    const equals = line.indexOf('=');
    const path = equals > 0 ? line.slice(0, equals).trim() : '';
    if (!path || path === '$') throw new InputError('json-field', `'${line}' is not 'path=value', e.g. status=ok`);
    return { path, expected: line.slice(equals + 1).trim() };
  });
  const maxLatency = inputs.string('max-latency-ms');
  return {
    expectedStatus,
    bodyContains: inputs.string('body-contains') || undefined,
    bodyRegex,
    jsonFields,
    maxLatencyMs: maxLatency ? inputs.integer('max-latency-ms', 0, { min: 1 }) : undefined,
  };
}

function readSchedule(inputs: InputReader): ProbeSchedule {
  const maxAttempts = inputs.integer('max-attempts', DEFAULTS.maxAttempts, { min: 1 });
  const successThreshold = inputs.integer('success-threshold', DEFAULTS.successThreshold, { min: 1 });
  if (successThreshold > maxAttempts) {
    throw new InputError('success-threshold', `(${successThreshold}) cannot exceed max-attempts (${maxAttempts})`);
  }
  const deadline = inputs.string('deadline');
  const { backoff, maxIntervalMs } = readBackoff(inputs.string('backoff', 'fixed'));
  return {
    initialDelayMs: inputs.duration('initial-delay', 0),
    intervalMs: inputs.duration('interval', DEFAULTS.intervalMs),
    successThreshold,
    maxAttempts,
    deadlineMs: deadline ? inputs.duration('deadline', 0, { minMs: 1 }) : undefined,
    backoff,
    maxIntervalMs,
  };
}

/** `fixed`, `exponential`, or `exponential:<cap>` such as `exponential:30s`. */
function readBackoff(raw: string): Pick<ProbeSchedule, 'backoff' | 'maxIntervalMs'> {
  const [kind = '', cap] = raw.trim().toLowerCase().split(':', 2);
  if (kind === 'fixed' && cap === undefined) return { backoff: 'fixed', maxIntervalMs: DEFAULTS.maxBackoffMs };
  if (kind === 'exponential') {
    return { backoff: 'exponential', maxIntervalMs: cap === undefined ? DEFAULTS.maxBackoffMs : parseDuration('backoff', cap) };
  }
  throw new InputError('backoff', `expected fixed, exponential or exponential:<max> (e.g. exponential:30s), got '${raw}'`);
}
