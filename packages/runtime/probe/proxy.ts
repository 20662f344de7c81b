// Forward proxies, as self-hosted runners behind one need them: HTTPS_PROXY, HTTP_PROXY, ALL_PROXY and NO_PROXY
// (either case), read by proxy-from-env, the rules curl and axios share. An https:// URL goes through a CONNECT
// tunnel, so TLS still runs end to end with the server; an http:// URL is sent to the proxy in absolute form.
import * as http from 'node:http';
import type { Duplex } from 'node:stream';
import { getProxyForUrl } from 'proxy-from-env';
import type { StreamConnector } from './http.ts';
import { TransportError } from './types.ts';

/** The variables that name a proxy, in the order proxy-from-env prefers them (lower case first). */
export const PROXY_VARIABLES = ['https_proxy', 'HTTPS_PROXY', 'http_proxy', 'HTTP_PROXY', 'all_proxy', 'ALL_PROXY'] as const;

/** What is wrong with the proxy variables, one message per variable that names it; empty when all is well. */
export function proxyEnvironmentProblems(env: NodeJS.ProcessEnv = process.env): string[] {
  const problems: string[] = [];
  for (const name of PROXY_VARIABLES) {
    const value = env[name];
    if (!value) continue;
    const url = parseProxy(value);
    if (!url) problems.push(`${name} is not a URL`);
    else if (url.protocol !== 'http:') problems.push(`${name}: only http:// proxies are supported, not ${url.protocol}//`);
  }
  return problems;
}

/** Passwords inside the proxy variables (http://user:password@proxy:3128), for the logger to mask. */
export function proxyPasswords(env: NodeJS.ProcessEnv = process.env): string[] {
  return PROXY_VARIABLES.map((name) => env[name] && parseProxy(env[name]!))
    .filter((url): url is URL => Boolean(url && url.password))
    .map((url) => decodeURIComponent(url.password));
}

/** The proxy a request to `url` goes through, or undefined for a direct connection (no proxy, or NO_PROXY). */
export function proxyFor(url: URL): URL | undefined {
  if (!getProxyForUrl(url.href)) return undefined; // no proxy variable, or NO_PROXY names the host
  // The value itself as curl reads it: proxy-from-env gives a value with no scheme the request's own (https).
  const scheme = url.protocol.replace(/:$/, '');
  const parsed = parseProxy(variable(`${scheme}_proxy`) || variable('all_proxy'));
  if (!parsed || parsed.protocol !== 'http:')
    throw new TransportError('proxy', `the proxy for ${url.protocol}// URLs is not an http:// URL (see HTTPS_PROXY and HTTP_PROXY)`);
  return parsed;
}

/** host:port of the proxy, never its credentials: what messages show. */
export const proxyName = (proxy: URL) => `${proxy.hostname}:${proxyPort(proxy)}`;
const proxyPort = (proxy: URL) => Number(proxy.port || 80);

/** The Proxy-Authorization header for a proxy URL with credentials. */
export function proxyAuthorization(proxy: URL): Record<string, string> {
  if (!proxy.username && !proxy.password) return {};
  const credentials = `${decodeURIComponent(proxy.username)}:${decodeURIComponent(proxy.password)}`;
  return { 'proxy-authorization': `Basic ${Buffer.from(credentials).toString('base64')}` };
}

/** Where the absolute-form request for an http:// URL goes: the proxy's address, with the URL as the path. */
export function proxiedRequestOptions(proxy: URL, url: URL): http.RequestOptions {
  return { host: proxy.hostname, port: proxyPort(proxy), path: url.href, headers: { host: url.host, ...proxyAuthorization(proxy) } };
}

/** Opens a CONNECT tunnel through the proxy; TLS to the server then runs on top of it. */
export function connectThroughProxy(proxy: URL): StreamConnector {
  return (host, port) =>
    new Promise<Duplex>((resolve, reject) => {
      const authority = `${host.includes(':') ? `[${host}]` : host}:${port}`;
      const request = http.request({
        host: proxy.hostname,
        port: proxyPort(proxy),
        method: 'CONNECT',
        path: authority,
        headers: { host: authority, ...proxyAuthorization(proxy) },
        agent: false,
      });
      request.once('connect', (response, socket, head) => {
        if (response.statusCode === 200) {
          if (head.length > 0) socket.unshift(head);
          resolve(socket);
          return;
        }
        socket.destroy();
        reject(
          new TransportError(
            'proxy',
            `the proxy ${proxyName(proxy)} refused CONNECT ${authority}: ${response.statusCode} ${response.statusMessage ?? ''}`.trim(),
          ),
        );
      });
      request.once('error', (error: NodeJS.ErrnoException) => reject(proxyUnreachable(proxy, error)));
      request.end();
    });
}

/** An error on the way to the proxy itself, named as the proxy's, not the server's. */
export function proxyUnreachable(proxy: URL, error: NodeJS.ErrnoException): TransportError {
  const code = error.code ? ` (${error.code})` : '';
  return new TransportError('proxy', `cannot reach the proxy ${proxyName(proxy)}: ${error.message}${code}`, error.code);
}

/** As proxy-from-env reads a variable: the lower-case name first. */
const variable = (name: string) => process.env[name.toLowerCase()] || process.env[name.toUpperCase()] || '';

/** A proxy value as curl reads it: with no scheme, http://. */
function parseProxy(value: string): URL | undefined {
  try {
    return new URL(value.includes('://') ? value : `http://${value}`);
  } catch {
    return undefined;
  }
}
