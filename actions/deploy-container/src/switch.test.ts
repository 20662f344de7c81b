/**
 * Strategy switch's order, rollback and recovery, against a recording fake host that simulates docker's
 * containers, the edge's runtime (two slots per port, each an address and ready or in maintenance) and what
 * each address answers. No lab needed.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { edgeRecord, otherSlot, renderEdgeConfig, type Slot } from '#docker/index';
import { RecordingHost } from '#ssh/testing';
import { selfSignedCertificate } from '../../../test/support/servers.ts';
import { deployToHost } from './deploy.ts';
import { serviceStepOnHost } from './service-step.ts';
import { fakeHostInputs, fakeServiceStepInputs, quietLogger } from './testing.ts';

const HOME = '/home/deploy';
const DIR = `${HOME}/.golden-deploy/proxy/web`;
const CONFIG = `${DIR}/haproxy.cfg`;
const NGINX_CONFIG = `${DIR}/nginx.conf`;

interface Container {
  name: string;
  image: string;
  state: string;
  role: string;
  alias?: string;
  address: string;
  /** What it publishes, as `--publish` gave it. */
  published?: string[];
}

/** docker inspect's HostConfig.PortBindings for `--publish` values such as 127.0.0.1:8000:80. */
const portBindings = (published: readonly string[]) =>
  JSON.stringify(
    Object.fromEntries(
      published.map((mapping) => {
        const [address, hostPort, containerPort] = mapping.split(':');
        return [`${containerPort}/tcp`, [{ HostIp: address, HostPort: hostPort }]];
      }),
    ),
  );

/** A host with docker's state for one service, answering the catalogue's commands. */
class FakeDocker {
  containers: Container[] = [];
  /** The edge's runtime: each slot's address, and whether it takes requests. */
  slots: Record<Slot, { address?: string; ready: boolean }> = { blue: { ready: false }, green: { ready: false } };
  healthyImages = new Set<string>(['registry.example.com/web:v1', 'registry.example.com/web:v2']);
  /** False: the edge answers without naming the slot (say, a proxy image that strips the header). */
  edgeNamesSlot = true;
  /** Runtime commands that reached the edge, in order. */
  admin: string[] = [];
  reloads = 0;
  private nextAddress = 2;
  host = new RecordingHost(
    (argv) => this.answer(argv),
    (address, port, path, headers) => this.http(address, port, path, headers),
  );
  /** The host's files: what the deploy wrote over "SFTP", and what the fake's commands move. */
  get files() {
    return this.host.files;
  }

  /** The edge container, running and publishing 127.0.0.1:8000 (what `read()` asks for). */
  withEdge() {
    this.containers.push({
      name: 'web-proxy',
      image: 'haproxy:2.6',
      state: 'running',
      role: 'edge',
      address: '172.20.0.1',
      published: ['127.0.0.1:8000:80'],
    });
    return this;
  }

  withServing(image: string, alias: string, slot: Slot = 'blue') {
    const address = `172.20.0.${this.nextAddress++}`;
    this.containers.push({ name: `web-${alias}`, image, state: 'running', role: 'app', alias, address });
    this.withEdge();
    this.files.set(CONFIG, renderEdgeConfig({ upstream: alias, slot, ports: [80], tls: false, proxyProtocol: false }));
    this.slots[slot] = { address, ready: true };
    return this;
  }

  /** An earlier version's service: r1 serving behind an nginx proxy named `proxyName`, whose config names it. */
  withNginxProxy(proxyName = 'web-proxy') {
    this.containers.push({
      name: 'web-r1',
      image: 'registry.example.com/web:v1',
      state: 'running',
      role: 'app',
      alias: 'r1',
      address: '172.20.0.99',
    });
    this.containers.push({ name: proxyName, image: 'nginx:1.27', state: 'running', role: 'proxy', address: '172.20.0.1' });
    this.files.set(NGINX_CONFIG, '# golden-deploy serving: r1\nworker_processes 1;\n');
    return this;
  }

