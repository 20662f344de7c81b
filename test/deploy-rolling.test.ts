/**
 * deploy-container across the lab's separate app hosts (each its own network namespace, sshd and Docker
 * engine), from the committed bundle, with clients asking the lab's load balancer (LAB_LB_URL) what it
 * serves during every roll. Each engine is checked with `docker -H` over its own socket; what users see
 * is checked through the load balancer, and per host on its lab address.
 */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import * as http from 'node:http';
import { connect } from 'node:net';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { secretLeaks } from '#runner/index';
import { buildFixtureVersions, killDescendants } from './support/docker.ts';
import { servesWithin, sessionStarted } from './support/faults.ts';
import { errorsOf, labDeployInputs, runDeploy } from './support/deploy.ts';
import { labEnv, type LabEnv } from './support/lab.ts';
import { appHosts, type AppHost, balancerAnswers, removeService } from './support/app-hosts.ts';
import { type LoadReport, withLoad } from './support/load.ts';
import { freePort } from './support/servers.ts';

const execFileAsync = promisify(execFile);
const NAME = `gp-roll-${process.pid}`;
// A roll of the fixture across three hosts takes about 10 s here; a busy machine may take many times that.
const ROLL_TIMEOUT_MS = 180_000;
let lab: LabEnv;
let direct: AppHost[];
let jump: AppHost;
const images: Record<string, string> = {};

function inputs(overrides: Record<string, string> = {}): Record<string, string> {
  const port = lab.LAB_LB_UPSTREAM_PORT!;
  return {
    ...labDeployInputs(
      lab,
      { hosts: direct.map((h) => h.address), knownHosts: lab.LAB_APP_KNOWN_HOSTS! },
      `http://127.0.0.1:${port}/health/`,
    ),
    image: images.v1!,
    name: NAME,
    ports: `0.0.0.0:${port}:80`,
    strategy: 'switch',
    'proxy-image': lab.LAB_PROXY_IMAGE!,
    'drain-timeout': '5s',
    'max-parallel': '1',
    ...overrides,
  };
}

const deploy = (overrides: Record<string, string> = {}) => runDeploy(inputs(overrides), { runId: 'roll', timeoutMs: ROLL_TIMEOUT_MS });

/** What one host's engine runs for the service: `name image role state` lines. */
async function engineContainers(host: AppHost): Promise<string[]> {
  const { stdout } = await execFileAsync('docker', [
    '-H',
    host.engine,
    'container',
    'ls',
    '--all',
    '--filter',
    `label=golden.deploy.service=${NAME}`,
    '--format',
    '{{.Names}} {{.Image}} {{.Label "golden.deploy.role"}} {{.State}}',
  ]);
  return stdout.trim().split('\n').filter(Boolean).sort();
}

/**
 * What a host serves to a new connection on its lab address. A new one each time: a kept-alive connection
 * may still reach a retired nginx worker, which rightly finishes with the version it had.
 */
function servedBy(host: AppHost): Promise<string> {
  return new Promise((resolve, reject) => {
    const request = http.get(`http://${host.ip}:${lab.LAB_LB_UPSTREAM_PORT}/version`, { agent: false, timeout: 5000 }, (response) => {
      let body = '';
      response
        .setEncoding('utf8')
        .on('data', (chunk: string) => {
          body += chunk;
        })
        .on('end', () => resolve(body.trim()));
    });
    request.on('timeout', () => request.destroy(new Error('timeout'))).on('error', reject);
  });
}

const underLoad = <T>(work: () => Promise<T>) => withLoad(`${lab.LAB_LB_URL}/version`, work);

function expectNoFailure(fresh: LoadReport, kept: LoadReport): void {
  expect(fresh.failed, fresh.errors.join('; ')).toBe(0);
  expect(kept.failed, kept.errors.join('; ')).toBe(0);
  expect(fresh.sent).toBeGreaterThan(100);
}

beforeAll(async () => {
  lab = labEnv();
  const hosts = appHosts(lab);
  direct = hosts.filter((h) => !h.jumpOnly);
  jump = hosts.find((h) => h.jumpOnly)!;
  const built = await buildFixtureVersions(lab, `roll${process.pid}`);
  // Pushed to the registry as the runner sees it; pulled by the app hosts from where they see it.
  for (const [version, ref] of Object.entries(built)) images[version] = ref.replace(lab.LAB_REGISTRY!, lab.LAB_APP_REGISTRY!);
}, 300_000);

afterAll(async () => {
  await removeService([...(direct ?? []), ...(jump ? [jump] : [])], NAME).catch(() => undefined);
});

