/**
 * The HAProxy edge that strategy switch moves to (#25), before deploy-container drives it: the config this
 * repository renders, run in the lab's HAProxy image (Debian's haproxy) on the lab's engine, switched through
 * the runtime API by the catalogue's own argv, while clients that never retry keep connections alive and
 * 4-second requests start every half second. Counted: failed requests, reopened connections, slow requests
 * that did not complete, and which slot answered after each switch.
 */
import { execFile } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import * as http from 'node:http';
import * as http2 from 'node:http2';
import * as tls from 'node:tls';
import * as net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  adminFailure,
  checkEdgeConfig,
  closeSessionsCommands,
  hostCommands,
  otherSlot,
  PROBE_HEADER,
  checkCertificate,
  DEFAULT_MAINTENANCE_PAGE,
  EDGE_PEM,
  edgePem,
  EDGE_MAP,
  EDGE_MOUNT,
  type EdgeConfigSpec,
  maintenanceCommands,
  MAX_MAINTENANCE_PAGE_BYTES,
  renderEdgeConfig,
  renderEdgeMap,
  routeCommands,
  sessionsOn,
  servedPage,
  SLOT_HEADER,
  type Slot,
  STATS_COMMAND,
} from '#docker/index';
import { docker, dockerMaybe } from './support/docker.ts';
import { labEnv, type LabEnv } from './support/lab.ts';
import { freePort, makePki } from './support/servers.ts';

const execFileAsync = promisify(execFile);
/** Built by `scripts/lab up` from Debian's haproxy package. */
const HAPROXY_IMAGE = 'golden-lab/haproxy:bookworm';
const TAG = `gp-edge-${process.pid}`;
const NETWORK = `${TAG}-net`;
const PROXY = `${TAG}-proxy`;
const APP_PORT = 8000;
const SLOW_MS = 4000;
/** An app that names itself, answers /slow after 4 s, and /headers with what the proxy added. */
const APP = `
import http.server, sys, time
name = sys.argv[1]
class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = 'HTTP/1.1'
    def do_GET(self):
        if self.path == '/slow':
            time.sleep(${SLOW_MS / 1000})
        body = (name + '\\n').encode()
        if self.path == '/headers':
            body = ''.join(f'{k}: {self.headers.get(k)}\\n' for k in ('X-Forwarded-For', 'X-Forwarded-Proto', 'X-Real-IP')).encode()
        self.send_response(200)
        self.send_header('Content-Length', str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    def log_message(self, *args):
        pass
http.server.ThreadingHTTPServer(('', ${APP_PORT}), Handler).serve_forever()
`;

let lab: LabEnv;
let dir: string;
let port: number;
const addresses: Record<string, string> = {};

/** Runs a catalogue argv here, as the SSH executor runs it on a host. */
const runArgv = async (argv: readonly string[]) => (await execFileAsync(argv[0]!, argv.slice(1))).stdout;
const admin = async (commands: string) => {
  const answer = await runArgv(hostCommands.proxyAdmin(PROXY, commands));
  expect(adminFailure(answer)).toBeUndefined();
  return answer;
};

/** Writes `spec` as `file` in the proxy folder, checks it as a deploy would, and runs a proxy on it publishing `hostPort`. */
async function startEdge(container: string, file: string, spec: EdgeConfigSpec, hostPort: number): Promise<void> {
  writeFileSync(join(dir, file), renderEdgeConfig(spec), { mode: 0o644 });
  await runArgv(checkEdgeConfig(HAPROXY_IMAGE, dir, file));
  await docker(
    'container',
    'run',
    '-d',
    '--name',
    container,
    '--network',
    NETWORK,
    '--publish',
    `127.0.0.1:${hostPort}:${APP_PORT}`,
    '--volume',
    `${dir}:${EDGE_MOUNT}:ro`,
    HAPROXY_IMAGE,
    'haproxy',
    '-db',
    '-f',
    `${EDGE_MOUNT}/${file}`,
  );
}

/** Tries `attempt` every 100 ms, up to `tries` times, until it gives a value (a proxy just started may not answer yet). */
async function eventually<T>(attempt: () => Promise<T | undefined>, tries = 50): Promise<T | undefined> {
  for (let i = 0; i < tries; i++) {
    const value = await attempt().catch(() => undefined);
    if (value !== undefined) return value;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return undefined;
}

function get(path: string, agent: http.Agent | false, headers: Record<string, string> = {}) {
  return new Promise<{ status: number; body: string; headers: http.IncomingHttpHeaders; socket: unknown }>((resolve, reject) => {
    const request = http.get({ host: '127.0.0.1', port, path, agent, headers }, (response) => {
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => (body += chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body, headers: response.headers, socket: request.socket }));
      response.on('error', reject);
    });
    request.on('error', reject);
  });
}

