#!/usr/bin/env node
/**
 * PostgreSQL through the bastion three ways, on the lab:
 *   ours    — packages/ssh openTunnel over one ssh2 connection (what bastion-migrate uses);
 *   openssh — `ssh -N -L` to the same bastion (the OpenSSH client, host key checked);
 *   direct  — pgbench run inside the bastion's namespace, no tunnel (the ceiling).
 * pgbench select-only TPS (median of ROUNDS interleaved rounds) and a bulk COPY of ~50 MB out.
 * Writes bench/results/tunnel.json and tunnel.md.   node bench/tunnel.ts [--rounds N] [--seconds S]
 */
import { execFile, spawn, spawnSync } from 'node:child_process';
import { promisify } from 'node:util';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connectSsh, openTunnel, parseHostKeyPins } from '../packages/ssh/index.ts';
import { median } from '../packages/stats/index.ts';
import { labEnv } from '../test/support/lab.ts';
import { freePort } from '../test/support/servers.ts';

const arg = (flag: string, fallback: number) => (process.argv.includes(flag) ? Number(process.argv[process.argv.indexOf(flag) + 1]) : fallback);
const ROUNDS = arg('--rounds', 3);
const SECONDS = arg('--seconds', 5);
const GOAL = 0.9;
const lab = labEnv();
const env = { ...process.env, PGUSER: lab.LAB_DB_USER!, PGPASSWORD: lab.LAB_DB_PASSWORD!, PGDATABASE: lab.LAB_DB_NAME! };
const scratch = mkdtempSync(join(tmpdir(), 'gp-bench-tunnel-'));
writeFileSync(join(scratch, 'known_hosts'), `${lab.LAB_BASTION_KNOWN_HOSTS}\n`);

// ours
const bastion = await connectSsh({
  host: lab.LAB_BASTION_HOST!, port: Number(lab.LAB_BASTION_PORT), username: lab.LAB_BASTION_USER!,
  privateKey: readFileSync(lab.LAB_BASTION_KEY_FILE!, 'utf8'), hostKeys: parseHostKeyPins('bench', lab.LAB_BASTION_KNOWN_HOSTS!),
  insecureIgnoreHostKey: false, connectTimeoutMs: 10_000,
});
const tunnel = await openTunnel(bastion, lab.LAB_DB_HOST!, Number(lab.LAB_DB_PORT), 0);
// openssh
const sshPort = await freePort();
const ssh = spawn('ssh', ['-N', '-o', 'BatchMode=yes', '-o', 'ExitOnForwardFailure=yes', '-o', `UserKnownHostsFile=${join(scratch, 'known_hosts')}`,
  '-o', 'StrictHostKeyChecking=yes', '-i', lab.LAB_BASTION_KEY_FILE!, '-L', `127.0.0.1:${sshPort}:${lab.LAB_DB_HOST}:${lab.LAB_DB_PORT}`,
  `${lab.LAB_BASTION_USER}@${lab.LAB_BASTION_HOST}`], { stdio: 'ignore' });
for (let i = 0; i < 50 && spawnSync('pg_isready', ['-q', '-h', '127.0.0.1', '-p', String(sshPort)]).status !== 0; i += 1) {
  await new Promise((r) => setTimeout(r, 100));
}

type Route = 'ours' | 'openssh' | 'direct';
const target = (route: Route) => ({
  ours: { prefix: [], host: '127.0.0.1', port: tunnel.port },
  openssh: { prefix: [], host: '127.0.0.1', port: sshPort },
  direct: { prefix: ['ip', 'netns', 'exec', 'gp-bastion'], host: lab.LAB_DB_HOST!, port: Number(lab.LAB_DB_PORT) },
}[route]);

// Asynchronous on purpose: our tunnel runs in this process, and a blocking spawn would stall it.
const execFileAsync = promisify(execFile);
async function run(route: Route, program: string, args: string[]): Promise<string> {
  const t = target(route);
  const argv = [...t.prefix, program, '-h', t.host, '-p', String(t.port), ...args];
  return (await execFileAsync(argv[0]!, argv.slice(1), { env, encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 })).stdout;
}

const tps = async (route: Route) =>
  Number(/tps = ([\d.]+)/.exec(await run(route, 'pgbench', ['-S', '-n', '-c', '4', '-j', '2', '-T', String(SECONDS)]))![1]);
async function copyMs(route: Route): Promise<number> {
  const started = performance.now();
  await run(route, 'psql', ['-Atc', "COPY (SELECT g, md5(g::text) FROM generate_series(1, 1000000) g) TO STDOUT"]);
  return performance.now() - started;
}

const routes: Route[] = ['ours', 'openssh', 'direct'];
const samples = Object.fromEntries(routes.map((r) => [r, { tps: [] as number[], copy: [] as number[] }])) as Record<Route, { tps: number[]; copy: number[] }>;
try {
  await run('direct', 'pgbench', ['-i', '-s', '2', '-q']);
  for (let round = 0; round < ROUNDS; round += 1) {
    for (const route of routes) {
      samples[route].tps.push(await tps(route));
      samples[route].copy.push(await copyMs(route));
    }
  }
} finally {
  await tunnel.close();
  bastion.close();
  ssh.kill('SIGTERM');
  rmSync(scratch, { recursive: true, force: true });
}

const m = (route: Route) => ({ tps: Math.round(median(samples[route].tps)), copy_ms: Math.round(median(samples[route].copy)) });
const result = {
  date: new Date().toISOString(), rounds: ROUNDS, seconds_per_pgbench: SECONDS, ours: m('ours'), openssh: m('openssh'), direct: m('direct'),
  ratio_tps_ours_to_openssh: Number((m('ours').tps / m('openssh').tps).toFixed(2)),
  ratio_copy_time_ours_to_openssh: Number((m('ours').copy_ms / m('openssh').copy_ms).toFixed(2)),
  goal_tps_ratio_at_least: GOAL,
};
const table = [
  `# PostgreSQL through the bastion (median of ${ROUNDS} interleaved rounds, ${result.date.slice(0, 10)})`,
  '',
  `| route | pgbench -S TPS (4 clients, ${SECONDS} s) | COPY out of 1,000,000 rows |`,
  '| --- | --- | --- |',
  `| bastion-migrate tunnel (ssh2) | ${result.ours.tps} | ${result.ours.copy_ms} ms |`,
  `| OpenSSH \`ssh -L\` | ${result.openssh.tps} | ${result.openssh.copy_ms} ms |`,
  `| direct, inside the bastion namespace (ceiling) | ${result.direct.tps} | ${result.direct.copy_ms} ms |`,
  '',
  `TPS ours/OpenSSH: **${result.ratio_tps_ours_to_openssh}×** (goal ≥ ${GOAL}×: ${result.ratio_tps_ours_to_openssh >= GOAL ? 'met' : 'MISSED'}); ` +
  `COPY time ours/OpenSSH: ${result.ratio_copy_time_ours_to_openssh}× (lower is better).`,
  '',
].join('\n');
writeFileSync('bench/results/tunnel.json', `${JSON.stringify(result, null, 2)}\n`);
writeFileSync('bench/results/tunnel.md', table);
console.log(table);
