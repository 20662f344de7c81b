/**
 * The health gate: nothing takes traffic, and nothing old goes, until the new container passes it. With
 * `health-url`, HTTP probes from the host's side of the SSH connection (Kubernetes probe semantics, the probe
 * package); without, the container must be running, and with `health-container`, healthy by its own HEALTHCHECK.
 */
import * as docker from '#docker/index';
import { UserError } from '#errors/index';
import type { Logger } from '#log/index';
import { createHttpTransport, type HttpTransport, pollUntil, probeUrl } from '#probe/index';
import type { RemoteHost } from '#ssh/index';
import type { HealthGate } from './inputs.ts';

/**
 * The HTTP transport through the host's side of its SSH connection: URLs are as the host sees them. With
 * `proxyProtocol` each connection first says `PROXY UNKNOWN` (v1), as an edge that accepts only the PROXY
 * protocol requires; the edge then takes the connection's own addresses.
 */
export const transportThrough = (host: RemoteHost, proxyProtocol = false): HttpTransport =>
  createHttpTransport(async (address, port) => {
    const stream = await host.forwardOut(address, port);
    if (proxyProtocol) stream.write(PROXY_UNKNOWN);
    return stream;
  });
const PROXY_UNKNOWN = 'PROXY UNKNOWN\r\n';

/**
 * Passes, or throws a UserError saying why not; gives up early once the connection is lost. `transport`
 * is how HTTP probes reach `url` (through the edge, it may speak the PROXY protocol).
 */
export async function healthGate(
  host: RemoteHost,
  gate: HealthGate,
  container: string,
  url: URL | undefined,
  logger: Logger,
  transport: HttpTransport = transportThrough(host),
): Promise<void> {
  await Promise.race([url ? httpGate(host, gate, url, logger, transport) : containerGate(host, gate, container, logger), host.lost]);
}

async function httpGate(host: RemoteHost, gate: HealthGate, url: URL, logger: Logger, transport: HttpTransport): Promise<void> {
  // Probing goes through the connection: once it is lost, further attempts only keep the runner waiting.
  const connection = new AbortController();
  host.lost.catch(() => connection.abort());
  const result = await probeUrl(
    { url, method: 'GET', headers: {}, timeoutMs: gate.timeoutMs, followRedirects: true, ca: gate.ca, insecure: false },
    { expectedStatus: gate.expectedStatus, bodyContains: gate.bodyContains, jsonFields: [] },
    {
      initialDelayMs: 0,
      intervalMs: gate.intervalMs,
      successThreshold: 1,
      maxAttempts: gate.attempts,
      backoff: 'fixed',
      maxIntervalMs: gate.intervalMs,
    },
    {
      transport,
      signal: connection.signal,
      onAttempt: (record) =>
        logger.info(`${url.href} attempt ${record.attempt}/${gate.attempts}: ${record.ok ? 'ok' : 'failed'}, ${record.detail}`),
    },
  );
  if (!result.healthy) throw new UserError(`health gate: ${url.href} ${result.diagnosis}`);
}

async function containerGate(host: RemoteHost, gate: HealthGate, container: string, logger: Logger): Promise<void> {
  const waited = await pollUntil<void>(
    async (attempt) => {
      const state = (await host.run(docker.containerInfo(container))).trim().split('|')[3];
      const health = gate.container ? (await host.run(docker.containerHealth(container))).trim() : 'none';
      logger.info(`container ${container} attempt ${attempt}/${gate.attempts}: ${state}${gate.container ? `, health ${health}` : ''}`);
      if (state !== 'running') throw new UserError(`the new container is ${state}, not running`);
      if (!gate.container || health === 'healthy') return { done: true, value: undefined };
      if (health === 'none') throw new UserError('health-container is set but the image defines no HEALTHCHECK');
      if (health === 'unhealthy') throw new UserError('the container reports unhealthy (its HEALTHCHECK failed)');
      return { done: false, seen: health };
    },
    { intervalMs: gate.intervalMs, maxAttempts: gate.attempts },
  );
  if (!waited.done) throw new UserError(`the container was still ${waited.last} after ${gate.attempts} checks`);
}
