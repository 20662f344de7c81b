/**
 * health-check's committed bundle, run the way the runner runs it, against real servers on loopback.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { runAction, secretLeaks, type StepRun } from '#runner/index';
import {
  forwardProxy,
  freePort,
  httpServer,
  httpsServer,
  makePki,
  reply,
  slowStartServer,
  type ForwardProxy,
  type Pki,
  type TestServer,
} from './support/servers.ts';

const ACTION = 'actions/health-check';
const FAST = { interval: '150ms', timeout: '1s' };
const servers: TestServer[] = [];
const serve = async (server: Promise<TestServer>) => {
  const s = await server;
  servers.push(s);
  return s;
};
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

const results = (step: StepRun) => JSON.parse(step.outputs.results!) as Array<Record<string, any>>;
const errors = (step: StepRun) => step.commands.filter((c) => c.command === 'error').map((c) => c.message);

describe('health-check bundle against real servers', () => {
  it('runs on Node 24, as the runner will', () => {
    expect(process.version).toMatch(/^v24\./);
  });

  it('reports a healthy service with every output and a summary', async () => {
    const app = await serve(httpServer((_req, res) => reply(200, '{"status":"ok"}')(res)));
    const { main } = await runAction(ACTION, { inputs: { urls: `${app.url}/health`, 'json-field': 'status=ok', ...FAST } });
    expect(main.exitCode).toBe(0);
    expect(main.outputs).toMatchObject({ healthy: 'true', attempts: '1' });
    expect(Number(main.outputs['duration-ms'])).toBeGreaterThanOrEqual(0);
    expect(results(main)[0]).toMatchObject({ url: `${app.url}/health`, healthy: true, status: 200 });
    expect(main.summary).toContain('Health check: 1/1 healthy');
  });

  it('waits out a service that starts slowly (connection refused, then up)', async () => {
    const port = await freePort();
    const late = slowStartServer(700, port, (_req, res) => reply(200, 'up')(res));
    const { main } = await runAction(ACTION, { inputs: { urls: `http://127.0.0.1:${port}/`, 'max-attempts': '20', ...FAST } });
    servers.push(await late.ready);
    expect(main.exitCode).toBe(0);
    const [report] = results(main);
    expect(report!.attempts).toBeGreaterThan(1);
    expect(main.stdout).toContain(`connection refused by 127.0.0.1:${port}`);
  });

  it('retries a 503 until the service answers 200', async () => {
    const app = await serve(httpServer((_req, res, n) => reply(n <= 2 ? 503 : 200)(res)));
    const { main } = await runAction(ACTION, { inputs: { urls: app.url, ...FAST } });
    expect(main.exitCode).toBe(0);
    expect(results(main)[0]).toMatchObject({ attempts: 3, status: 200 });
    expect(app.requests).toHaveLength(3);
  });

  it('does not call a flapping service healthy when success-threshold asks for stability', async () => {
    const app = await serve(httpServer((_req, res, n) => reply(n % 2 === 1 ? 200 : 500)(res)));
    const { main } = await runAction(ACTION, {
      inputs: { urls: app.url, 'success-threshold': '2', 'max-attempts': '6', ...FAST },
    });
    expect(main.exitCode).toBe(1);
    expect(main.outputs.healthy).toBe('false');
    expect(results(main)[0]!.diagnosis).toMatch(/last: status 500, expected 200-399/);
    expect(errors(main).join('\n')).toContain('1 of 1 URL unhealthy');
  });

  it('times out a service that accepts connections but never answers', async () => {
    const app = await serve(
      httpServer(() => {
        /* hang */
      }),
    );
    const { main } = await runAction(ACTION, { inputs: { urls: app.url, timeout: '300ms', interval: '100ms', 'max-attempts': '2' } });
    expect(main.exitCode).toBe(1);
    expect(results(main)[0]).toMatchObject({ attempts: 2, error: 'no complete answer within 300 ms', status: null });
  });

  it('stops at the overall deadline', async () => {
    const app = await serve(httpServer((_req, res) => reply(503)(res)));
    const started = Date.now();
    const { main } = await runAction(ACTION, { inputs: { urls: app.url, interval: '400ms', 'max-attempts': '50', deadline: '1s' } });
    expect(main.exitCode).toBe(1);
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(results(main)[0]!.diagnosis).toMatch(/deadline of 1000 ms reached/);
  });

  it('checks several URLs in parallel and reports each', async () => {
    const good = await serve(httpServer((_req, res) => reply(200)(res)));
    const bad = await serve(httpServer((_req, res) => reply(404)(res)));
    const { main } = await runAction(ACTION, { inputs: { urls: `${good.url}/a\n${bad.url}/b`, 'max-attempts': '2', ...FAST } });
    expect(main.exitCode).toBe(1);
    expect(results(main).map((r) => [r.healthy, r.status])).toEqual([
      [true, 200],
      [false, 404],
    ]);
    expect(main.summary).toContain('1/2 healthy');
  });

  it('follows redirects by default and judges the final answer, or judges the 302 when told not to', async () => {
    const app = await serve(
      httpServer((req, res) => (req.url === '/old' ? reply(302, '', { location: '/new' }) : reply(200, 'landed'))(res)),
    );
    const followed = await runAction(ACTION, { inputs: { urls: `${app.url}/old`, 'body-contains': 'landed', ...FAST } });
    expect(followed.main.exitCode).toBe(0);
    const notFollowed = await runAction(ACTION, {
      inputs: { urls: `${app.url}/old`, 'follow-redirects': 'false', 'expected-status': '302', ...FAST },
    });
    expect(notFollowed.main.exitCode).toBe(0);
    expect(results(notFollowed.main)[0]!.status).toBe(302);
  });

  it('sends method, headers and basic auth, and never shows the password', async () => {
    const password = 'hc-Pa55-word';
    const expected = `Basic ${Buffer.from(`probe:${password}`).toString('base64')}`;
    const app = await serve(
      httpServer((req, res) =>
        reply(req.method === 'HEAD' && req.headers.authorization === expected && req.headers['x-probe'] === 'gp' ? 204 : 401)(res),
      ),
    );
    const { main } = await runAction(ACTION, {
      inputs: { urls: app.url, method: 'HEAD', headers: 'X-Probe: gp', 'basic-auth': `probe:${password}`, ...FAST },
    });
    expect(main.exitCode).toBe(0);
    expect(main.masks).toContain(password);
    for (const secret of [password, expected.slice(6)]) expect(secretLeaks(main, secret)).toEqual([]);
  });

  it('sends a bearer token and keeps it out of every log, output and summary', async () => {
    const token = 'tok-0123456789abcdef';
    const app = await serve(httpServer((req, res) => reply(req.headers.authorization === `Bearer ${token}` ? 200 : 403)(res)));
    const { main } = await runAction(ACTION, { inputs: { urls: app.url, 'bearer-token': token, ...FAST } });
    expect(main.exitCode).toBe(0);
    expect(secretLeaks(main, token)).toEqual([]);
  });

  it('fails an answer slower than max-latency-ms and an unmatched body-regex', async () => {
    const slow = await serve(httpServer((_req, res) => setTimeout(() => reply(200, 'version 2')(res), 250)));
    const latency = await runAction(ACTION, { inputs: { urls: slow.url, 'max-latency-ms': '50', 'max-attempts': '1', ...FAST } });
    expect(latency.main.exitCode).toBe(1);
    expect(results(latency.main)[0]!.error).toMatch(/over the 50 ms limit/);
    const regex = await runAction(ACTION, { inputs: { urls: slow.url, 'body-regex': '^version 3', 'max-attempts': '1', ...FAST } });
    expect(results(regex.main)[0]!.error).toMatch(/does not match \/\^version 3\//);
  });

  it('bounds a body-regex that would backtrack catastrophically: the attempt ends within its timeout', async () => {
    // ^(a+)+$ against 28 a and a !: 14.5 s per attempt with a backtracking engine; a 1 MiB body as well.
    for (const body of ['a'.repeat(28) + '!', 'a'.repeat(1024 * 1024 - 1) + '!']) {
      const server = await serve(httpServer((_req, res) => reply(200, body)(res)));
      const started = performance.now();
      const step = await runAction(ACTION, {
        inputs: { urls: server.url, 'body-regex': '^(a+)+$', 'max-attempts': '1', timeout: '1s', deadline: '2s' },
      });
      expect(step.main.exitCode).toBe(1);
      expect(results(step.main)[0]!.error).toMatch(/body does not match \/\^\(a\+\)\+\$\//);
      // The step's own start-up included; the match itself takes well under a second.
      expect(performance.now() - started).toBeLessThan(10_000);
    }
  });

  it('waits initial-delay before the first request', async () => {
    const app = await serve(httpServer((_req, res) => reply(200)(res)));
    const { main } = await runAction(ACTION, { inputs: { urls: app.url, 'initial-delay': '600ms', ...FAST } });
    expect(main.exitCode).toBe(0);
    expect(Number(main.outputs['duration-ms'])).toBeGreaterThanOrEqual(600);
  });

  it('backs off exponentially between failures', async () => {
    const times: number[] = [];
    const app = await serve(
      httpServer((_req, res) => {
        times.push(Date.now());
        reply(500)(res);
      }),
    );
    await runAction(ACTION, { inputs: { urls: app.url, interval: '100ms', backoff: 'exponential', 'max-attempts': '4' } });
    const gaps = times.slice(1).map((t, i) => t - times[i]!);
    expect(gaps).toHaveLength(3);
    expect(gaps[2]!).toBeGreaterThan(gaps[0]! * 2.5);
  });

  it('writes no summary and still succeeds when the runner gives no summary file', async () => {
    const app = await serve(httpServer((_req, res) => reply(200)(res)));
    const { main } = await runAction(ACTION, { inputs: { urls: app.url, ...FAST }, noSummaryFile: true });
    expect(main.exitCode).toBe(0);
    expect(main.summary).toBe('');
  });
});

