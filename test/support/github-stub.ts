/**
 * A local stand-in for the parts of GitHub's REST API that audit-secrets reads: the one piece of the suite
 * that cannot exist here. Every response it sends is checked against GitHub's published OpenAPI description
 * (@octokit/openapi, api.github.com): a 200 against the operation's response schema, an error against
 * GitHub's basic-error schema. A mismatch is recorded in `violations`, and the tests require none.
 */
import { readFileSync } from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createRequire } from 'node:module';
import Ajv, { type ValidateFunction } from 'ajv';

const require = createRequire(import.meta.url);
const OPENAPI_PATH = require.resolve('@octokit/openapi/generated/api.github.com.json');

let ajv: Ajv | undefined;
const validators = new Map<string, ValidateFunction>();

/** The validator for a JSON Pointer into the OpenAPI document (compiled once, cached). */
function validatorFor(pointer: string): ValidateFunction {
  if (!ajv) {
    ajv = new Ajv({ strict: false, allErrors: true, validateFormats: false, validateSchema: false });
    ajv.addSchema(JSON.parse(readFileSync(OPENAPI_PATH, 'utf8')), 'github');
  }
  let validate = validators.get(pointer);
  if (!validate) {
    const fragment = pointer
      .split('/')
      .map((segment) => encodeURIComponent(segment))
      .join('/');
    validate = ajv.compile({ $ref: `github#${fragment}` });
    validators.set(pointer, validate);
  }
  return validate;
}

