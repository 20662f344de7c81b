/**
 * Strategy switch's order, rollback and recovery, against a recording fake host that simulates docker's
 * containers, the proxy's loaded config and what each address answers. No lab needed.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { servingUpstream } from '#docker/index';
import { RecordingHost } from '#ssh/testing';
import { deployToHost } from './deploy.ts';
import { fakeHostInputs, quietLogger } from './testing.ts';

const HOME = '/home/deploy';
const CONFIG = `${HOME}/.golden-deploy/proxy/web/nginx.conf`;

interface Container {
  name: string;
  image: string;
  state: string;
  role: string;
  alias?: string;
  address: string;
}

/** A host with docker's state for one service, answering the catalogue's commands. */
class FakeDocker {
  containers: Container[] = [];
  /** The config the proxy has loaded (what nginx serves), which may differ from the file on disk. */
  loaded?: string;
  healthyImages = new Set<string>(['registry.example.com/web:v1', 'registry.example.com/web:v2']);
  proxyAnswersTokens = true;
  private nextAddress = 2;
  host = new RecordingHost(
    (argv) => this.answer(argv),
    (address, port, path) => this.http(address, port, path),
  );
  /** The host's files: what the deploy wrote over "SFTP", and what the fake's commands move. */
  get files() {
    return this.host.files;
  }

  withServing(image: string, alias: string) {
    this.containers.push({ name: `web-${alias}`, image, state: 'running', role: 'app', alias, address: `172.20.0.${this.nextAddress++}` });
    this.containers.push({ name: 'web-proxy', image: 'nginx:1.27', state: 'running', role: 'proxy', address: '172.20.0.1' });
    const config = `# golden-deploy serving: ${alias}\n`;
    this.files.set(CONFIG, config);
    this.loaded = config;
    return this;
  }

  answer(argv: readonly string[]): { code?: number; stdout?: string; stderr?: string } | undefined {
    const text = argv.join(' ');
    if (text === 'pwd') return { stdout: `${HOME}\n` };
    if (argv[0] === 'flock') return { stdout: 'locked\n' };
    if (argv[0] === 'cat') return this.files.has(argv[1]!) ? { stdout: this.files.get(argv[1]!) } : { code: 1 };
    if (argv[0] === 'rm' || argv[0] === 'mkdir') return undefined;
    if (argv[0] === 'mv') {
      this.files.set(argv[3]!, this.files.get(argv[2]!)!);
      return undefined;
    }
    if (argv[0] === 'sh' && argv[3] === 'switch-config') {
      this.files.set(argv[5]!, this.files.get(argv[4]!)!);
      this.loaded = this.files.get(argv[5]!);
      return undefined;
    }
    if (argv[0] === 'sh' && argv[3] === 'take-over-ports') {
      this.containers.find((c) => c.name === argv[4])!.state = 'exited';
      return this.answer(argv.slice(6)); // holder, stop seconds, then the proxy's run
    }
    if (argv[0] === 'sh') return undefined; // login-and-pull, sweep, audit line
    if (text.startsWith('docker pull')) return undefined;
    if (text.startsWith('docker image inspect')) return { stdout: 'registry.example.com/web@sha256:' + '0'.repeat(64) };
    if (text.startsWith('docker image ls')) return { stdout: '' };
    if (text.startsWith('docker network')) return undefined;
    if (text.startsWith('docker container ls')) {
      return { stdout: this.containers.map((c) => `${c.name}|${c.image}|${c.state}|${c.role}|now`).join('\n') };
    }
    const named = (name: string) => this.containers.find((c) => c.name === name);
    if (text.startsWith('docker container run')) {
      const name = argv[argv.indexOf('--name') + 1]!;
      const alias = argv.includes('--network-alias') ? argv[argv.indexOf('--network-alias') + 1] : undefined;
      const role = argv.find((a) => a.startsWith('golden.deploy.role='))!.split('=')[1]!;
      const image = argv[argv.indexOf('--init') >= 0 ? argv.indexOf('--init') + 1 : argv.length - 1]!;
      this.containers.push({ name, image, state: 'running', role, alias, address: `172.20.0.${this.nextAddress++}` });
      if (role === 'proxy') this.loaded = this.files.get(CONFIG);
      return { stdout: `${name}-id\n` };
    }
    if (text.startsWith('docker container inspect --format {{with index')) return { stdout: named(argv.at(-1)!)?.address ?? '' };
    if (text.startsWith('docker container inspect')) return named(argv.at(-1)!) ? { stdout: 'x' } : { code: 1 };
    if (text.startsWith('docker container top'))
      return {
        stdout:
          'UID PID PPID C STIME TTY TIME CMD\nroot 100 1 0 now ? 0 nginx: master process\nnobody 101 100 0 now ? 0 nginx: worker process\n',
      };
    if (text.startsWith('docker container kill')) {
      this.loaded = this.files.get(CONFIG);
      return undefined;
    }
    if (text.startsWith('docker container stop')) {
      named(argv.at(-1)!)!.state = 'exited';
      return undefined;
    }
    if (text.startsWith('docker container start')) {
      named(argv.at(-1)!)!.state = 'running';
      return undefined;
    }
    if (text.startsWith('docker container rm')) {
      const doomed = new Set(argv.slice(4));
      this.containers = this.containers.filter((c) => !doomed.has(c.name));
      return undefined;
    }
    if (text.startsWith('docker container exec')) return undefined;
    if (text.startsWith('docker container logs')) return undefined;
    throw new Error(`the fake host has no answer for: ${text}`);
  }

