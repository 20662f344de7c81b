/**
 * deploy-container's edge (#25), run from the committed bundle against the lab's sshd, engine, registry and
 * HAProxy image: requests in flight and long connections across a switch, TLS (HTTP/2, the certificate's
 * checks, rotation), the PROXY protocol, maintenance on and off under a kept-alive client, and a service of
 * an earlier version (its nginx proxy) moved to the edge in one deploy, with a client running throughout.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import * as http from 'node:http';
import * as http2 from 'node:http2';
import * as net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tls from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { secretLeaks } from '#runner/index';
import { buildFixtureVersions, dockerMaybe, docker, startExtraSshd, type ExtraSshd } from './support/docker.ts';
import { deployActionAt, errorsOf, labDeployInputs, NGINX_PROXY_COMMIT, runDeploy } from './support/deploy.ts';
import { labEnv, type LabEnv } from './support/lab.ts';
import { servesWithin, sessionStarted } from './support/faults.ts';
import { withLoad } from './support/load.ts';
import { freePort, selfSignedCertificate } from './support/servers.ts';

const TAG = `gp-edge-deploy-${process.pid}`;
// A switch deploy of the fixture takes about 3 s here; a deploy the test lets finish may take 20 times that.
const DEPLOY_TIMEOUT_MS = 60_000;
let lab: LabEnv;
let sshd: ExtraSshd;
let certificates: string;
const images: Record<string, string> = {};

/** Each test's own service, on its own published port. */
async function service(name: string) {
  const port = await freePort();
  return {
    name: `${TAG}-${name}`,
    port,
    inputs: (overrides: Record<string, string> = {}, scheme = 'http'): Record<string, string> => ({
      ...labDeployInputs(
        lab,
        { host: lab.LAB_SSH_HOST!, port: sshd.port, knownHosts: sshd.knownHosts },
        `${scheme}://127.0.0.1:${port}/health/`,
      ),
      image: images.v1!,
      name: `${TAG}-${name}`,
      ports: `127.0.0.1:${port}:80`,
      strategy: 'switch',
      'proxy-image': lab.LAB_PROXY_IMAGE!,
      'drain-timeout': '5s',
      // busybox httpd as pid 1 ignores SIGTERM: docker-init passes it on, so a stop takes no 10 s.
      'docker-args': '--init',
      ...overrides,
    }),
  };
}
const deploy = (inputs: Record<string, string>, options: { action?: string } = {}) =>
  runDeploy(inputs, { runId: 'edge', timeoutMs: DEPLOY_TIMEOUT_MS, ...options });
const home = () => execFileSync('getent', ['passwd', lab.LAB_SSH_USER!], { encoding: 'utf8' }).split(':')[5]!;

function get(port: number, path: string, agent: http.Agent | false = false) {
  return new Promise<{ status: number; body: string; headers: http.IncomingHttpHeaders }>((resolve, reject) => {
    http
      .get({ host: '127.0.0.1', port, path, agent }, (response) => {
        let body = '';
        response.setEncoding('utf8');
        response.on('data', (chunk: string) => (body += chunk));
        response.on('end', () => resolve({ status: response.statusCode ?? 0, body, headers: response.headers }));
        response.on('error', reject);
      })
      .on('error', reject);
  });
}

/** Sends `header` (a PROXY protocol line or block), then a request (with `extra` header lines) for the app's view of the headers. */
function throughBalancer(port: number, header: Buffer | string, extra = ''): Promise<string> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1', () => {
      socket.write(header);
      socket.write(`GET /cgi-bin/headers HTTP/1.1\r\nHost: app\r\n${extra}Connection: close\r\n\r\n`);
    });
    let answer = '';
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => (answer += chunk));
    socket.on('close', () => resolve(answer));
    socket.on('error', () => resolve(answer));
  });
}

beforeAll(async () => {
  lab = labEnv();
  sshd = await startExtraSshd(lab, await freePort());
  certificates = mkdtempSync(join(tmpdir(), 'gp-edge-certs-'));
  Object.assign(images, await buildFixtureVersions(lab, `e${process.pid}`));
}, 300_000);

