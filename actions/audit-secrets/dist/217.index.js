"use strict";
exports.id = 217;
exports.ids = [217];
exports.modules = {

/***/ 6217:
/***/ ((__unused_webpack_module, __webpack_exports__, __webpack_require__) => {

/* harmony export */ __webpack_require__.d(__webpack_exports__, {
/* harmony export */   GitHubClient: () => (/* binding */ GitHubClient)
/* harmony export */ });
/* harmony import */ var _actions_github__WEBPACK_IMPORTED_MODULE_0__ = __webpack_require__(2413);
/* harmony import */ var _errors_js__WEBPACK_IMPORTED_MODULE_1__ = __webpack_require__(9325);
// GitHub's REST API through Octokit (@actions/github's getOctokit, with its pagination plugin), plus what
// Octokit leaves to its caller: rate-limit waits with a ceiling, and errors that say which fine-grained
// permission is missing. Works against GitHub Enterprise Server through apiUrl. Loaded only by github mode:
// Octokit costs about 55 ms of start-up that the other modes do not need.


const PER_PAGE = 100;
const MAX_RETRIES = 3;
const isFailedRequest = (error) => error instanceof Error && typeof error.status === 'number';
class GitHubClient {
    octokit;
    options;
    constructor(options) {
        this.options = {
            token: options.token,
            maxRateLimitWaitMs: options.maxRateLimitWaitMs,
            onWait: options.onWait,
            sleep: options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms))),
            now: options.now ?? Date.now,
            apiUrl: options.apiUrl.replace(/\/+$/, ''),
        };
        this.octokit = (0,_actions_github__WEBPACK_IMPORTED_MODULE_0__/* .getOctokit */ .Q)(options.token, {
            baseUrl: this.options.apiUrl,
            userAgent: 'golden-pipeline-audit-secrets',
            request: { fetch: options.fetch ?? globalThis.fetch },
        });
        // Every request, each page included, goes through the rate-limit waits.
        this.octokit.hook.wrap('request', (request, endpoint) => this.withRateLimitWaits(async () => request(endpoint), String(endpoint.url)));
    }
    /** Every item of a paginated list endpoint whose body is { total_count, [key]: [...] }. */
    async listAll(path, key) {
        try {
            const items = (await this.octokit.paginate(`GET ${path}`, { per_page: PER_PAGE }));
            if (!Array.isArray(items))
                throw new _errors_js__WEBPACK_IMPORTED_MODULE_1__/* .GitHubApiError */ .O(200, path, `GitHub answered ${path} without a "${key}" list`);
            return items;
        }
        catch (error) {
            throw this.failure(error, path);
        }
    }
    async withRateLimitWaits(send, url) {
        const path = new URL(url, this.options.apiUrl).pathname.slice(new URL(this.options.apiUrl).pathname.replace(/\/$/, '').length);
        for (let attempt = 0;; attempt++) {
            try {
                return await send();
            }
            catch (error) {
                const wait = isFailedRequest(error) ? this.rateLimitWait(error) : undefined;
                if (wait === undefined || !isFailedRequest(error))
                    throw error;
                if (attempt >= MAX_RETRIES || wait > this.options.maxRateLimitWaitMs) {
                    const resetAt = new Date(this.options.now() + wait).toISOString();
                    throw new _errors_js__WEBPACK_IMPORTED_MODULE_1__/* .GitHubApiError */ .O(error.status, path, `GitHub's rate limit is exhausted for this token until ${resetAt} (${Math.ceil(wait / 1000)} s, more than the ${Math.round(this.options.maxRateLimitWaitMs / 1000)} s this step waits); try again later or use a token with a higher limit`);
                }
                this.options.onWait?.(`GitHub rate limit reached (${error.status}); waiting ${Math.ceil(wait / 1000)} s before retrying ${path}`);
                await this.options.sleep(wait);
            }
        }
    }
    /** Milliseconds to wait for a 429, or a 403 that is a rate limit (primary or secondary); undefined otherwise. */
    rateLimitWait(error) {
        if (error.status !== 429 && error.status !== 403)
            return undefined;
        const header = (name) => {
            const value = error.response?.headers[name];
            return value === undefined ? null : String(value);
        };
        const retryAfter = header('retry-after');
        if (retryAfter !== null && /^\d+$/.test(retryAfter))
            return Number(retryAfter) * 1000;
        if (header('x-ratelimit-remaining') === '0') {
            const reset = Number(header('x-ratelimit-reset'));
            if (Number.isFinite(reset) && reset > 0)
                return Math.max(0, reset * 1000 - this.options.now()) + 1000;
        }
        return error.status === 429 ? 60_000 : undefined;
    }
    /** Octokit's errors as GitHubApiError, with the advice a user of this step needs. */
    failure(error, path) {
        if (error instanceof _errors_js__WEBPACK_IMPORTED_MODULE_1__/* .GitHubApiError */ .O)
            return error;
        if (!isFailedRequest(error))
            return new _errors_js__WEBPACK_IMPORTED_MODULE_1__/* .GitHubApiError */ .O(0, path, `cannot reach ${this.options.apiUrl}: ${String(error?.message ?? error)}`);
        if (error.status === 500 && !error.response) {
            // Octokit reports a fetch that never got an answer (refused, DNS, TLS) as status 500 without a response.
            const cause = error.cause;
            return new _errors_js__WEBPACK_IMPORTED_MODULE_1__/* .GitHubApiError */ .O(0, path, `cannot reach ${this.options.apiUrl}: ${cause?.cause?.message ?? cause?.message ?? error.message}`);
        }
        const detail = error.response?.data?.message ?? '';
        const said = detail ? ` ("${detail}")` : '';
        if (error.status === 401)
            return new _errors_js__WEBPACK_IMPORTED_MODULE_1__/* .GitHubApiError */ .O(401, path, `GitHub rejected the token (401)${said}: it is missing, expired or revoked`);
        if (error.status === 403 || error.status === 404) {
            const what = error.status === 403 ? 'refused' : 'did not find';
            return new _errors_js__WEBPACK_IMPORTED_MODULE_1__/* .GitHubApiError */ .O(error.status, path, `GitHub ${what} ${path} (${error.status})${said}. Reading secrets needs a token that can read them, which GITHUB_TOKEN cannot: ` +
                `use a fine-grained token with ${(0,_errors_js__WEBPACK_IMPORTED_MODULE_1__/* .permissionFor */ .T)(path)} on this repository${error.status === 404 ? ', and check that the repository and environment exist' : ''}`);
        }
        return new _errors_js__WEBPACK_IMPORTED_MODULE_1__/* .GitHubApiError */ .O(error.status, path, `GitHub answered ${path} with ${error.status}${said}`);
    }
}


/***/ })

};
;