const escape = (segment: string) => segment.replace(/~/g, '~0').replace(/\//g, '~1');

/** The OpenAPI template of a concrete path, e.g. /repos/o/r/actions/secrets → /repos/{owner}/{repo}/actions/secrets. */
const TEMPLATES: [RegExp, string][] = [
  [/^\/repos\/[^/]+\/[^/]+\/environments\/[^/]+\/secrets$/, '/repos/{owner}/{repo}/environments/{environment_name}/secrets'],
  [/^\/repos\/[^/]+\/[^/]+\/environments\/[^/]+\/variables$/, '/repos/{owner}/{repo}/environments/{environment_name}/variables'],
  [/^\/repos\/[^/]+\/[^/]+\/actions\/secrets$/, '/repos/{owner}/{repo}/actions/secrets'],
  [/^\/repos\/[^/]+\/[^/]+\/actions\/variables$/, '/repos/{owner}/{repo}/actions/variables'],
  [/^\/repos\/[^/]+\/[^/]+\/actions\/organization-secrets$/, '/repos/{owner}/{repo}/actions/organization-secrets'],
  [/^\/repos\/[^/]+\/[^/]+\/actions\/organization-variables$/, '/repos/{owner}/{repo}/actions/organization-variables'],
];

/** Checks a body against GitHub's schema for that path and status; returns the problems (empty when it conforms). */
export function conformance(path: string, status: number, body: unknown): string[] {
  const template = TEMPLATES.find(([pattern]) => pattern.test(path))?.[1];
  if (!template) return [`${path} is not an endpoint GitHub documents for this stub`];
  const pointer =
    status === 200
      ? `/paths/${escape(template)}/get/responses/200/content/${escape('application/json')}/schema`
      : '/components/schemas/basic-error';
  const validate = validatorFor(pointer);
  return validate(body) ? [] : (validate.errors ?? []).map((e) => `${path} ${status}: ${e.instancePath || '(body)'} ${e.message}`);
}

export interface OrgSecret {
  name: string;
  visibility: 'all' | 'private' | 'selected';
  /** For visibility selected: the repositories (owner/name) it is shared with. */
  selected?: string[];
}

export interface GitHubState {
  owner: string;
  repo: string;
  private: boolean;
  token: string;
  environments: Record<string, { secrets: string[]; variables: Record<string, string> }>;
  repoSecrets: string[];
  repoVariables: Record<string, string>;
  orgSecrets: OrgSecret[];
  orgVariables: Record<string, string>;
  /** Path prefix the API lives under: '' for api.github.com, '/api/v3' for GitHub Enterprise Server. */
  prefix: string;
  /** Paths that answer 403 as a token without the permission gets. */
  forbidden: string[];
  /**
   * Fail the first N requests as GitHub does: 429 = a secondary rate limit (retry-after), 403 = the primary limit
   * used up (x-ratelimit-remaining 0 and a reset time), 502 = a gateway error.
   */
  rateLimit?: { style: '429' | '403' | '502'; requests: number; seconds: number };
}

export interface GitHubStub {
  url: string;
  state: GitHubState;
  requests: string[];
  violations: string[];
  close(): Promise<void>;
}

const TIME = '2026-01-15T10:00:00Z';
const secret = (name: string) => ({ name, created_at: TIME, updated_at: TIME });
const variable = ([name, value]: [string, string]) => ({ name, value, created_at: TIME, updated_at: TIME });

export async function startGitHubStub(initial: Partial<GitHubState> = {}): Promise<GitHubStub> {
  const state: GitHubState = {
    owner: 'acme',
    repo: 'meats',
    private: true,
    token: 'ghp_stubtoken',
    environments: {},
    repoSecrets: [],
    repoVariables: {},
    orgSecrets: [],
    orgVariables: {},
    prefix: '',
    forbidden: [],
    ...initial,
  };
  const requests: string[] = [];
  const violations: string[] = [];
  let rateLimited = 0;

  const server = http.createServer((request, response) => {
    const url = new URL(request.url ?? '/', 'http://stub');
    requests.push(`${request.method} ${url.pathname}${url.search}`);
    const send = (status: number, body: unknown, headers: Record<string, string> = {}) => {
      const path = url.pathname.slice(state.prefix.length);
      violations.push(...conformance(path, status, body));
      response.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...headers });
      response.end(JSON.stringify(body));
    };
    const error = (status: number, message: string, headers: Record<string, string> = {}) =>
      send(status, { message, documentation_url: 'https://docs.github.com/rest', status: String(status) }, headers);

    // GitHub takes a token in either scheme; Octokit sends `token`.
    if (![`Bearer ${state.token}`, `token ${state.token}`].includes(request.headers.authorization ?? ''))
      return error(401, 'Bad credentials');
    if (state.rateLimit && rateLimited < state.rateLimit.requests) {
      rateLimited++;
      // GitHub's own words for a secondary limit; Octokit's throttling plugin recognises it by them.
      if (state.rateLimit.style === '429')
        return error(429, 'You have exceeded a secondary rate limit. Please wait a few minutes before you try again.', {
          'retry-after': String(state.rateLimit.seconds),
        });
      if (state.rateLimit.style === '502') return error(502, 'Server Error');
      const reset = Math.ceil(Date.now() / 1000) + state.rateLimit.seconds;
      return error(403, 'API rate limit exceeded for user ID 1.', {
        'x-ratelimit-limit': '5000',
        'x-ratelimit-remaining': '0',
        'x-ratelimit-reset': String(reset),
      });
    }
    if (!url.pathname.startsWith(`${state.prefix}/repos/${state.owner}/${state.repo}/`)) return error(404, 'Not Found');
    const rest = url.pathname.slice(`${state.prefix}/repos/${state.owner}/${state.repo}`.length);
    if (state.forbidden.some((p) => rest.startsWith(p))) return error(403, 'Resource not accessible by personal access token');

    const page = Number(url.searchParams.get('page') ?? '1');
    const perPage = Math.min(Number(url.searchParams.get('per_page') ?? '30'), 100);
    const paginate = <T>(key: 'secrets' | 'variables', items: T[]) => {
      const slice = items.slice((page - 1) * perPage, page * perPage);
      const last = Math.max(1, Math.ceil(items.length / perPage));
      const link = (p: number, rel: string) =>
        `<http://${request.headers.host}${url.pathname}?per_page=${perPage}&page=${p}>; rel="${rel}"`;
      const links = [
        ...(page < last ? [link(page + 1, 'next'), link(last, 'last')] : []),
        ...(page > 1 ? [link(1, 'first'), link(page - 1, 'prev')] : []),
      ];
      send(200, { total_count: items.length, [key]: slice }, links.length ? { link: links.join(', ') } : {});
    };

    const environment = /^\/environments\/([^/]+)\/(secrets|variables)$/.exec(rest);
    if (environment) {
      const env = Object.entries(state.environments).find(
        ([name]) => name.toLowerCase() === decodeURIComponent(environment[1]!).toLowerCase(),
      )?.[1];
      if (!env) return error(404, 'Not Found');
      return environment[2] === 'secrets'
        ? paginate('secrets', env.secrets.map(secret))
        : paginate('variables', Object.entries(env.variables).map(variable));
    }
    const full = `${state.owner}/${state.repo}`;
    switch (rest) {
      case '/actions/secrets':
        return paginate('secrets', state.repoSecrets.map(secret));
      case '/actions/variables':
        return paginate('variables', Object.entries(state.repoVariables).map(variable));
      // What GitHub shows a repository of its organization's secrets: those whose visibility reaches it.
      case '/actions/organization-secrets':
        return paginate(
          'secrets',
          state.orgSecrets
            .filter(
              (s) =>
                s.visibility === 'all' ||
                (s.visibility === 'private' && state.private) ||
                (s.visibility === 'selected' && (s.selected ?? []).includes(full)),
            )
            .map((s) => secret(s.name)),
        );
      case '/actions/organization-variables':
        return paginate('variables', Object.entries(state.orgVariables).map(variable));
      default:
        return error(404, 'Not Found');
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}${state.prefix}`,
    state,
    requests,
    violations,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