  http(address: string, port: number, path: string): { status: number; body: string } | undefined {
    if (address === '127.0.0.1' && port === 8000) {
      // Through the proxy: the loaded config decides.
      const upstream = this.loaded ? servingUpstream(this.loaded) : undefined;
      if (path.startsWith('/.golden-proxy/'))
        return this.proxyAnswersTokens && this.loaded?.includes(path) ? { status: 200, body: `${upstream}\n` } : { status: 404, body: '' };
      const app = this.containers.find((c) => c.alias === upstream);
      return app && this.healthyImages.has(app.image) ? { status: 200, body: 'ok' } : { status: 502, body: '' };
    }
    const app = this.containers.find((c) => c.address === address && port === 80);
    if (!app || app.state !== 'running') return undefined;
    return this.healthyImages.has(app.image) ? { status: 200, body: 'ok' } : { status: 404, body: 'no' };
  }

  /** Which alias users get through the proxy now. */
  servingAlias() {
    return this.loaded ? servingUpstream(this.loaded) : undefined;
  }
}

const read = (values: Record<string, string>) =>
  fakeHostInputs({ strategy: 'switch', 'proxy-image': 'nginx:1.27', 'drain-timeout': '1s', 'docker-args': '--init', ...values });
const context = { actor: 'tester', runId: '1', logger: quietLogger };

let fake: FakeDocker;
afterEach(() => fake?.host.close());

