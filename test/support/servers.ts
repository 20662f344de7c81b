/** Real HTTP(S) servers on loopback that misbehave the ways deployed services do. */
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as http from 'node:http';
import * as https from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export type Handler = (req: http.IncomingMessage, res: http.ServerResponse, count: number) => void;

export interface TestServer {
  url: string;
  /** Requests received so far. */
  requests: http.IncomingMessage[];
  close(): Promise<void>;
}

async function listen(server: http.Server, handler: Handler, scheme: 'http' | 'https', port = 0): Promise<TestServer> {
  const requests: http.IncomingMessage[] = [];
  const sockets = new Set<import('node:net').Socket>();
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  server.on('request', (req, res) => {
    requests.push(req);
    handler(req, res, requests.length);
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  const { port: bound } = server.address() as AddressInfo;
  return {
    url: `${scheme}://127.0.0.1:${bound}`,
    requests,
    close: () =>
      new Promise((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

export const httpServer = (handler: Handler, port?: number) => listen(http.createServer(), handler, 'http', port);

export const reply =
  (status: number, body = '', headers: http.OutgoingHttpHeaders = {}) =>
  (res: http.ServerResponse) => {
    res.writeHead(status, { 'content-type': 'text/plain', ...headers });
    res.end(body);
  };

/** A free loopback port: bound, then released, for a server that starts later. */
export async function freePort(): Promise<number> {
  const probe = await httpServer(() => {});
  const port = Number(new URL(probe.url).port);
  await probe.close();
  return port;
}

/** Listens only after `delayMs`: connections are refused until then, as with a booting app. */
export function slowStartServer(delayMs: number, port: number, handler: Handler): { ready: Promise<TestServer> } {
  return { ready: new Promise((resolve) => setTimeout(() => resolve(httpServer(handler, port)), delayMs)) };
}

export interface Pki {
  dir: string;
  caFile: string;
  caPem: string;
  cert: string;
  key: string;
  cleanup(): void;
}

const openssl = (...args: string[]) => execFileSync('openssl', args, { stdio: 'pipe' });

/**
 * A self-signed P-256 certificate for `/CN=<commonName>`, valid for `days` days from now, made with openssl
 * as `<dir>/<name>.pem` and its key as `<dir>/<name>.key`.
 */
export function selfSignedCertificate(
  dir: string,
  name: string,
  commonName: string,
  days: number,
  /** openssl's subjectAltName, e.g. `IP:127.0.0.1,DNS:localhost`. */
  altNames?: string,
): { cert: string; key: string } {
  const f = (ext: string) => join(dir, `${name}.${ext}`);
  openssl(
    'req',
    '-x509',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:P-256',
    '-nodes',
    '-days',
    String(days),
    '-subj',
    `/CN=${commonName}`,
    ...(altNames ? ['-addext', `subjectAltName=${altNames}`] : []),
    '-keyout',
    f('key'),
    '-out',
    f('pem'),
  );
  return { cert: readFileSync(f('pem'), 'utf8'), key: readFileSync(f('key'), 'utf8') };
}

/** A self-made CA and a server certificate for 127.0.0.1 signed by it, made with openssl. */
export function makePki(): Pki {
  const dir = mkdtempSync(join(tmpdir(), 'gp-pki-'));
  const f = (name: string) => join(dir, name);
  selfSignedCertificate(dir, 'ca', 'Golden Lab Test CA', 2);
  openssl(
    'req',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:P-256',
    '-nodes',
    '-subj',
    '/CN=127.0.0.1',
    '-keyout',
    f('server.key'),
    '-out',
    f('server.csr'),
  );
  writeFileSync(f('ext.cnf'), 'subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\n');
  openssl(
    'x509',
    '-req',
    '-in',
    f('server.csr'),
    '-CA',
    f('ca.pem'),
    '-CAkey',
    f('ca.key'),
    '-CAcreateserial',
    '-days',
    '2',
    '-extfile',
    f('ext.cnf'),
    '-out',
    f('server.pem'),
  );
  return {
    dir,
    caFile: f('ca.pem'),
    caPem: readFileSync(f('ca.pem'), 'utf8'),
    cert: readFileSync(f('server.pem'), 'utf8'),
    key: readFileSync(f('server.key'), 'utf8'),
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}

export const httpsServer = (pki: Pki, handler: Handler) => listen(https.createServer({ cert: pki.cert, key: pki.key }), handler, 'https');

export interface ForwardProxy {
  /** http://user:password@127.0.0.1:port, as a runner's HTTPS_PROXY would name it. */
  url: string;
  /** The same proxy without credentials, which it answers with 407. */
  anonymousUrl: string;
  password: string;
  /** The requests the proxy logged so far: "GET http://…" and "CONNECT host:port". */
  requests(): string[];
  close(): Promise<void>;
}

/** Debian's tinyproxy on loopback, in the foreground, with basic auth: a real forward proxy (the lab installs it). */
export async function forwardProxy(): Promise<ForwardProxy> {
  const dir = mkdtempSync(join(tmpdir(), 'tinyproxy-'));
  const port = await freePort();
  const password = `pw-${process.pid}-${Date.now()}`;
  writeFileSync(
    join(dir, 'tinyproxy.conf'),
    [
      `Port ${port}`,
      'Listen 127.0.0.1',
      'Timeout 30',
      'LogLevel Info',
      'MaxClients 50',
      'Allow 127.0.0.1',
      `BasicAuth gp ${password}`,
    ].join('\n'),
  );
  let log = '';
  const child = spawn('tinyproxy', ['-d', '-c', join(dir, 'tinyproxy.conf')], { stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout.on('data', (chunk: Buffer) => (log += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (log += chunk.toString()));
  const deadline = Date.now() + 10_000;
  while (!/Accepting connections/.test(log)) {
    if (child.exitCode !== null || Date.now() > deadline) throw new Error(`tinyproxy did not start:\n${log}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return {
    url: `http://gp:${password}@127.0.0.1:${port}`,
    anonymousUrl: `http://127.0.0.1:${port}`,
    password,
    requests: () => [...log.matchAll(/Request \(file descriptor \d+\): (\S+ \S+)/g)].map((m) => m[1]!),
    close: async () => {
      if (child.exitCode === null) {
        const exited = new Promise((resolve) => child.once('exit', resolve));
        child.kill('SIGTERM');
        await exited;
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
