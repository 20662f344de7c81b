/**
 * `scripts/lab down` and `up` must be idempotent against things that disappear on their own (a veth
 * removed by the kernel after its peer's namespace went) and against an earlier run killed at any
 * moment. Every `down` exits 0 and is verified by the script itself (verify_down); the test also checks
 * the end state from outside. The file ends with the lab up, as the other integration tests need it.
 *
 * Measured here: a down takes about 2.4 s (12 s with containers running, which dockerd stops) and an up
 * about 6 s on an idle machine with the images cached (four app hosts with their own engines included);
 * the file takes about 2 minutes. Each step may take
 * STEP_TIMEOUT_MS, many times that, for a busy machine.
 */
import { spawn, spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { labEnv } from './support/lab.ts';

const STEP_TIMEOUT_MS = 90_000;

interface LabRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  output: string;
  ms: number;
}

/** Runs `scripts/lab <command>`; with killAfterMs, SIGKILLs the script (its whole process group) then. */
function lab(command: 'up' | 'down' | 'status', killAfterMs?: number): Promise<LabRun> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn('bash', ['scripts/lab', command], { detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk;
    });
    child.stderr.on('data', (chunk: Buffer) => {
      output += chunk;
    });
    const guard = setTimeout(() => {
      process.kill(-child.pid!, 'SIGKILL');
      reject(new Error(`lab ${command} ran past ${STEP_TIMEOUT_MS} ms:\n${output}`));
    }, STEP_TIMEOUT_MS);
    const killer = killAfterMs === undefined ? undefined : setTimeout(() => process.kill(-child.pid!, 'SIGKILL'), killAfterMs);
    child.on('close', (code, signal) => {
      clearTimeout(guard);
      clearTimeout(killer);
      resolve({ code, signal, output, ms: Math.round(performance.now() - started) });
    });
  });
}

async function mustSucceed(command: 'up' | 'down'): Promise<LabRun> {
  const run = await lab(command);
  expect(run.code, `lab ${command} exited ${run.code}:\n${run.output}`).toBe(0);
  return run;
}

/** The app hosts' engines, from `scripts/lab env` (the lab has been up once before this file runs). */
const appEngines = (): string[] => labEnv().LAB_APP_DOCKER_HOSTS!.split('\n').filter(Boolean);
const engineAnswers = (engine?: string) =>
  spawnSync('docker', [...(engine ? ['-H', engine] : []), 'version', '--format', '{{.Server.Version}}']).status === 0;

/** What an outside look sees after `down`: no lab namespace, no gp-run0, no engine answering. */
function assertDown(): void {
  const netns = spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' }).stdout;
  expect(netns).not.toMatch(/\bgp-(bastion|db|app\d+)\b/);
  expect(spawnSync('ip', ['link', 'show', 'gp-run0']).status).not.toBe(0);
  expect(spawnSync('ip', ['link', 'show', 'gp-lab0']).status).not.toBe(0);
  expect(engineAnswers()).toBe(false);
  for (const engine of appEngines()) expect(engineAnswers(engine), engine).toBe(false);
  expect(lines(spawnSync('bash', ['scripts/lab', 'status'], { encoding: 'utf8' }).stdout, /running|present/)).toEqual([]);
}

/** What an outside look sees after `up`: every service running and the bastion reachable. */
function assertUp(): void {
  const status = spawnSync('bash', ['scripts/lab', 'status'], { encoding: 'utf8' }).stdout;
  expect(lines(status, /stopped|absent/)).toEqual([]);
  expect(engineAnswers()).toBe(true);
  for (const engine of appEngines()) expect(engineAnswers(engine), engine).toBe(true);
}

const lines = (text: string, pattern: RegExp) => text.split('\n').filter((line) => pattern.test(line));

/**
 * Containers the tests "forgot": one labelled as the lab's own, one not, one that deploy-container left (its label,
 * a restart policy and a network of its own), and one on an app host that would restart.
 */
