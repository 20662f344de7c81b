// A small GitHub REST client over fetch: pagination at 100 a page, rate-limit waits, and errors that say
// which fine-grained permission is missing. Works against GitHub Enterprise Server through apiUrl.

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

export class GitHubApiError extends Error {
  readonly status: number;
  readonly path: string;
  constructor(status: number, path: string, message: string) {
    super(message);
    this.name = 'GitHubApiError';
    this.status = status;
    this.path = path;
  }
}

/** The permission a path needs, for 403/404 messages. */
export function permissionFor(path: string): string {
  if (/\/variables\b|organization-variables/.test(path)) return 'Variables: read (and Environments: read for environment variables)';
  if (/\/environments\//.test(path)) return 'Secrets: read and Environments: read';
  return 'Secrets: read';
}

const PER_PAGE = 100;
const MAX_RETRIES = 3;

export class GitHubClient {
  private readonly options: Required<Omit<GitHubClientOptions, 'onWait'>> & Pick<GitHubClientOptions, 'onWait'>;

  constructor(options: GitHubClientOptions) {
    this.options = {
      ...options,
      fetch: options.fetch ?? globalThis.fetch,
      sleep: options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms))),
      now: options.now ?? Date.now,
      apiUrl: options.apiUrl.replace(/\/+$/, ''),
    };
  }

  /** Every item of a paginated list endpoint whose body is { total_count, [key]: [...] }. */
  async listAll<T>(path: string, key: string): Promise<T[]> {
    const items: T[] = [];
    for (let page = 1; ; page++) {
      const separator = path.includes('?') ? '&' : '?';
      const { body, link } = await this.get(`${path}${separator}per_page=${PER_PAGE}&page=${page}`);
      const pageItems = (body as Record<string, unknown>)[key];
      if (!Array.isArray(pageItems)) throw new GitHubApiError(200, path, `GitHub answered ${path} without a "${key}" list`);
      items.push(...(pageItems as T[]));
      const total = (body as { total_count?: number }).total_count;
      const more = link ? /rel="next"/.test(link) : total !== undefined ? items.length < total : pageItems.length === PER_PAGE;
      if (!more || pageItems.length === 0) return items;
    }
  }

  async get(pathAndQuery: string): Promise<{ body: unknown; link: string | null }> {
    const url = `${this.options.apiUrl}${pathAndQuery}`;
    const path = pathAndQuery.replace(/\?.*$/, '');
    for (let attempt = 0; ; attempt++) {
      let response: Response;
      try {
        response = await this.options.fetch(url, {
          headers: {
            accept: 'application/vnd.github+json',
            authorization: `Bearer ${this.options.token}`,
            'x-github-api-version': '2022-11-28',
            'user-agent': 'golden-pipeline-audit-secrets',
          },
        });
      } catch (error) {
        throw new GitHubApiError(0, path, `cannot reach ${this.options.apiUrl}: ${(error as Error & { cause?: Error }).cause?.message ?? (error as Error).message}`);
      }
      if (response.ok) return { body: await response.json(), link: response.headers.get('link') };
      const wait = this.rateLimitWait(response);
      if (wait !== undefined) {
        if (attempt >= MAX_RETRIES || wait > this.options.maxRateLimitWaitMs) {
          const resetAt = new Date(this.options.now() + wait).toISOString();
          throw new GitHubApiError(response.status, path, `GitHub's rate limit is exhausted for this token until ${resetAt} (${Math.ceil(wait / 1000)} s, more than the ${Math.round(this.options.maxRateLimitWaitMs / 1000)} s this step waits); try again later or use a token with a higher limit`);
        }
        this.options.onWait?.(`GitHub rate limit reached (${response.status}); waiting ${Math.ceil(wait / 1000)} s before retrying ${path}`);
        await this.options.sleep(wait);
        continue;
      }
      throw await this.failure(response, path);
    }
  }

  /** Milliseconds to wait for a 429, or a 403 that is a rate limit (primary or secondary); undefined otherwise. */
  private rateLimitWait(response: Response): number | undefined {
    if (response.status !== 429 && response.status !== 403) return undefined;
    const retryAfter = response.headers.get('retry-after');
    if (retryAfter !== null && /^\d+$/.test(retryAfter)) return Number(retryAfter) * 1000;
    if (response.headers.get('x-ratelimit-remaining') === '0') {
      const reset = Number(response.headers.get('x-ratelimit-reset'));
      if (Number.isFinite(reset) && reset > 0) return Math.max(0, reset * 1000 - this.options.now()) + 1000;
    }
    return response.status === 429 ? 60_000 : undefined;
  }

  private async failure(response: Response, path: string): Promise<GitHubApiError> {
    let detail = '';
    try {
      detail = ((await response.json()) as { message?: string }).message ?? '';
    } catch { /* a body that is not JSON adds nothing */ }
    const said = detail ? ` ("${detail}")` : '';
    if (response.status === 401) return new GitHubApiError(401, path, `GitHub rejected the token (401)${said}: it is missing, expired or revoked`);
    if (response.status === 403 || response.status === 404) {
      const what = response.status === 403 ? 'refused' : 'did not find';
      return new GitHubApiError(response.status, path,
        `GitHub ${what} ${path} (${response.status})${said}. Reading secrets needs a token that can read them, which GITHUB_TOKEN cannot: ` +
        `use a fine-grained token with ${permissionFor(path)} on this repository${response.status === 404 ? ', and check that the repository and environment exist' : ''}`);
    }
    return new GitHubApiError(response.status, path, `GitHub answered ${path} with ${response.status}${said}`);
  }
}