beforeAll(async () => {
  lab = labEnv();
  port = await freePort();
  await docker('network', 'create', NETWORK);
  for (const name of ['a', 'b']) {
    await docker(
      'container',
      'run',
      '-d',
      '--name',
      `${TAG}-${name}`,
      '--network',
      NETWORK,
      '--network-alias',
      `r-${name}`,
      lab.LAB_PYTHON_IMAGE!,
      'python3',
      '-c',
      APP,
      name,
    );
    addresses[name] = (
      await docker('container', 'inspect', '--format', `{{(index .NetworkSettings.Networks "${NETWORK}").IPAddress}}`, `${TAG}-${name}`)
    ).trim();
  }
  dir = mkdtempSync(join(tmpdir(), 'gp-edge-'));
  chmodSync(dir, 0o755);
  writeFileSync(join(dir, EDGE_MAP), renderEdgeMap({ on: false, page: DEFAULT_MAINTENANCE_PAGE }), { mode: 0o644 });
  await startEdge(PROXY, 'haproxy.cfg', { upstream: 'r-a', slot: 'blue', ports: [APP_PORT], proxyProtocol: false, tls: false }, port);
  const served = await eventually(async () => ((await get('/', false)).body === 'a\n' ? true : undefined), 100);
  if (!served) throw new Error(`the proxy never served: ${await docker('container', 'logs', PROXY).catch(String)}`);
}, 120_000);