  /** The edge starts from its config file: the recorded slot at the recorded alias's address, the other idle. */
  private startEdge() {
    const record = edgeRecord(this.files.get(CONFIG) ?? '');
    if (!record) return;
    const address = this.containers.find((c) => c.alias === record.upstream)?.address;
    this.slots = { blue: { ready: false }, green: { ready: false } };
    this.slots[record.slot] = { address, ready: true };
    this.reloads += 1;
  }

  private runtime(commands: string): string {
    const answers: string[] = [];
    for (const command of commands.split('; ')) {
      this.admin.push(command);
      let match: RegExpMatchArray | null;
      if ((match = /^set server port-\d+\/(blue|green) addr (\S+) port \d+$/.exec(command)))
        this.slots[match[1] as Slot].address = match[2];
      else if ((match = /^set server port-\d+\/(blue|green) state (ready|maint)$/.exec(command)))
        this.slots[match[1] as Slot].ready = match[2] === 'ready';
      else if (command === 'show servers state')
        answers.push(
          '1\n# be_id be_name srv_id srv_name srv_addr srv_op_state srv_admin_state\n' +
            (['blue', 'green'] as const)
              .map((slot, i) => `3 port-80 ${i + 1} ${slot} ${this.slots[slot].address ?? '-'} ${this.slots[slot].ready ? '2 0' : '0 1'}`)
              .join('\n'),
        );
      else if (command === 'show stat') answers.push('# pxname,svname,qcur,qmax,scur\nport-80,blue,0,0,0\nport-80,green,0,0,0\n');
      else if (!/^(set map |shutdown sessions )/.test(command)) answers.push(`Unknown command: ${command}`);
    }
    return `${answers.join('\n')}\n`;
  }

