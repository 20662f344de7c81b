/**
 * The HAProxy edge that strategy switch moves to (#25): traffic moves through HAProxy's runtime API, so no
 * reload and no new process touches a client connection. Each container port has a frontend and a backend
 * with two server slots, `blue` and `green`: one serves, the other takes the next release. A switch readies
 * the idle slot at the new container's address and puts the serving one in maintenance, where its requests in flight
 * finish and no new request reaches it; kept-alive client connections stay open and their next request goes
 * to the new slot. The config file names the serving release and slot, so a restarted proxy starts where
 * the runtime left it, and a deploy's recovery can put the runtime back in line with the file.
 */

export const SLOTS = ['blue', 'green'] as const;
export type Slot = (typeof SLOTS)[number];
export const otherSlot = (slot: Slot): Slot => (slot === 'blue' ? 'green' : 'blue');

/** The runtime API listens on the proxy container's loopback only. */
export const ADMIN_PORT = 9999;
/** A request carrying this header gets the slot that answered it back, in `SLOT_HEADER`. */
export const PROBE_HEADER = 'x-golden-probe';
export const SLOT_HEADER = 'x-golden-slot';
/** Where the proxy container sees the service's proxy folder (read-only). */
export const EDGE_MOUNT = '/golden';
/** The config file in the proxy folder; it records the serving release and slot (`edgeRecord`). */
export const EDGE_CONFIG = 'haproxy.cfg';
/** The certificate chain and key, one file (see tls.ts), beside the config. */
export const EDGE_PEM = 'tls.pem';
/** The map beside the config: `maintenance on|off`, and the maintenance page in base64 (one line, any bytes). */
export const EDGE_MAP = 'edge.map';
/** What a client is told to wait before it tries again, while the service is in maintenance. */
export const RETRY_AFTER_SECONDS = 30;
/** The runtime API reads a command line into one 16 KiB buffer: the page's base64 must fit in it. */
export const MAX_MAINTENANCE_PAGE_BYTES = 8192;
export const DEFAULT_MAINTENANCE_PAGE =
  '<!doctype html>\n<html><head><meta charset="utf-8"><title>Maintenance</title></head>' +
  '<body><h1>Down for maintenance</h1><p>We will be back shortly.</p></body></html>\n';
/** Inside the proxy container: the unix socket a reload passes the listening sockets through. */
const RELOAD_SOCKET = '/tmp/golden-edge.sock';
const SERVING_MARK = '# golden-deploy serving: ';
const SLOT_MARK = '# golden-deploy slot: ';

export interface EdgeConfigSpec {
  /** The network alias of the app container that serves. */
  upstream: string;
  slot: Slot;
  /** The container ports the app listens on; the proxy listens on the same ones. */
  ports: number[];
  /** Serve TLS (HTTP/2 and HTTP/1.1, TLS 1.2+ with forward-secret AEAD ciphers) with EDGE_PEM. */
  tls: boolean;
  /** The certificate chain's SHA-256 (with tls): a new certificate changes the config, which reloads the proxy. */
  certificateDigest?: string;
  /**
   * Keep the X-Forwarded-For and X-Forwarded-Proto a proxy in front sent (the edge appends its peer), for a
   * load balancer that speaks HTTP and not the PROXY protocol; otherwise a client's own are dropped.
   */
  forwardHeaders?: boolean;
  /** Accept the PROXY protocol (v1 and v2) from a load balancer in front, so the client's address is the real one. */
  proxyProtocol: boolean;
}

const backendOf = (port: number) => `port-${port}`;
const mapPath = `${EDGE_MOUNT}/${EDGE_MAP}`;

function server(slot: Slot, upstream: string, port: number, serving: boolean): string {
  // The alias is resolved through Docker's DNS once, when the proxy starts; init-addr none lets it start
  // before its app. No runtime resolver: its answers would move a slot back to the alias the file names
  // (measured: 503s during switches). The runtime API sets each slot's address; recovery sets it again.
  return `  server ${slot} ${upstream}:${port} init-addr libc,none${serving ? '' : ' disabled'}`;
}

/**
 * What the app is told of the client. By default a client's own X-Forwarded-* are dropped, so the address is
 * the edge's peer (the client, or with the PROXY protocol the one the balancer names) and the scheme the
 * edge's; with `forwardHeaders` those a proxy in front sent are kept and the peer is appended.
 */
