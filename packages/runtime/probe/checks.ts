import { formatStatusRanges, statusMatches } from '#inputs/index';
import type { FailureKind, ProbeResponse, ResponseChecks } from './types.ts';

export type CheckOutcome = { ok: true } | { ok: false; failure: FailureKind; detail: string };

const PATH_TOKEN = /\[(\d+)\]|\.?([^.[\]]+)/g;

/** Splits `$.checks.db[0].status` into ['checks', 'db', 0, 'status']. */
export function parseJsonPath(path: string): Array<string | number> {
  const body = path.replace(/^\$\.?/, '');
  const parts: Array<string | number> = [];
  for (const match of body.matchAll(PATH_TOKEN)) {
    parts.push(match[1] !== undefined ? Number(match[1]) : match[2]!);
  }
  return parts;
}

export function readJsonPath(document: unknown, path: string): { found: boolean; value?: unknown } {
  let current: unknown = document;
  for (const part of parseJsonPath(path)) {
    if (current === null || typeof current !== 'object' || !(part in (current as object))) return { found: false };
    current = (current as Record<string | number, unknown>)[part];
  }
  return { found: true, value: current };
}

/** Strings compare as written; numbers, booleans and null by their JSON text; objects by JSON. */
export function jsonValueText(value: unknown): string {
  return typeof value === 'string' ? value : JSON.stringify(value);
}

const BODY_EXCERPT = 120;
const excerpt = (body: string) => JSON.stringify(body.length > BODY_EXCERPT ? `${body.slice(0, BODY_EXCERPT)}…` : body);

/** Judges one HTTP answer against every configured check, in the order a user would debug them. */
export function evaluateResponse(response: ProbeResponse, checks: ResponseChecks): CheckOutcome {
  if (!statusMatches(checks.expectedStatus, response.status)) {
    return {
      ok: false,
      failure: 'status',
      detail: `status ${response.status}, expected ${formatStatusRanges(checks.expectedStatus)}`,
    };
  }
  if (checks.bodyContains !== undefined && !response.body.includes(checks.bodyContains)) {
    return {
      ok: false,
      failure: 'body',
      detail: `body does not contain ${JSON.stringify(checks.bodyContains)}; body starts ${excerpt(response.body)}`,
    };
  }
  if (checks.bodyRegex !== undefined && !checks.bodyRegex.test(response.body)) {
    return {
      ok: false,
      failure: 'body',
      detail: `body does not match /${checks.bodyRegex.source}/; body starts ${excerpt(response.body)}`,
    };
  }
  if (checks.jsonFields.length > 0) {
    let document: unknown;
    try {
      document = JSON.parse(response.body);
    } catch {
      return { ok: false, failure: 'json', detail: `body is not JSON; body starts ${excerpt(response.body)}` };
    }
    for (const field of checks.jsonFields) {
      const { found, value } = readJsonPath(document, field.path);
      if (!found) return { ok: false, failure: 'json', detail: `JSON field ${field.path} is missing` };
      if (jsonValueText(value) !== field.expected) {
        return {
          ok: false,
          failure: 'json',
          detail: `JSON field ${field.path} is ${JSON.stringify(jsonValueText(value))}, expected ${JSON.stringify(field.expected)}`,
        };
      }
    }
  }
  if (checks.maxLatencyMs !== undefined && response.latencyMs > checks.maxLatencyMs) {
    return {
      ok: false,
      failure: 'latency',
      detail: `answered in ${Math.round(response.latencyMs)} ms, over the ${checks.maxLatencyMs} ms limit`,
    };
  }
  return { ok: true };
}