afterAll(async () => {
  await dockerMaybe('container', 'rm', '--force', PROXY, `${TAG}-a`, `${TAG}-b`);
  await dockerMaybe('network', 'rm', NETWORK);
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('HAProxy edge: traffic moves through the runtime API', () => {
  let slot: Slot = 'blue';
  let name = 'a';
  async function switchOver() {
    slot = otherSlot(slot);
    name = name === 'a' ? 'b' : 'a';
    await admin(routeCommands([APP_PORT], slot, addresses[name]!));
  }

  it("refuses a config that is not HAProxy's, and an image that does not run HAProxy, before anything starts", async () => {
    writeFileSync(join(dir, 'broken.cfg'), 'frontend x\n  bind :80\n  no-such-keyword\n', { mode: 0o644 });
    await expect(runArgv(checkEdgeConfig(HAPROXY_IMAGE, dir, 'broken.cfg'))).rejects.toThrow(/no-such-keyword/);
    await expect(runArgv(checkEdgeConfig(lab.LAB_BUSYBOX_IMAGE!, dir, 'haproxy.cfg'))).rejects.toThrow(/haproxy/);
  });

  it('12 switches under kept-alive clients that never retry and 4 s requests every half second: no failure, no reopened connection, every request completes', async () => {
    const CLIENTS = 4;
    const agents = Array.from({ length: CLIENTS }, () => new http.Agent({ keepAlive: true, maxSockets: 1 }));
    const sockets = new Set<unknown>();
    const failures: string[] = [];
    let requests = 0;
    let running = true;
    const clients = agents.map(async (agent) => {
      while (running) {
        try {
          const answer = await get('/', agent);
          sockets.add(answer.socket);
          requests++;
          if (answer.status !== 200) failures.push(`status ${answer.status}`);
        } catch (error) {
          failures.push((error as Error).message);
        }
      }
    });
    const slow: Promise<number | string>[] = [];
    const slowTimer = setInterval(
      () =>
        slow.push(
          get('/slow', false).then(
            (a) => a.status,
            (e: Error) => e.message,
          ),
        ),
      500,
    );
    const seen: string[] = [];
    for (let i = 0; i < 12; i++) {
      await new Promise((resolve) => setTimeout(resolve, 400));
      await switchOver();
      const probe = await get('/', false, { [PROBE_HEADER]: '1' });
      seen.push(`${probe.headers[SLOT_HEADER]}:${probe.body.trim()}`);
    }
    clearInterval(slowTimer);
    const slowResults = await Promise.all(slow);
    running = false;
    await Promise.all(clients);
    for (const agent of agents) agent.destroy();
    console.log(
      `[edge] ${requests} kept-alive requests, ${failures.length} failed, ${sockets.size} connections for ${CLIENTS} clients, ${slowResults.length} slow requests`,
    );
    expect(failures).toEqual([]);
    expect(sockets.size).toBe(CLIENTS);
    expect(requests).toBeGreaterThan(100);
    expect(slowResults.length).toBeGreaterThanOrEqual(8);
    expect(slowResults.filter((status) => status !== 200)).toEqual([]);
    // Each switch is live as soon as the runtime API answered: the first request after it meets the new slot.
    expect(seen).toEqual(Array.from({ length: 12 }, (_, i) => (i % 2 === 0 ? 'green:b' : 'blue:a')));
  }, 90_000);

  it('a long request to the old slot runs on after the switch, and is closed when the drain ends', async () => {
    const long = get('/slow', false).then(
      (a) => `status ${a.status}`,
      (e: Error) => `closed: ${e.message}`,
    );
    await new Promise((resolve) => setTimeout(resolve, 300));
    const old = slot;
    await switchOver();
    expect(sessionsOn(await admin(STATS_COMMAND), old)).toBe(1);
    await admin(closeSessionsCommands([APP_PORT], old));
    // A request cut at the drain's end gets HAProxy's 502 (a tunnel, e.g. a WebSocket, is closed).
    expect(await long).toMatch(/^(closed: |status 502)/);
    expect(sessionsOn(await admin(STATS_COMMAND), old)).toBe(0);
    expect((await get('/', false)).body).toBe(`${name}\n`);
  }, 30_000);

  it('the app is told the client address and the scheme', async () => {
    const headers = (await get('/headers', false)).body;
    expect(headers).toMatch(/^X-Forwarded-For: \d+\.\d+\.\d+\.\d+$/m);
    expect(headers).toMatch(/^X-Forwarded-Proto: http$/m);
    expect(headers).toMatch(/^X-Real-IP: \d+\.\d+\.\d+\.\d+$/m);
  });

  it('with proxy-protocol, the address a load balancer sends in a PROXY header (v1 or v2) is the one the app gets', async () => {
    const behind = `${PROXY}-pp`;
    const ppPort = await freePort();
    await startEdge(behind, 'pp.cfg', { upstream: 'r-a', slot: 'blue', ports: [APP_PORT], proxyProtocol: true, tls: false }, ppPort);
    try {
      const v1 = Buffer.from('PROXY TCP4 203.0.113.7 10.0.0.1 51000 80\r\n');
      // v2: signature, PROXY command, TCP over IPv4, 12 address bytes: 198.51.100.9 → 10.0.0.1, 52000 → 80.
      const v2 = Buffer.concat([
        Buffer.from('0d0a0d0a000d0a515549540a', 'hex'),
        Buffer.from([0x21, 0x11, 0x00, 0x0c, 198, 51, 100, 9, 10, 0, 0, 1, 0xcb, 0x20, 0x00, 0x50]),
      ]);
      const ask = (preamble: Buffer) =>
        new Promise<string>((resolve, reject) => {
          const socket = net.connect(ppPort, '127.0.0.1', () =>
            socket.write(Buffer.concat([preamble, Buffer.from('GET /headers HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n')])),
          );
          let answer = '';
          socket.on('data', (chunk) => (answer += chunk.toString()));
          socket.on('end', () => resolve(answer));
          socket.on('error', reject);
        });
      await eventually(async () => ((await ask(v1)).includes('200 OK') ? true : undefined));
      expect(await ask(v1)).toMatch(/X-Forwarded-For: 203\.0\.113\.7\n/);
      expect(await ask(v2)).toMatch(/X-Forwarded-For: 198\.51\.100\.9\n/);
      expect(await ask(v2)).toMatch(/X-Real-IP: 198\.51\.100\.9\n/);
      // Without the header the connection is refused: a client cannot bypass the balancer and claim an address.
      expect(await ask(Buffer.alloc(0)).catch((e: Error) => e.message)).not.toMatch(/200 OK/);
    } finally {
      await dockerMaybe('container', 'rm', '--force', behind);
    }
  }, 60_000);

  it('maintenance on answers every request with 503, Retry-After and the page; off serves the app again, and no kept-alive connection closes', async () => {
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    const sockets = new Set<unknown>();
    const answers: string[] = [];
    let running = true;
    const client = (async () => {
      while (running) {
        const answer = await get('/', agent).then(
          (a) => (sockets.add(a.socket), `${a.status} ${a.status === 503 ? a.headers['retry-after'] : a.body.trim()}`),
          (e: Error) => `failed ${e.message}`,
        );
        answers.push(answer);
      }
    })();
    const page = '<!doctype html>\n<p>Back at 06:00; "quotes", semicolons; and ünïcode</p>\n';
    await new Promise((resolve) => setTimeout(resolve, 300));
    await admin(maintenanceCommands({ on: true, page }));
    const during = await get('/any/path?x=1', false);
    await new Promise((resolve) => setTimeout(resolve, 300));
    await admin(maintenanceCommands({ on: false, page }));
    await new Promise((resolve) => setTimeout(resolve, 300));
    running = false;
    await client;
    agent.destroy();
    expect(during.status).toBe(503);
    expect(during.headers['retry-after']).toBe('30');
    expect(during.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(during.body).toBe(servedPage(page));
    expect(during.body).toBe('<!doctype html> <p>Back at 06:00; "quotes", semicolons; and ünïcode</p> ');
    const kinds = answers.map((a) => (a.startsWith('200') ? 'app' : a === '503 30' ? 'page' : a));
    expect(kinds.filter((k) => k !== 'app' && k !== 'page')).toEqual([]);
    // app, then the page, then the app again: each change took effect at once and for good.
    const runs = kinds.filter((k, i) => k !== kinds[i - 1]);
    expect(runs).toEqual(['app', 'page', 'app']);
    expect(sockets.size).toBe(1);
  }, 30_000);

  it('a maintenance page of MAX_MAINTENANCE_PAGE_BYTES passes the runtime API whole', async () => {
    const page = `<p>${'x'.repeat(MAX_MAINTENANCE_PAGE_BYTES - 7)}</p>`;
    expect(Buffer.byteLength(page)).toBe(MAX_MAINTENANCE_PAGE_BYTES);
    await admin(maintenanceCommands({ on: true, page }));
    try {
      const answer = await get('/', false);
      expect(answer.status).toBe(503);
      expect(answer.body).toBe(page);
    } finally {
      await admin(maintenanceCommands({ on: false, page: DEFAULT_MAINTENANCE_PAGE }));
    }
    expect((await get('/', false)).status).toBe(200);
  });

  it('with TLS: HTTP/2 by ALPN, TLS 1.2 at the least, the scheme told to the app, and the certificate checked first', async () => {
    const pki = makePki();
    const secure = `${PROXY}-tls`;
    const tlsPort = await freePort();
    try {
      // The lab's certificate is valid for 2 days: the check passes, with the warning a deploy would show.
      expect(checkCertificate(pki.cert, pki.key).warning).toMatch(/expires in [01] day\(s\)/);
      writeFileSync(join(dir, EDGE_PEM), edgePem(pki.cert, pki.key), { mode: 0o600 });
      await startEdge(secure, 'tls.cfg', { upstream: 'r-a', slot: 'blue', ports: [APP_PORT], proxyProtocol: false, tls: true }, tlsPort);
      const ask = () =>
        new Promise<{ alpn: string | false | undefined; status: number; body: string }>((resolve, reject) => {
          const session = http2.connect(`https://127.0.0.1:${tlsPort}`, { ca: pki.caPem });
          session.on('error', reject);
          const stream = session.request({ ':path': '/headers' });
          let body = '';
          let status = 0;
          stream.on('response', (headers) => (status = Number(headers[':status'])));
          stream.setEncoding('utf8');
          stream.on('data', (chunk: string) => (body += chunk));
          stream.on('end', () => {
            resolve({ alpn: session.alpnProtocol, status, body });
            session.close();
          });
          stream.on('error', reject);
        });
      const answer = await eventually(ask);
      expect(answer).toMatchObject({ alpn: 'h2', status: 200 });
      expect(answer!.body).toMatch(/^X-Forwarded-Proto: https$/m);
      const old = await new Promise<string>((resolve) => {
        const socket = tls.connect({ host: '127.0.0.1', port: tlsPort, ca: pki.caPem, maxVersion: 'TLSv1.1', minVersion: 'TLSv1' });
        socket.on('secureConnect', () => (resolve(`connected ${socket.getProtocol()}`), socket.destroy()));
        socket.on('error', (error) => resolve(`refused: ${error.message}`));
      });
      expect(old).toMatch(/^refused: /);
    } finally {
      await dockerMaybe('container', 'rm', '--force', secure);
      rmSync(join(dir, EDGE_PEM), { force: true });
      pki.cleanup();
    }
  }, 60_000);
});
