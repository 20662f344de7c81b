/**
 * deploy-container's committed bundle, run the way the runner runs it, against the lab's real sshd,
 * Docker engine and registry. State is checked with docker and HTTP, not with the action's word.
 */
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runAction, secretLeaks } from '#runner/index';
import { buildFixtureVersions, docker, dockerMaybe, startExtraSshd, type ExtraSshd } from './support/docker.ts';
import { errorsOf, labDeployInputs } from './support/deploy.ts';
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
const envInput = Object.entries(ENV_VALUES)
  .map(([k, v]) => `${k}=${v}`)
  .join('\n');

function inputs(overrides: Record<string, string> = {}): Record<string, string> {
  return {
    ...labDeployInputs(
      lab,
      { host: lab.LAB_SSH_HOST!, port: lab.LAB_SSH_PORT!, knownHosts: lab.LAB_SSH_KNOWN_HOSTS! },
      `http://127.0.0.1:${port}/health/`,
    ),
    image: images.v1!,
    name: NAME,
    ports: `127.0.0.1:${port}:80`,
    env: envInput,
    'keep-images': '10',
    'docker-args': '--init',
    ...overrides,
  };
}

const deploy = async (overrides: Record<string, string> = {}, env: Record<string, string> = {}) =>
  (await runAction(ACTION, { inputs: inputs(overrides), env: { GITHUB_ACTOR: 'tester', GITHUB_RUN_ID: '42', ...env }, timeoutMs: 180_000 }))
    .main;
const serving = async () => (await fetch(`http://127.0.0.1:${port}/health/`)).text();
const runningImage = async () => (await docker('container', 'inspect', '--format', '{{.Config.Image}}', NAME)).trim();
const home = () => execFileSync('getent', ['passwd', lab.LAB_SSH_USER!], { encoding: 'utf8' }).split(':')[5]!;

beforeAll(async () => {
  lab = labEnv();
  port = await freePort();
  rmSync('/tmp/gp-canary-env', { force: true });
  Object.assign(images, await buildFixtureVersions(lab, `${process.pid}`));
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
    expect(step.summary).toMatch(
      /lock \d+ ms · login and pull \d+ ms · env file \d+ ms · replace \d+ ms · start \d+ ms · health gate \d+ ms/,
    );
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
    expect(errorsOf(step)).toMatch(
      new RegExp(`deploy failed and was rolled back to ${images.v2!.replace(/[.]/g, '\\.')}: health gate: .*status 404`),
    );
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

  it('starts the previous container again when the new one cannot even start', async () => {
    const step = await deploy({ image: images.v1!, 'docker-args': '--init\n--cpus=100000' });
    expect(step.exitCode).toBe(1);
    expect(step.outputs['rolled-back']).toBe('true');
    expect(errorsOf(step)).toMatch(/rolled back to \S+: the new container did not start: .*cpus/i);
    expect(errorsOf(step)).not.toContain('sh -c');
    expect(await runningImage()).toBe(images.v2);
    expect(await serving()).toBe('ok v2\n');
    expect((await dockerMaybe('container', 'inspect', `${NAME}.previous`)).code).not.toBe(0);
  });

  it('gates on the image HEALTHCHECK with health-container', async () => {
    const step = await deploy({
      image: images.v1!,
      'health-url': '',
      'health-container': 'true',
      'health-interval': '1s',
      'health-attempts': '15',
    });
    expect(errorsOf(step)).toBe('');
    expect(await runningImage()).toBe(images.v1);
    expect(step.stdout).toMatch(/health healthy/);
  });

  it('appends one audit line per deploy on the host, with actor, run, image and result', () => {
    const audit = readFileSync(`${home()}/.golden-deploy/audit.log`, 'utf8')
      .trim()
      .split('\n')
      .filter((l) => l.includes(`container=${NAME}`));
    expect(audit.length).toBeGreaterThanOrEqual(5);
    expect(audit.at(-1)).toMatch(
      new RegExp(`actor=tester run=42 container=${NAME} image=\\S+ digest=\\S+@sha256:[0-9a-f]{64} result=deployed ms=\\d+$`),
    );
    expect(audit.some((l) => l.includes('result=rolled-back'))).toBe(true);
  });

  it('never shows a secret: env values, registry password and key in no log, summary or output', async () => {
    const step = await deploy({ image: images.v2! });
    expect(step.exitCode).toBe(0);
    const secrets = [
      ...Object.values(ENV_VALUES).map((v) => v.trim()),
      lab.LAB_REGISTRY_PASSWORD!,
      ...readFileSync(lab.LAB_SSH_KEY_FILE!, 'utf8')
        .split('\n')
        .filter((l) => l.length > 20),
    ];
    for (const secret of secrets) expect(secretLeaks(step, secret), secret.slice(0, 12)).toEqual([]);
  });
});