function leaveContainersRunning(): void {
  for (const labels of [['--label', 'golden-lab'], []]) {
    const started = spawnSync(
      'docker',
      [
        'run',
        '-d',
        ...labels,
        '--name',
        `lifecycle-leftover${labels.length ? '-labelled' : ''}-${Date.now()}`,
        'golden-lab/busybox:1',
        'sleep',
        '600',
      ],
      { encoding: 'utf8' },
    );
    expect(started.status, started.stderr).toBe(0);
  }
  const network = spawnSync('docker', ['network', 'create', '--label', 'golden.deploy.managed=true', 'lifecycle-leftover-net'], {
    encoding: 'utf8',
  });
  expect(network.status, network.stderr).toBe(0);
  const deployed = spawnSync(
    'docker',
    [
      'run',
      '-d',
      '--restart',
      'unless-stopped',
      '--label',
      'golden.deploy.managed=true',
      '--network',
      'lifecycle-leftover-net',
      '--name',
      'lifecycle-leftover-deployed',
      'golden-lab/busybox:1',
      'sleep',
      '600',
    ],
    { encoding: 'utf8' },
  );
  expect(deployed.status, deployed.stderr).toBe(0);
  const onApp = spawnSync(
    'docker',
    [
      '-H',
      appEngines()[0]!,
      'run',
      '-d',
      '--restart',
      'always',
      '--name',
      'lifecycle-leftover-app',
      'golden-lab/nginx:bookworm',
      'sleep',
      '600',
    ],
    { encoding: 'utf8' },
  );
  expect(onApp.status, onApp.stderr).toBe(0);
}

describe('scripts/lab lifecycle', () => {
  it(
    'survives five up/down cycles, a second down, and a down with containers still running',
    async () => {
      const timings: number[] = [];
      for (let cycle = 1; cycle <= 5; cycle += 1) {
        await mustSucceed('up');
        assertUp();
        if (cycle === 3) leaveContainersRunning();
        timings.push((await mustSucceed('down')).ms);
        assertDown();
      }
      // down on a lab that is already down changes nothing and still verifies.
      await mustSucceed('down');
      assertDown();
      await mustSucceed('up');
      assertUp();
      // The unlabelled leftover container comes back with its engine only if it had a restart policy; it had none.
      // The deployed one had one: down removed it, and its network, by deploy-container's label.
      const left = spawnSync('docker', ['ps', '-q', '--filter', 'name=lifecycle-leftover'], { encoding: 'utf8' }).stdout.trim();
      expect(left).toBe('');
      expect(spawnSync('docker', ['ps', '-aq', '--filter', 'label=golden.deploy.managed'], { encoding: 'utf8' }).stdout.trim()).toBe('');
      expect(
        spawnSync('docker', ['network', 'ls', '-q', '--filter', 'name=lifecycle-leftover-net'], { encoding: 'utf8' }).stdout.trim(),
      ).toBe('');
      // An app host's engine exists for the lab alone: down removes its containers, restart policy or not.
      expect(spawnSync('docker', ['-H', appEngines()[0]!, 'ps', '-aq'], { encoding: 'utf8' }).stdout.trim()).toBe('');
      const leftovers = spawnSync('docker', ['ps', '-aq', '--filter', 'name=lifecycle-leftover'], { encoding: 'utf8' })
        .stdout.trim()
        .split('\n')
        .filter(Boolean);
      if (leftovers.length > 0) spawnSync('docker', ['rm', '-f', ...leftovers]);
      console.log(`[lab lifecycle] down took ${timings.join(', ')} ms`);
    },
    10 * STEP_TIMEOUT_MS,
  );

  it(
    'comes up after a down or an up SIGKILLed at a random moment, and the next down verifies',
    async () => {
      // Measure one down first, so the kill lands inside it and not after it.
      await mustSucceed('up');
      const downMs = (await mustSucceed('down')).ms;
      const upMs = (await mustSucceed('up')).ms;
      const trials = [...Array(3).fill(['down', downMs]), ...Array(2).fill(['up', upMs])] as Array<['up' | 'down', number]>;
      for (const [command, span] of trials) {
        if (command === 'up') await mustSucceed('down');
        const killAt = Math.round(Math.random() * span);
        const killed = await lab(command, killAt);
        console.log(`[lab lifecycle] ${command} SIGKILLed at ${killAt} ms of ${span} (${killed.signal ?? `it had exited ${killed.code}`})`);
        await mustSucceed('up');
        assertUp();
      }
      await mustSucceed('down');
      assertDown();
      await mustSucceed('up');
      assertUp();
    },
    20 * STEP_TIMEOUT_MS,
  );
});