afterAll(async () => {
  await sshd?.stop();
  if (certificates) rmSync(certificates, { recursive: true, force: true });
  const containers = (await dockerMaybe('container', 'ls', '--all', '--quiet', '--filter', `name=${TAG}`)).stdout
    .trim()
    .split('\n')
    .filter(Boolean);
  if (containers.length > 0) await dockerMaybe('container', 'rm', '--force', ...containers);
  // The services' proxy folders (configs, maps, and a TLS key should a test have stopped half-way).
  const proxies = join(home(), '.golden-deploy/proxy');
  if (existsSync(proxies))
    for (const folder of readdirSync(proxies).filter((name) => name.startsWith(TAG)))
      rmSync(join(proxies, folder), { recursive: true, force: true });
  const networks = (await dockerMaybe('network', 'ls', '--quiet', '--filter', `name=${TAG}`)).stdout.trim().split('\n').filter(Boolean);
  if (networks.length > 0) await dockerMaybe('network', 'rm', ...networks);
});

describe('deploy-container edge: connections across a switch', () => {
  it(
    '4 s requests started every half second all complete across a switch, and a long connection to the old version closes at drain-timeout, not before',
    async () => {
      const app = await service('drain');
      expect(errorsOf(await deploy(app.inputs()))).toBe('');
      const streamEvents: string[] = [];
      let streamClosedAt = 0;
      const stream = http.get({ host: '127.0.0.1', port: app.port, path: '/cgi-bin/stream', agent: false }, (response) => {
        response.setEncoding('utf8');
        response.on('data', (chunk: string) => streamEvents.push(...chunk.split('\n\n').filter(Boolean)));
        response.on('close', () => (streamClosedAt = performance.now()));
      });
      stream.on('error', () => (streamClosedAt ||= performance.now()));
      const slow: Array<Promise<string>> = [];
      let sending = true;
      const sender = (async () => {
        while (sending) {
          slow.push(
            get(app.port, '/cgi-bin/slow').then(
              (r) => `${r.status} ${r.body.trim()}`,
              (e: Error) => e.message,
            ),
          );
          await new Promise((resolve) => setTimeout(resolve, 500));
        }
      })();
      await new Promise((resolve) => setTimeout(resolve, 1000));
      const started = performance.now();
      const step = await deploy(app.inputs({ image: images.v2!, 'drain-timeout': '6s' }));
      const finished = performance.now();
      sending = false;
      await sender;
      const answers = await Promise.all(slow);
      expect(errorsOf(step)).toBe('');
      expect(answers.filter((a) => !/^200 v[12]$/.test(a))).toEqual([]);
      expect(answers.length).toBeGreaterThan(8);
      const drainMs = Number(/drain (\d+) ms/.exec(step.summary)?.[1]);
      // The stream to v1 held the drain open for the whole drain-timeout, and was then closed, before the deploy ended.
      expect(drainMs).toBeGreaterThanOrEqual(5900);
      expect(streamClosedAt).toBeGreaterThan(started);
      expect(streamClosedAt).toBeLessThanOrEqual(finished);
      expect(streamEvents.every((event) => event.startsWith('data: v1 '))).toBe(true);
      expect(step.stdout).toMatch(/1 connection\(s\) still open to the old version after drain-timeout; closing them/);
      console.log(
        `[edge drain] ${answers.length} slow requests, all completed (${answers.filter((a) => a.endsWith('v1')).length} by v1); ` +
          `stream got ${streamEvents.length} events, closed ${Math.round(finished - streamClosedAt)} ms before the deploy ended; drain ${drainMs} ms`,
      );
    },
    2 * DEPLOY_TIMEOUT_MS,
  );
});

