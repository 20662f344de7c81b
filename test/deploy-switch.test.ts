/**
 * deploy-container with strategy switch, run from the committed bundle against the lab's sshd, Docker
 * engine, registry and the lab's HAProxy image as the edge, with a client asking the published port what it
 * serves during every change. State is checked with docker, the host's files and HTTP.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { secretLeaks } from '#runner/index';
import { buildFixtureVersions, docker, dockerMaybe, startExtraSshd, type ExtraSshd } from './support/docker.ts';
import { errorsOf, labDeployInputs, runDeploy } from './support/deploy.ts';
import { labEnv, type LabEnv } from './support/lab.ts';
import { credentialsAtRest, servesWithin, sessionStarted } from './support/faults.ts';
import { withLoad } from './support/load.ts';
import { freePort } from './support/servers.ts';

const NAME = `gp-switch-${process.pid}`;
const EXTRA_NETWORK = `gp-switch-extra-${process.pid}`;
// A switch deploy of the fixture takes about 3 s here; a deploy the test lets finish may take 20 times that.
const DEPLOY_TIMEOUT_MS = 60_000;
let lab: LabEnv;
let port: number;
let sshd: ExtraSshd;
const images: Record<string, string> = {};

function inputs(overrides: Record<string, string> = {}): Record<string, string> {
  return {
    ...labDeployInputs(lab, { host: lab.LAB_SSH_HOST!, port: sshd.port, knownHosts: sshd.knownHosts }, `http://127.0.0.1:${port}/health/`),
    image: images.v1!,
    name: NAME,
    ports: `127.0.0.1:${port}:80`,
    strategy: 'switch',
    'proxy-image': lab.LAB_PROXY_IMAGE!,
    env: 'GREETING=hello from the env file',
    'drain-timeout': '5s',
    'docker-args': '--init',
    ...overrides,
  };
}

const deploy = (overrides: Record<string, string> = {}, options: { timeoutMs?: number; runId?: string } = {}) =>
  runDeploy(inputs(overrides), { runId: options.runId ?? 'switch', timeoutMs: options.timeoutMs ?? DEPLOY_TIMEOUT_MS });
const version = async () => (await fetch(`http://127.0.0.1:${port}/version`)).text();
const serviceContainers = async () =>
  (
    await docker(
      'container',
      'ls',
      '--all',
      '--filter',
      `label=golden.deploy.service=${NAME}`,
      '--format',
      '{{.Names}} {{.State}} {{.Label "golden.deploy.role"}}',
    )
  )
    .trim()
    .split('\n')
    .filter(Boolean)
    .sort();

const underLoad = <T>(work: () => Promise<T>) => withLoad(`http://127.0.0.1:${port}/version`, work);

beforeAll(async () => {
  lab = labEnv();
  port = await freePort();
  sshd = await startExtraSshd(lab, await freePort());
  Object.assign(images, await buildFixtureVersions(lab, `s${process.pid}`));
}, 300_000);

afterAll(async () => {
  await sshd?.stop();
  const names = (await dockerMaybe('container', 'ls', '--all', '--quiet', '--filter', `label=golden.deploy.service=${NAME}`)).stdout
    .trim()
    .split('\n')
    .filter(Boolean);
  if (names.length > 0) await dockerMaybe('container', 'rm', '--force', ...names);
  await dockerMaybe('network', 'rm', `${NAME}-net`, EXTRA_NETWORK);
});

describe('deploy-container strategy switch', () => {
  it(
    'first deploy: starts the app unpublished and the proxy on the port, and says which container serves',
    async () => {
      const step = await deploy();
      expect(errorsOf(step)).toBe('');
      expect(step.exitCode).toBe(0);
      expect(await version()).toBe('v1\n');
      expect(step.outputs['serving-container']).toMatch(new RegExp(`^${NAME}-r\\d{8}t\\d{6}-[0-9a-f]{4}$`));
      const serving = step.outputs['serving-container']!;
      // The app publishes nothing; the proxy owns the port.
      expect((await docker('container', 'port', serving)).trim()).toBe('');
      expect((await docker('container', 'port', `${NAME}-proxy`)).trim()).toContain(`127.0.0.1:${port}`);
      expect(await docker('container', 'exec', serving, 'sh', '-c', 'printf %s "$GREETING"')).toBe('hello from the env file');
      expect(step.summary).toMatch(/recover \d+ ms · start \d+ ms · health gate \d+ ms · switch \d+ ms · verify \d+ ms · drain \d+ ms/);
    },
    DEPLOY_TIMEOUT_MS,
  );

  it(
    'v1 → v2 under load: no request fails, no kept-alive connection is closed, and the old version is kept stopped',
    async () => {
      const before = (await serviceContainers()).find((line) => line.endsWith(' running app'))!.split(' ')[0]!;
      const { result: step, fresh, kept } = await underLoad(() => deploy({ image: images.v2! }));
      expect(errorsOf(step)).toBe('');
      expect({ fresh: fresh.failed, kept: kept.failed, errors: [...fresh.errors, ...kept.errors] }).toEqual({
        fresh: 0,
        kept: 0,
        errors: [],
      });
      expect(fresh.sent).toBeGreaterThan(100);
      // The edge moves traffic at run time: the kept-alive client never has a connection closed under it.
      expect(kept.retried).toBe(0);
      console.log(
        `[switch] v1 → v2: ${fresh.sent} + ${kept.sent} requests, ${kept.retried} kept-alive retried, longest gaps ${fresh.longestGapMs}/${kept.longestGapMs} ms`,
      );
      expect(Object.keys(fresh.answers).sort()).toEqual(['v1', 'v2']);
      expect(await version()).toBe('v2\n');
      expect(step.outputs['previous-image']).toBe(images.v1);
      // The rollback target: the old version, stopped, beside the serving one and the proxy.
      expect(await serviceContainers()).toEqual(
        [`${NAME}-proxy running edge`, `${before} exited app`, `${step.outputs['serving-container']} running app`].sort(),
      );
    },
    2 * DEPLOY_TIMEOUT_MS,
  );

  it(
    'a broken build fails its gate without answering a single request; v2 serves throughout',
    async () => {
      const { result: step, fresh, kept } = await underLoad(() => deploy({ image: images.broken!, 'health-attempts': '3' }));
      expect(step.exitCode).toBe(1);
      expect(step.outputs['rolled-back']).toBe('true');
      expect(errorsOf(step)).toMatch(/health gate: .*status 404/);
      expect(fresh.failed + kept.failed).toBe(0);
      expect(fresh.answers.broken ?? 0).toBe(0);
      expect(kept.answers.broken ?? 0).toBe(0);
      expect(Object.keys({ ...fresh.answers, ...kept.answers })).toEqual(['v2']);
      expect((await serviceContainers()).filter((line) => line.includes(' running app'))).toHaveLength(1);
    },
    2 * DEPLOY_TIMEOUT_MS,
  );

  it(
    'a failed post-deploy command keeps the old version serving and removes the new container',
    async () => {
      const before = await serviceContainers();
      const step = await deploy({ image: images.v1!, 'post-deploy': 'sh -c "exit 4"' });
      expect(step.exitCode).toBe(1);
      expect(errorsOf(step)).toContain('post-deploy command 1 exited 4');
      expect(await version()).toBe('v2\n');
      expect(await serviceContainers()).toEqual(before);
    },
    DEPLOY_TIMEOUT_MS,
  );

  it(
    'two concurrent deploys of one service serialise, and the last one serves',
    async () => {
      const [a, b] = await Promise.all([
        deploy({ image: images.v1! }, { runId: 'first' }),
        deploy({ image: images.v2! }, { runId: 'second' }),
      ]);
      expect([a.exitCode, b.exitCode]).toEqual([0, 0]);
      expect([a, b].filter((s) => /waiting up to \d+ s for the deploy lock/.test(s.stdout))).toHaveLength(1);
      const waited = /waiting up to/.test(a.stdout) ? a : b;
      expect(await version()).toBe(waited === a ? 'v1\n' : 'v2\n');
    },
    2 * DEPLOY_TIMEOUT_MS,
  );

  it(
    'gates on the image HEALTHCHECK with health-container, before any traffic moves',
    async () => {
      const step = await deploy({
        image: images.v1!,
        'health-url': '',
        'health-container': 'true',
        'health-interval': '1s',
        'health-attempts': '15',
      });
      expect(errorsOf(step)).toBe('');
      expect(step.stdout).toMatch(new RegExp(`container ${step.outputs['serving-container']} attempt \\d+/15: running, health healthy`));
      expect(step.stdout.indexOf('health healthy')).toBeLessThan(step.stdout.indexOf('the proxy routes to'));
      expect(await version()).toBe('v1\n');
    },
    DEPLOY_TIMEOUT_MS,
  );

  it(
    'also joins the network input, beside the service network',
    async () => {
      await docker('network', 'create', '--label', 'golden-lab', EXTRA_NETWORK);
      const step = await deploy({ image: images.v2!, network: EXTRA_NETWORK });
      expect(errorsOf(step)).toBe('');
      const networks = await docker(
        'container',
        'inspect',
        '--format',
        '{{range $name, $_ := .NetworkSettings.Networks}}{{$name}} {{end}}',
        step.outputs['serving-container']!,
      );
      expect(networks.trim().split(' ').sort()).toEqual([`${NAME}-net`, EXTRA_NETWORK].sort());
      expect(await version()).toBe('v2\n');
    },
    DEPLOY_TIMEOUT_MS,
  );

  it(
    'never shows or leaves a secret: the registry password in no log or output, and on no file of the host',
    async () => {
      const step = await deploy({ image: images.v1! });
      expect(step.exitCode).toBe(0);
      expect(secretLeaks(step, lab.LAB_REGISTRY_PASSWORD!)).toEqual([]);
      expect(credentialsAtRest(lab)).toEqual([]);
    },
    DEPLOY_TIMEOUT_MS,
  );
});

describe('deploy-container strategy switch under faults', () => {
  // Each trial interrupts a deploy at a random moment, then checks what users get within a few seconds,
  // that no credentials stay on the host, and that the next deploy recovers without waiting on the lock.
  const TRIALS = 10;
  const SERVE_WITHIN_MS = 5000;
  let deployMs = 4000;

  beforeAll(async () => {
    const started = performance.now();
    const step = await deploy({ image: images.v2! });
    expect(step.exitCode).toBe(0);
    deployMs = Math.round(performance.now() - started);
  }, DEPLOY_TIMEOUT_MS);

  async function afterFault(what: string): Promise<void> {
    const served = await servesWithin(`http://127.0.0.1:${port}/version`, SERVE_WITHIN_MS, (body) => /^v[12]$/.test(body));
    expect(served.body, `${what}: nothing served within ${SERVE_WITHIN_MS} ms`).toMatch(/^v[12]$/);
    // The with-registry-login unit ends by itself and takes its credentials with it.
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect(credentialsAtRest(lab), what).toEqual([]);
  }

  it(
    `sshd's session processes killed at a random moment (${TRIALS} trials): something verified serves, and the next deploy recovers`,
    async () => {
      const gaps: number[] = [];
      for (let trial = 0; trial < TRIALS; trial += 1) {
        const killAt = Math.round(Math.random() * deployMs * 0.8);
        const { result: step, fresh } = await underLoad(async () => {
          const logins = sshd.logins();
          const running = deploy({ image: trial % 2 === 0 ? images.v1! : images.v2! });
          await sessionStarted(sshd.logins, logins);
          await new Promise((resolve) => setTimeout(resolve, killAt));
          await sshd.killSessions();
          return running;
        });
        await afterFault(`trial ${trial}, killed ${killAt} ms after login`);
        gaps.push(fresh.longestGapMs);
        expect(fresh.failed, `trial ${trial} (sessions killed at ${killAt} ms, exit ${step.exitCode}): ${fresh.errors.join(', ')}`).toBe(0);
      }
      const next = await deploy({ image: images.v2!, 'lock-timeout': '2s' });
      expect(errorsOf(next)).toBe('');
      expect(await version()).toBe('v2\n');
      expect((await serviceContainers()).filter((line) => line.includes(' running app'))).toHaveLength(1);
      console.log(`[switch faults] sshd sessions killed: longest gaps ${gaps.join(', ')} ms`);
    },
    TRIALS * 3 * DEPLOY_TIMEOUT_MS,
  );

  it(
    `the action SIGKILLed at a random moment (${TRIALS} trials): something verified serves, and the next deploy recovers`,
    async () => {
      const gaps: number[] = [];
      for (let trial = 0; trial < TRIALS; trial += 1) {
        const killAt = 300 + Math.round(Math.random() * deployMs);
        const { result: step, fresh } = await underLoad(() =>
          deploy({ image: trial % 2 === 0 ? images.v1! : images.v2! }, { timeoutMs: killAt }),
        );
        await afterFault(`trial ${trial}, SIGKILL at ${killAt} ms (${step.signal ?? `exit ${step.exitCode}`})`);
        gaps.push(fresh.longestGapMs);
        expect(fresh.failed, `trial ${trial} (SIGKILL at ${killAt} ms): ${fresh.errors.join(', ')}`).toBe(0);
      }
      const next = await deploy({ image: images.v1!, 'lock-timeout': '5s' });
      expect(errorsOf(next)).toBe('');
      expect(await version()).toBe('v1\n');
      expect((await serviceContainers()).filter((line) => line.includes(' running app'))).toHaveLength(1);
      console.log(`[switch faults] action SIGKILLed: longest gaps ${gaps.join(', ')} ms`);
    },
    TRIALS * 3 * DEPLOY_TIMEOUT_MS,
  );
});
