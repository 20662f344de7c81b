#!/usr/bin/env node
/**
 * The same deploy three ways, on the lab, interleaved so machine noise hits all alike:
 *   action — deploy-container's committed bundle, run the way the runner runs it;
 *   shell  — the one-ssh-per-command sequence it replaces (OpenSSH client, same host, same image,
 *            host key checked, env file through a heredoc-fed `cat`);
 *   bare   — `docker pull` + `rm -f` + `run -d` + a health probe run directly on the host, no SSH.
 * Reports the median wall-time ratio action/shell, SSH logins per deploy counted from the sshd log,
 * and the action's overhead over bare. Writes bench/results/deploy.json and deploy.md.
 *
 *   node bench/deploy.ts [--runs N]     (the lab must be up: scripts/lab up)
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runAction } from '#runner/index';
import { median } from '#stats/index';
import { buildAndPush, dockerMaybe, startExtraSshd } from '../test/support/docker.ts';
import { labEnv } from '../test/support/lab.ts';
import { freePort } from '../test/support/servers.ts';
import { countFlags } from '#args/index';

const { runs: RUNS } = countFlags(process.argv.slice(2), { runs: 7 });
const GOAL_RATIO = 0.6;
const lab = labEnv();
const name = 'gp-bench-app';
const port = await freePort();
const sshd = await startExtraSshd(lab, await freePort());
const scratch = mkdtempSync(join(tmpdir(), 'gp-bench-deploy-'));
const knownHosts = join(scratch, 'known_hosts');
writeFileSync(knownHosts, `${sshd.knownHosts}\n`);
const env = 'DJANGO_SECRET_KEY=bench-$ecret\nDATABASE_URL=postgres://app:pw@db/app\nFEATURE_FLAGS=a,b,c';

const images = [await buildAndPush(lab, 'bench-v1', { VERSION: 'v1' }), await buildAndPush(lab, 'bench-v2', { VERSION: 'v2' })];
const healthUrl = `http://127.0.0.1:${port}/health/`;
const runArgs = (image: string) => [
  'docker',
  'run',
  '-d',
  '--name',
  name,
  '--init',
  '--restart',
  'unless-stopped',
  '--env-file',
  `.golden-deploy/env/${name}.env`,
  '-p',
  `127.0.0.1:${port}:80`,
  image,
];

function time(work: () => void): number {
  const started = performance.now();
  work();
  return performance.now() - started;
}

/** One ssh process per command, as the hand-written pipeline did (but with the host key checked). */
function shellDeploy(image: string): void {
  const ssh = (command: string, input?: string) => {
    const result = spawnSync(
      'ssh',
      [
        '-i',
        lab.LAB_SSH_KEY_FILE!,
        '-p',
        String(sshd.port),
        '-o',
        'BatchMode=yes',
        '-o',
        `UserKnownHostsFile=${knownHosts}`,
        '-o',
        'StrictHostKeyChecking=yes',
        `${lab.LAB_SSH_USER}@127.0.0.1`,
        command,
      ],
      { input, encoding: 'utf8' },
    );
    if (result.status !== 0) throw new Error(`shell deploy step failed: ${command}: ${result.stderr}`);
  };
  ssh(`docker login -u ${lab.LAB_REGISTRY_USER} --password-stdin ${lab.LAB_REGISTRY}`, lab.LAB_REGISTRY_PASSWORD);
  ssh(`docker pull -q ${image}`);
  ssh(`mkdir -p .golden-deploy/env && cat > .golden-deploy/env/${name}.env <<'EOF'\n${env}\nEOF`);
  ssh(`docker rm -f ${name} || true`);
  ssh(runArgs(image).join(' '));
  ssh(`curl -fsS --retry 10 --retry-connrefused --retry-delay 1 -o /dev/null ${healthUrl}`);
  ssh(`docker logout ${lab.LAB_REGISTRY}`);
}