  answer(argv: readonly string[]): { code?: number; stdout?: string; stderr?: string } | undefined {
    const text = argv.join(' ');
    if (text === 'pwd') return { stdout: `${HOME}\n` };
    if (argv[0] === 'flock') return { stdout: 'locked\n' };
    if (argv[0] === 'cat') return this.files.has(argv[1]!) ? { stdout: this.files.get(argv[1]!) } : { code: 1 };
    if (argv[0] === 'rm') {
      const paths = argv.slice(1).filter((arg) => !arg.startsWith('-'));
      for (const file of [...this.files.keys()])
        if (paths.some((path) => file === path || file.startsWith(`${path}/`))) this.files.delete(file);
      return undefined;
    }
    if (argv[0] === 'mkdir') return undefined;
    if (argv[0] === 'mv') {
      this.files.set(argv[3]!, this.files.get(argv[2]!)!);
      this.files.delete(argv[2]!);
      return undefined;
    }
    if (argv[0] === 'sh' && argv[3] === 'switch-config') {
      this.files.set(argv[5]!, this.files.get(argv[4]!)!);
      this.files.delete(argv[4]!);
      return this.answer(argv.slice(6));
    }
    if (argv[0] === 'sh' && argv[3] === 'take-over-ports') {
      const [holder, , retireAs] = argv.slice(4, 7);
      const held = this.containers.find((c) => c.name === holder)!;
      if (retireAs) held.name = retireAs;
      const created = this.answer(argv.slice(8)); // holder, stop seconds, retire-as, proxy, then the proxy's create
      held.state = 'exited';
      this.answer(['docker', 'container', 'start', argv[7]!]);
      return created;
    }
    if (argv[0] === 'sh') return undefined; // with-registry-login, sweep, audit line
    if (text.startsWith('docker pull')) return undefined;
    if (text.startsWith('docker image inspect')) return { stdout: 'registry.example.com/web@sha256:' + '0'.repeat(64) };
    if (text.startsWith('docker image ls')) return { stdout: '' };
    if (text.startsWith('docker network')) return undefined;
    if (text.startsWith('docker container ls')) {
      return { stdout: this.containers.map((c) => `${c.name}|${c.image}|${c.state}|${c.role}|now`).join('\n') };
    }
    const named = (name: string) => this.containers.find((c) => c.name === name);
    if (text.startsWith('docker container run --rm --network none')) return undefined; // haproxy -c
    if (text.startsWith('docker container run') || text.startsWith('docker container create')) {
      const name = argv[argv.indexOf('--name') + 1]!;
      const alias = argv.includes('--network-alias') ? argv[argv.indexOf('--network-alias') + 1] : undefined;
      const role = argv.find((a) => a.startsWith('golden.deploy.role='))!.split('=')[1]!;
      const image = role === 'edge' ? argv[argv.indexOf('0:0') + 1]! : argv[argv.indexOf('--init') + 1]!;
      const published = argv.flatMap((arg, i) => (argv[i - 1] === '--publish' ? [arg] : []));
      const state = text.startsWith('docker container create') ? 'created' : 'running';
      this.containers.push({ name, image, state, role, alias, address: `172.20.0.${this.nextAddress++}`, published });
      if (role === 'edge' && state === 'running') this.startEdge();
      return { stdout: `${name}-id\n` };
    }
    if (text.startsWith('docker container inspect --format {{with index')) return { stdout: named(argv.at(-1)!)?.address ?? '' };
    if (text.startsWith('docker container inspect --format {{json .HostConfig.PortBindings}}')) {
      const container = named(argv.at(-1)!);
      return container ? { stdout: `${portBindings(container.published ?? [])}\n` } : { code: 1 };
    }
    if (text.startsWith('docker container inspect')) {
      const container = named(argv.at(-1)!);
      return container ? { stdout: `id|${container.image}|sha|${container.state}` } : { code: 1 };
    }
    if (text.startsWith('docker container kill --signal USR2')) {
      this.startEdge();
      return undefined;
    }
    if (text.startsWith('docker container stop')) {
      named(argv.at(-1)!)!.state = 'exited';
      return undefined;
    }
    if (text.startsWith('docker container rename')) {
      named(argv[3]!)!.name = argv[4]!;
      return undefined;
    }
    if (text.startsWith('docker container start')) {
      const container = named(argv.at(-1)!)!;
      if (container.role === 'edge' && container.state !== 'running') this.startEdge();
      container.state = 'running';
      return undefined;
    }
    if (text.startsWith('docker container rm')) {
      const doomed = new Set(argv.slice(4));
      this.containers = this.containers.filter((c) => !doomed.has(c.name));
      return undefined;
    }
    if (text.startsWith('docker container exec web-proxy sh -c') && argv[7] === 'proxy-admin') return { stdout: this.runtime(argv[9]!) };
    if (text.startsWith('docker container exec')) return undefined;
    if (text.startsWith('docker container logs')) return undefined;
    throw new Error(`the fake host has no answer for: ${text}`);
  }

  http(
    address: string,
    port: number,
    path: string,
    headers: Record<string, unknown> = {},
  ): { status: number; body: string; headers?: Record<string, string> } | undefined {
    if (address === '127.0.0.1' && port === 8000) {
      // Through the edge: the ready slot's address decides.
      const slot = (['blue', 'green'] as const).find((s) => this.slots[s].ready);
      if (!slot) return { status: 503, body: '' };
      const answer = this.http(this.slots[slot].address ?? '', 80, path) ?? { status: 503, body: '' };
      const named = this.edgeNamesSlot && headers['x-golden-probe'] !== undefined;
      return { ...answer, headers: named ? { 'x-golden-slot': slot } : {} };
    }
    const app = this.containers.find((c) => c.address === address && port === 80 && c.role === 'app');
    if (!app || app.state !== 'running') return undefined;
    return this.healthyImages.has(app.image) ? { status: 200, body: 'ok' } : { status: 404, body: 'no' };
  }

  /** Which alias users get through the edge now, by the runtime; and the record on disk agrees. */
  servingAlias() {
    const slot = (['blue', 'green'] as const).find((s) => this.slots[s].ready && !this.slots[otherSlot(s)].ready);
    const alias = this.containers.find((c) => c.role === 'app' && c.address === (slot && this.slots[slot].address))?.alias;
    expect(edgeRecord(this.files.get(CONFIG) ?? '')?.upstream).toBe(alias);
    return alias;
  }
}

