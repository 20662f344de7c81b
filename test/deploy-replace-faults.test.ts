/**
 * deploy-container with strategy replace under faults: the stop, the start and the verdict on the new
 * container are one remote unit that restores the previous container by itself when the action's channel
 * closes without a verdict. A broken build is deployed (it answers /version as "broken" but fails its gate,
 * retried for seconds), and the deploy is interrupted at a random moment: within a few seconds the port
 * must serve the previous, verified version again, never the broken one.
 */
import { type ChildProcess, execFileSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StepRun } from '#runner/index';
import { buildAndPush, dockerMaybe, startExtraSshd, type ExtraSshd } from './support/docker.ts';
import { credentialsAtRest, servesWithin, sessionStarted } from './support/faults.ts';
import { errorsOf, labDeployInputs, runDeploy } from './support/deploy.ts';
import { labEnv, type LabEnv } from './support/lab.ts';
import { freePort } from './support/servers.ts';

const NAME = `gp-replace-faults-${process.pid}`;
// A replace deploy of the fixture takes about 1.5 s to reach its gate here; allow many times that.
const DEPLOY_TIMEOUT_MS = 60_000;
const TRIALS = 10;
const SERVE_WITHIN_MS = 5000;
let lab: LabEnv;
let port: number;
let sshd: ExtraSshd;
const images: Record<string, string> = {};

const deploy = (
  overrides: Record<string, string> = {},
  timeoutMs = DEPLOY_TIMEOUT_MS,
  onSpawn?: (child: ChildProcess) => void,
): Promise<StepRun> =>
  runDeploy(
    {
      ...labDeployInputs(
        lab,
        { host: lab.LAB_SSH_HOST!, port: sshd.port, knownHosts: sshd.knownHosts },
        `http://127.0.0.1:${port}/health/`,
      ),
      image: images.good!,
      name: NAME,
      ports: `127.0.0.1:${port}:80`,
      'docker-args': '--init',
      ...overrides,
    },
    { runId: 'replace-faults', timeoutMs, onSpawn },
  );
const goodAgain = () => servesWithin(`http://127.0.0.1:${port}/version`, SERVE_WITHIN_MS, (body) => body === 'good');

beforeAll(async () => {
  lab = labEnv();
  port = await freePort();
  sshd = await startExtraSshd(lab, await freePort());
  [images.good, images.broken] = await Promise.all([
    buildAndPush(lab, `good-r${process.pid}`, { VERSION: 'good' }),
    buildAndPush(lab, `broken-r${process.pid}`, { VERSION: 'broken', HEALTH: 'missing' }),
  ]);
  const first = await deploy();
  expect(errorsOf(first)).toBe('');
}, 300_000);

afterAll(async () => {
  await sshd?.stop();
  await dockerMaybe('container', 'rm', '--force', NAME, `${NAME}.previous`);
});

describe('deploy-container strategy replace under faults', () => {
  // The broken build keeps failing its gate for about 12 s, so a fault within `window` of the login lands
  // in the lock, the pull, the replace unit or while the broken build runs unverified.
  const broken = { image: '', 'health-attempts': '40' };
  const window = 4000;

  /** Returns how long after the fault's end the previous version served again. */
  async function afterFault(what: string): Promise<number> {
    const served = await goodAgain();
    expect(served.body, `${what}: the previous version did not serve again within ${SERVE_WITHIN_MS} ms`).toBe('good');
    // The pull unit removes its credentials folder within a moment of losing its session.
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect(credentialsAtRest(lab), what).toEqual([]);
    return served.afterMs;
  }

  it(
    `sshd's session processes killed at a random moment (${TRIALS} trials): the host restores the previous version`,
    async () => {
      const restoredAfter: number[] = [];
      for (let trial = 0; trial < TRIALS; trial += 1) {
        const killAt = Math.round(Math.random() * window);
        const logins = sshd.logins();
        const running = deploy({ ...broken, image: images.broken! });
        await sessionStarted(sshd.logins, logins);
        await new Promise((resolve) => setTimeout(resolve, killAt));
        await sshd.killSessions();
        const killed = performance.now();
        const step = await running;
        // The action notices the lost connection at once and says the host restores by itself.
        expect(performance.now() - killed, `trial ${trial}`).toBeLessThan(5000);
        expect(errorsOf(step), `trial ${trial}`).toMatch(/was lost|could not connect|connection .*closed/);
        expect(step.exitCode, `trial ${trial}`).toBe(1);
        restoredAfter.push(await afterFault(`trial ${trial}, sessions killed ${killAt} ms after login`));
      }
      const next = await deploy({ 'lock-timeout': '30s' });
      expect(errorsOf(next)).toBe('');
      console.log(
        `[replace faults] sshd sessions killed: the previous version served again ${restoredAfter.join(', ')} ms after the action ended`,
      );
    },
    TRIALS * 3 * DEPLOY_TIMEOUT_MS,
  );

  it(
    `the action SIGKILLed at a random moment (${TRIALS} trials): the host restores the previous version`,
    async () => {
      const restoredAfter: number[] = [];
      for (let trial = 0; trial < TRIALS; trial += 1) {
        const killAt = 300 + Math.round(Math.random() * window);
        const step = await deploy({ ...broken, image: images.broken! }, killAt);
        restoredAfter.push(await afterFault(`trial ${trial}, SIGKILL at ${killAt} ms (${step.signal ?? `exit ${step.exitCode}`})`));
      }
      console.log(`[replace faults] action SIGKILLed: the previous version served again ${restoredAfter.join(', ')} ms after the kill`);
      // A unit whose runner was killed may still be restoring: the next deploy waits for it (the unit lock).
      const next = await deploy({ 'lock-timeout': '30s' });
      expect(errorsOf(next)).toBe('');
      expect((await dockerMaybe('container', 'inspect', `${NAME}.previous`)).code).not.toBe(0);
    },
    TRIALS * 3 * DEPLOY_TIMEOUT_MS,
  );

  it(
    'a deploy started the moment another is SIGKILLed waits for the host to finish restoring, then deploys',
    async () => {
      // The orphaned unit holds its lock until it has put the previous container back; the next deploy's lock
      // waits for it. Without that, the two rename the same containers at once.
      for (let trial = 0; trial < 3; trial += 1) {
        let child: ChildProcess | undefined;
        const killed = deploy({ ...broken, image: images.broken! }, DEPLOY_TIMEOUT_MS, (spawned) => (child = spawned));
        // SIGKILL the action as soon as its replace unit runs on the host, before it has stopped anything.
        const deadline = performance.now() + 30_000;
        while (!execFileSync('ps', ['-eo', 'args'], { encoding: 'utf8' }).includes(`guarded-replace ${NAME} `)) {
          if (performance.now() > deadline) throw new Error('the replace unit never started');
          await new Promise((resolve) => setTimeout(resolve, 10));
        }
        child!.kill('SIGKILL');
        await killed;
        const next = await deploy({ 'lock-timeout': '30s' });
        expect(errorsOf(next), `trial ${trial}`).toBe('');
        expect((await goodAgain()).body, `trial ${trial}`).toBe('good');
        expect((await dockerMaybe('container', 'inspect', `${NAME}.previous`)).code, `trial ${trial}`).not.toBe(0);
      }
    },
    3 * 3 * DEPLOY_TIMEOUT_MS,
  );
});
