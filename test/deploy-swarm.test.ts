/**
 * deploy-container strategy swarm against the lab's swarm (app1–app3, three managers): the stack is created, updated
 * start-first under load through the lab's balancer over every node's edge, a broken build is rolled back by the
 * engine without answering a request, a SIGKILLed action leaves the engine to finish, a lost SSH connection is
 * named, and neither registry credentials nor env values reach a disk or a command line.
 */
import { execFile } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appHosts } from './support/app-hosts.ts';
import { errorsOf, labSwarmInputs, runDeploy } from './support/deploy.ts';
import { buildFixtureVersions, killDescendants } from './support/docker.ts';
import { labEnv, type LabEnv } from './support/lab.ts';
import { type LoadReport, withLoad } from './support/load.ts';

const execFileAsync = promisify(execFile);
/** A swarm deploy of the cached fixture: a first one ~10 s, an update of 3 replicas ~15–25 s here; headroom for a busy machine. */
const DEPLOY_TIMEOUT_MS = 180_000;
const STACK = 'gp-swarm-test';
const SECRET_ENV = 'swarm-env-secret-0f3c9a';

let lab: LabEnv;
let images: { v1: string; v2: string; broken: string };
const swarmDocker = (...args: string[]) =>
  execFileAsync('docker', args, { env: { ...process.env, DOCKER_HOST: lab.LAB_SWARM_DOCKER_HOST! } });

beforeAll(async () => {
  lab = labEnv();
  const built = await buildFixtureVersions(lab, 'swarm');
  // The nodes pull from the registry where they see it.
  const onNodes = (ref: string) => ref.replace(lab.LAB_REGISTRY!, lab.LAB_APP_REGISTRY!);
  images = { v1: onNodes(built.v1), v2: onNodes(built.v2), broken: onNodes(built.broken) };
  await swarmDocker('stack', 'rm', STACK).catch(() => undefined);
  await waitFor(async () => !(await swarmDocker('network', 'ls', '--filter', `name=${STACK}_mesh`, '-q')).stdout.trim(), 60_000);
}, 300_000);

afterAll(async () => {
  await swarmDocker('stack', 'rm', STACK).catch(() => undefined);
});

