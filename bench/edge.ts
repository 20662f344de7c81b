#!/usr/bin/env node
/**
 * The edge candidates for #25, measured before one is chosen: how each proven proxy moves traffic from one
 * upstream to another, and what its clients see while it does. Each runs on loopback as a process of its own,
 * with its distribution's binary (Debian's nginx, HAProxy and Caddy), in front of two upstreams that name
 * themselves:
 *   nginx    — a config rewrite and a graceful reload (SIGHUP), as strategy switch does today;
 *   haproxy  — the runtime API over its admin socket: the new server set ready, then the old one to maint;
 *   caddy    — the admin API: the new upstream loaded with POST /load.
 * During each run, clients that never retry send requests over kept-alive connections (8 of them, back to
 * back), and one more keeps a 1.5 s request in flight, while the proxy switches every 250 ms. Counted: failed
 * requests (reset, refused, 5xx), connections the client had to open again (the proxy closed a kept-alive one),
 * slow requests that did not complete, and the answers that came from the new upstream after each switch.
 * Rounds interleave the candidates, so machine noise hits all alike; nginx is the baseline of the ratios.
 * Writes bench/results/edge.json and edge.md.
 *
 *   node bench/edge.ts [--rounds N] [--seconds S]      (installs nginx-light, haproxy and caddy if missing)
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import * as http from 'node:http';
import * as net from 'node:net';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { countFlags } from '#args/index';
import { median } from '#stats/index';
import { freePort } from '../test/support/servers.ts';

const { rounds: ROUNDS, seconds: SECONDS } = countFlags(process.argv.slice(2), { rounds: 3, seconds: 10 });
const SWITCH_EVERY_MS = 250;
const CLIENTS = 8;
const SLOW_MS = 1500;
const CANDIDATES = ['nginx', 'haproxy', 'caddy'] as const;
type Candidate = (typeof CANDIDATES)[number];

const BINARIES: Record<Candidate, { path: string; debian: string }> = {
  nginx: { path: '/usr/sbin/nginx', debian: 'nginx-light' },
  haproxy: { path: '/usr/sbin/haproxy', debian: 'haproxy' },
  caddy: { path: '/usr/bin/caddy', debian: 'caddy' },
};

function installMissing(): void {
  const missing = Object.values(BINARIES).filter((b) => !existsSync(b.path));
  if (missing.length === 0) return;
  console.log(`installing ${missing.map((b) => b.debian).join(', ')} (apt)`);
  // The packages' services are not started: only their binaries are used, as processes of this benchmark.
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  spawnSync('apt-get', ['-o', 'DPkg::Lock::Timeout=300', 'update', '-qq'], { stdio: 'inherit', env });
  const install = spawnSync(
    'apt-get',
    ['-o', 'DPkg::Lock::Timeout=300', 'install', '-y', '-qq', '--no-install-recommends', ...missing.map((b) => b.debian)],
    {
      stdio: 'inherit',
      env,
    },
  );
  if (install.status !== 0) throw new Error('apt-get install failed');
}

/** An upstream that names itself; /slow answers after SLOW_MS. */
async function upstream(name: string): Promise<{ port: number; close: () => Promise<void> }> {
  const server = http.createServer((request, response) => {
    const answer = () => {
      response.writeHead(200, { 'content-type': 'text/plain' });
      response.end(name);
    };
    if (request.url === '/slow') setTimeout(answer, SLOW_MS);
    else answer();
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

interface Proxy {
  /** Points the proxy at the upstream on `port`. */
  switchTo(port: number): Promise<void>;
  stop(): Promise<void>;
}

async function waitForPort(port: number, child: ChildProcess, what: string): Promise<void> {
  for (let i = 0; i < 100; i += 1) {
    if (child.exitCode !== null) throw new Error(`${what} exited ${child.exitCode}`);
    const up = await new Promise<boolean>((resolve) => {
      const socket = net.connect(port, '127.0.0.1');
      socket.once('connect', () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
    if (up) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`${what} did not listen on ${port}`);
}

const stopChild = (child: ChildProcess) =>
  new Promise<void>((resolve) => {
    if (child.exitCode !== null) return resolve();
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
    setTimeout(() => child.kill('SIGKILL'), 5000).unref();
  });

async function startNginx(dir: string, listen: number, first: number): Promise<Proxy> {
  const conf = join(dir, 'nginx.conf');
  const write = (port: number) =>
    writeFileSync(
      conf,
      `worker_processes 1;\npid ${dir}/nginx.pid;\nerror_log ${dir}/nginx-error.log;\nworker_shutdown_timeout 30s;\n` +
        `events { worker_connections 256; }\n` +
        `http {\n  access_log off;\n  client_body_temp_path ${dir}/body;\n  proxy_temp_path ${dir}/proxy;\n` +
        `  fastcgi_temp_path ${dir}/fcgi;\n  uwsgi_temp_path ${dir}/uwsgi;\n  scgi_temp_path ${dir}/scgi;\n` +
        `  upstream app { server 127.0.0.1:${port}; keepalive 16; }\n` +
        `  server { listen 127.0.0.1:${listen}; location / { proxy_pass http://app; proxy_http_version 1.1; proxy_set_header Connection ""; } }\n}\n`,
    );
  write(first);
  const child = spawn(BINARIES.nginx.path, ['-c', conf, '-p', dir, '-g', 'daemon off;'], { stdio: 'ignore' });
  await waitForPort(listen, child, 'nginx');
  return {
    async switchTo(port) {
      write(port);
      child.kill('SIGHUP');
    },
    stop: () => stopChild(child),
  };
}

async function startHaproxy(dir: string, listen: number, first: number, second: number): Promise<Proxy> {
  const socket = join(dir, 'admin.sock');
  writeFileSync(
    join(dir, 'haproxy.cfg'),
    `global\n  stats socket ${socket} mode 600 level admin\n` +
      `defaults\n  mode http\n  timeout connect 5s\n  timeout client 60s\n  timeout server 60s\n  option http-keep-alive\n` +
      `frontend fe\n  bind 127.0.0.1:${listen}\n  default_backend be\n` +
      `backend be\n  server p${first} 127.0.0.1:${first}\n  server p${second} 127.0.0.1:${second} disabled\n`,
  );
  const child = spawn(BINARIES.haproxy.path, ['-db', '-f', join(dir, 'haproxy.cfg')], { stdio: 'ignore' });
  await waitForPort(listen, child, 'haproxy');
  let current = first;
  const command = (line: string) =>
    new Promise<string>((resolve, reject) => {
      const connection = net.connect(socket);
      let answer = '';
      connection.on('data', (chunk) => (answer += chunk.toString()));
      connection.on('end', () => resolve(answer));
      connection.on('error', reject);
      connection.end(`${line}\n`);
    });
  return {
    async switchTo(port) {
      if (port === current) return;
      // The new one takes requests first, then the old one takes no new ones; its requests in flight finish.
      await command(`set server be/p${port} state ready`);
      await command(`set server be/p${current} state maint`);
      current = port;
    },
    stop: () => stopChild(child),
  };
}

async function startCaddy(dir: string, listen: number, first: number): Promise<Proxy> {
  const admin = await freePort();
  const config = (port: number) =>
    JSON.stringify({
      admin: { listen: `127.0.0.1:${admin}` },
      logging: { logs: { default: { level: 'ERROR' } } },
      apps: {
        http: {
          servers: {
            edge: {
              listen: [`127.0.0.1:${listen}`],
              routes: [{ handle: [{ handler: 'reverse_proxy', upstreams: [{ dial: `127.0.0.1:${port}` }] }] }],
            },
          },
        },
      },
    });
  writeFileSync(join(dir, 'caddy.json'), config(first));
  const child = spawn(BINARIES.caddy.path, ['run', '--config', join(dir, 'caddy.json')], {
    stdio: 'ignore',
    env: { ...process.env, HOME: dir, XDG_DATA_HOME: dir, XDG_CONFIG_HOME: dir },
  });
  await waitForPort(listen, child, 'caddy');
  await waitForPort(admin, child, 'caddy admin');
  return {
    async switchTo(port) {
      const response = await fetch(`http://127.0.0.1:${admin}/load`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: config(port),
      });
      if (!response.ok) throw new Error(`caddy /load answered ${response.status}: ${await response.text()}`);
    },
    stop: () => stopChild(child),
  };
}

interface RunResult {
  candidate: Candidate;
  requests: number;
  failed: number;
  /** Connections the clients had to open again beyond the first CLIENTS. */
  reopened: number;
  slowSent: number;
  slowFailed: number;
  switches: number;
  /** Median ms from a switch until the first answer from the new upstream. */
  takeoverMs: number;
  errors: Record<string, number>;
}

async function runOnce(candidate: Candidate): Promise<RunResult> {
  const dir = mkdtempSync(join(tmpdir(), `gp-edge-${candidate}-`));
  const [blue, green] = [await upstream('blue'), await upstream('green')];
  const listen = await freePort();
  const proxy =
    candidate === 'nginx'
      ? await startNginx(dir, listen, blue.port)
      : candidate === 'haproxy'
        ? await startHaproxy(dir, listen, blue.port, green.port)
        : await startCaddy(dir, listen, blue.port);
  const agent = new http.Agent({ keepAlive: true, maxSockets: CLIENTS + 1 });
  const sockets = new Set<unknown>();
  const errors: Record<string, number> = {};
  let requests = 0;
  let failed = 0;
  let slowSent = 0;
  let slowFailed = 0;
  let stopping = false;
  let expected = 'blue';
  let switchedAt = 0;
  const takeovers: number[] = [];

  const get = (path: string) =>
    new Promise<string>((resolve, reject) => {
      const request = http.get({ host: '127.0.0.1', port: listen, path, agent }, (response) => {
        let body = '';
        response.on('data', (chunk) => (body += chunk));
        response.on('end', () => (response.statusCode === 200 ? resolve(body) : reject(new Error(`status ${response.statusCode}`))));
        response.on('error', reject);
      });
      request.on('socket', (socket) => sockets.add(socket));
      request.on('error', reject);
    });
  const count = (error: unknown) => {
    const key = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
    errors[key] = (errors[key] ?? 0) + 1;
  };
  const client = async () => {
    while (!stopping) {
      requests += 1;
      try {
        const body = await get('/');
        if (body === expected && switchedAt > 0) {
          takeovers.push(performance.now() - switchedAt);
          switchedAt = 0;
        }
      } catch (error) {
        failed += 1;
        count(error);
      }
    }
  };
  const slowClient = async () => {
    while (!stopping) {
      slowSent += 1;
      await get('/slow').catch((error) => {
        slowFailed += 1;
        count(error);
      });
    }
  };
  const running = [...Array.from({ length: CLIENTS }, client), slowClient()];
  let switches = 0;
  const end = performance.now() + SECONDS * 1000;
  while (performance.now() < end) {
    await new Promise((resolve) => setTimeout(resolve, SWITCH_EVERY_MS));
    const next = expected === 'blue' ? green : blue;
    expected = expected === 'blue' ? 'green' : 'blue';
    switchedAt = performance.now();
    await proxy.switchTo(next.port);
    switches += 1;
  }
  stopping = true;
  await Promise.all(running);
  agent.destroy();
  await proxy.stop();
  await Promise.all([blue.close(), green.close()]);
  rmSync(dir, { recursive: true, force: true });
  return {
    candidate,
    requests,
    failed,
    reopened: Math.max(0, sockets.size - (CLIENTS + 1)),
    slowSent,
    slowFailed,
    switches,
    takeoverMs: takeovers.length > 0 ? Math.round(median(takeovers)) : NaN,
    errors,
  };
}

installMissing();
const results: RunResult[] = [];
for (let round = 1; round <= ROUNDS; round += 1) {
  for (const candidate of CANDIDATES) {
    const result = await runOnce(candidate);
    results.push(result);
    console.log(
      `round ${round} ${candidate.padEnd(7)}: ${result.requests} requests, ${result.failed} failed, ${result.reopened} connections reopened, ` +
        `${result.slowFailed}/${result.slowSent} slow failed, ${result.switches} switches, new upstream after ${result.takeoverMs} ms ${JSON.stringify(result.errors)}`,
    );
  }
}

const of = (candidate: Candidate) => results.filter((r) => r.candidate === candidate);
const perThousand = (r: RunResult) => (1000 * r.failed) / Math.max(1, r.requests);
const spread = (values: number[]) => `${Math.min(...values)}–${Math.max(...values)}`;
/** The candidate and its binary's version (nginx prints it on stderr). */
const version = (candidate: Candidate) => {
  const run = spawnSync(BINARIES[candidate].path, candidate === 'caddy' ? ['version'] : ['-v'], { encoding: 'utf8' });
  return `${candidate} ${/\d+\.\d+\.\d+/.exec(`${run.stdout}${run.stderr}`)?.[0] ?? ''}`.trim();
};
const baseline = median(of('nginx').map((r) => r.reopened)) || 1;
const rows = CANDIDATES.map((candidate) => {
  const runs = of(candidate);
  const failed = runs.map((r) => r.failed);
  const reopened = runs.map((r) => r.reopened);
  return {
    candidate,
    version: version(candidate),
    requests: median(runs.map((r) => r.requests)),
    failed: median(failed),
    failedSpread: spread(failed),
    failedPerThousand: Number(median(runs.map(perThousand)).toFixed(2)),
    reopened: median(reopened),
    reopenedSpread: spread(reopened),
    reopenedVsNginx: Number((median(reopened) / baseline).toFixed(2)),
    slowFailed: median(runs.map((r) => r.slowFailed)),
    takeoverMs: median(runs.map((r) => r.takeoverMs).filter((n) => !Number.isNaN(n))),
  };
});
/** What the figures say, for the choice #25 makes: the candidates that touched no client connection. */
function reading(): string {
  const clean = rows.filter((r) => r.failed === 0 && r.reopened === 0).map((r) => r.version);
  const touched = rows.filter((r) => r.failed > 0 || r.reopened > 0).map((r) => `${r.version} (${r.failedPerThousand} failed per 1,000)`);
  return (
    `Touched no client connection in any round: ${clean.join(', ') || 'none'}. ` +
    `Closed kept-alive connections at each switch, so a client that does not retry saw errors: ${touched.join(', ') || 'none'}. ` +
    'Requests in flight completed everywhere (the slow column).'
  );
}

writeFileSync(
  'bench/results/edge.json',
  `${JSON.stringify({ rounds: ROUNDS, seconds: SECONDS, switchEveryMs: SWITCH_EVERY_MS, clients: CLIENTS, results, rows }, null, 2)}\n`,
);
writeFileSync(
  'bench/results/edge.md',
  [
    '# Edge candidates: moving traffic without touching a client connection',
    '',
    `\`node bench/edge.ts\`: ${ROUNDS} rounds of ${SECONDS} s per candidate, interleaved; the proxy switches upstream every ${SWITCH_EVERY_MS} ms; ` +
      `${CLIENTS} clients send back-to-back requests over kept-alive connections and never retry; one more keeps a ${SLOW_MS} ms request in flight. ` +
      'Medians over the rounds, with the spread (min–max).',
    '',
    '| proxy | how it switches | requests | failed (spread) | failed per 1,000 | connections reopened (spread) | reopened vs nginx | slow requests failed | new upstream answers after |',
    '| --- | --- | --- | --- | --- | --- | --- | --- | --- |',
    ...rows.map(
      (r) =>
        `| ${r.version} | ${{ nginx: 'config rewrite + graceful reload', haproxy: 'runtime API (ready/maint)', caddy: 'admin API POST /load' }[r.candidate]} | ` +
        `${r.requests} | ${r.failed} (${r.failedSpread}) | ${r.failedPerThousand} | ${r.reopened} (${r.reopenedSpread}) | ${r.reopenedVsNginx}× | ${r.slowFailed} | ${r.takeoverMs} ms |`,
    ),
    '',
    reading(),
    '',
  ].join('\n'),
);
console.log('wrote bench/results/edge.json and edge.md');
