#!/usr/bin/env node
/**
 * Cold start of each built action against a bare `node -e ''` on the same Node 24 binary.
 * Runs are interleaved (baseline, action, baseline, …) so machine noise hits both alike; the figure
 * is the median of RUNS runs, reported as a ratio and as an overhead in ms, with each bundle's size.
 *
 *   node bench/cold-start.ts [--runs N]     (npm run bench)
 * Writes bench/results/cold-start.json and cold-start.md.
 */
import { spawn } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { inputEnvName } from '#inputs/index';
import { inputEnvironment, readActionManifest } from '#runner/index';
import { median } from '#stats/index';
import { countFlags } from '#args/index';

const { runs: RUNS } = countFlags(process.argv.slice(2), { runs: 21 });
const GOAL_OVERHEAD_MS = 100;
const GOAL_HEALTH_CHECK_BYTES = 1024 * 1024;

// A local service every action can be pointed at.
const server = http.createServer((_req, res) => {
  res.writeHead(200);
  res.end('ok');
});
await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
const serviceUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/health`;

// A loopback port with nothing listening: deploy-container's run ends at a refused TCP connect.
const closed = http.createServer();
await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
const closedPort = String((closed.address() as AddressInfo).port);
await new Promise((resolve) => closed.close(resolve));

/**
 * The smallest valid inputs for each action and the exit code they end with; an action without an
 * entry stops the bench. deploy-container and bastion-migrate are measured to their first network step
 * (a refused connect): a whole deploy is measured by bench/deploy.ts.
 */
const MINIMAL_INPUTS: Record<string, { inputs: Record<string, string>; exit: number; stopAt?: Record<string, string> }> = {
  'health-check': { inputs: { urls: serviceUrl, 'max-attempts': '1' }, exit: 0 },
  'bastion-migrate': {
    inputs: {
      'bastion-host': '127.0.0.1',
      'bastion-port': closedPort,
      'bastion-user': 'x',
      'bastion-password': 'x',
      'insecure-ignore-host-key': 'true',
      'db-host': 'db',
      'db-name': 'app',
      'db-user': 'app',
      command: 'true',
    },
    exit: 1,
  },
  // The project manifest in env mode for a frontend, with its variables unset: the full audit, then exit 1.
  'audit-secrets': {
    inputs: { manifest: 'config/env.manifest.json', mode: 'env', environment: 'dev-frontend' },
    exit: 1,
    stopAt: { mode: 'none' },
  },
  // A workspace with nothing to lint: the step reads its inputs, finds no files and passes.
  'heredoc-lint': { inputs: { paths: 'no-such-dir/*.yml' }, exit: 0, stopAt: { 'fail-on': 'none' } },
  'deploy-container': {
    inputs: {
      host: '127.0.0.1',
      port: closedPort,
      username: 'deploy',
      password: 'x',
      'insecure-ignore-host-key': 'true',
      image: 'app:v1',
      name: 'app',
    },
    exit: 1,
  },
};

function timeRun(args: string[], env: NodeJS.ProcessEnv, expectedCode = 0, cwd?: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    const child = spawn(process.execPath, args, { env, stdio: 'ignore', cwd });
    child.on('error', reject);
    child.on('close', (code) => {
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      if (code !== expectedCode) reject(new Error(`${args.join(' ')} exited ${code}, expected ${expectedCode}`));
      else resolve(ms);
    });
  });
}

const actions = readdirSync('actions')
  .filter((name) => existsSync(join('actions', name, 'action.yml')))
  .sort();
const scratch = mkdtempSync(join(tmpdir(), 'bench-'));
const rows = [];
const commandRows: { command: string; baseline_median_ms: number; command_median_ms: number; overhead_ms: number; ratio: number }[] = [];
try {
  for (const action of actions) {
    const minimal = MINIMAL_INPUTS[action];
    if (!minimal) throw new Error(`bench/cold-start.ts: add minimal inputs for ${action}`);
    const { inputs, exit, stopAt = {} } = minimal;
    const manifest = readActionManifest(join('actions', action));
    const bundle = join('actions', action, manifest.runs.main);
    const output = join(scratch, `${action}.out`);
    const env = { PATH: process.env.PATH, GITHUB_OUTPUT: output, ...inputEnvironment(manifest, inputs) };
    // Load only: the action stops at its first input (exit 1) before any work: a required input left empty, or
    // for actions whose every input has a default, a value stopAt makes invalid.
    const loadOnlyEnv = {
      PATH: process.env.PATH,
      GITHUB_OUTPUT: output,
      ...Object.fromEntries(Object.entries(stopAt).map(([k, v]) => [inputEnvName(k), v])),
    };
    writeFileSync(output, '');
    // One unmeasured run of each warms the page cache.
    await timeRun(['-e', ''], {});
    await timeRun([bundle], env, exit);
    const baseline: number[] = [];
    const measured: number[] = [];
    const loadOnly: number[] = [];
    for (let i = 0; i < RUNS; i += 1) {
      writeFileSync(output, '');
      baseline.push(await timeRun(['-e', ''], {}));
      measured.push(await timeRun([bundle], env, exit));
      loadOnly.push(await timeRun([bundle], loadOnlyEnv, 1));
    }
    const base = median(baseline);
    const actionMs = median(measured);
    const loadMs = median(loadOnly);
    rows.push({
      action,
      bundle,
      bundle_bytes: statSync(bundle).size,
      baseline_median_ms: Number(base.toFixed(1)),
      action_median_ms: Number(actionMs.toFixed(1)),
      load_only_overhead_ms: Number((loadMs - base).toFixed(1)),
      overhead_ms: Number((actionMs - base).toFixed(1)),
      ratio: Number((actionMs / base).toFixed(2)),
    });
  }

  // The commands of @golden-pipeline/cli, from their bin/ (the Node version gate, then the bundle): audit-secrets'
  // workflows mode never loads Octokit; its github mode loads it (a chunk of its own) and stops at a refused connect.
  const workspace = join(scratch, 'workspace');
  mkdirSync(join(workspace, '.github/workflows'), { recursive: true });
  mkdirSync(join(workspace, 'config'));
  writeFileSync(
    join(workspace, '.github/workflows/ci.yml'),
    'on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n      - run: echo ok\n',
  );
  copyFileSync('config/env.manifest.json', join(workspace, 'config/env.manifest.json'));
  const COMMANDS = [
    { label: 'heredoc-lint, one workflow', args: ['packages/cli/bin/heredoc-lint.cjs'], exit: 0 },
    { label: 'audit-secrets --mode workflows', args: ['packages/cli/bin/audit-secrets.cjs', '--mode', 'workflows'], exit: 0 },
    {
      label: 'audit-secrets --mode github (loads Octokit), to a refused connect',
      args: [
        'packages/cli/bin/audit-secrets.cjs',
        '--mode',
        'github',
        '--repository',
        'acme/app',
        '--api-url',
        `http://127.0.0.1:${closedPort}`,
      ],
      exit: 2,
    },
  ];
  for (const command of COMMANDS) {
    const args = [resolve(command.args[0]!), ...command.args.slice(1)];
    const env = { PATH: process.env.PATH, GITHUB_TOKEN: 'bench-token' };
    await timeRun(args, env, command.exit, workspace);
    const baseline: number[] = [];
    const measured: number[] = [];
    for (let i = 0; i < RUNS; i += 1) {
      baseline.push(await timeRun(['-e', ''], {}));
      measured.push(await timeRun(args, env, command.exit, workspace));
    }
    const base = median(baseline);
    const commandMs = median(measured);
    commandRows.push({
      command: command.label,
      baseline_median_ms: Number(base.toFixed(1)),
      command_median_ms: Number(commandMs.toFixed(1)),
      overhead_ms: Number((commandMs - base).toFixed(1)),
      ratio: Number((commandMs / base).toFixed(2)),
    });
  }
} finally {
  server.close();
  rmSync(scratch, { recursive: true, force: true });
}