async function actionDeploy(image: string): Promise<void> {
  const { main } = await runAction('actions/deploy-container', {
    inputs: {
      host: '127.0.0.1',
      port: String(sshd.port),
      username: lab.LAB_SSH_USER!,
      'private-key': readFileSync(lab.LAB_SSH_KEY_FILE!, 'utf8'),
      'host-key': sshd.knownHosts,
      image,
      name,
      ports: `127.0.0.1:${port}:80`,
      env,
      'docker-args': '--init',
      'registry-username': lab.LAB_REGISTRY_USER!,
      'registry-password': lab.LAB_REGISTRY_PASSWORD!,
      'health-url': healthUrl,
      'health-interval': '1s',
      'health-attempts': '10',
      'keep-images': '10',
    },
  });
  if (main.exitCode !== 0) throw new Error(`action deploy failed:\n${main.stdout}`);
}

/** The floor: the same docker work run directly on the host, without SSH. */
function bareDeploy(image: string): void {
  const sh = (args: string[]) => execFileSync(args[0]!, args.slice(1), { stdio: 'ignore' });
  sh(['docker', 'pull', '-q', image]);
  spawnSync('docker', ['rm', '-f', name], { stdio: 'ignore' });
  sh(['sh', '-c', `cd ~${lab.LAB_SSH_USER} && ${runArgs(image).join(' ')}`]);
  sh(['curl', '-fsS', '--retry', '10', '--retry-connrefused', '--retry-delay', '1', '-o', '/dev/null', healthUrl]);
}

const samples = { action: [] as number[], shell: [] as number[], bare: [] as number[] };
const logins = { action: [] as number[], shell: [] as number[] };
try {
  // Warm-up: one of each, unmeasured, so every image is pulled once before timing starts.
  await actionDeploy(images[0]!);
  shellDeploy(images[1]!);
  for (let i = 0; i < RUNS; i += 1) {
    const image = images[i % 2]!;
    let before = sshd.logins();
    samples.shell.push(time(() => shellDeploy(image)));
    logins.shell.push(sshd.logins() - before);
    before = sshd.logins();
    const started = performance.now();
    await actionDeploy(images[(i + 1) % 2]!);
    samples.action.push(performance.now() - started);
    logins.action.push(sshd.logins() - before);
    samples.bare.push(time(() => bareDeploy(image)));
  }
} finally {
  await dockerMaybe('rm', '-f', name);
  await sshd.stop();
  rmSync(scratch, { recursive: true, force: true });
}

const m = { action: median(samples.action), shell: median(samples.shell), bare: median(samples.bare) };
const ratio = m.action / m.shell;
const result = {
  date: new Date().toISOString(),
  node: process.version,
  runs: RUNS,
  median_ms: { action: Math.round(m.action), shell: Math.round(m.shell), bare: Math.round(m.bare) },
  ratio_action_to_shell: Number(ratio.toFixed(2)),
  ssh_logins_per_deploy: { action: median(logins.action), shell: median(logins.shell) },
  action_overhead_over_bare_ms: Math.round(m.action - m.bare),
  goal: { ratio_at_most: GOAL_RATIO, logins_per_host: 1, met: ratio <= GOAL_RATIO && median(logins.action) === 1 },
};
const table = [
  `# Deploy: action vs one-ssh-per-command shell (median of ${RUNS} interleaved runs, ${result.date.slice(0, 10)})`,
  '',
  '| | median wall time | SSH logins per deploy |',
  '| --- | --- | --- |',
  `| deploy-container | ${result.median_ms.action} ms | ${result.ssh_logins_per_deploy.action} |`,
  `| shell sequence (ssh per command) | ${result.median_ms.shell} ms | ${result.ssh_logins_per_deploy.shell} |`,
  `| bare docker pull + run + probe, no SSH | ${result.median_ms.bare} ms | 0 |`,
  '',
  `Ratio action/shell: **${result.ratio_action_to_shell}×** (goal ≤ ${GOAL_RATIO}×, one login per host: ` +
    `${result.goal.met ? 'met' : 'MISSED'}). Action overhead over bare: ${result.action_overhead_over_bare_ms} ms ` +
    '(the lock, registry login and logout, digest, env file over SFTP, audit line, and the Node start).',
  '',
].join('\n');
writeFileSync('bench/results/deploy.json', `${JSON.stringify(result, null, 2)}\n`);
writeFileSync('bench/results/deploy.md', table);
console.log(table);