async function waitFor(check: () => Promise<boolean>, timeoutMs: number): Promise<boolean> {
  const deadline = performance.now() + timeoutMs;
  while (performance.now() < deadline) {
    if (await check().catch(() => false)) return true;
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  return false;
}

const inputs = (image: string, extra: Record<string, string> = {}) => ({
  ...labSwarmInputs(lab, STACK, image),
  replicas: '3',
  env: `GREETING=${SECRET_ENV}\nMODE=test`,
  'converge-timeout': '150s',
  ...extra,
});
const deploy = (image: string, extra: Record<string, string> = {}, options: Partial<Parameters<typeof runDeploy>[1]> = {}) =>
  runDeploy(inputs(image, extra), { runId: `swarm-${Date.now()}`, timeoutMs: DEPLOY_TIMEOUT_MS, ...options });

/** The versions every task of the app runs, from the engine. */
async function runningVersions(): Promise<string[]> {
  const { stdout } = await swarmDocker(
    'service',
    'ps',
    '--filter',
    'desired-state=running',
    '--format',
    '{{.Image}} {{.CurrentState}}',
    `${STACK}_app`,
  );
  return stdout
    .trim()
    .split('\n')
    .filter((line) => / Running /.test(line))
    .map((line) => line.split(' ')[0]!)
    .sort();
}

const versionsServed = (report: LoadReport) => Object.keys(report.answers).sort();
const expectNoFailure = (fresh: LoadReport, kept: LoadReport) => {
  expect({ failed: fresh.failed, errors: fresh.errors.slice(0, 3) }).toEqual({ failed: 0, errors: [] });
  expect({ failed: kept.failed, errors: kept.errors.slice(0, 3) }).toEqual({ failed: 0, errors: [] });
};
const url = () => `${lab.LAB_SWARM_LB_URL}/version`;

describe('deploy-container strategy swarm', () => {
  it(
    'creates the stack: 3 replicas spread over the nodes, healthy, reachable through every node’s edge',
    async () => {
      const step = await deploy(images.v1);
      expect(errorsOf(step), step.stdout).toBe('');
      expect(step.exitCode).toBe(0);
      const tasks = JSON.parse(step.outputs.tasks!) as Record<string, number>;
      expect(Object.values(tasks).reduce((a, b) => a + b, 0)).toBe(3);
      expect(Object.keys(tasks).length).toBeGreaterThanOrEqual(2);
      expect(step.outputs['image-digest']).toMatch(new RegExp(`^${images.v1.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}@sha256:[0-9a-f]{64}$`));
      for (const node of lab.LAB_SWARM_NODES!.split('\n'))
        expect((await (await fetch(`http://${node}:${lab.LAB_SWARM_PORT}/version`)).text()).trim()).toBe('v1');
    },
    DEPLOY_TIMEOUT_MS,
  );

  it(
    'v1 → v2 under load: no request fails, on new or kept-alive connections, and every task ends on v2',
    async () => {
      const { result: step, fresh, kept } = await withLoad(url(), () => deploy(images.v2));
      console.log(
        `[swarm] v1 → v2: ${fresh.sent} + ${kept.sent} requests, failed ${fresh.failed}+${kept.failed}, longest gaps ${fresh.longestGapMs}/${kept.longestGapMs} ms`,
      );
      expect(errorsOf(step), step.stdout).toBe('');
      expectNoFailure(fresh, kept);
      expect(versionsServed(fresh)).toEqual(['v1', 'v2']);
      expect(await runningVersions()).toEqual([images.v2, images.v2, images.v2].map((image) => expect.stringContaining(image)));
      expect(step.outputs['previous-image']).toBe(images.v1);
      // The progress lines the wait printed.
      expect(step.stdout).toMatch(/gp-swarm-test_app: updating: \d\/3 tasks running/);
    },
    DEPLOY_TIMEOUT_MS,
  );

  it(
    'a build that fails its health check answers no request; the engine rolls back, and the step names the failing task and its logs',
    async () => {
      const { result: step, fresh, kept } = await withLoad(url(), () => deploy(images.broken));
      console.log(`[swarm] broken: ${fresh.sent} + ${kept.sent} requests, failed ${fresh.failed}+${kept.failed}; ${errorsOf(step)}`);
      expectNoFailure(fresh, kept);
      expect(versionsServed(fresh)).toEqual(['v2']);
      expect(versionsServed(kept)).toEqual(['v2']);
      expect(step.exitCode).toBe(1);
      expect(step.outputs['rolled-back']).toBe('true');
      expect(errorsOf(step)).toMatch(
        /rolled back to .*:v2-swarm: the update failed and the engine rolled it back \(.*\); task gp-swarm-test_app\.\d+ on vm \(10\.231\.3\.1\d\): failed, .*unhealthy/,
      );
      expect(await runningVersions()).toEqual([images.v2, images.v2, images.v2].map((image) => expect.stringContaining(image)));
    },
    DEPLOY_TIMEOUT_MS,
  );

  it(
    'the env values and registry password never reach a command line or a file on a node; Swarm keeps env in its raft store',
    async () => {
      const seen: string[] = [];
      let scanning = true;
      // Every process on this machine (the nodes share its pid namespace) while a deploy runs.
      const scan = (async () => {
        while (scanning) {
          for (const pid of readdirSync('/proc').filter((name) => /^\d+$/.test(name))) {
            let line = '';
            try {
              line = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
            } catch {
              continue;
            }
            if (line.includes(SECRET_ENV) || line.includes(lab.LAB_REGISTRY_PASSWORD!)) seen.push(line.replace(/\0/g, ' '));
          }
          await new Promise((resolve) => setTimeout(resolve, 20));
        }
      })();
      const step = await deploy(images.v1);
      scanning = false;
      await scan;
      expect(errorsOf(step), step.stdout).toBe('');
      expect(seen).toEqual([]);
      expect(step.maskedLog.includes(SECRET_ENV)).toBe(false);
      for (const host of appHosts(lab).filter((h) => !h.jumpOnly)) {
        const { stdout } = await execFileAsync('grep', [
          '-rlsF',
          '-e',
          SECRET_ENV,
          '-e',
          lab.LAB_REGISTRY_PASSWORD!,
          `${lab.LAB_DIR}/apps/${host.name}/tmp`,
          `${lab.LAB_DIR}/apps/${host.name}/home`,
        ]).catch((error: { stdout?: string }) => ({ stdout: error.stdout ?? '' }));
        // runc's own spec of an exec in progress (each HEALTHCHECK is one), removed when the exec ends: the engine's,
        // like the container config in its data root, not something the deploy wrote.
        const left = stdout.split('\n').filter((file) => file && !/\/runc-process\d+$/.test(file));
        expect(left, host.name).toEqual([]);
      }
      // What Swarm itself keeps: the service spec, env included, in its raft store (encrypted at rest only with autolock).
      const { stdout: spec } = await swarmDocker(
        'service',
        'inspect',
        '--format',
        '{{json .Spec.TaskTemplate.ContainerSpec.Env}}',
        `${STACK}_app`,
      );
      expect(spec).toContain(`GREETING=${SECRET_ENV}`);
    },
    DEPLOY_TIMEOUT_MS,
  );

  it(
    'SIGKILL of the action at a random moment of an update: the engine finishes by itself, on one version, serving throughout',
    async () => {
      let killedAt = -1;
      const {
        result: step,
        fresh,
        kept,
      } = await withLoad(url(), async () => {
        const running = deploy(
          images.v2,
          {},
          {
            onSpawn: (child) => {
              killedAt = Math.round(2000 + Math.random() * 8000);
              setTimeout(() => child.kill('SIGKILL'), killedAt);
            },
          },
        );
        const ran = await running;
        // The engine goes on alone: within 90 s every task runs one version.
        const settled = await waitFor(async () => {
          const versions = await runningVersions();
          return versions.length === 3 && new Set(versions.map((v) => v.split('@')[0])).size === 1;
        }, 90_000);
        expect(settled).toBe(true);
        return ran;
      });
      console.log(
        `[swarm] action SIGKILLed at ${killedAt} ms: exit ${step.exitCode}, failed ${fresh.failed}+${kept.failed}, longest gaps ${fresh.longestGapMs}/${kept.longestGapMs} ms`,
      );
      expectNoFailure(fresh, kept);
      // The next deploy proceeds.
      const next = await deploy(images.v2);
      expect(errorsOf(next), next.stdout).toBe('');
    },
    2 * DEPLOY_TIMEOUT_MS,
  );

  it(
    'a node’s engine stopped mid-update: the step says what happened, users see no failure, and the service ends on one version',
    async () => {
      const victim = appHosts(lab).find((host) => host.name === 'app3')!;
      const pid = Number(readFileSync(`${lab.LAB_DIR}/run/${victim.name}-dockerd.pid`, 'utf8').split(' ')[0]);
      let stoppedAt = -1;
      let outcome: Awaited<ReturnType<typeof withLoad<Awaited<ReturnType<typeof deploy>>>>>;
      try {
        outcome = await withLoad(url(), async () => {
          const running = deploy(images.v1);
          stoppedAt = Math.round(1000 + Math.random() * 3000);
          await new Promise((resolve) => setTimeout(resolve, stoppedAt));
          process.kill(pid, 'SIGTERM');
          // Down for a few seconds, as an engine restart or a node's reboot would be; then the lab starts it again.
          await new Promise((resolve) => setTimeout(resolve, 5000));
          await execFileAsync('bash', ['scripts/lab', 'up'], { timeout: 300_000 });
          return running;
        });
      } finally {
        // The engine is back whatever happened (the lab starts what is missing).
        await execFileAsync('bash', ['scripts/lab', 'up'], { timeout: 300_000 });
      }
      const { result: step, fresh, kept } = outcome;
      console.log(
        `[swarm] ${victim.name}'s engine stopped ${stoppedAt} ms into the update: exit ${step.exitCode}, failed ${fresh.failed}+${kept.failed}, ` +
          `longest gaps ${fresh.longestGapMs}/${kept.longestGapMs} ms; ${errorsOf(step) || `tasks ${step.outputs.tasks}`}`,
      );
      if (step.exitCode !== 0) expect(errorsOf(step)).toMatch(/gp-swarm-test_app/);
      // Within 90 s every task runs one version.
      const settled = await waitFor(async () => {
        const versions = await runningVersions();
        return versions.length === 3 && new Set(versions.map((v) => v.split('@')[0])).size === 1;
      }, 90_000);
      expect(settled).toBe(true);
      expectNoFailure(fresh, kept);
    },
    2 * DEPLOY_TIMEOUT_MS + 300_000,
  );

  it(
    'a lost SSH connection mid-deploy says so, and the next deploy proceeds',
    async () => {
      const app1 = appHosts(lab).find((host) => `${host.ip}:22` === lab.LAB_SWARM_MANAGER)!;
      const master = Number(readFileSync(`${lab.LAB_DIR}/run/${app1.name}-sshd.pid`, 'utf8').split(' ')[0]);
      const {
        result: step,
        fresh,
        kept,
      } = await withLoad(url(), async () => {
        const running = deploy(images.v2);
        await new Promise((resolve) => setTimeout(resolve, 3000 + Math.random() * 3000));
        await killDescendants(master);
        return running;
      });
      console.log(`[swarm] sessions killed: exit ${step.exitCode}: ${errorsOf(step)}`);
      expectNoFailure(fresh, kept);
      if (step.exitCode !== 0) expect(errorsOf(step)).toMatch(/connection|closed|lost/i);
      const next = await deploy(images.v2);
      expect(errorsOf(next), next.stdout).toBe('');
      expect(await runningVersions()).toEqual([images.v2, images.v2, images.v2].map((image) => expect.stringContaining(image)));
    },
    2 * DEPLOY_TIMEOUT_MS,
  );
});

describe('deploy-container strategy swarm: a node whose published port is taken', () => {
  it(
    'fails within seconds, naming the edge, the node and the engine’s error, instead of waiting out converge-timeout',
    async () => {
      const app2 = appHosts(lab).find((host) => host.name === 'app2')!;
      // The stack of the tests before goes first, and its edge with it.
      await swarmDocker('stack', 'rm', STACK).catch(() => undefined);
      await waitFor(async () => !(await swarmDocker('network', 'ls', '--filter', `name=${STACK}_mesh`, '-q')).stdout.trim(), 60_000);
      await execFileAsync('docker', ['-H', app2.engine, 'rm', '-f', 'gp-swarm-port-holder']).catch(() => undefined);

      await execFileAsync('docker', [
        '-H',
        app2.engine,
        'run',
        '-d',
        '--name',
        'gp-swarm-port-holder',
        '-p',
        `${lab.LAB_SWARM_PORT}:80`,
        'golden-lab/nginx:bookworm',
        'sleep',
        '600',
      ]);
      try {
        await swarmDocker('stack', 'rm', STACK).catch(() => undefined);
        const started = performance.now();
        const step = await deploy(images.v1);
        const seconds = Math.round((performance.now() - started) / 1000);
        console.log(`[swarm] port taken on app2: exit ${step.exitCode} after ${seconds} s: ${errorsOf(step)}`);
        expect(step.exitCode).toBe(1);
        expect(errorsOf(step)).toMatch(/gp-swarm-test_edge cannot run on vm \(10\.231\.3\.12\): .*port/);
        expect(seconds).toBeLessThan(90);
      } finally {
        await execFileAsync('docker', ['-H', app2.engine, 'rm', '-f', 'gp-swarm-port-holder']).catch(() => undefined);
      }
    },
    DEPLOY_TIMEOUT_MS,
  );
});