describe('health-check bundle over TLS with a self-made CA', () => {
  let pki: Pki;
  let app: TestServer;
  beforeAll(async () => {
    pki = makePki();
    app = await httpsServer(pki, (_req, res) => reply(200, 'secure')(res));
  });
  afterAll(async () => {
    await app.close();
    pki.cleanup();
  });

  it('rejects the unknown CA with a TLS diagnosis', async () => {
    const { main } = await runAction(ACTION, { inputs: { urls: app.url, 'max-attempts': '2', ...FAST } });
    expect(main.exitCode).toBe(1);
    expect(results(main)[0]!.error).toMatch(
      /^TLS error: .*\((UNABLE_TO_VERIFY_LEAF_SIGNATURE|SELF_SIGNED_CERT_IN_CHAIN|UNABLE_TO_GET_ISSUER_CERT_LOCALLY)\)$/,
    );
  });

  it('trusts the server when ca-cert names the CA, inline or as a file', async () => {
    for (const ca of [pki.caPem, pki.caFile]) {
      const { main } = await runAction(ACTION, { inputs: { urls: app.url, 'ca-cert': ca, 'body-contains': 'secure', ...FAST } });
      expect(main.exitCode).toBe(0);
    }
  });

  it('connects without verification only when insecure is set', async () => {
    const { main } = await runAction(ACTION, { inputs: { urls: app.url, insecure: 'true', ...FAST } });
    expect(main.exitCode).toBe(0);
  });
});

