// GitHub's REST API through Octokit (@actions/github's getOctokit, with its pagination plugin), plus what
// Octokit leaves to its caller: rate-limit waits with a ceiling, and errors that say which fine-grained
// permission is missing. Works against GitHub Enterprise Server through apiUrl. Loaded only by github mode:
// Octokit costs about 55 ms of start-up that the other modes do not need.
import { getOctokit } from '@actions/github';
import { GitHubApiError, permissionFor } from './errors.ts';

export interface GitHubClientOptions {
  token: string;
  /** https://api.github.com, or https://HOST/api/v3 for GitHub Enterprise Server. */
  apiUrl: string;
  /** Longest wait for a rate limit to reset before giving up. */
  maxRateLimitWaitMs: number;
  fetch?: typeof fetch;
  sleep?: (ms: number) => Promise<void>;
  now?: () => number;
  /** Told about each wait, so a long one is never silent. */
  onWait?: (message: string) => void;
}

const PER_PAGE = 100;
const MAX_RETRIES = 3;

/** What Octokit's RequestError carries that the waits and messages need. */
interface FailedRequest {
  status: number;
  response?: { headers: Record<string, string | number | undefined>; data?: unknown };
  message: string;
}

const isFailedRequest = (error: unknown): error is FailedRequest =>
  error instanceof Error && typeof (error as { status?: unknown }).status === 'number';

export class GitHubClient {
  private readonly octokit: ReturnType<typeof getOctokit>;
  private readonly options: Required<Omit<GitHubClientOptions, 'onWait' | 'fetch'>> & Pick<GitHubClientOptions, 'onWait'>;

  constructor(options: GitHubClientOptions) {
    this.options = {
      token: options.token,
      maxRateLimitWaitMs: options.maxRateLimitWaitMs,
      onWait: options.onWait,
      sleep: options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms))),
      now: options.now ?? Date.now,
      apiUrl: options.apiUrl.replace(/\/+$/, ''),
    };
    this.octokit = getOctokit(options.token, {
      baseUrl: this.options.apiUrl,
      userAgent: 'golden-pipeline-audit-secrets',
      request: { fetch: options.fetch ?? globalThis.fetch },
    });
    // Every request, each page included, goes through the rate-limit waits.
    this.octokit.hook.wrap('request', (request, endpoint) => this.withRateLimitWaits(async () => request(endpoint), String(endpoint.url)));
  }

  /** Every item of a paginated list endpoint whose body is { total_count, [key]: [...] }. */
  async listAll<T>(path: string, key: string): Promise<T[]> {
    try {
      const items = (await this.octokit.paginate(`GET ${path}`, { per_page: PER_PAGE })) as unknown;
      if (!Array.isArray(items)) throw new GitHubApiError(200, path, `GitHub answered ${path} without a "${key}" list`);
      return items as T[];
    } catch (error) {
      throw this.failure(error, path);
    }
  }

  private async withRateLimitWaits<R>(send: () => Promise<R>, url: string): Promise<R> {
    const path = new URL(url, this.options.apiUrl).pathname.slice(new URL(this.options.apiUrl).pathname.replace(/\/$/, '').length);
    for (let attempt = 0; ; attempt++) {
      try {
        return await send();
      } catch (error) {
        const wait = isFailedRequest(error) ? this.rateLimitWait(error) : undefined;
        if (wait === undefined || !isFailedRequest(error)) throw error;
        if (attempt >= MAX_RETRIES || wait > this.options.maxRateLimitWaitMs) {
          const resetAt = new Date(this.options.now() + wait).toISOString();
          throw new GitHubApiError(
            error.status,
            path,
            `GitHub's rate limit is exhausted for this token until ${resetAt} (${Math.ceil(wait / 1000)} s, more than the ${Math.round(this.options.maxRateLimitWaitMs / 1000)} s this step waits); try again later or use a token with a higher limit`,
          );
        }
        this.options.onWait?.(`GitHub rate limit reached (${error.status}); waiting ${Math.ceil(wait / 1000)} s before retrying ${path}`);
        await this.options.sleep(wait);
      }
    }
  }

  /** Milliseconds to wait for a 429, or a 403 that is a rate limit (primary or secondary); undefined otherwise. */
  private rateLimitWait(error: FailedRequest): number | undefined {
    if (error.status !== 429 && error.status !== 403) return undefined;
    const header = (name: string) => {
      const value = error.response?.headers[name];
      return value === undefined ? null : String(value);
    };
    const retryAfter = header('retry-after');
    if (retryAfter !== null && /^\d+$/.test(retryAfter)) return Number(retryAfter) * 1000;
    if (header('x-ratelimit-remaining') === '0') {
      const reset = Number(header('x-ratelimit-reset'));
      if (Number.isFinite(reset) && reset > 0) return Math.max(0, reset * 1000 - this.options.now()) + 1000;
    }
    return error.status === 429 ? 60_000 : undefined;
  }

  /** Octokit's errors as GitHubApiError, with the advice a user of this step needs. */
  private failure(error: unknown, path: string): GitHubApiError {
    if (error instanceof GitHubApiError) return error;
    if (!isFailedRequest(error))
      return new GitHubApiError(0, path, `cannot reach ${this.options.apiUrl}: ${String((error as Error)?.message ?? error)}`);
    if (error.status === 500 && !error.response) {
      // Octokit reports a fetch that never got an answer (refused, DNS, TLS) as status 500 without a response.
      const cause = (error as unknown as { cause?: Error & { cause?: Error } }).cause;
      return new GitHubApiError(
        0,
        path,
        `cannot reach ${this.options.apiUrl}: ${cause?.cause?.message ?? cause?.message ?? error.message}`,
      );
    }
    const detail = (error.response?.data as { message?: string } | undefined)?.message ?? '';
    const said = detail ? ` ("${detail}")` : '';
    if (error.status === 401)
      return new GitHubApiError(401, path, `GitHub rejected the token (401)${said}: it is missing, expired or revoked`);
    if (error.status === 403 || error.status === 404) {
      const what = error.status === 403 ? 'refused' : 'did not find';
      return new GitHubApiError(
        error.status,
        path,
        `GitHub ${what} ${path} (${error.status})${said}. Reading secrets needs a token that can read them, which GITHUB_TOKEN cannot: ` +
          `use a fine-grained token with ${permissionFor(path)} on this repository${error.status === 404 ? ', and check that the repository and environment exist' : ''}`,
      );
    }
    return new GitHubApiError(error.status, path, `GitHub answered ${path} with ${error.status}${said}`);
  }
}