const result = {
  node: process.version,
  runs: RUNS,
  date: new Date().toISOString(),
  goal_overhead_ms: GOAL_OVERHEAD_MS,
  actions: rows,
  commands: commandRows,
};
const table = [
  `# Cold start (Node ${process.version}, median of ${RUNS} interleaved runs, ${result.date.slice(0, 10)})`,
  '',
  "| action | bundle | node -e '' | action | overhead | of which loading the bundle | ratio | goal |",
  '| --- | --- | --- | --- | --- | --- | --- | --- |',
  ...rows.map((r) => {
    const sizeOk = r.action !== 'health-check' || r.bundle_bytes <= GOAL_HEALTH_CHECK_BYTES;
    const ok = r.overhead_ms <= GOAL_OVERHEAD_MS && sizeOk;
    return (
      `| ${r.action} | ${(r.bundle_bytes / 1024).toFixed(0)} KiB | ${r.baseline_median_ms} ms | ${r.action_median_ms} ms | ` +
      `${r.overhead_ms} ms | ${r.load_only_overhead_ms} ms | ${r.ratio}× | ${ok ? 'met' : 'MISSED'} (≤ ${GOAL_OVERHEAD_MS} ms${r.action === 'health-check' ? ', ≤ 1 MiB' : ''}) |`
    );
  }),
  '',
  '## Commands (`@golden-pipeline/cli`)',
  '',
  "| command | node -e '' | command | overhead | ratio |",
  '| --- | --- | --- | --- | --- |',
  ...commandRows.map(
    (r) => `| ${r.command} | ${r.baseline_median_ms} ms | ${r.command_median_ms} ms | ${r.overhead_ms} ms | ${r.ratio}× |`,
  ),
  '',
].join('\n');
writeFileSync('bench/results/cold-start.json', `${JSON.stringify(result, null, 2)}\n`);
writeFileSync('bench/results/cold-start.md', table);
console.log(table);
