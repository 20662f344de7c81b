#!/usr/bin/env node
/**
 * PostgreSQL through the bastion three ways, on the lab, side by side in the same run:
 *   ours    — packages/runtime/ssh openTunnel over one ssh2 connection (what bastion-migrate uses; ssh2 carries
 *             patches/ssh2+*.patch: one KeyObject per key, one socket write per packet, padding from a random pool);
 *   openssh — `ssh -N -L` to the same bastion (the OpenSSH client, host key checked);
 *   direct  — pgbench run inside the bastion's namespace, no tunnel (the ceiling).
 * For 1 and 8 clients: pgbench select-only TPS, and the CPU each tunnel spends per transaction (this
 * process for ours, the `ssh` process for OpenSSH, from /proc). Also the time from starting a tunnel to
 * the first answered query, a bulk COPY of ~50 MB out, and a whole `manage.py migrate` of the example
 * backend (a lab-built container on the host network, a fresh database each time) through each tunnel.
 * Medians of ROUNDS interleaved rounds. The TPS and CPU goals are retired: CPU per transaction is bounded by
 * Node's per-packet cipher contexts, and what a migration feels is its start and its run, reported here.
 * Writes bench/results/tunnel.json and tunnel.md.   node bench/tunnel.ts [--rounds N] [--seconds S]
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { promisify } from 'node:util';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { connectSsh, openTunnel, parseHostKeyPins, type RemoteHost, type Tunnel } from '#ssh/index';
import { median } from '#stats/index';
import { labEnv } from '../test/support/lab.ts';
import { freePort } from '../test/support/servers.ts';
import { countFlags } from '#args/index';

const { rounds: ROUNDS, seconds: SECONDS } = countFlags(process.argv.slice(2), { rounds: 3, seconds: 5 });
const CLIENTS = [1, 8] as const;
const lab = labEnv();
const IMAGE = `golden-lab-bench/backend:${process.pid}`;
/** A container start varies by more than the tunnels differ: "no slower" allows this much. */
const MIGRATE_RATIO_AT_MOST = 1.05;
const env = { ...process.env, PGUSER: lab.LAB_DB_USER!, PGPASSWORD: lab.LAB_DB_PASSWORD!, PGDATABASE: lab.LAB_DB_NAME! };
const scratch = mkdtempSync(join(tmpdir(), 'gp-bench-tunnel-'));
writeFileSync(join(scratch, 'known_hosts'), `${lab.LAB_BASTION_KNOWN_HOSTS}\n`);
const TICKS_PER_SECOND = 100;