describe('deploy-container rolling across separate hosts behind a load balancer', () => {
  it('rolls v1 then v2 host by host: no request through the load balancer fails, and every engine runs its own new container', async () => {
    expect(direct.length).toBeGreaterThanOrEqual(2);
    const first = await deploy();
    expect(errorsOf(first)).toBe('');
    expect(first.exitCode).toBe(0);

    const { result: step, fresh, kept } = await underLoad(() => deploy({ image: images.v2! }));
    expect(errorsOf(step)).toBe('');
    expect(step.exitCode).toBe(0);
    expectNoFailure(fresh, kept);
    expect(Object.keys(fresh.answers).sort()).toEqual(['v1', 'v2']);
    console.log(
      `[rolling] ${direct.length} hosts: ${fresh.sent + kept.sent} requests, failed ${fresh.failed}+${kept.failed}, ` +
        `longest gap ${Math.max(fresh.longestGapMs, kept.longestGapMs)} ms, keep-alive retried ${kept.retried}`,
    );

    // Each engine, over its own socket: its own proxy and one running app container of v2.
    const serving = step.outputs['serving-container']!.split('\n');
    for (const [index, host] of direct.entries()) {
      const containers = await engineContainers(host);
      expect(containers.filter((c) => c.endsWith(' running'))).toEqual(
        [
          `${NAME}-proxy ${lab.LAB_PROXY_IMAGE} edge running`,
          expect.stringMatching(new RegExp(`^${NAME}-r\\S+ ${images.v2!.replace(/[.]/g, '\\.')} app running$`)),
        ].sort((a, b) => String(a).localeCompare(String(b))),
      );
      expect(serving[index]).toBe(
        `${host.address.replace(/:22$/, '')}=${containers.find((c) => c.includes(' app running'))!.split(' ')[0]}`,
      );
      expect(await servedBy(host)).toBe('v2');
    }
    // The load balancer answers v2 from every host.
    const answers = await balancerAnswers(lab, '/version', 12 * direct.length);
    for (const host of direct) expect(answers.get(host.ip), host.ip).toEqual(new Set(['v2']));
    // The summary shows each host's phases and result.
    for (const host of direct) expect(step.summary).toMatch(new RegExp(`\\| ${host.ip.replace(/\./g, '\\.')} \\| ✅ deployed .*switch`));
    expect(secretLeaks(step, lab.LAB_REGISTRY_PASSWORD!)).toEqual([]);
  });

  it('a broken build stops at the first host, which keeps serving v2; the other hosts are never touched', async () => {
    const before = await Promise.all(direct.map(engineContainers));
    const { result: step, fresh, kept } = await underLoad(() => deploy({ image: images.broken! }));
    expect(step.exitCode).toBe(1);
    expect(errorsOf(step)).toMatch(
      new RegExp(`^${direct[0]!.ip.replace(/\./g, '\\.')}: .*${direct.length - 1} later host\\(s\\) left untouched`, 's'),
    );
    expectNoFailure(fresh, kept);
    // The broken build never answered a user.
    expect(Object.keys(fresh.answers)).toEqual(['v2']);
    expect(Object.keys(kept.answers)).toEqual(['v2']);
    for (const host of direct) expect(await servedBy(host)).toBe('v2');
    // Hosts 2..n: exactly what they ran before; the broken image is nowhere on their engines.
    for (const [index, host] of direct.entries()) {
      if (index === 0) continue;
      expect(await engineContainers(host)).toEqual(before[index]);
      const { stdout } = await execFileAsync('docker', ['-H', host.engine, 'image', 'ls', '--format', '{{.Repository}}:{{.Tag}}']);
      expect(stdout).not.toContain(images.broken!);
    }
    for (const host of direct.slice(1)) expect(step.summary).toContain(`| ${host.ip} | ⏭️ not attempted`);
  });

  it("killing one host's sshd sessions mid-roll fails that host clearly, and the hosts after it are untouched", async () => {
    expect(direct.length).toBeGreaterThanOrEqual(3);
    const [firstHost, victim, ...later] = direct as [AppHost, AppHost, ...AppHost[]];
    const laterBefore = await Promise.all(later.map(engineContainers));
    const master = Number(readFileSync(`${lab.LAB_DIR}/run/${victim.name}-sshd.pid`, 'utf8').split(' ')[0]);
    const victimLogins = () =>
      (readFileSync(`${lab.LAB_DIR}/logs/${victim.name}-sshd.log`, 'utf8').match(/Accepted publickey for /g) ?? []).length;
    const loginsBefore = victimLogins();
    let killedAtMs = -1;
    const {
      result: step,
      fresh,
      kept,
    } = await underLoad(async () => {
      const running = deploy({ image: images.v1! });
      // The victim's next login marks its turn in the roll (a session left from an earlier test would not);
      // the kill lands at a random moment of its deploy (a switch deploy of the cached fixture takes 1.2–1.5 s here).
      await sessionStarted(victimLogins, loginsBefore, ROLL_TIMEOUT_MS);
      const at = performance.now();
      await new Promise((resolve) => setTimeout(resolve, Math.random() * 1000));
      await killDescendants(master);
      killedAtMs = Math.round(performance.now() - at);
      return running;
    });
    console.log(
      `[rolling] ${victim.ip}'s sessions killed ${killedAtMs} ms into its deploy: exit ${step.exitCode}, LB failed ${fresh.failed}+${kept.failed}`,
    );
    expectNoFailure(fresh, kept);
    if (step.exitCode === 0) {
      // The kill landed after the victim's deploy had finished: the roll went on, and every host serves v1.
      for (const host of direct) expect(await servedBy(host), `${host.ip} after a roll that finished`).toBe('v1');
      return;
    }
    expect(step.exitCode).toBe(1);
    expect(errorsOf(step)).toMatch(new RegExp(`^${victim.ip.replace(/\./g, '\\.')}: `));
    expect(errorsOf(step)).toContain(`${later.length} later host(s) left untouched`);
    expect(await servedBy(firstHost), 'the first host, deployed before the victim').toBe('v1');
    // The victim serves one of the two versions, whichever its host-side switch unit settled on.
    expect(
      (await servesWithin(`http://${victim.ip}:${lab.LAB_LB_UPSTREAM_PORT}/version`, 15_000, (body) => body === 'v1' || body === 'v2'))
        .body,
    ).toMatch(/^v[12]$/);
    for (const [index, host] of later.entries()) {
      expect(await engineContainers(host)).toEqual(laterBefore[index]);
      expect(await servedBy(host)).toBe('v2');
    }
  });

  it('deploys through the bastion to the host only it reaches, with both host keys pinned', async () => {
    const port = await freePort();
    const viaBastion = {
      hosts: jump.address,
      ports: `127.0.0.1:${port}:80`,
      'health-url': `http://127.0.0.1:${port}/health/`,
      'jump-host': `${lab.LAB_BASTION_HOST}:${lab.LAB_BASTION_PORT}`,
      'jump-username': lab.LAB_BASTION_USER!,
      'jump-private-key': readFileSync(lab.LAB_BASTION_KEY_FILE!, 'utf8'),
      'jump-host-key': lab.LAB_BASTION_KNOWN_HOSTS!,
    };
    // The direct route does not exist.
    const direct = await new Promise<string>((resolve) => {
      const socket = connect(22, jump.ip);
      socket
        .on('connect', () => {
          socket.destroy();
          resolve('connected');
        })
        .on('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? 'error'));
      socket.setTimeout(5000, () => {
        socket.destroy();
        resolve('timeout');
      });
    });
    expect(direct).toMatch(/^(EHOSTUNREACH|ENETUNREACH)$/);

    // A wrong pin for either hop stops before anything changes on the host.
    const otherKey = lab.LAB_SSH_KNOWN_HOSTS!.split(' ').slice(1).join(' ');
    const wrongBastion = await deploy({ ...viaBastion, 'jump-host-key': `${lab.LAB_BASTION_HOST} ${otherKey}` });
    expect(wrongBastion.exitCode).toBe(1);
    expect(errorsOf(wrongBastion)).toMatch(/host key/i);
    const wrongTarget = await deploy({ ...viaBastion, 'host-key': `${jump.ip} ${otherKey}` });
    expect(wrongTarget.exitCode).toBe(1);
    expect(errorsOf(wrongTarget)).toMatch(/host key/i);
    expect(await engineContainers(jump)).toEqual([]);

    const step = await deploy(viaBastion);
    expect(errorsOf(step)).toBe('');
    expect(step.exitCode).toBe(0);
    const serving = step.outputs['serving-container']!;
    expect(await engineContainers(jump)).toContain(`${serving} ${images.v1} app running`);
    // Through the host's own proxy, from inside the service network.
    const { stdout } = await execFileAsync('docker', [
      '-H',
      jump.engine,
      'exec',
      serving,
      'wget',
      '-q',
      '-O',
      '-',
      `http://${NAME}-proxy/version`,
    ]);
    expect(stdout.trim()).toBe('v1');
  });
});