describe('strategy switch orchestration', () => {
  it('starts the new version unpublished, gates it directly, switches, verifies, then stops the old one', async () => {
    fake = new FakeDocker().withServing('registry.example.com/web:v1', 'r1');
    const result = await deployToHost(fake.host, read({}), context);
    expect(result.error, fake.host.commands.join('\n')).toBeUndefined();
    expect(result).toMatchObject({ outcome: 'deployed', previousImage: 'registry.example.com/web:v1' });
    const commands = fake.host.commands;
    const run = fake.host.indexOf(/^docker container run .*--network web-net --network-alias r\d{8}t\d{6}-[0-9a-f]{4} /);
    const gate = fake.host.indexOf(/^<connect 172\.20\.0\.\d+:80>$/);
    const switched = fake.host.indexOf(/switch-config/);
    const verified = fake.host.indexOf(/^<connect 127\.0\.0\.1:8000>$/);
    const stopOld = fake.host.indexOf(/^docker container stop --time 10 web-r1$/);
    expect(
      [run, gate, switched, verified, stopOld].every((i) => i >= 0),
      commands.join('\n'),
    ).toBe(true);
    expect(run < gate && gate < switched && switched < verified && verified < stopOld).toBe(true);
    expect(commands[run]).not.toContain('--publish');
    // The config is checked by nginx before it is put in place.
    expect(fake.host.indexOf(/^docker container exec web-proxy nginx -t -q -c \/golden\/nginx\.conf\.next$/)).toBeLessThan(switched);
    expect(fake.servingAlias()).toBe(result.servingContainer!.slice('web-'.length));
    expect(fake.containers.find((c) => c.name === 'web-r1')).toMatchObject({ state: 'exited' });
  });

  it('a build that fails its gate is removed; the old version never stopped and the proxy never switched', async () => {
    fake = new FakeDocker().withServing('registry.example.com/web:v1', 'r1');
    const result = await deployToHost(fake.host, read({ image: 'registry.example.com/web:broken' }), context);
    expect(result).toMatchObject({ outcome: 'rolled-back', servingContainer: 'web-r1' });
    expect(result.error).toMatch(/health gate: .*status 404/);
    expect(fake.host.indexOf(/switch-config/)).toBe(-1);
    expect(fake.host.indexOf(/^docker container stop/)).toBe(-1);
    expect(fake.containers.map((c) => c.name).sort()).toEqual(['web-proxy', 'web-r1']);
    expect(fake.servingAlias()).toBe('r1');
  });

  it('a switch the proxy does not confirm goes back to the old container, which still runs', async () => {
    fake = new FakeDocker().withServing('registry.example.com/web:v1', 'r1');
    fake.proxyAnswersTokens = false;
    // 20 checks, 500 ms apart, each way: on fake timers, so the test costs no real waiting.
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
    // The proxy confirms nothing, so even the way back cannot be verified: said loudly, not hidden.
    expect(result.error).toMatch(/the proxy did not take the new config .*; then switching back to web-r1 failed/);
    expect(fake.host.commands.filter((c) => c.includes('switch-config'))).toHaveLength(2);
    expect(fake.servingAlias()).toBe('r1');
    expect(fake.host.indexOf(/^docker container stop --time 10 web-r1$/)).toBe(-1);
  }, 30_000);

  it('a new version that fails through the proxy after the switch is switched away from, and removed', async () => {
    fake = new FakeDocker().withServing('registry.example.com/web:v1', 'r1');
    // Healthy when reached directly, broken through the proxy (e.g. it needs a header the proxy drops).
    const direct = fake.http.bind(fake);
    fake.http = (address, port, path) =>
      address === '127.0.0.1' && !path.startsWith('/.golden-proxy/') && fake.servingAlias() !== 'r1'
        ? { status: 502, body: '' }
        : direct(address, port, path);
    const result = await deployToHost(fake.host, read({}), context);
    expect(result).toMatchObject({ outcome: 'rolled-back', servingContainer: 'web-r1' });
    expect(fake.servingAlias()).toBe('r1');
    expect(fake.containers.filter((c) => c.role === 'app').map((c) => `${c.name} ${c.state}`)).toEqual(['web-r1 running']);
  });

  it('recovers what a fault left: a stopped serving container is started, the config reloaded, strays stopped, all before the new one starts', async () => {
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
    fake.loaded = '# golden-deploy serving: r0\n';
    const result = await deployToHost(fake.host, read({}), context);
    expect(result.outcome).toBe('deployed');
    const start = fake.host.indexOf(/^docker container start web-r1$/);
    const reload = fake.host.indexOf(/^docker container kill --signal HUP web-proxy$/);
    const stray = fake.host.indexOf(/^docker container stop --time 10 web-r0$/);
    const run = fake.host.indexOf(/^docker container run /);
    expect([start, reload, stray].every((i) => i >= 0 && i < run)).toBe(true);
    // web-r1 is now the rollback target; web-r0 is gone.
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
    expect(result.outcome).toBe('deployed');
    const handOver = fake.host.commands.find((c) => c.includes('take-over-ports'))!;
    expect(fake.containers.find((c) => c.name === 'web')).toMatchObject({ state: 'exited' });
    expect(fake.servingAlias()).toBe(result.servingContainer!.slice('web-'.length));
    expect(handOver).toMatch(
      /take-over-ports web 10 docker container run --detach --name web-proxy .*--publish 127\.0\.0\.1:8000:80 .*--volume \/home\/deploy\/\.golden-deploy\/proxy\/web:\/golden:ro/,
    );
  });

  it('removes no credentials through argv: the registry password only reaches stdin', async () => {
    fake = new FakeDocker().withServing('registry.example.com/web:v1', 'r1');
    const seen: Array<string | undefined> = [];
    const answer = fake.answer.bind(fake);
    const files = fake.host.files;
    fake.host = new RecordingHost(
      (argv, stdin) => {
        if (argv[3] === 'login-and-pull') seen.push(stdin);
        return answer(argv);
      },
      (a, p, path) => fake.http(a, p, path),
    );
    for (const [path, content] of files) fake.host.files.set(path, content);
    const result = await deployToHost(fake.host, read({ 'registry-username': 'ci', 'registry-password': 'hunter2-token' }), context);
    expect(result.outcome).toBe('deployed');
    expect(seen).toEqual(['hunter2-token']);
    expect(fake.host.commands.filter((c) => c.includes('hunter2-token'))).toEqual([]);
  });
});