describe('deploy-container housekeeping', () => {
  it('prunes images of the repository beyond keep-images, never the running image or the rollback target', async () => {
    await deploy({ image: images.v2! });
    expect((await dockerMaybe('image', 'inspect', images.broken!)).code).toBe(0);
    const step = await deploy({ image: images.v1!, 'keep-images': '1' });
    expect(errorsOf(step)).toBe('');
    expect(step.stdout).toMatch(/pruned \d+ image\(s\) of \S+gp-test\/app/);
    expect((await dockerMaybe('image', 'inspect', images.broken!)).code).not.toBe(0);
    expect((await dockerMaybe('image', 'inspect', images.v1!)).code).toBe(0);
    expect((await dockerMaybe('image', 'inspect', images.v2!)).code).toBe(0);
  });

  it('deploys with a passphrase-protected key and never shows the passphrase', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gp-key-'));
    try {
      const passphrase = 'correct horse battery staple';
      copyFileSync(lab.LAB_SSH_KEY_FILE!, join(dir, 'key'));
      execFileSync('ssh-keygen', ['-q', '-p', '-f', join(dir, 'key'), '-N', passphrase]);
      const encrypted = readFileSync(join(dir, 'key'), 'utf8');
      const refused = await deploy({ 'private-key': encrypted, passphrase: 'wrong passphrase' });
      expect(refused.exitCode).toBe(1);
      expect(errorsOf(refused)).toBe("Input 'passphrase': does not decrypt private-key");
      const missing = await deploy({ 'private-key': encrypted });
      expect(errorsOf(missing)).toBe("Input 'passphrase': is required: private-key is encrypted");
      const step = await deploy({ 'private-key': encrypted, passphrase, image: images.v2! });
      expect(errorsOf(step)).toBe('');
      for (const leak of [passphrase, 'wrong passphrase']) expect(secretLeaks(step, leak)).toEqual([]);
      expect(secretLeaks(refused, 'wrong passphrase')).toEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('deploy-container connection and safety', () => {
  let second: ExtraSshd | undefined;
  afterAll(async () => {
    await second?.stop();
  });

  it('refuses a host whose key does not match the pinned one, and changes nothing', async () => {
    const before = await docker('container', 'inspect', '--format', '{{.Id}}', NAME);
    const wrongKey = lab.LAB_BASTION_KNOWN_HOSTS!.replace(/^\S+/, `[127.0.0.1]:${lab.LAB_SSH_PORT}`);
    const step = await deploy({ 'host-key': wrongKey, image: images.v1! });
    expect(step.exitCode).toBe(1);
    expect(errorsOf(step)).toMatch(
      /host key verification failed for 127\.0\.0\.1:\d+: it presented SHA256:\S+, which matches none of the 1 pinned key/,
    );
    expect(await docker('container', 'inspect', '--format', '{{.Id}}', NAME)).toBe(before);
  });

  it('connect-retries: tries a port that refuses again with backoff until sshd listens, then deploys', async () => {
    const late = await freePort();
    const knownHosts = lab.LAB_SSH_KNOWN_HOSTS!.replace(/^\S+/, `[127.0.0.1]:${late}`);
    let sshd: ExtraSshd | undefined;
    // Nothing listens for the first 1.5 s: the first attempt is refused, the retry after 1 s too, then sshd is up.
    const starting = new Promise<void>((resolve) =>
      setTimeout(() => void startExtraSshd(lab, late).then((started) => ((sshd = started), resolve())), 1500),
    );
    try {
      const step = await deploy({ port: String(late), 'host-key': knownHosts, 'connect-retries': '4', image: images.v1! });
      await starting;
      expect(errorsOf(step)).toBe('');
      expect(step.exitCode).toBe(0);
      const retries = step.stdout
        .split('\n')
        .filter((line) => /::warning::.*connection was refused.*trying again in \d+ s \(retry \d of 4\)/.test(line));
      expect(retries.length).toBeGreaterThanOrEqual(1);
      expect(sshd!.logins()).toBe(1);
    } finally {
      await starting;
      await sshd?.stop();
    }
  });

  it('connect-retries never retries a host-key or authentication failure, and each failure says what it was', async () => {
    second ??= await startExtraSshd(lab, await freePort());
    const at = { port: String(second.port), 'connect-retries': '5' };
    const wrongKey = lab.LAB_BASTION_KNOWN_HOSTS!.replace(/^\S+/, `[127.0.0.1]:${second.port}`);
    const cases: [Record<string, string>, RegExp][] = [
      [{ 'host-key': wrongKey }, /host key verification failed for 127\.0\.0\.1:\d+/],
      [
        { 'host-key': second.knownHosts, 'private-key': '', password: 'not-the-password' },
        /authentication as \S+ failed: the server accepted none/,
      ],
    ];
    for (const [overrides, error] of cases) {
      const started = performance.now();
      const step = await deploy({ ...at, ...overrides, image: images.v1! });
      expect(step.exitCode).toBe(1);
      expect(errorsOf(step)).toMatch(error);
      expect(step.stdout).not.toMatch(/trying again/);
      // Five retries would wait 1+2+4+8+16 s: a failure that is not retried ends long before that.
      expect(performance.now() - started).toBeLessThan(20_000);
    }
    const closed = await freePort();
    const refused = await deploy({
      port: String(closed),
      'host-key': lab.LAB_SSH_KNOWN_HOSTS!.replace(/^\S+/, `[127.0.0.1]:${closed}`),
      'connect-retries': '1',
    });
    expect(refused.exitCode).toBe(1);
    expect(errorsOf(refused)).toMatch(
      /the connection was refused \(nothing listens on port \d+ yet, or a firewall rejects it\) \(after 2 attempts\)/,
    );
  });

  it('refuses to connect with no host-key unless insecure-ignore-host-key is set', async () => {
    const step = await deploy({ 'host-key': '' });
    expect(step.exitCode).toBe(1);
    expect(errorsOf(step)).toMatch(/^Input 'host-key': is required: pin the host key .*ssh-keyscan/);
  });

  it('deploys with password authentication', async () => {
    const step = await deploy({ 'private-key': '', password: lab.LAB_SSH_PASSWORD!, image: images.v1! });
    expect(errorsOf(step)).toBe('');
    expect(await runningImage()).toBe(images.v1);
    expect(secretLeaks(step, lab.LAB_SSH_PASSWORD!)).toEqual([]);
  });

  it('refuses :latest and untagged images before connecting', async () => {
    for (const image of [`${lab.LAB_REGISTRY}/gp-test/app:latest`, `${lab.LAB_REGISTRY}/gp-test/app`]) {
      const step = await deploy({ image });
      expect(step.exitCode).toBe(1);
      expect(errorsOf(step)).toMatch(/^Input 'image': .*(uses the latest tag|has no tag)/);
    }
  });

  it.each([
    [{ name: 'bad name;rm' }, /^Input 'name': /],
    [{ ports: '8080:80; touch /tmp/x' }, /^Input 'ports': /],
    [{ volumes: '/srv/data:relative/target' }, /^Input 'volumes': /],
    [{ env: 'GOOD=1\nMULTI=first\nsecond line' }, /^Input 'env': the value of MULTI continues onto line 3/],
    [{ 'prepare-dirs': '/srv/x:1000' }, /^Input 'prepare-dirs': /],
    [{ restart: 'sometimes' }, /^Input 'restart': /],
    [{ 'docker-args': 'privileged' }, /^Input 'docker-args': /],
    [{ 'health-url': 'not a url' }, /^Input 'health-url': /],
    [{ 'lock-timeout': '-1' }, /^Input 'lock-timeout': must not be negative/],
    [{ 'private-key': 'not a key' }, /^Input 'private-key': is not a PEM or OpenSSH private key/],
    [{ strategy: 'rolling' }, /^Input 'strategy': 'rolling' is not a strategy/],
    [{ strategy: 'switch' }, /^Input 'proxy-image': is required/],
    [
      { strategy: 'switch', 'proxy-image': 'golden-lab/haproxy:bookworm', ports: '80' },
      /^Input 'ports': '80' is not a single TCP host:container port/,
    ],
    [{ strategy: 'switch', 'proxy-image': 'golden-lab/haproxy:bookworm', 'drain-timeout': 'later' }, /^Input 'drain-timeout': /],
    [{ volumes: '/etc:/host-etc:ro' }, /^Input 'volumes': '\/etc:\/host-etc:ro' mounts the host's \/etc; set allow-host-mounts: true/],
    [{ 'allow-host-mounts': 'yes please' }, /^Input 'allow-host-mounts': /],
    [{ env: `HUGE=${'z'.repeat(70_000)}` }, /^Input 'env': the line of HUGE is 70005 bytes; docker's env file reader takes at most 65535$/],
    [{ files: '../../etc/passwd=/srv/x' }, /^Input 'files': \.\.\/\.\.\/etc\/passwd resolves outside the workspace/],
  ])('bad input %j fails with exit 1 naming the input, and no SSH login happens', async (bad, message) => {
    second ??= await startExtraSshd(lab, await freePort());
    const loginsBefore = second.logins();
    const step = await deploy({ ...bad, port: String(second.port), 'host-key': second.knownHosts });
    expect(step.exitCode).toBe(1);
    expect(errorsOf(step)).toMatch(message);
    expect(second.logins()).toBe(loginsBefore);
  });

  it('prepares directories with the requested owner and mode before the container starts', async () => {
    const dir = `${lab.LAB_DIR}/test-prepare/${process.pid}/static`;
    const step = await deploy({ image: images.v1!, 'prepare-dirs': `${dir}:1234:2345:0750`, volumes: `${dir}:/www/static:ro` });
    expect(errorsOf(step)).toBe('');
    const stat = statSync(dir);
    expect([stat.uid, stat.gid, (stat.mode & 0o7777).toString(8)]).toEqual([1234, 2345, '750']);
    rmSync(`${lab.LAB_DIR}/test-prepare/${process.pid}`, { recursive: true, force: true });
  });

  it('keeps every secret out of the argv of remote processes during a deploy', async () => {
    const secrets = [
      ...Object.values(ENV_VALUES).map((v) => v.trim()),
      lab.LAB_REGISTRY_PASSWORD!,
      Buffer.from(`${lab.LAB_REGISTRY_USER}:${lab.LAB_REGISTRY_PASSWORD}`).toString('base64'),
    ];
    const seen = new Set<string>();
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        for (const pid of execFileSync('ls', ['/proc'], { encoding: 'utf8' })
          .split('\n')
          .filter((p) => /^\d+$/.test(p))) {
          try {
            seen.add(readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' '));
          } catch {
            /* exited */
          }
        }
        await new Promise((r) => setTimeout(r, 5));
      }
    })();
    const step = await deploy({ image: images.v2! });
    sampling = false;
    await sampler;
    expect(step.exitCode).toBe(0);
    const commandLines = [...seen];
    // The sampler must have seen the deploy's remote commands, or the check proves nothing.
    expect(commandLines.some((c) => /docker --config \S*golden-deploy\.\d+ pull --quiet/.test(c))).toBe(true);
    for (const secret of secrets)
      expect(
        commandLines.filter((c) => c.includes(secret)),
        secret,
      ).toEqual([]);
  });
});

describe('deploy-container lock', () => {
  it('serialises two concurrent deploys of the same container', async () => {
    const [a, b] = await Promise.all([
      deploy({ image: images.v1! }, { GITHUB_RUN_ID: 'first' }),
      deploy({ image: images.v2! }, { GITHUB_RUN_ID: 'second' }),
    ]);
    expect([a.exitCode, b.exitCode]).toEqual([0, 0]);
    const waited = [a, b].filter((s) => /waiting up to \d+ s for the deploy lock, held by run (first|second) by tester/.test(s.stdout));
    expect(waited).toHaveLength(1);
    const audit = readFileSync(`${home()}/.golden-deploy/audit.log`, 'utf8').trim().split('\n').slice(-2);
    expect(audit.map((l) => /run=(\w+)/.exec(l)?.[1]).sort()).toEqual(['first', 'second']);
  });

  it('fails clearly after lock-timeout while another deploy holds the lock', async () => {
    const slow = deploy({ image: images.broken!, 'health-attempts': '8', 'health-interval': '500ms' }, { GITHUB_RUN_ID: 'slow' });
    await new Promise((r) => setTimeout(r, 1500));
    const waiting = await deploy({ image: images.v1!, 'lock-timeout': '1s' }, { GITHUB_RUN_ID: 'impatient' });
    expect(waiting.exitCode).toBe(1);
    expect(errorsOf(waiting)).toMatch(/another deploy of this container still holds the lock after 1 s \(run slow by tester since/);
    expect((await slow).outputs['rolled-back']).toBe('true');
  });

  it('leaves neither the lock held nor the unverified container serving when the runner kills the action mid-deploy (cancellation)', async () => {
    const lastGood = await runningImage();
    const { main } = await runAction(ACTION, {
      inputs: inputs({ image: images.broken!, 'health-attempts': '40', 'health-interval': '300ms' }),
      timeoutMs: 4000,
    });
    expect(main.signal).toBe('SIGKILL');
    await new Promise((r) => setTimeout(r, 500));
    const lockFile = `${home()}/.golden-deploy/locks/${NAME}.lock`;
    expect(execFileSync('flock', ['--nonblock', lockFile, 'echo', 'free'], { encoding: 'utf8' })).toBe('free\n');
    // The host put the last known-good container back by itself when the action's channel closed, so
    // the unverified one is gone and the next deploy finds nothing to repair.
    for (let i = 0; i < 50 && (await runningImage().catch(() => '')) !== lastGood; i += 1) await new Promise((r) => setTimeout(r, 100));
    expect(await runningImage()).toBe(lastGood);
    expect((await dockerMaybe('container', 'inspect', `${NAME}.previous`)).code).not.toBe(0);
    const next = await deploy({ image: images.v1! });
    expect(errorsOf(next)).toBe('');
    expect(next.stdout).not.toContain('was left by a deploy that did not finish');
    expect(next.outputs['previous-image']).toBe(lastGood);
    expect(await serving()).toBe('ok v1\n');
  });

  it('does not leave the lock held when sshd dies mid-deploy', async () => {
    const extra = await startExtraSshd(lab, await freePort());
    try {
      const running = deploy({
        port: String(extra.port),
        'host-key': extra.knownHosts,
        image: images.broken!,
        'health-attempts': '30',
        'health-interval': '300ms',
      });
      await new Promise((r) => setTimeout(r, 4000));
      await extra.killSessions();
      const step = await running;
      expect(step.exitCode).toBe(1);
      expect(errorsOf(step)).toMatch(/the SSH connection to 127\.0\.0\.1:\d+ was lost/);
      const lockFile = `${home()}/.golden-deploy/locks/${NAME}.lock`;
      expect(execFileSync('flock', ['--nonblock', lockFile, 'echo', 'free'], { encoding: 'utf8' })).toBe('free\n');
      // The next deploy recovers whatever state the dead one left.
      const next = await deploy({ image: images.v1! });
      expect(errorsOf(next)).toBe('');
      expect(await serving()).toBe('ok v1\n');
    } finally {
      await extra.stop();
    }
  });
});

describe('deploy-container on several hosts', () => {
  let second: ExtraSshd;
  beforeAll(async () => {
    second = await startExtraSshd(lab, await freePort());
  });
  afterAll(async () => {
    await second.stop();
  });

  // Both "hosts" are sshd instances on this machine sharing one Docker engine, so each host's deploy
  // replaces the same container; the order and the per-host results are what is checked here.
  it('deploys host after host over one SSH login each, and reports per host', async () => {
    const before = second.logins();
    const runId = `rolling${Date.now()}`;
    const step = await deploy(
      {
        host: '',
        hosts: `127.0.0.1:${lab.LAB_SSH_PORT}\n127.0.0.1:${second.port}`,
        'host-key': `${lab.LAB_SSH_KNOWN_HOSTS}\n${second.knownHosts}`,
        image: images.v2!,
      },
      { GITHUB_RUN_ID: runId },
    );
    expect(errorsOf(step)).toBe('');
    expect(second.logins() - before).toBe(1);
    expect((step.outputs['container-id'] ?? '').split('\n').map((l) => l.split('=')[0])).toEqual([
      `127.0.0.1:${lab.LAB_SSH_PORT}`,
      `127.0.0.1:${second.port}`,
    ]);
    const audit = readFileSync(`${home()}/.golden-deploy/audit.log`, 'utf8')
      .trim()
      .split('\n')
      .filter((l) => l.includes(`run=${runId} `));
    expect(audit).toHaveLength(2);
  });

  it('stops at the first failing host and leaves the rest untouched', async () => {
    const before = second.logins();
    const wrong = lab.LAB_BASTION_KNOWN_HOSTS!.replace(/^\S+/, `[127.0.0.1]:${lab.LAB_SSH_PORT}`);
    const step = await deploy({
      host: '',
      hosts: `127.0.0.1:${lab.LAB_SSH_PORT}\n127.0.0.1:${second.port}`,
      'host-key': `${wrong}\n${second.knownHosts}`,
      image: images.v1!,
    });
    expect(step.exitCode).toBe(1);
    expect(errorsOf(step)).toContain(`1 later host(s) left untouched: 127.0.0.1:${second.port}`);
    expect(second.logins()).toBe(before);
    expect(step.summary).toContain('not attempted');
  });
});