const read = (values: Record<string, string>) =>
  fakeHostInputs({ strategy: 'switch', 'proxy-image': 'haproxy:2.6', 'drain-timeout': '1s', 'docker-args': '--init', ...values });
const context = { actor: 'tester', runId: '1', logger: quietLogger };

let fake: FakeDocker;
afterEach(() => fake?.host.close());
const certificates = mkdtempSync(join(tmpdir(), 'gp-switch-tls-'));
afterAll(() => rmSync(certificates, { recursive: true, force: true }));
const makeCertificate = (days: number) => {
  const made = selfSignedCertificate(certificates, `web-${days}`, 'web.example', days, 'IP:127.0.0.1');
  return { certificate: made.cert, key: made.key };
};

describe('strategy switch orchestration', () => {
  it('starts the new version unpublished, gates it directly, switches through the runtime, verifies, then stops the old one', async () => {
    fake = new FakeDocker().withServing('registry.example.com/web:v1', 'r1');
    const result = await deployToHost(fake.host, read({}), context);
    expect(result.error, fake.host.commands.join('\n')).toBeUndefined();
    expect(result).toMatchObject({ outcome: 'deployed', previousImage: 'registry.example.com/web:v1' });
    const commands = fake.host.commands;
    const run = fake.host.indexOf(/^docker container run --detach .*--network web-net --network-alias r\d{8}t\d{6}-[0-9a-f]{4} /);
    const gate = fake.host.indexOf(/^<connect 172\.20\.0\.\d+:80>$/);
    const checked = fake.host.indexOf(
      /^docker container run --rm --network none .*--entrypoint haproxy haproxy:2\.6 -c -f \/golden\/haproxy\.cfg\.next$/,
    );
    const switched = fake.host.indexOf(/switch-config/);
    const verified = fake.host.indexOf(/^<connect 127\.0\.0\.1:8000>$/);
    const stopOld = fake.host.indexOf(/^docker container stop --time 10 web-r1$/);
    expect([run, gate, checked, switched, verified, stopOld], commands.join('\n')).not.toContain(-1);
    expect(run < gate && gate < checked && checked < switched && switched < verified && verified < stopOld).toBe(true);
    expect(commands[run]).not.toContain('--publish');
    // Traffic moved at run time: the new slot readied before the old one went to maintenance, and no reload.
    // Recovery first puts the runtime in line with the record (blue), then the switch moves it to green.
    const route = fake.admin.filter((c) => c.startsWith('set server')).map((c) => c.replace(/addr \S+/, 'addr A'));
    expect(route).toEqual([
      'set server port-80/blue addr A port 80',
      'set server port-80/blue state ready',
      'set server port-80/green state maint',
      'set server port-80/green addr A port 80',
      'set server port-80/green state ready',
      'set server port-80/blue state maint',
    ]);
    expect(fake.reloads).toBe(0);
    expect(fake.servingAlias()).toBe(result.servingContainer!.slice('web-'.length));
    expect(edgeRecord(fake.files.get(CONFIG)!)?.slot).toBe('green');
    expect(fake.containers.find((c) => c.name === 'web-r1')).toMatchObject({ state: 'exited' });
  });

  it('alternates slots: the next deploy takes blue again and the one before is removed', async () => {
    fake = new FakeDocker().withServing('registry.example.com/web:v1', 'r1');
    const first = await deployToHost(fake.host, read({}), context);
    const second = await deployToHost(fake.host, read({ image: 'registry.example.com/web:v1' }), context);
    expect([first.outcome, second.outcome]).toEqual(['deployed', 'deployed']);
    expect(edgeRecord(fake.files.get(CONFIG)!)?.slot).toBe('blue');
    expect(fake.servingAlias()).toBe(second.servingContainer!.slice('web-'.length));
    expect(fake.containers.filter((c) => c.role === 'app').map((c) => `${c.name} ${c.state}`)).toEqual([
      `${first.servingContainer} exited`,
      `${second.servingContainer} running`,
    ]);
  });

  it('a build that fails its gate is removed; the old version never stopped and the edge never moved', async () => {
    fake = new FakeDocker().withServing('registry.example.com/web:v1', 'r1');
    const result = await deployToHost(fake.host, read({ image: 'registry.example.com/web:broken' }), context);
    expect(result).toMatchObject({ outcome: 'rolled-back', servingContainer: 'web-r1' });
    expect(result.error).toMatch(/health gate: .*status 404/);
    expect(fake.host.indexOf(/switch-config/)).toBe(-1);
    expect(fake.host.indexOf(/^docker container stop/)).toBe(-1);
    expect(fake.containers.map((c) => c.name).sort()).toEqual(['web-proxy', 'web-r1']);
    expect(fake.servingAlias()).toBe('r1');
  });

  it('a switch the edge does not confirm is moved back, and a way back it cannot confirm either is said loudly', async () => {
    fake = new FakeDocker().withServing('registry.example.com/web:v1', 'r1');
    fake.edgeNamesSlot = false;
    // 20 checks, 250 ms apart, each way: on fake timers, so the test costs no real waiting.
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    let result: Awaited<ReturnType<typeof deployToHost>> | undefined;
    try {
      const pending = deployToHost(fake.host, read({}), context).then((r) => (result = r));
      while (result === undefined) await vi.advanceTimersByTimeAsync(500);
      await pending;
    } finally {
      vi.useRealTimers();
    }
    expect(result.outcome).toBe('rollback-failed');
    expect(result.error).toMatch(/the proxy did not route to r\S+ within 20 checks .*; then switching back to web-r1 failed/);
    expect(fake.host.commands.filter((c) => c.includes('switch-config'))).toHaveLength(2);
    // The runtime and the record are back on the old version, which never stopped.
    expect(fake.servingAlias()).toBe('r1');
    expect(fake.host.indexOf(/^docker container stop --time 10 web-r1$/)).toBe(-1);
  }, 30_000);

  it('a new version that fails through the edge after the switch is switched away from, and removed', async () => {
    fake = new FakeDocker().withServing('registry.example.com/web:v1', 'r1');
    // Healthy when reached directly, broken through the edge (e.g. it needs a header the edge drops).
    const direct = fake.http.bind(fake);
    fake.http = (address, port, path, headers) => {
      const answer = direct(address, port, path, headers);
      return address === '127.0.0.1' && fake.slots.green.ready && answer ? { ...answer, status: 502 } : answer;
    };
    const result = await deployToHost(fake.host, read({}), context);
    expect(result).toMatchObject({ outcome: 'rolled-back', servingContainer: 'web-r1' });
    expect(fake.servingAlias()).toBe('r1');
    expect(fake.containers.filter((c) => c.role === 'app').map((c) => `${c.name} ${c.state}`)).toEqual(['web-r1 running']);
  });

  it('recovers what a fault left before the new one starts: the serving container started, the runtime put back in line with the record, strays stopped', async () => {
    fake = new FakeDocker().withServing('registry.example.com/web:v1', 'r1');
    fake.containers[0]!.state = 'exited';
    fake.containers.push({
      name: 'web-r0',
      image: 'registry.example.com/web:v1',
      state: 'running',
      role: 'app',
      alias: 'r0',
      address: '172.20.0.9',
    });
    // A fault left the runtime on r0 in green, while the record says r1 in blue.
    fake.slots = { blue: { address: fake.containers[0]!.address, ready: false }, green: { address: '172.20.0.9', ready: true } };
    const result = await deployToHost(fake.host, read({}), context);
    expect(result.outcome).toBe('deployed');
    const start = fake.host.indexOf(/^docker container start web-r1$/);
    const realign = fake.host.indexOf(
      /proxy-admin 9999 'set server port-80\/blue addr 172\.20\.0\.2 port 80; set server port-80\/blue state ready;/,
    );
    const stray = fake.host.indexOf(/^docker container stop --time 10 web-r0$/);
    const run = fake.host.indexOf(/^docker container run --detach/);
    expect(
      [start, realign, stray].every((i) => i >= 0 && i < run),
      fake.host.commands.join('\n'),
    ).toBe(true);
    expect(start < realign && realign < stray).toBe(true);
    expect(
      fake.containers
        .filter((c) => c.role === 'app')
        .map((c) => c.name)
        .sort(),
    ).toEqual([result.servingContainer!, 'web-r1'].sort());
  });

  it('first deploy over a replace-strategy container hands the port over in one remote unit', async () => {
    fake = new FakeDocker();
    fake.containers.push({ name: 'web', image: 'registry.example.com/web:v1', state: 'running', role: '', address: '172.17.0.2' });
    const result = await deployToHost(fake.host, read({}), context);
    expect(result.outcome, result.error).toBe('deployed');
    const handOver = fake.host.commands.find((c) => c.includes('take-over-ports'))!;
    expect(fake.containers.find((c) => c.name === 'web')).toMatchObject({ state: 'exited' });
    expect(fake.servingAlias()).toBe(result.servingContainer!.slice('web-'.length));
    expect(handOver).toMatch(
      /take-over-ports web 10 '' web-proxy docker container create --name web-proxy .*--publish 127\.0\.0\.1:8000:80 .*--volume \/home\/deploy\/\.golden-deploy\/proxy\/web:\/golden:ro .*--user 0:0 haproxy:2\.6 haproxy -W -db -f \/golden\/haproxy\.cfg$/,
    );
    expect(fake.files.get(`${DIR}/edge.map`)).toMatch(/^maintenance off\npage /);
  });

  it("moves a service from an earlier version's nginx proxy to the edge in one deploy, and removes the nginx proxy after", async () => {
    fake = new FakeDocker().withNginxProxy();
    const result = await deployToHost(fake.host, read({}), context);
    expect(result, fake.host.commands.join('\n')).toMatchObject({ outcome: 'deployed', previousImage: 'registry.example.com/web:v1' });
    expect(fake.host.commands.find((c) => c.includes('take-over-ports'))).toMatch(
      /take-over-ports web-proxy 10 web-proxy-retired web-proxy docker container create --name web-proxy /,
    );
    expect(fake.servingAlias()).toBe(result.servingContainer!.slice('web-'.length));
    expect(fake.containers.map((c) => `${c.name} ${c.image} ${c.state}`).sort()).toEqual(
      [
        `${result.servingContainer} registry.example.com/web:v2 running`,
        'web-proxy haproxy:2.6 running',
        'web-r1 registry.example.com/web:v1 exited',
      ].sort(),
    );
    expect(fake.files.has(NGINX_CONFIG)).toBe(false);
  });

  it('finishes a move from the nginx proxy that a fault cut short after the edge took the ports: the set-aside nginx proxy goes', async () => {
    fake = new FakeDocker().withServing('registry.example.com/web:v1', 'r1');
    fake.containers.push({ name: 'web-proxy-retired', image: 'nginx:1.27', state: 'exited', role: 'proxy', address: '172.20.0.50' });
    fake.files.set(NGINX_CONFIG, '# golden-deploy serving: r0\nworker_processes 1;\n');
    const result = await deployToHost(fake.host, read({}), context);
    expect(result, fake.host.commands.join('\n')).toMatchObject({ outcome: 'deployed', previousImage: 'registry.example.com/web:v1' });
    expect(fake.host.indexOf(/^docker container rm --force web-proxy-retired$/)).toBeLessThan(
      fake.host.indexOf(/^docker container run --detach/),
    );
    expect(fake.host.indexOf(/take-over-ports/)).toBe(-1);
    expect(fake.files.has(NGINX_CONFIG)).toBe(false);
    expect(fake.servingAlias()).toBe(result.servingContainer!.slice('web-'.length));
  });

  it('an nginx config left behind with no nginx proxy is only removed: the edge serves as its record says', async () => {
    fake = new FakeDocker().withServing('registry.example.com/web:v1', 'r1');
    fake.files.set(NGINX_CONFIG, '# golden-deploy serving: r0\nworker_processes 1;\n');
    const result = await deployToHost(fake.host, read({}), context);
    expect(result, fake.host.commands.join('\n')).toMatchObject({ outcome: 'deployed', previousImage: 'registry.example.com/web:v1' });
    expect(fake.host.indexOf(/take-over-ports/)).toBe(-1);
    expect(fake.host.indexOf(/^docker container stop --time 10 web-r1$/)).toBeGreaterThan(fake.host.indexOf(/switch-config/));
    expect(fake.files.has(NGINX_CONFIG)).toBe(false);
    expect(fake.servingAlias()).toBe(result.servingContainer!.slice('web-'.length));
  });

  it('undoes a move from the nginx proxy that a fault cut short before the edge existed: nginx takes its name back, then the move runs again', async () => {
    fake = new FakeDocker().withNginxProxy('web-proxy-retired');
    // The record the interrupted deploy renamed into place names a release that never took traffic.
    fake.files.set(CONFIG, renderEdgeConfig({ upstream: 'r9', slot: 'blue', ports: [80], tls: false, proxyProtocol: false }));
    const result = await deployToHost(fake.host, read({}), context);
    expect(result, fake.host.commands.join('\n')).toMatchObject({ outcome: 'deployed', previousImage: 'registry.example.com/web:v1' });
    const renamedBack = fake.host.indexOf(/^docker container rename web-proxy-retired web-proxy$/);
    const moved = fake.host.indexOf(/take-over-ports web-proxy 10 web-proxy-retired web-proxy /);
    expect(renamedBack >= 0 && renamedBack < moved).toBe(true);
    expect(fake.containers.map((c) => `${c.name} ${c.image} ${c.state}`).sort()).toEqual(
      [
        `${result.servingContainer} registry.example.com/web:v2 running`,
        'web-proxy haproxy:2.6 running',
        'web-r1 registry.example.com/web:v1 exited',
      ].sort(),
    );
  });

  it('with TLS: the key file is written private and renamed into place, and only a new certificate reloads the edge', async () => {
    const first = makeCertificate(30);
    fake = new FakeDocker().withServing('registry.example.com/web:v1', 'r1');
    const tls = (cert: { certificate: string; key: string }) => {
      // The fake edge's port serves the certificate the deploy installs, as the real one does after its reload.
      fake.host.tls.set('127.0.0.1:8000', { cert: cert.certificate, key: cert.key });
      return read({ 'tls-certificate': cert.certificate, 'tls-key': cert.key, 'health-url': 'https://127.0.0.1:8000/health' });
    };
    const deployed = async (inputs: ReturnType<typeof read>) => {
      const result = await deployToHost(fake.host, inputs, context);
      expect([result.outcome, result.error]).toEqual(['deployed', undefined]);
    };
    await deployed(tls(first));
    expect(fake.host.modes.get(`${DIR}/tls.pem.next`)).toBe(0o600);
    expect(fake.files.get(`${DIR}/tls.pem`)).toBe(`${first.certificate.trim()}\n${first.key.trim()}\n`);
    expect(fake.files.get(CONFIG)).toContain('ssl crt /golden/tls.pem alpn h2,http/1.1');
    expect(fake.reloads).toBe(1); // TLS turned on
    expect(fake.host.commands.filter((c) => c.includes(first.key.trim().split('\n')[1]!))).toEqual([]);
    await deployed(tls(first));
    expect(fake.reloads).toBe(1); // the same certificate: traffic moved at run time
    await deployed(tls(makeCertificate(60)));
    expect(fake.reloads).toBe(2);
    fake.host.tls.delete('127.0.0.1:8000');
    await deployed(read({}));
    expect(fake.files.has(`${DIR}/tls.pem`)).toBe(false); // TLS off: the key leaves the host
    expect(fake.reloads).toBe(3);
  }, 20_000);

  it('an edge container with no record beside it hands its ports to one started on the new record', async () => {
    fake = new FakeDocker().withEdge();
    const result = await deployToHost(fake.host, read({}), context);
    expect(result.outcome, result.error).toBe('deployed');
    expect(fake.host.commands.find((c) => c.includes('take-over-ports'))).toMatch(
      /take-over-ports web-proxy 10 web-proxy-retired web-proxy /,
    );
    expect(fake.containers.map((c) => c.name).sort()).toEqual([result.servingContainer, 'web-proxy'].sort());
    expect(fake.servingAlias()).toBe(result.servingContainer!.slice('web-'.length));
  });

  it.each([
    ['another image', { image: 'haproxy:2.4' }, 'the edge web-proxy runs haproxy:2.4, not proxy-image haproxy:2.6'],
    ['other ports', { published: ['127.0.0.1:8001:80'] }, 'the edge web-proxy publishes other ports than 127.0.0.1:8000:80'],
  ])('replaces an edge of %s through the hand-over, says so, and removes the old one after', async (_, change, why) => {
    fake = new FakeDocker().withServing('registry.example.com/web:v1', 'r1');
    Object.assign(
      fake.containers.find((c) => c.role === 'edge')!,
      change,
    );
    const warnings: string[] = [];
    const logger = { ...quietLogger, warning: (message: string) => warnings.push(message) };
    const result = await deployToHost(fake.host, read({}), { ...context, logger });
    expect(result.outcome, result.error).toBe('deployed');
    expect(warnings).toEqual([
      `fake-host: ${why}; this deploy replaces the edge, and its ports go unserved for the moment of the hand-over`,
    ]);
    expect(fake.host.commands.find((c) => c.includes('take-over-ports'))).toMatch(
      /take-over-ports web-proxy 10 web-proxy-retired web-proxy /,
    );
    const edge = fake.containers.find((c) => c.role === 'edge')!;
    expect([edge.name, edge.image, edge.published]).toEqual(['web-proxy', 'haproxy:2.6', ['127.0.0.1:8000:80']]);
    expect(fake.containers.some((c) => c.name === 'web-proxy-retired')).toBe(false);
    expect(fake.servingAlias()).toBe(result.servingContainer!.slice('web-'.length));
  });

  it('remove: a step without image takes away the containers, the edge, the network, the proxy folder with its TLS key, and the env file', async () => {
    fake = new FakeDocker().withServing('registry.example.com/web:v1', 'r1');
    const cert = makeCertificate(30);
    fake.host.tls.set('127.0.0.1:8000', { cert: cert.certificate, key: cert.key });
    const deployed = await deployToHost(
      fake.host,
      read({ 'tls-certificate': cert.certificate, 'tls-key': cert.key, env: 'A=1', 'health-url': 'https://127.0.0.1:8000/health' }),
      context,
    );
    expect(deployed.outcome, deployed.error).toBe('deployed');
    expect([...fake.files.keys()].filter((f) => f.endsWith('tls.pem') || f.endsWith('web.env'))).toHaveLength(2);
    const step = fakeServiceStepInputs({ remove: 'true' });
    const result = await serviceStepOnHost(fake.host, step, context);
    expect(result.outcome, result.error).toBe('deployed');
    expect(fake.containers).toEqual([]);
    expect(fake.host.indexOf(/^docker network rm web-net$/)).toBeGreaterThan(0);
    expect(fake.host.indexOf(/^rm -rf -- \/home\/deploy\/\.golden-deploy\/proxy\/web$/)).toBeGreaterThan(0);
    expect([...fake.files.keys()].filter((f) => f.includes('/proxy/web') || f.endsWith('web.env'))).toEqual([]);
  });

  it('removes no credentials through argv: the registry password only reaches stdin', async () => {
    fake = new FakeDocker().withServing('registry.example.com/web:v1', 'r1');
    const seen: Array<string | undefined> = [];
    const answer = fake.answer.bind(fake);
    const files = fake.host.files;
    fake.host = new RecordingHost(
      (argv, stdin) => {
        if (argv[3] === 'with-registry-login') seen.push(stdin);
        return answer(argv);
      },
      (a, p, path, headers) => fake.http(a, p, path, headers),
    );
    for (const [path, content] of files) fake.host.files.set(path, content);
    const result = await deployToHost(fake.host, read({ 'registry-username': 'ci', 'registry-password': 'hunter2-token' }), context);
    expect(result.outcome).toBe('deployed');
    expect(seen).toEqual(['hunter2-token']);
    expect(fake.host.commands.filter((c) => c.includes('hunter2-token'))).toEqual([]);
  });
});