describe('health-check bundle through a real forward proxy (tinyproxy), as a self-hosted runner behind one', () => {
  let pki: Pki;
  let secure: TestServer;
  let plain: TestServer;
  let proxy: ForwardProxy;
  beforeAll(async () => {
    pki = makePki();
    secure = await httpsServer(pki, (_req, res) => reply(200, 'secure')(res));
    plain = await httpServer((_req, res) => reply(200, 'plain')(res));
    proxy = await forwardProxy();
  });
  afterAll(async () => {
    await Promise.all([secure?.close(), plain?.close(), proxy?.close()]);
    pki.cleanup();
  });
  const host = (server: TestServer) => new URL(server.url).host;
  const noProxy = { NO_PROXY: '', no_proxy: '' };

  it('sends https:// through a CONNECT tunnel (TLS end to end, the CA still checked) and http:// in absolute form', async () => {
    const before = proxy.requests().length;
    const { main } = await runAction(ACTION, {
      inputs: { urls: `${secure.url}/tls\n${plain.url}/plain`, 'ca-cert': pki.caPem, ...FAST },
      env: { ...noProxy, HTTPS_PROXY: proxy.url, HTTP_PROXY: proxy.url },
    });
    expect(main.exitCode, main.stdout).toBe(0);
    expect(proxy.requests().slice(before).sort()).toEqual([`CONNECT ${host(secure)}`, `GET ${plain.url}/plain`]);
    // The server saw the request itself, not the proxy's CONNECT.
    expect(secure.requests.at(-1)!.url).toBe('/tls');
    expect(secretLeaks(main, proxy.password), 'the proxy password never shows').toEqual([]);
  });

  it('goes direct for a host NO_PROXY names, and through the proxy for the rest', async () => {
    const before = proxy.requests().length;
    const { main } = await runAction(ACTION, {
      inputs: { urls: `${plain.url}/direct`, ...FAST },
      env: { HTTP_PROXY: proxy.url, NO_PROXY: 'example.invalid,127.0.0.1' },
    });
    expect(main.exitCode).toBe(0);
    expect(proxy.requests().slice(before)).toEqual([]);
    expect(plain.requests.at(-1)!.url).toBe('/direct');
  });

  it('names the proxy when it refuses (407 without credentials) or cannot be reached, never the server', async () => {
    const refused = await runAction(ACTION, {
      inputs: { urls: secure.url, 'ca-cert': pki.caPem, 'max-attempts': '1', ...FAST },
      env: { ...noProxy, HTTPS_PROXY: proxy.anonymousUrl },
    });
    expect(refused.main.exitCode).toBe(1);
    expect(results(refused.main)[0]!.error).toBe(
      `the proxy ${host({ url: proxy.anonymousUrl } as TestServer)} refused CONNECT ${host(secure)}: 407 Proxy Authentication Required`,
    );
    const closed = `127.0.0.1:${await freePort()}`;
    for (const [url, variable] of [
      [secure.url, 'HTTPS_PROXY'],
      [plain.url, 'HTTP_PROXY'],
    ] as const) {
      const down = await runAction(ACTION, {
        inputs: { urls: url, 'ca-cert': pki.caPem, 'max-attempts': '1', ...FAST },
        env: { ...noProxy, [variable]: `http://gp:${proxy.password}@${closed}` },
      });
      expect(down.main.exitCode).toBe(1);
      expect(results(down.main)[0]!.error).toMatch(new RegExp(`^cannot reach the proxy ${closed}: .*\\(ECONNREFUSED\\)$`));
      expect(secretLeaks(down.main, proxy.password)).toEqual([]);
    }
  });

  it('refuses a proxy variable it cannot use, naming it, before any request', async () => {
    const sent = plain.requests.length;
    const { main } = await runAction(ACTION, {
      inputs: { urls: plain.url, ...FAST },
      env: { ...noProxy, HTTPS_PROXY: 'socks5://127.0.0.1:1080' },
    });
    expect(main.exitCode).toBe(1);
    expect(errors(main).join('\n')).toContain('HTTPS_PROXY: only http:// proxies are supported, not socks5://');
    expect(plain.requests.length).toBe(sent);
  });
});

describe('health-check bundle with bad input', () => {
  it.each([
    [{ urls: 'not a url' }, "Input 'urls': 'not a url' is not a valid URL"],
    [{ 'expected-status': 'abc' }, "Input 'expected-status': 'abc' is not a status code or range such as 200-299"],
    [{ interval: '-1' }, "Input 'interval': must not be negative, got '-1'"],
    [{ 'success-threshold': '0' }, "Input 'success-threshold': must be at least 1, got 0"],
  ])('%j fails with exit 1, names the input, and sends no request', async (bad, message) => {
    const app = await serve(httpServer((_req, res) => reply(200)(res)));
    const { main } = await runAction(ACTION, { inputs: { urls: app.url, ...bad } });
    expect(main.exitCode).toBe(1);
    expect(errors(main)).toEqual([message]);
    expect(app.requests).toHaveLength(0);
    expect(main.outputs).toEqual({});
  });
});