function forwardedHeaders(spec: EdgeConfigSpec): string[] {
  const scheme = spec.tls ? 'https' : 'http';
  // One header line each, which every app framework reads alike (a second X-Forwarded-For line is not).
  return spec.forwardHeaders
    ? [
        '  http-request set-header X-Forwarded-For "%[req.fhdr(X-Forwarded-For)], %[src]" if { req.fhdr(X-Forwarded-For) -m found }',
        '  http-request set-header X-Forwarded-For %[src] unless { req.fhdr(X-Forwarded-For) -m found }',
        `  http-request set-header X-Forwarded-Proto ${scheme} unless { req.hdr(X-Forwarded-Proto) -m found }`,
        '  http-request set-header X-Real-IP %[src]',
      ]
    : [
        '  http-request set-header X-Forwarded-For %[src]',
        `  http-request set-header X-Forwarded-Proto ${scheme}`,
        '  http-request set-header X-Real-IP %[src]',
      ];
}

export function renderEdgeConfig(spec: EdgeConfigSpec): string {
  const sections = spec.ports.map((port) => {
    const name = backendOf(port);
    return [
      `frontend ${name}`,
      `  bind :${port}${spec.tls ? ` ssl crt ${EDGE_MOUNT}/${EDGE_PEM} alpn h2,http/1.1` : ''}${spec.proxyProtocol ? ' accept-proxy' : ''}`,
      // Maintenance is a flag in the map, set at run time: every request gets the page, and nothing else moves.
      `  http-request return status 503 content-type "text/html; charset=utf-8" hdr Retry-After ${RETRY_AFTER_SECONDS} ` +
        `hdr Cache-Control no-store lf-string "%[str(page),map(${mapPath}),b64dec]" ` +
        `if { str(maintenance),map(${mapPath},off) -m str on }`,
      ...forwardedHeaders(spec),
      `  http-request set-var(txn.golden_probe) req.hdr(${PROBE_HEADER})`,
      `  http-after-response set-header ${SLOT_HEADER} %[srv_name] if { var(txn.golden_probe) -m found }`,
      `  default_backend ${name}`,
      `backend ${name}`,
      ...SLOTS.map((slot) => server(slot, spec.upstream, port, slot === spec.slot)),
    ].join('\n');
  });
  return `${SERVING_MARK}${spec.upstream}
${SLOT_MARK}${spec.slot}
# Written by deploy-container (strategy switch). Traffic moves through the runtime API, never a reload;
# this file records where it went, for a restart.
${spec.tls ? `# tls certificate sha256: ${spec.certificateDigest ?? '-'}\n` : ''}global
  log stderr format short local0 warning
  stats socket ipv4@127.0.0.1:${ADMIN_PORT} level admin
  # A reload (SIGUSR2 to the master, only when ports, TLS or the PROXY protocol change) takes the listening
  # sockets over through this one, so no connection is refused while the new process starts.
  stats socket ${RELOAD_SOCKET} mode 600 level admin expose-fd listeners
  stats timeout 10s
  ssl-default-bind-options ssl-min-ver TLSv1.2 no-tls-tickets
  ssl-default-bind-ciphers ECDHE+AESGCM:ECDHE+CHACHA20
defaults
  mode http
  log global
  option http-keep-alive
  timeout connect 5s
  timeout client 300s
  timeout http-keep-alive 65s
  timeout server 300s
  timeout tunnel 1h
${sections.join('\n')}
`;
}

export interface EdgeRecord {
  upstream: string;
  slot: Slot;
}

/** The release and slot a config file records, or undefined for a file that is not one of ours. */
export function edgeRecord(config: string): EdgeRecord | undefined {
  const [first = '', second = ''] = config.split('\n', 2);
  if (!first.startsWith(SERVING_MARK) || !second.startsWith(SLOT_MARK)) return undefined;
  const upstream = first.slice(SERVING_MARK.length).trim();
  const slot = second.slice(SLOT_MARK.length).trim() as Slot;
  return upstream && SLOTS.includes(slot) ? { upstream, slot } : undefined;
}

/** The container ports a config file listens on (its `port-<n>` frontends), as recorded when it was written. */
export function edgePorts(config: string): number[] {
  return [...config.matchAll(/^frontend port-(\d+)$/gm)].map((match) => Number(match[1]));
}

/**
 * Whether a config's settings (ports, TLS, the PROXY protocol) differ from `spec`'s, so that a running proxy
 * must reload to take them: the record (serving release and slot) moves at run time and does not count.
 */
export const edgeSettingsDiffer = (config: string, spec: EdgeConfigSpec): boolean => {
  const record = edgeRecord(config);
  return !record || renderEdgeConfig({ ...spec, ...record }) !== config;
};

/**
 * The runtime commands that send every port's traffic to `slot`, at the container's `address`:
 * the slot is pointed at it and readied first, then the other slot stops taking new requests (its requests
 * in flight finish). Applying them again changes nothing, so recovery can apply what the file records.
 */
export function routeCommands(ports: readonly number[], slot: Slot, address: string): string {
  return ports
    .flatMap((port) => {
      const name = backendOf(port);
      return [
        `set server ${name}/${slot} addr ${address} port ${port}`,
        `set server ${name}/${slot} state ready`,
        `set server ${name}/${otherSlot(slot)} state maint`,
      ];
    })
    .join('; ');
}

/** Closes what still runs through `slot` (long requests, WebSockets, event streams) once the drain is over. */
export const closeSessionsCommands = (ports: readonly number[], slot: Slot): string =>
  ports.map((port) => `shutdown sessions server ${backendOf(port)}/${slot}`).join('; ');

export const STATS_COMMAND = 'show stat';
export const SERVERS_STATE_COMMAND = 'show servers state';

/**
 * Whether the runtime routes every port to `slot` at `address`, from `show servers state`: the slot is at
 * that address, running and not in maintenance, and the other slot takes no new request (maintenance).
 */
export function routesTo(serversState: string, ports: readonly number[], slot: Slot, address: string): boolean {
  const rows = serversState
    .split('\n')
    .filter((line) => line && !line.startsWith('#'))
    .map((line) => line.split(' '))
    .filter((fields) => fields.length > 6);
  const find = (port: number, name: Slot) => rows.find((fields) => fields[1] === backendOf(port) && fields[3] === name);
  return ports.every((port) => {
    const serving = find(port, slot);
    const other = find(port, otherSlot(slot));
    // srv_op_state 2 is running; srv_admin_state bit 1 is maintenance forced at run time (bit 4, set by the
    // config's `disabled`, stays on a slot readied since, and means nothing more).
    const forced = (fields: string[] | undefined) => fields !== undefined && (Number(fields[6]) & 0b11) !== 0;
    return serving?.[4] === address && serving[5] === '2' && !forced(serving) && forced(other);
  });
}

/** The sessions now running through `slot`, summed over every port, from `show stat`'s CSV. */
export function sessionsOn(stat: string, slot: Slot): number {
  const lines = stat.split('\n').filter((line) => line && !line.startsWith('#'));
  return lines
    .map((line) => line.split(','))
    .filter(([proxy = '', server]) => proxy.startsWith('port-') && server === slot)
    .reduce((sum, fields) => sum + Number(fields[4] ?? 0), 0);
}

/**
 * What the runtime API said went wrong, if anything. It answers every command on one connection, a
 * successful `set … state` with nothing and `set … addr`/`fqdn` with a note; a refusal names its cause.
 */
export function adminFailure(output: string): string | undefined {
  const refused = output
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => /^(Unknown command|No such|Require |Invalid|.*\bfailed\b|.*not found|.*not allowed|Permission denied)/i.test(line));
  return refused.length > 0 ? refused.join('; ') : undefined;
}

/**
 * The page as the map holds it. HAProxy writes the page through its log format, which escapes control
 * characters (a newline would reach the browser as %0A), so line breaks and tabs become spaces, which HTML
 * shows alike outside <pre>.
 */
export const servedPage = (page: string): string => page.replace(/[\r\n\t]+/g, ' ');
const encodedPage = (page: string) => Buffer.from(servedPage(page)).toString('base64');

export interface EdgeMaintenance {
  on: boolean;
  /** The page every request gets while on (HTML, at most MAX_MAINTENANCE_PAGE_BYTES). */
  page: string;
}

/** The flag and page a map file holds (what `renderEdgeMap` wrote), or undefined for one that is not ours. */
export function parseEdgeMap(text: string): EdgeMaintenance | undefined {
  const flag = /^maintenance (on|off)$/m.exec(text)?.[1];
  const page = /^page ([A-Za-z0-9+/=]*)$/m.exec(text)?.[1];
  return flag && page !== undefined ? { on: flag === 'on', page: Buffer.from(page, 'base64').toString('utf8') } : undefined;
}

/** The map file a proxy starts with, written beside its config: the flag and the page, as the runtime has them. */
export const renderEdgeMap = (maintenance: EdgeMaintenance): string =>
  `maintenance ${maintenance.on ? 'on' : 'off'}\npage ${encodedPage(maintenance.page)}\n`;

/** The runtime commands that put the page in place, then turn maintenance on or off: no reload, no gap. */
export const maintenanceCommands = (maintenance: EdgeMaintenance): string =>
  [`set map ${mapPath} page ${encodedPage(maintenance.page)}`, `set map ${mapPath} maintenance ${maintenance.on ? 'on' : 'off'}`].join(
    '; ',
  );
