"use strict";
exports.id = 730;
exports.ids = [730];
exports.modules = {

/***/ 8730:
/***/ ((__unused_webpack_module, __webpack_exports__, __webpack_require__) => {

/* harmony export */ __webpack_require__.d(__webpack_exports__, {
/* harmony export */   GitHubClient: () => (/* binding */ GitHubClient)
/* harmony export */ });
/* harmony import */ var _actions_github__WEBPACK_IMPORTED_MODULE_0__ = __webpack_require__(1758);
/* harmony import */ var _octokit_plugin_retry__WEBPACK_IMPORTED_MODULE_3__ = __webpack_require__(9735);
/* harmony import */ var _octokit_plugin_throttling__WEBPACK_IMPORTED_MODULE_2__ = __webpack_require__(6856);
/* harmony import */ var _errors_js__WEBPACK_IMPORTED_MODULE_1__ = __webpack_require__(6474);
// GitHub's REST API through Octokit (@actions/github's getOctokit, with its pagination plugin), plus Octokit's
// throttling and retry plugins: the ecosystem's handling of primary and secondary rate limits and of 5xx. What
// this file adds: a ceiling on rate-limit waits, a line for each wait, and errors that say which fine-grained
// permission is missing. Works against GitHub Enterprise Server through apiUrl. Loaded only by github mode:
// Octokit costs about 55 ms of start-up that the other modes do not need.




const PER_PAGE = 100;
/** Waits for one request's rate limit before giving up, and retries of a 5xx (the retry plugin's 1, 4 and 9 s). */
const MAX_RETRIES = 3;
/** The retry plugin's default, plus 429: rate limits are the throttling plugin's, with this file's ceiling. */
const DO_NOT_RETRY = [400, 401, 403, 404, 410, 422, 429, 451];
const isFailedRequest = (error) => error instanceof Error && typeof error.status === 'number';
class GitHubClient {
    octokit;
    options;
    /** Per request URL, the wait this client refused the throttling plugin: the error that follows says so. */
    refusedWaits = new Map();
    constructor(options) {
        this.options = {
            token: options.token,
            maxRateLimitWaitMs: options.maxRateLimitWaitMs,
            onWait: options.onWait,
            now: options.now ?? Date.now,
            apiUrl: options.apiUrl.replace(/\/+$/, ''),
        };
        const onLimit = (kind) => (retryAfterSeconds, request, _octokit, retryCount) => this.waitOrGiveUp(kind, retryAfterSeconds * 1000, request.url, retryCount);
        this.octokit = (0,_actions_github__WEBPACK_IMPORTED_MODULE_0__/* .getOctokit */ .Q)(options.token, {
            baseUrl: this.options.apiUrl,
            userAgent: 'golden-pipeline-audit-secrets',
            request: { fetch: options.fetch ?? globalThis.fetch },
            throttle: { onRateLimit: onLimit('primary'), onSecondaryRateLimit: onLimit('secondary') },
            retry: { doNotRetry: DO_NOT_RETRY, retries: MAX_RETRIES },
        }, _octokit_plugin_throttling__WEBPACK_IMPORTED_MODULE_2__/* .throttling */ .A, _octokit_plugin_retry__WEBPACK_IMPORTED_MODULE_3__/* .retry */ .L);
    }
    /** The throttling plugin's question, per request and per attempt: wait this long and retry? */
    waitOrGiveUp(kind, waitMs, url, retryCount) {
        const tooLong = waitMs > this.options.maxRateLimitWaitMs;
        if (tooLong || retryCount >= MAX_RETRIES) {
            this.refusedWaits.set(url, { waitMs, tooLong });
            return false;
        }
        this.options.onWait?.(`GitHub ${kind} rate limit reached; waiting ${Math.ceil(waitMs / 1000)} s before retrying ${this.pathOf(url)}`);
        return true;
    }
    /** An endpoint's path below apiUrl (/repos/…), as users and the permission advice name it. */
    pathOf(url) {
        const base = new URL(this.options.apiUrl).pathname.replace(/\/$/, '');
        const path = new URL(url, this.options.apiUrl).pathname;
        return path.startsWith(base) ? path.slice(base.length) : path;
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
        const refused = this.refusedWaits.get(String(error.request?.url));
        if ((error.status === 403 || error.status === 429) && refused) {
            const resetAt = new Date(this.options.now() + refused.waitMs).toISOString();
            const why = refused.tooLong
                ? `more than the ${Math.round(this.options.maxRateLimitWaitMs / 1000)} s this step waits`
                : `still limited after ${MAX_RETRIES} waits`;
            return new _errors_js__WEBPACK_IMPORTED_MODULE_1__/* .GitHubApiError */ .O(error.status, path, `GitHub's rate limit is exhausted for this token until ${resetAt} (${Math.ceil(refused.waitMs / 1000)} s, ${why}); try again later or use a token with a higher limit`);
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