describe('deploy-container edge: TLS', () => {
  it(
    'serves TLS with HTTP/2 and X-Forwarded-Proto https, keeps the key private on the host, rotates the certificate without a failed request, and removes the key when TLS goes or the service is removed',
    async () => {
      const app = await service('tls');
      const cert = (name: string, days: number) => selfSignedCertificate(certificates, name, 'edge.test', days, 'IP:127.0.0.1');
      const first = cert('first', 90);
      const tlsInputs = (c: { cert: string; key: string }, image: string) =>
        app.inputs({ image, 'tls-certificate': c.cert, 'tls-key': c.key }, 'https');
      const step = await deploy(tlsInputs(first, images.v1!));
      expect(errorsOf(step)).toBe('');
      expect(step.summary).toMatch(/TLS certificate CN=edge\.test: (89|90) days left/);
      expect(secretLeaks(step, first.key.trim())).toEqual([]);
      const pem = `${home()}/.golden-deploy/proxy/${app.name}/tls.pem`;
      expect(statSync(pem).mode & 0o777).toBe(0o600);

      const h2 = async (ca: string) => {
        const session = http2.connect(`https://127.0.0.1:${app.port}`, { ca });
        try {
          return await new Promise<{ body: string; protocol: string; fingerprint: string }>((resolve, reject) => {
            const request = session.request({ ':path': '/cgi-bin/headers' });
            let body = '';
            request.setEncoding('utf8');
            request.on('data', (chunk: string) => (body += chunk));
            request.on('end', () =>
              resolve({
                body,
                protocol: session.alpnProtocol ?? '',
                fingerprint: (session.socket as tls.TLSSocket).getPeerCertificate().fingerprint256,
              }),
            );
            request.on('error', reject);
          });
        } finally {
          session.close();
        }
      };
      const seen = await h2(first.cert);
      expect(seen.protocol).toBe('h2');
      expect(seen.body).toMatch(/proto=https/);
      // Docker's port forwarding hands the connection over from its own address: the reason for proxy-protocol.
      expect(seen.body).toMatch(/for=\d+\.\d+\.\d+\.\d+ /);
      const old = await new Promise<string>((resolve) => {
        const socket = tls.connect({ host: '127.0.0.1', port: app.port, ca: first.cert, maxVersion: 'TLSv1.1', minVersion: 'TLSv1' });
        socket.on('secureConnect', () => resolve('connected'));
        socket.on('error', (error) => resolve(error.message));
      });
      expect(old).not.toBe('connected');

      // A key of another certificate: refused before anything changes.
      const other = cert('other', 90);
      const refused = await deploy(app.inputs({ image: images.v2!, 'tls-certificate': first.cert, 'tls-key': other.key }, 'https'));
      expect(refused.exitCode).toBe(1);
      expect(errorsOf(refused)).toMatch(/^Input 'tls-key': does not match tls-certificate/);
      expect((await h2(first.cert)).fingerprint).toBe(seen.fingerprint);

      // Rotation: the new certificate reloads HAProxy, which takes its listening sockets over.
      const second = cert('second', 60);
      const both = `${first.cert}\n${second.cert}`;
      let failed = 0;
      let sent = 0;
      let running = true;
      const client = (async () => {
        while (running) {
          sent += 1;
          await h2(both).catch(() => (failed += 1));
        }
      })();
      const rotated = await deploy(tlsInputs(second, images.v2!));
      running = false;
      await client;
      expect(errorsOf(rotated)).toBe('');
      expect(rotated.stdout).toMatch(/the edge's ports, TLS or PROXY protocol changed; HAProxy reloads/);
      expect(failed).toBe(0);
      expect(sent).toBeGreaterThan(20);
      expect((await h2(second.cert)).fingerprint).not.toBe(seen.fingerprint);
      console.log(`[edge tls] rotation under ${sent} new HTTP/2 connections: ${failed} failed`);

      const plain = await deploy(app.inputs({ image: images.v1! }));
      expect(errorsOf(plain)).toBe('');
      expect(() => statSync(pem)).toThrow(/ENOENT/);
      expect((await get(app.port, '/cgi-bin/headers')).body).toMatch(/proto=http /);

      // remove: the service, its edge and its folder go (with TLS on again, so the key goes with them).
      expect(errorsOf(await deploy(tlsInputs(second, images.v2!)))).toBe('');
      const removed = await deploy({ ...app.inputs({ image: '', remove: 'true' }) });
      expect(errorsOf(removed)).toBe('');
      expect(removed.summary).toMatch(/Removal of `/);
      expect(() => statSync(pem.replace(/\/tls\.pem$/, ''))).toThrow(/ENOENT/);
      expect(
        (await dockerMaybe('container', 'ls', '--all', '--quiet', '--filter', `label=golden.deploy.service=${app.name}`)).stdout.trim(),
      ).toBe('');
      expect((await dockerMaybe('network', 'inspect', `${app.name}-net`)).code).not.toBe(0);
      await expect(get(app.port, '/version')).rejects.toThrow(/ECONNREFUSED|ECONNRESET|socket hang up/);
    },
    5 * DEPLOY_TIMEOUT_MS,
  );
});

describe('deploy-container edge: the PROXY protocol', () => {
  it(
    'with proxy-protocol the app sees the client address a balancer sends (v1 and v2), and a connection without the header gets nothing; forward-headers keeps what an HTTP balancer sent',
    async () => {
      const app = await service('proxyproto');
      const step = await deploy(app.inputs({ 'proxy-protocol': 'true' }));
      expect(errorsOf(step)).toBe('');
      expect(await throughBalancer(app.port, `PROXY TCP4 203.0.113.7 127.0.0.1 40000 ${app.port}\r\n`)).toMatch(
        /for=203\.0\.113\.7 proto=http real=203\.0\.113\.7/,
      );
      const v2 = Buffer.concat([
        Buffer.from('0d0a0d0a000d0a515549540a', 'hex'), // signature
        Buffer.from([0x21, 0x11, 0x00, 0x0c]), // v2 PROXY, TCP over IPv4, 12 address bytes
        Buffer.from([198, 51, 100, 9, 127, 0, 0, 1]),
        Buffer.from([0x9c, 0x40, app.port >> 8, app.port & 0xff]),
      ]);
      expect(await throughBalancer(app.port, v2)).toMatch(/for=198\.51\.100\.9 proto=http real=198\.51\.100\.9/);
      expect(await throughBalancer(app.port, '')).not.toMatch(/200 OK/);
      // A client's own X-Forwarded-* cannot claim another address or scheme.
      const forged = 'X-Forwarded-For: 6.6.6.6\r\nX-Forwarded-Proto: https\r\n';
      expect(await throughBalancer(app.port, `PROXY TCP4 203.0.113.7 127.0.0.1 40000 ${app.port}\r\n`, forged)).toMatch(
        /for=203\.0\.113\.7 proto=http real=203\.0\.113\.7/,
      );
      // The next deploy verifies through the same header, and the setting stays.
      const next = await deploy(app.inputs({ image: images.v2!, 'proxy-protocol': 'true' }));
      expect(errorsOf(next)).toBe('');
      // Behind a balancer that speaks HTTP: forward-headers keeps what it sent and appends the peer.
      const trusting = await deploy(app.inputs({ image: images.v2!, 'forward-headers': 'true' }));
      expect(errorsOf(trusting)).toBe('');
      expect(await throughBalancer(app.port, '', forged)).toMatch(/for=6\.6\.6\.6, \d+\.\d+\.\d+\.\d+ proto=https /);
    },
    3 * DEPLOY_TIMEOUT_MS,
  );
});

describe('deploy-container edge: maintenance', () => {
  it(
    'maintenance on answers every request with 503, Retry-After and the page, a deploy behind it changes nothing users see, and off serves the app again; the kept-alive connection stays open throughout',
    async () => {
      const app = await service('maint');
      expect(errorsOf(await deploy(app.inputs()))).toBe('');
      const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
      const sockets = new Set<unknown>();
      agent.on('free', (socket) => sockets.add(socket));
      const statuses: string[] = [];
      const errors: string[] = [];
      let running = true;
      const client = (async () => {
        while (running) {
          await get(app.port, '/version', agent).then(
            (r) => {
              const seen =
                r.status === 503
                  ? `503 retry-after=${r.headers['retry-after']} ${/Back at five/.test(r.body) ? 'page' : 'no page'}`
                  : `${r.status} ${r.body.trim()}`;
              if (statuses.at(-1) !== seen) statuses.push(seen);
            },
            (error: Error) => errors.push(error.message),
          );
          await new Promise((resolve) => setTimeout(resolve, 20));
        }
      })();
      const step = (maintenance: string) =>
        deploy({ ...app.inputs({ image: '', maintenance }), 'maintenance-page': 'test/fixtures/maintenance.html' });
      const on = await step('on');
      expect(errorsOf(on)).toBe('');
      expect(on.summary).toMatch(/Maintenance on for `/);
      const behind = await deploy(app.inputs({ image: images.v2! }));
      expect(errorsOf(behind)).toBe('');
      expect(behind.stdout).toMatch(/the edge is in maintenance, so no request went through/);
      const off = await step('off');
      expect(errorsOf(off)).toBe('');
      await new Promise((resolve) => setTimeout(resolve, 300));
      running = false;
      await client;
      agent.destroy();
      expect(errors).toEqual([]);
      expect(statuses).toEqual(['200 v1', '503 retry-after=30 page', '200 v2']);
      expect(sockets.size).toBe(1);

      // The files are the record: an edge that restarts (a host reboot, a crash) comes back as they say.
      expect(errorsOf(await step('on'))).toBe('');
      await docker('container', 'restart', `${app.name}-proxy`);
      let afterRestart = '';
      for (let tries = 0; tries < 50 && !/^503 .*Back at five/s.test(afterRestart); tries += 1) {
        afterRestart = await get(app.port, '/version').then(
          (r) => `${r.status} ${r.body}`,
          (error: Error) => error.message,
        );
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      expect(afterRestart).toMatch(/^503 .*Back at five/s);
      expect(errorsOf(await step('off'))).toBe('');
      expect((await get(app.port, '/version')).body).toBe('v2\n');
    },
    4 * DEPLOY_TIMEOUT_MS,
  );

  it(
    'refuses maintenance for a service with no edge, naming it, and changes nothing',
    async () => {
      const app = await service('noedge');
      const step = await deploy({ ...app.inputs({ image: '', maintenance: 'on' }) });
      expect(step.exitCode).toBe(1);
      expect(errorsOf(step)).toMatch(/has no running edge on .*: maintenance needs a service deployed with strategy switch/);
      expect((await dockerMaybe('container', 'inspect', `${app.name}-proxy`)).code).not.toBe(0);
    },
    DEPLOY_TIMEOUT_MS,
  );
});

describe('deploy-container edge: from the nginx proxy of an earlier version', () => {
  it(
    'one deploy moves a service from its nginx proxy to the edge, under load, and the nginx proxy is gone after',
    async () => {
      const app = await service('upgrade');
      const earlier = deployActionAt(NGINX_PROXY_COMMIT);
      try {
        const before = await deploy(app.inputs({ 'proxy-image': lab.LAB_NGINX_IMAGE! }), { action: earlier });
        expect(errorsOf(before)).toBe('');
      } finally {
        rmSync(earlier, { recursive: true, force: true });
      }
      expect((await docker('container', 'inspect', '--format', '{{.Config.Image}}', `${app.name}-proxy`)).trim()).toBe(lab.LAB_NGINX_IMAGE);
      const {
        result: step,
        fresh,
        kept,
      } = await withLoad(`http://127.0.0.1:${app.port}/version`, () => deploy(app.inputs({ image: images.v2! })));
      expect(errorsOf(step)).toBe('');
      expect((await docker('container', 'inspect', '--format', '{{.Config.Image}}', `${app.name}-proxy`)).trim()).toBe(lab.LAB_PROXY_IMAGE);
      expect((await dockerMaybe('container', 'inspect', `${app.name}-proxy-retired`)).code).not.toBe(0);
      expect((await get(app.port, '/version')).body).toBe('v2\n');
      console.log(
        `[edge upgrade] nginx → HAProxy: ${fresh.sent} + ${kept.sent} requests, ${fresh.failed} + ${kept.failed} failed, ` +
          `longest gaps ${fresh.longestGapMs}/${kept.longestGapMs} ms (${[...fresh.errors, ...kept.errors].slice(0, 3).join('; ')})`,
      );
      // Then the next deploy is an edge switch like any other.
      const { fresh: after, kept: keptAfter } = await withLoad(`http://127.0.0.1:${app.port}/version`, async () =>
        expect(errorsOf(await deploy(app.inputs({ image: images.v1! })))).toBe(''),
      );
      expect([after.failed, keptAfter.failed, keptAfter.retried]).toEqual([0, 0, 0]);
    },
    4 * DEPLOY_TIMEOUT_MS,
  );

  it(
    'the move from the nginx proxy cut at a random moment (6 trials: the action SIGKILLed, or the SSH session killed): something serves within seconds, and the next deploy finishes the move',
    async () => {
      const earlier = deployActionAt(NGINX_PROXY_COMMIT);
      const outcomes: string[] = [];
      try {
        for (let trial = 0; trial < 6; trial += 1) {
          const app = await service(`upgrade-fault${trial}`);
          expect(errorsOf(await deploy(app.inputs({ 'proxy-image': lab.LAB_NGINX_IMAGE! }), { action: earlier }))).toBe('');
          // Even trials SIGKILL the action; odd ones kill the SSH session's processes on the host. The move
          // takes about 1.5 s after login here: the moments fall inside it.
          const killAt = (trial % 2 === 0 ? 400 : 100) + Math.round(Math.random() * 1500);
          let cut: string;
          if (trial % 2 === 0) {
            const step = await runDeploy(app.inputs({ image: images.v2! }), { runId: 'edge-fault', timeoutMs: killAt });
            cut = `SIGKILL at ${killAt} ms (${step.signal ?? `exit ${step.exitCode}`})`;
          } else {
            const logins = sshd.logins();
            const running = deploy(app.inputs({ image: images.v2! }));
            await sessionStarted(sshd.logins, logins);
            await new Promise((resolve) => setTimeout(resolve, killAt));
            await sshd.killSessions();
            cut = `sessions killed ${killAt} ms after login (exit ${(await running).exitCode})`;
          }
          const served = await servesWithin(`http://127.0.0.1:${app.port}/version`, 5000, (body) => /^v[12]$/.test(body));
          expect(served.body, `trial ${trial}: ${cut}`).toMatch(/^v[12]$/);
          const next = await deploy(app.inputs({ image: images.v2!, 'lock-timeout': '10s' }));
          expect(errorsOf(next), `trial ${trial}`).toBe('');
          expect((await docker('container', 'inspect', '--format', '{{.Config.Image}}', `${app.name}-proxy`)).trim()).toBe(
            lab.LAB_PROXY_IMAGE,
          );
          expect((await dockerMaybe('container', 'inspect', `${app.name}-proxy-retired`)).code).not.toBe(0);
          expect((await get(app.port, '/version')).body).toBe('v2\n');
          outcomes.push(`${cut}: ${served.body} within ${served.afterMs} ms`);
        }
      } finally {
        rmSync(earlier, { recursive: true, force: true });
      }
      console.log(`[edge upgrade faults] ${outcomes.join('; ')}`);
    },
    6 * 4 * DEPLOY_TIMEOUT_MS,
  );
});

describe('deploy-container edge: a new proxy-image or other ports', () => {
  it(
    'replaces the edge through the hand-over, with a warning, and the new one serves every port',
    async () => {
      const app = await service('replace-edge');
      const retagged = `${lab.LAB_PROXY_IMAGE}-${process.pid}`;
      await docker('image', 'tag', lab.LAB_PROXY_IMAGE!, retagged);
      try {
        expect(errorsOf(await deploy(app.inputs()))).toBe('');
        const image = await deploy(app.inputs({ image: images.v2!, 'proxy-image': retagged }));
        expect(errorsOf(image)).toBe('');
        expect(image.stdout).toMatch(/runs golden-lab\/haproxy:bookworm, not proxy-image .*; this deploy replaces the edge/);
        expect((await docker('container', 'inspect', '--format', '{{.Config.Image}}', `${app.name}-proxy`)).trim()).toBe(retagged);
        const second = await freePort();
        const ports = await deploy(app.inputs({ 'proxy-image': retagged, ports: `127.0.0.1:${app.port}:80\n127.0.0.1:${second}:80` }));
        expect(errorsOf(ports)).toBe('');
        expect(ports.stdout).toMatch(/publishes other ports than/);
        expect((await get(app.port, '/version')).body).toBe('v1\n');
        expect((await get(second, '/version')).body).toBe('v1\n');
        expect((await dockerMaybe('container', 'inspect', `${app.name}-proxy-retired`)).code).not.toBe(0);
        // The same inputs again: nothing to replace, traffic moves at run time.
        const again = await deploy(
          app.inputs({ image: images.v2!, 'proxy-image': retagged, ports: `127.0.0.1:${app.port}:80\n127.0.0.1:${second}:80` }),
        );
        expect(errorsOf(again)).toBe('');
        expect(again.stdout).not.toMatch(/replaces the edge/);
      } finally {
        await dockerMaybe('container', 'rm', '--force', `${app.name}-proxy`);
        await dockerMaybe('image', 'rm', retagged);
      }
    },
    5 * DEPLOY_TIMEOUT_MS,
  );
});
