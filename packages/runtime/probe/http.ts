import * as http from 'node:http';
import * as https from 'node:https';
import type { Duplex } from 'node:stream';
import * as tls from 'node:tls';
import { connectThroughProxy, proxiedRequestOptions, proxyFor, proxyUnreachable } from './proxy.ts';
import { type FailureKind, type HttpTransport, type ProbeRequest, type ProbeResponse, TransportError } from './types.ts';

const MAX_BODY_BYTES = 1024 * 1024;
const MAX_REDIRECTS = 10;
const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);

const TLS_CODES = /^(CERT_|UNABLE_TO_|DEPTH_ZERO_|SELF_SIGNED_|ERR_TLS_|ERR_SSL_|EPROTO$|HOSTNAME_MISMATCH)/;

/** Maps a Node socket or TLS error to the failure kinds users read in the diagnosis. */
export function classifyNetworkError(error: NodeJS.ErrnoException): FailureKind {
  const code = error.code ?? '';
  if (code === 'ECONNREFUSED') return 'connection-refused';
  if (code === 'ECONNRESET' || code === 'EPIPE' || code === 'ECONNABORTED') return 'connection-reset';
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN' || code === 'EAI_FAIL' || code === 'EAI_NODATA') return 'dns';
  if (code === 'ETIMEDOUT') return 'timeout';
  if (TLS_CODES.test(code)) return 'tls';
  return 'network';
}

function describe(kind: FailureKind, error: NodeJS.ErrnoException, url: URL): string {
  const code = error.code ? ` (${error.code})` : '';
  switch (kind) {
    case 'connection-refused':
      return `connection refused by ${url.host}`;
    case 'connection-reset':
      return `connection reset by ${url.host}${code}`;
    case 'dns':
      return `DNS lookup of ${url.hostname} failed${code}`;
    case 'tls':
      return `TLS error: ${error.message}${code}`;
    default:
      return `${error.message}${code}`;
  }
}

/** Opens the byte stream a request travels on, e.g. a channel forwarded through an SSH connection. */
export type StreamConnector = (host: string, port: number) => Promise<Duplex>;

/**
 * HTTP(S) with a fresh connection per attempt, as a probe should measure. By default over Node's own
 * sockets, through the proxy the environment names (proxy.ts); with `connect`, over streams it opens (TLS,
 * when needed, runs on top of them).
 */
export function createHttpTransport(connect?: StreamConnector): HttpTransport {
  return { send: (request) => sendFollowingRedirects(request, connect) };
}

export const nodeHttpTransport: HttpTransport = createHttpTransport();

async function sendFollowingRedirects(request: ProbeRequest, connect?: StreamConnector): Promise<ProbeResponse> {
  const started = performance.now();
  const deadline = started + request.timeoutMs;
  let url = request.url;
  let method = request.method;
  for (let redirects = 0; ; redirects += 1) {
    const answer = await sendOnce({ ...request, url, method }, deadline, connect);
    const location = answer.location;
    if (!request.followRedirects || !REDIRECT_STATUSES.has(answer.status) || !location) {
      return {
        status: answer.status,
        body: answer.body,
        latencyMs: performance.now() - started,
        finalUrl: url.href,
        redirects,
        headers: answer.headers,
      } satisfies ProbeResponse;
    }
    if (redirects >= MAX_REDIRECTS) {
      throw new TransportError('redirects', `more than ${MAX_REDIRECTS} redirects, last to ${location}`);
    }
    url = new URL(location, url);
    // As browsers do: 303, and 301/302 after a non-GET, continue as GET.
    if (answer.status === 303 || ((answer.status === 301 || answer.status === 302) && method !== 'HEAD')) method = 'GET';
  }
}

interface RawAnswer {
  status: number;
  body: string;
  location?: string;
  headers: Record<string, string>;
}

function tunnelledConnection(request: ProbeRequest, connect: StreamConnector) {
  const url = request.url;
  const port = Number(url.port || (url.protocol === 'https:' ? 443 : 80));
  const host = url.hostname.replace(/^\[|\]$/g, '');
  return (_options: unknown, done: (error: Error | null, stream?: Duplex) => void) => {
    connect(host, port).then(
      (stream) => {
        if (url.protocol !== 'https:') return done(null, stream);
        const secure = tls.connect({ socket: stream as never, servername: host, ca: request.ca, rejectUnauthorized: !request.insecure });
        secure.once('secureConnect', () => done(null, secure));
        secure.once('error', (error) => done(error));
      },
      (error: Error) => done(Object.assign(error, { code: (error as NodeJS.ErrnoException).code ?? 'ECONNREFUSED' })),
    );
    return undefined;
  };
}

function sendOnce(request: ProbeRequest, deadline: number, connect?: StreamConnector): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    const url = request.url;
    const isHttps = url.protocol === 'https:';
    let proxy: URL | undefined;
    try {
      proxy = connect ? undefined : proxyFor(url);
    } catch (error) {
      return reject(error);
    }
    // https:// through a proxy is a CONNECT tunnel, then TLS on it as over any stream; http:// goes to the proxy.
    if (proxy && isHttps) connect = connectThroughProxy(proxy);
    const viaProxy = proxy && !isHttps ? proxiedRequestOptions(proxy, url) : undefined;
    const options: https.RequestOptions = {
      method: request.method,
      ...viaProxy,
      headers: { 'user-agent': 'golden-pipeline-health-check', ...request.headers, ...viaProxy?.headers },
      // Node uses createConnection only without an agent: `agent: false` would make a fresh agent that
      // opens its own socket and bypasses the stream (the SSH connection).
      ...(connect ? { agent: undefined, createConnection: tunnelledConnection(request, connect) as never } : { agent: false }),
      ...(isHttps ? { rejectUnauthorized: !request.insecure, ...(request.ca ? { ca: request.ca } : {}) } : {}),
    };
    const timeLeft = Math.max(1, deadline - performance.now());
    let settled = false;
    const fail = (error: TransportError) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      req.destroy();
      reject(error);
    };
    const req = viaProxy ? http.request(options, onResponse) : (isHttps ? https : http).request(url, options, onResponse);
    function onResponse(res: http.IncomingMessage) {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (chunk: Buffer) => {
        if (size < MAX_BODY_BYTES) chunks.push(chunk.subarray(0, MAX_BODY_BYTES - size));
        size += chunk.length;
      });
      res.on('end', () => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        resolve({
          status: res.statusCode ?? 0,
          body: Buffer.concat(chunks).toString('utf8'),
          location: typeof res.headers.location === 'string' ? res.headers.location : undefined,
          headers: Object.fromEntries(
            Object.entries(res.headers).map(([name, value]) => [name, Array.isArray(value) ? value.join(', ') : (value ?? '')]),
          ),
        });
      });
      res.on('error', (error: NodeJS.ErrnoException) =>
        fail(new TransportError(classifyNetworkError(error), describe(classifyNetworkError(error), error, url), error.code)),
      );
    }
    const timer = setTimeout(() => fail(new TransportError('timeout', `no complete answer within ${Math.round(timeLeft)} ms`)), timeLeft);
    req.on('error', (error: NodeJS.ErrnoException) => {
      if (error instanceof TransportError) return fail(error); // the tunnel's own, already named (a proxy's refusal)
      if (viaProxy) return fail(proxyUnreachable(proxy!, error)); // the proxy, not the server, is what failed
      const kind = classifyNetworkError(error);
      fail(new TransportError(kind, describe(kind, error, url), error.code));
    });
    req.end();
  });
}
