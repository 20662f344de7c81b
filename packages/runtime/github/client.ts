// GitHub's REST API through Octokit (@actions/github's getOctokit, with its pagination plugin), plus Octokit's
// throttling and retry plugins: the ecosystem's handling of primary and secondary rate limits and of 5xx. What
// this file adds: a ceiling on rate-limit waits, a line for each wait, and errors that say which fine-grained
// permission is missing. Works against GitHub Enterprise Server through apiUrl. Loaded only by github mode:
// Octokit costs about 55 ms of start-up that the other modes do not need.
import { getOctokit } from '@actions/github';
import { retry } from '@octokit/plugin-retry';
import { throttling } from '@octokit/plugin-throttling';
import { GitHubApiError, permissionFor } from './errors.ts';

export interface GitHubClientOptions {
  token: string;
  /** https://api.github.com, or https://HOST/api/v3 for GitHub Enterprise Server. */
  apiUrl: string;
  /** Longest wait for a rate limit to reset before giving up. */
  maxRateLimitWaitMs: number;
  fetch?: typeof fetch;
  now?: () => number;
  /** Told about each wait, so a long one is never silent. */
  onWait?: (message: string) => void;
}

const PER_PAGE = 100;
/** Waits for one request's rate limit before giving up, and retries of a 5xx (the retry plugin's 1, 4 and 9 s). */
const MAX_RETRIES = 3;
/** The retry plugin's default, plus 429: rate limits are the throttling plugin's, with this file's ceiling. */
const DO_NOT_RETRY = [400, 401, 403, 404, 410, 422, 429, 451];

/** What Octokit's RequestError carries that the messages need. */
interface FailedRequest {
  status: number;
  response?: { headers: Record<string, string | number | undefined>; data?: unknown };
  message: string;
}

const isFailedRequest = (error: unknown): error is FailedRequest =>
  error instanceof Error && typeof (error as { status?: unknown }).status === 'number';

type RateLimit = 'primary' | 'secondary';

export class GitHubClient {
  private readonly octokit: ReturnType<typeof getOctokit>;
  private readonly options: Required<Omit<GitHubClientOptions, 'onWait' | 'fetch'>> & Pick<GitHubClientOptions, 'onWait'>;
  /** Per request URL, the wait this client refused the throttling plugin: the error that follows says so. */
  private readonly refusedWaits = new Map<string, { waitMs: number; tooLong: boolean }>();

  constructor(options: GitHubClientOptions) {
    this.options = {
      token: options.token,
      maxRateLimitWaitMs: options.maxRateLimitWaitMs,
      onWait: options.onWait,
      now: options.now ?? Date.now,
      apiUrl: options.apiUrl.replace(/\/+$/, ''),
    };
    const onLimit = (kind: RateLimit) => (retryAfterSeconds: number, request: { url: string }, _octokit: unknown, retryCount: number) =>
      this.waitOrGiveUp(kind, retryAfterSeconds * 1000, request.url, retryCount);
    this.octokit = getOctokit(
      options.token,
      {
        baseUrl: this.options.apiUrl,
        userAgent: 'golden-pipeline-audit-secrets',
        request: { fetch: options.fetch ?? globalThis.fetch },
        throttle: { onRateLimit: onLimit('primary'), onSecondaryRateLimit: onLimit('secondary') },
        retry: { doNotRetry: DO_NOT_RETRY, retries: MAX_RETRIES },
      },
      throttling,
      retry,
    );
  }

  /** The throttling plugin's question, per request and per attempt: wait this long and retry? */
  private waitOrGiveUp(kind: RateLimit, waitMs: number, url: string, retryCount: number): boolean {
    const tooLong = waitMs > this.options.maxRateLimitWaitMs;
    if (tooLong || retryCount >= MAX_RETRIES) {
      this.refusedWaits.set(url, { waitMs, tooLong });
      return false;
    }
    this.options.onWait?.(`GitHub ${kind} rate limit reached; waiting ${Math.ceil(waitMs / 1000)} s before retrying ${this.pathOf(url)}`);
    return true;
  }

  /** An endpoint's path below apiUrl (/repos/…), as users and the permission advice name it. */
  private pathOf(url: string): string {
    const base = new URL(this.options.apiUrl).pathname.replace(/\/$/, '');
    const path = new URL(url, this.options.apiUrl).pathname;
    return path.startsWith(base) ? path.slice(base.length) : path;
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
    const refused = this.refusedWaits.get(String((error as { request?: { url?: string } }).request?.url));
    if ((error.status === 403 || error.status === 429) && refused) {
      const resetAt = new Date(this.options.now() + refused.waitMs).toISOString();
      const why = refused.tooLong
        ? `more than the ${Math.round(this.options.maxRateLimitWaitMs / 1000)} s this step waits`
        : `still limited after ${MAX_RETRIES} waits`;
      return new GitHubApiError(
        error.status,
        path,
        `GitHub's rate limit is exhausted for this token until ${resetAt} (${Math.ceil(refused.waitMs / 1000)} s, ${why}); try again later or use a token with a higher limit`,
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
