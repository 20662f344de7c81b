/**
 * deploy-container's committed bundle, run the way the runner runs it, against the lab's real sshd,
 * Docker engine and registry. State is checked with docker and HTTP, not with the action's word.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync, statSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runAction, secretLeaks, type StepRun } from '../packages/runner/index.ts';
import { buildAndPush, docker, dockerMaybe, startExtraSshd, type ExtraSshd } from './support/docker.ts';
import { labEnv, type LabEnv } from './support/lab.ts';
import { freePort } from './support/servers.ts';

const ACTION = 'actions/deploy-container';
const NAME = `gp-test-app-${process.pid}`;
let lab: LabEnv;
let port: number;
const images: Record<string, string> = {};

const ENV_VALUES: Record<string, string> = {
  DOLLAR: 'costs $5 and ${HOME} $(touch /tmp/gp-canary-env)',
  QUOTES: `"double" and 'single'`,
  BACKTICK: 'run `touch /tmp/gp-canary-env` please',
  HASH: '#not-a-comment # still value',
  PADDED: '  leading and trailing  ',
  UNICODE: 'grüße 🚀 日本語',
  SECRET_TOKEN: 'tok_live_5f9a2c7e1b',
};
const envInput = Object.entries(ENV_VALUES).map(([k, v]) => `${k}=${v}`).join('\n');

function inputs(overrides: Record<string, string> = {}): Record<string, string> {
  return {
    host: lab.LAB_SSH_HOST!, port: lab.LAB_SSH_PORT!, username: lab.LAB_SSH_USER!,
    'private-key': readFileSync(lab.LAB_SSH_KEY_FILE!, 'utf8'), 'host-key': lab.LAB_SSH_KNOWN_HOSTS!,
    image: images.v1!, name: NAME, ports: `127.0.0.1:${port}:80`,
    'registry-username': lab.LAB_REGISTRY_USER!, 'registry-password': lab.LAB_REGISTRY_PASSWORD!,
    'health-url': `http://127.0.0.1:${port}/health/`, 'health-interval': '300ms', 'health-attempts': '10',
    env: envInput, 'keep-images': '10', 'docker-args': '--init',
    ...overrides,
  };
}

const deploy = async (overrides: Record<string, string> = {}, env: Record<string, string> = {}) =>
  (await runAction(ACTION, { inputs: inputs(overrides), env: { GITHUB_ACTOR: 'tester', GITHUB_RUN_ID: '42', ...env }, timeoutMs: 180_000 })).main;
const serving = async () => (await fetch(`http://127.0.0.1:${port}/health/`)).text();
const runningImage = async () => (await docker('container', 'inspect', '--format', '{{.Config.Image}}', NAME)).trim();
const errorsOf = (step: StepRun) => step.commands.filter((c) => c.command === 'error').map((c) => c.message).join('\n');
const home = () => execFileSync('getent', ['passwd', lab.LAB_SSH_USER!], { encoding: 'utf8' }).split(':')[5]!;

beforeAll(async () => {
  lab = labEnv();
  port = await freePort();
  rmSync('/tmp/gp-canary-env', { force: true });
  const tag = `${process.pid}`;
  [images.v1, images.v2, images.broken] = await Promise.all([
    buildAndPush(lab, `v1-${tag}`, { VERSION: 'v1' }),
    buildAndPush(lab, `v2-${tag}`, { VERSION: 'v2' }),
    buildAndPush(lab, `broken-${tag}`, { VERSION: 'broken', HEALTH: 'missing' }),
  ]);
}, 300_000);

afterAll(async () => {
  await dockerMaybe('container', 'rm', '--force', NAME, `${NAME}.previous`);
});

describe('deploy-container lifecycle', () => {
  it('first deploy: pulls with registry auth, runs the container, passes the gate, reports outputs', async () => {
    const step = await deploy();
    expect(errorsOf(step)).toBe('');
    expect(step.exitCode).toBe(0);
    expect(await serving()).toBe('ok v1\n');
    expect(await runningImage()).toBe(images.v1);
    const id = (await docker('container', 'inspect', '--format', '{{.Id}}', NAME)).trim();
    expect(step.outputs).toMatchObject({ 'container-id': id, 'previous-image': '', 'rolled-back': 'false' });
    expect(step.outputs['image-digest']).toMatch(/@sha256:[0-9a-f]{64}$/);
    expect(step.summary).toContain(`Deploy of \`${images.v1}\``);
    expect(step.summary).toMatch(/lock \d+ ms · registry login \d+ ms · pull \d+ ms · env file \d+ ms · replace \d+ ms · start \d+ ms · health gate \d+ ms/);
  });

  it('writes the env file with mode 0600 and every value reaches the container byte for byte', async () => {
    const file = `${home()}/.golden-deploy/env/${NAME}.env`;
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(readFileSync(file, 'utf8')).toBe(`${envInput}\n`);
    for (const [key, value] of Object.entries(ENV_VALUES)) {
      const inContainer = await docker('container', 'exec', NAME, 'sh', '-c', `printf '%s' "$${key}"`);
      expect(inContainer, key).toBe(value);
    }
    expect(existsSync('/tmp/gp-canary-env')).toBe(false);
  });

  it('redeploys a new tag, reports the previous image and leaves no .previous container', async () => {
    const step = await deploy({ image: images.v2! });
    expect(step.exitCode).toBe(0);
    expect(await serving()).toBe('ok v2\n');
    expect(step.outputs['previous-image']).toBe(images.v1);
    expect((await dockerMaybe('container', 'inspect', `${NAME}.previous`)).code).not.toBe(0);
  });

  it('rolls back when the new image fails the health gate, and the previous image serves again', async () => {
    const step = await deploy({ image: images.broken!, 'health-attempts': '3' });
    expect(step.exitCode).toBe(1);
    expect(step.outputs['rolled-back']).toBe('true');
    expect(errorsOf(step)).toMatch(new RegExp(`deploy failed and was rolled back to ${images.v2!.replace(/[.]/g, '\\.')}: health gate: .*status 404`));
    expect(step.stdout).toContain('last 40 log lines');
    expect(await serving()).toBe('ok v2\n');
    expect(await runningImage()).toBe(images.v2);
  });

  it('rolls back when a post-deploy command fails', async () => {
    const step = await deploy({ image: images.v1!, 'post-deploy': 'echo migrating\nsh -c "exit 3"' });
    expect(step.exitCode).toBe(1);
    expect(step.outputs['rolled-back']).toBe('true');
    expect(errorsOf(step)).toContain('post-deploy command 2 exited 3');
    expect(step.stdout).toContain('migrating');
    expect(await runningImage()).toBe(images.v2);
  });

  it('gates on the image HEALTHCHECK with health-container', async () => {
    const step = await deploy({ image: images.v1!, 'health-url': '', 'health-container': 'true', 'health-interval': '1s', 'health-attempts': '15' });
    expect(errorsOf(step)).toBe('');
    expect(await runningImage()).toBe(images.v1);
    expect(step.stdout).toMatch(/health healthy/);
  });

  it('appends one audit line per deploy on the host, with actor, run, image and result', () => {
    const audit = readFileSync(`${home()}/.golden-deploy/audit.log`, 'utf8').trim().split('\n').filter((l) => l.includes(`container=${NAME}`));
    expect(audit.length).toBeGreaterThanOrEqual(5);
    expect(audit.at(-1)).toMatch(new RegExp(`actor=tester run=42 container=${NAME} image=\\S+ digest=\\S+@sha256:[0-9a-f]{64} result=deployed ms=\\d+$`));
    expect(audit.some((l) => l.includes('result=rolled-back'))).toBe(true);
  });

  it('never shows a secret: env values, registry password and key in no log, summary or output', async () => {
    const step = await deploy({ image: images.v2! });
    expect(step.exitCode).toBe(0);
    const secrets = [...Object.values(ENV_VALUES).map((v) => v.trim()), lab.LAB_REGISTRY_PASSWORD!,
      ...readFileSync(lab.LAB_SSH_KEY_FILE!, 'utf8').split('\n').filter((l) => l.length > 20)];
    for (const secret of secrets) expect(secretLeaks(step, secret), secret.slice(0, 12)).toEqual([]);
  });
});