async function firstQuery(port: number): Promise<void> {
  const client = new pg.Client({
    host: '127.0.0.1',
    port,
    user: lab.LAB_DB_USER,
    password: lab.LAB_DB_PASSWORD,
    database: lab.LAB_DB_NAME,
  });
  try {
    await client.connect();
    await client.query('SELECT 1');
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** ours: connect to the bastion, listen, and answer a first query, in this process (as the action does). */
async function openOurs(): Promise<{ bastion: RemoteHost; tunnel: Tunnel; ms: number }> {
  const started = performance.now();
  const bastion = await connectSsh({
    host: lab.LAB_BASTION_HOST!,
    port: Number(lab.LAB_BASTION_PORT),
    username: lab.LAB_BASTION_USER!,
    privateKey: readFileSync(lab.LAB_BASTION_KEY_FILE!, 'utf8'),
    hostKeys: parseHostKeyPins('bench', lab.LAB_BASTION_KNOWN_HOSTS!),
    insecureIgnoreHostKey: false,
    connectTimeoutMs: 10_000,
    connectRetries: 0,
  });
  const tunnel = await openTunnel(bastion, lab.LAB_DB_HOST!, Number(lab.LAB_DB_PORT), 0);
  await firstQuery(tunnel.port);
  return { bastion, tunnel, ms: performance.now() - started };
}

/** openssh: spawn `ssh -N -L` and ask until the first query is answered. */
async function openOpenSsh(): Promise<{ ssh: ChildProcess; port: number; ms: number }> {
  const port = await freePort();
  const started = performance.now();
  const ssh = spawn(
    'ssh',
    [
      '-N',
      '-o',
      'BatchMode=yes',
      '-o',
      'ExitOnForwardFailure=yes',
      '-o',
      `UserKnownHostsFile=${join(scratch, 'known_hosts')}`,
      '-o',
      'StrictHostKeyChecking=yes',
      '-i',
      lab.LAB_BASTION_KEY_FILE!,
      '-L',
      `127.0.0.1:${port}:${lab.LAB_DB_HOST}:${lab.LAB_DB_PORT}`,
      `${lab.LAB_BASTION_USER}@${lab.LAB_BASTION_HOST}`,
    ],
    { stdio: 'ignore' },
  );
  for (;;) {
    try {
      await firstQuery(port);
      break;
    } catch {
      /* not listening yet */
    }
    if (performance.now() - started > 10_000) throw new Error('ssh -L did not answer within 10 s');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  return { ssh, port, ms: performance.now() - started };
}

const ours = await openOurs();
const openssh = await openOpenSsh();
const { tunnel, bastion } = ours;
const sshPort = openssh.port;
const ssh = openssh.ssh;

type Route = 'ours' | 'openssh' | 'direct';
const target = (route: Route) =>
  ({
    ours: { prefix: [], host: '127.0.0.1', port: tunnel.port },
    openssh: { prefix: [], host: '127.0.0.1', port: sshPort },
    direct: { prefix: ['ip', 'netns', 'exec', 'gp-bastion'], host: lab.LAB_DB_HOST!, port: Number(lab.LAB_DB_PORT) },
  })[route];

// Asynchronous on purpose: our tunnel runs in this process, and a blocking spawn would stall it.
const execFileAsync = promisify(execFile);
async function run(route: Route, program: string, args: string[]): Promise<string> {
  const t = target(route);
  const argv = [...t.prefix, program, '-h', t.host, '-p', String(t.port), ...args];
  return (await execFileAsync(argv[0]!, argv.slice(1), { env, encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 })).stdout;
}

/** CPU the route's tunnel process used, in µs: this process for ours, the ssh process for OpenSSH. */
function tunnelCpuUs(route: Route): number {
  if (route === 'ours') {
    const usage = process.cpuUsage();
    return usage.user + usage.system;
  }
  if (route === 'openssh') {
    const fields = readFileSync(`/proc/${ssh.pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1e6) / TICKS_PER_SECOND;
  }
  return 0;
}

/** TCP data segments the route's SSH connection to the bastion sent and received so far (tcp_info, via `ss -i`). */
async function sshSegments(route: Route): Promise<{ out: number; in: number }> {
  if (route === 'direct') return { out: 0, in: 0 };
  const pid = route === 'ours' ? process.pid : ssh.pid;
  const text = (
    await execFileAsync('ss', ['-tinpH', 'state', 'established', 'dst', `${lab.LAB_BASTION_HOST}:${lab.LAB_BASTION_PORT}`], {
      encoding: 'utf8',
    })
  ).stdout;
  const blocks = text.split(/\n(?=\S)/).filter((block) => block.includes(`pid=${pid},`));
  const sum = (field: string) => blocks.reduce((total, block) => total + Number(new RegExp(`${field}:(\\d+)`).exec(block)?.[1] ?? 0), 0);
  return { out: sum('data_segs_out'), in: sum('data_segs_in') };
}

async function pgbench(
  route: Route,
  clients: number,
): Promise<{ tps: number; cpuUsPerTx: number; segmentsPerTx: { out: number; in: number } }> {
  const cpuBefore = tunnelCpuUs(route);
  const segmentsBefore = await sshSegments(route);
  const out = await run(route, 'pgbench', ['-S', '-n', '-c', String(clients), '-j', String(Math.min(clients, 2)), '-T', String(SECONDS)]);
  const cpu = tunnelCpuUs(route) - cpuBefore;
  const segmentsAfter = await sshSegments(route);
  const transactions = Number(/number of transactions actually processed: (\d+)/.exec(out)![1]);
  return {
    tps: Number(/tps = ([\d.]+)/.exec(out)![1]),
    cpuUsPerTx: cpu / transactions,
    segmentsPerTx: {
      out: (segmentsAfter.out - segmentsBefore.out) / transactions,
      in: (segmentsAfter.in - segmentsBefore.in) / transactions,
    },
  };
}
async function copyMs(route: Route): Promise<number> {
  const started = performance.now();
  await run(route, 'psql', ['-Atc', 'COPY (SELECT g, md5(g::text) FROM generate_series(1, 1000000) g) TO STDOUT']);
  return performance.now() - started;
}

/** As the database's superuser, over its unix socket: creating and dropping the databases each migrate gets. */
async function asSuperuser(statement: string): Promise<void> {
  await execFileAsync('runuser', ['-u', 'postgres', '--', 'psql', '-h', `${lab.LAB_DIR}/postgres/socket`, '-qAtc', statement]);
}

/** `manage.py migrate` of the example backend into a fresh database, through the route's tunnel, as bastion-migrate runs it. */
async function migrateMs(route: 'ours' | 'openssh', round: number): Promise<number> {
  const database = `gp_bench_migrate_${process.pid}_${round}_${route}`;
  await asSuperuser(`CREATE DATABASE ${database} OWNER ${lab.LAB_DB_USER}`);
  try {
    const { port } = target(route);
    const url = `postgresql://${lab.LAB_DB_USER}:${encodeURIComponent(lab.LAB_DB_PASSWORD!)}@127.0.0.1:${port}/${database}`;
    const started = performance.now();
    await execFileAsync(
      'docker',
      ['run', '--rm', '--network', 'host', '-e', 'DATABASE_URL', IMAGE, 'python3', 'manage.py', 'migrate', '--noinput'],
      {
        env: { ...process.env, DATABASE_URL: url },
      },
    );
    return performance.now() - started;
  } finally {
    await asSuperuser(`DROP DATABASE IF EXISTS ${database}`);
  }
}

const routes: Route[] = ['ours', 'openssh', 'direct'];
interface Samples {
  tps: Record<number, number[]>;
  cpu: Record<number, number[]>;
  segmentsOut: number[];
  segmentsIn: number[];
  copy: number[];
  firstQuery: number[];
  migrate: number[];
}
const samples = Object.fromEntries(
  routes.map((r) => [
    r,
    { tps: { 1: [], 8: [] }, cpu: { 1: [], 8: [] }, segmentsOut: [], segmentsIn: [], copy: [], firstQuery: [], migrate: [] },
  ]),
) as unknown as Record<Route, Samples>;
samples.ours.firstQuery.push(ours.ms);
samples.openssh.firstQuery.push(openssh.ms);
try {
  await execFileAsync('docker', ['build', '-q', '-t', IMAGE, 'examples/backend']);
  await run('direct', 'pgbench', ['-i', '-s', '2', '-q']);
  for (let round = 0; round < ROUNDS; round += 1) {
    for (const clients of CLIENTS) {
      for (const route of routes) {
        const { tps, cpuUsPerTx, segmentsPerTx } = await pgbench(route, clients);
        samples[route].tps[clients]!.push(tps);
        samples[route].cpu[clients]!.push(cpuUsPerTx);
        if (clients === 1) {
          samples[route].segmentsOut.push(segmentsPerTx.out);
          samples[route].segmentsIn.push(segmentsPerTx.in);
        }
      }
    }
    for (const route of routes) samples[route].copy.push(await copyMs(route));
    // Alternating which goes first, so neither always meets a warm page cache.
    for (const route of round % 2 === 0 ? (['ours', 'openssh'] as const) : (['openssh', 'ours'] as const)) {
      samples[route].migrate.push(await migrateMs(route, round));
    }
    // Start-up, again per round: a fresh tunnel each way, closed at once.
    const again = await openOurs();
    samples.ours.firstQuery.push(again.ms);
    await again.tunnel.close();
    again.bastion.close();
    const other = await openOpenSsh();
    samples.openssh.firstQuery.push(other.ms);
    other.ssh.kill('SIGTERM');
    console.log(`round ${round + 1}/${ROUNDS} done`);
  }
} finally {
  await tunnel.close();
  bastion.close();
  ssh.kill('SIGTERM');
  rmSync(scratch, { recursive: true, force: true });
  await execFileAsync('docker', ['image', 'rm', IMAGE]).catch(() => undefined);
}

const med = (values: number[]) => Math.round(median(values));
const range = (values: number[]): [number, number] => [Math.round(Math.min(...values)), Math.round(Math.max(...values))];
const figures = (route: Route) => ({
  tps: Object.fromEntries(CLIENTS.map((c) => [c, med(samples[route].tps[c]!)])),
  tunnel_cpu_us_per_transaction: Object.fromEntries(CLIENTS.map((c) => [c, med(samples[route].cpu[c]!)])),
  copy_ms: med(samples[route].copy),
  ...(route === 'direct'
    ? {}
    : {
        ssh_segments_per_transaction_1_client: {
          out: Number(median(samples[route].segmentsOut).toFixed(2)),
          in: Number(median(samples[route].segmentsIn).toFixed(2)),
        },
      }),
  ...(route === 'direct'
    ? {}
    : {
        first_query_ms: med(samples[route].firstQuery),
        migrate_ms: med(samples[route].migrate),
        migrate_spread_ms: range(samples[route].migrate),
      }),
});
const result = {
  date: new Date().toISOString(),
  node: process.version,
  rounds: ROUNDS,
  seconds_per_pgbench: SECONDS,
  ours: figures('ours'),
  openssh: figures('openssh'),
  direct: figures('direct'),
  samples,
  ratio_tps_ours_to_openssh: Object.fromEntries(
    CLIENTS.map((c) => [c, Number((median(samples.ours.tps[c]!) / median(samples.openssh.tps[c]!)).toFixed(2))]),
  ),
  ratio_cpu_ours_to_openssh: Object.fromEntries(
    CLIENTS.map((c) => [c, Number((median(samples.ours.cpu[c]!) / median(samples.openssh.cpu[c]!)).toFixed(2))]),
  ),
  ratio_migrate_ours_to_openssh: Number((median(samples.ours.migrate) / median(samples.openssh.migrate)).toFixed(2)),
  goals: { first_query_below_openssh: true, migrate_ratio_at_most: MIGRATE_RATIO_AT_MOST },
  retired_goals: 'TPS ≥ 0.8×/0.7× and tunnel CPU per transaction ≤ 2× of OpenSSH: reported as information only',
};
const verdict = (ok: boolean) => (ok ? 'met' : 'MISSED');
const ms = (value: number | undefined) => (value === undefined ? '–' : `${value} ms`);
const table = [
  `# PostgreSQL through the bastion (median of ${ROUNDS} interleaved rounds, ${result.date.slice(0, 10)})`,
  '',
  'What a migration feels: the time from starting the tunnel (ours: connecting inside the already running action;',
  'OpenSSH: spawning `ssh -L`) to the first answered `SELECT 1`, and a whole `manage.py migrate` of the example backend',
  '(a lab-built container on the host network, into a fresh database; spread in brackets).',
  '',
  '| route | time to first query | `manage.py migrate` |',
  '| --- | --- | --- |',
  ...(['ours', 'openssh'] as const).map((route) => {
    const f = figures(route);
    const name = route === 'ours' ? 'bastion-migrate tunnel (patched ssh2)' : 'OpenSSH `ssh -L`';
    return `| ${name} | ${ms(f.first_query_ms)} | ${ms(f.migrate_ms)} (${f.migrate_spread_ms![0]}–${f.migrate_spread_ms![1]}) |`;
  }),
  '',
  `- Time to first query: ${result.ours.first_query_ms} ms against ${result.openssh.first_query_ms} ms (goal: below OpenSSH: ${verdict(result.ours.first_query_ms! < result.openssh.first_query_ms!)}).`,
  `- \`manage.py migrate\` ours/OpenSSH: **${result.ratio_migrate_ours_to_openssh}×** (goal: no slower than OpenSSH, ≤ ${MIGRATE_RATIO_AT_MOST}× ` +
    `for the noise of a container start: ${verdict(result.ratio_migrate_ours_to_openssh <= MIGRATE_RATIO_AT_MOST)}).`,
  '',
  `Throughput, for information (goals retired: tunnel CPU per transaction is bounded by Node's per-packet cipher contexts).`,
  `pgbench select-only for ${SECONDS} s per run; "tunnel CPU" is the CPU the tunnel's process spent per transaction (this Node`,
  'process for ours, the `ssh` process for OpenSSH).',
  '',
  '| route | TPS, 1 client | TPS, 8 clients | tunnel CPU per transaction, 1 client | 8 clients | COPY out of 1,000,000 rows |',
  '| --- | --- | --- | --- | --- | --- |',
  ...(['ours', 'openssh', 'direct'] as const).map((route) => {
    const f = figures(route);
    const name = {
      ours: 'bastion-migrate tunnel (patched ssh2)',
      openssh: 'OpenSSH `ssh -L`',
      direct: 'direct, inside the bastion namespace (ceiling)',
    }[route];
    const cpu = (clients: 1 | 8) => (route === 'direct' ? '–' : `${f.tunnel_cpu_us_per_transaction[clients]} µs`);
    return `| ${name} | ${f.tps[1]} | ${f.tps[8]} | ${cpu(1)} | ${cpu(8)} | ${f.copy_ms} ms |`;
  }),
  '',
  ...CLIENTS.map((c) => `- TPS ours/OpenSSH, ${c} client${c > 1 ? 's' : ''}: ${result.ratio_tps_ours_to_openssh[c]}×.`),
  ...CLIENTS.map(
    (c) => `- Tunnel CPU per transaction ours/OpenSSH, ${c} client${c > 1 ? 's' : ''}: ${result.ratio_cpu_ours_to_openssh[c]}×.`,
  ),
  `- TCP data segments per transaction on the SSH connection, 1 client (tcp_info via \`ss -i\`; TCP_NODELAY on both): ours ` +
    `${result.ours.ssh_segments_per_transaction_1_client!.out} out / ${result.ours.ssh_segments_per_transaction_1_client!.in} in, OpenSSH ` +
    `${result.openssh.ssh_segments_per_transaction_1_client!.out} out / ${result.openssh.ssh_segments_per_transaction_1_client!.in} in.`,
  '',
].join('\n');
writeFileSync('bench/results/tunnel.json', `${JSON.stringify(result, null, 2)}\n`);
writeFileSync('bench/results/tunnel.md', table);
console.log(table);
