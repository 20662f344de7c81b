/**
 * The lab is real infrastructure: these tests prove each piece works the way the actions will use it.
 */
import { execFile, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as net from 'node:net';
import { promisify } from 'node:util';
import { Client, type ConnectConfig } from 'ssh2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appHosts, type AppHost } from './support/app-hosts.ts';
import { labEnv, parseLabEnv, readKey, type LabEnv } from './support/lab.ts';

const run = promisify(execFile);
let lab: LabEnv;
beforeAll(() => {
  lab = labEnv();
});

/** The SHA256 fingerprint OpenSSH prints for a known_hosts line's key. */
const fingerprintOf = (knownHostsLine: string) =>
  createHash('sha256')
    .update(Buffer.from(knownHostsLine.trim().split(/\s+/)[2]!, 'base64'))
    .digest('base64')
    .replace(/=+$/, '');

/** Connects with the host key pinned: the connection fails unless the server presents exactly that key. */
function connect(config: ConnectConfig, knownHostsLine: string): Promise<Client> {
  const pinned = fingerprintOf(knownHostsLine);
  return new Promise((resolve, reject) => {
    const client = new Client();
    client
      .on('ready', () => resolve(client))
      .on('error', reject)
      .connect({
        ...config,
        readyTimeout: 10_000,
        hostVerifier: (key: Buffer) => createHash('sha256').update(key).digest('base64').replace(/=+$/, '') === pinned,
      });
  });
}

function exec(client: Client, command: string): Promise<{ code: number; stdout: string }> {
  return new Promise((resolve, reject) => {
    client.exec(command, (error, stream) => {
      if (error) return reject(error);
      let stdout = '';
      stream
        .on('data', (d: Buffer) => {
          stdout += d;
        })
        .stderr.on('data', () => {});
      stream.on('close', (code: number) => resolve({ code, stdout }));
    });
  });
}

const deployHost = () => ({ host: lab.LAB_SSH_HOST, port: Number(lab.LAB_SSH_PORT), username: lab.LAB_SSH_USER });

describe('scripts/lab env', () => {
  it('describes every service with the documented variable names', () => {
    for (const key of [
      'LAB_SSH_HOST',
      'LAB_SSH_PORT',
      'LAB_SSH_USER',
      'LAB_SSH_KEY_FILE',
      'LAB_SSH_PASSWORD',
      'LAB_SSH_KNOWN_HOSTS',
      'LAB_REGISTRY',
      'LAB_REGISTRY_USER',
      'LAB_REGISTRY_PASSWORD',
      'LAB_BASTION_HOST',
      'LAB_BASTION_PORT',
      'LAB_BASTION_USER',
      'LAB_BASTION_KEY_FILE',
      'LAB_BASTION_KNOWN_HOSTS',
      'LAB_DB_HOST',
      'LAB_DB_PORT',
      'LAB_DB_NAME',
      'LAB_DB_USER',
      'LAB_DB_PASSWORD',
      'LAB_PROXY_URL',
      'LAB_PROXY_UPSTREAM_PORT',
      'LAB_PROXY_FRONTEND_PORT',
      'LAB_BUSYBOX_IMAGE',
      'LAB_PYTHON_IMAGE',
      'LAB_NGINX_IMAGE',
      'LAB_PROXY_IMAGE',
      'LAB_DJANGO_SECRET_KEY',
      'LAB_APP_HOSTS',
      'LAB_APP_KNOWN_HOSTS',
      'LAB_APP_DOCKER_HOSTS',
      'LAB_APP_REGISTRY',
      'LAB_APP_JUMP_HOST',
      'LAB_LB_URL',
      'LAB_LB_UPSTREAM_PORT',
    ])
      expect(lab[key], key).toMatch(/\S/);
    expect(lab.LAB_SSH_KNOWN_HOSTS).toMatch(/^\[127\.0\.0\.1\]:\d+ ssh-ed25519 \S+$/);
    // One app host per line, each with its own pinned key and engine; the jump host is one of them.
    const hosts = lab.LAB_APP_HOSTS!.split('\n');
    expect(hosts.length).toBeGreaterThanOrEqual(3);
    for (const host of hosts) expect(host).toMatch(/^10\.231\.\d+\.\d+:22$/);
    expect(hosts).toContain(lab.LAB_APP_JUMP_HOST);
    const pins = lab.LAB_APP_KNOWN_HOSTS!.split('\n');
    expect(pins.map((pin) => `${pin.split(' ')[0]}:22`)).toEqual(hosts);
    expect(new Set(pins.map((pin) => pin.split(' ')[2])).size).toBe(hosts.length);
    expect(new Set(lab.LAB_APP_DOCKER_HOSTS!.split('\n')).size).toBe(hosts.length);
  });
  it('is valid shell: sourcing it yields the same values', () => {
    const sourced = spawnSync('bash', ['-c', 'set -a; eval "$(scripts/lab env)"; env'], { encoding: 'utf8' }).stdout;
    const env = parseLabEnv(sourced);
    expect(env.LAB_SSH_KNOWN_HOSTS).toBe(lab.LAB_SSH_KNOWN_HOSTS);
    expect(env.LAB_DB_PASSWORD).toBe(lab.LAB_DB_PASSWORD);
    const multiline = spawnSync('bash', ['-c', 'eval "$(scripts/lab env)"; printf %s "$LAB_APP_HOSTS"'], { encoding: 'utf8' }).stdout;
    expect(multiline).toBe(lab.LAB_APP_HOSTS);
  });
});

describe('deploy host (sshd on loopback)', () => {
  it('accepts the deploy key with the pinned host key, and the deploy user can run containers', async () => {
    const client = await connect({ ...deployHost(), privateKey: readKey(lab.LAB_SSH_KEY_FILE!) }, lab.LAB_SSH_KNOWN_HOSTS!);
    try {
      expect(await exec(client, 'id -nG')).toMatchObject({ code: 0, stdout: expect.stringMatching(/\bdocker\b/) });
      const container = await exec(client, `docker run --rm --label golden-lab ${lab.LAB_BUSYBOX_IMAGE} echo from-a-container`);
      expect(container).toEqual({ code: 0, stdout: 'from-a-container\n' });
    } finally {
      client.end();
    }
  });

  it('accepts password login too', async () => {
    const client = await connect({ ...deployHost(), password: lab.LAB_SSH_PASSWORD }, lab.LAB_SSH_KNOWN_HOSTS!);
    expect((await exec(client, 'whoami')).stdout).toBe(`${lab.LAB_SSH_USER}\n`);
    client.end();
  });

  it('refuses a wrong password', async () => {
    await expect(connect({ ...deployHost(), password: 'wrong-password' }, lab.LAB_SSH_KNOWN_HOSTS!)).rejects.toThrow(
      /authentication methods failed/,
    );
  });

  it('is refused when the presented host key is not the pinned one', async () => {
    await expect(connect({ ...deployHost(), privateKey: readKey(lab.LAB_SSH_KEY_FILE!) }, lab.LAB_BASTION_KNOWN_HOSTS!)).rejects.toThrow(
      /verification failed/i,
    );
  });
});

describe('bastion and private database', () => {
  it('gives no direct route from the runner to the database', async () => {
    const error = await new Promise<NodeJS.ErrnoException>((resolve) => {
      const socket = net.connect({ host: lab.LAB_DB_HOST, port: Number(lab.LAB_DB_PORT), timeout: 3000 });
      socket.on('connect', () => {
        socket.destroy();
        resolve(Object.assign(new Error('connected'), { code: 'CONNECTED' }));
      });
      socket.on('timeout', () => {
        socket.destroy();
        resolve(Object.assign(new Error('timeout'), { code: 'TIMEOUT' }));
      });
      socket.on('error', resolve);
    });
    expect(error.code).toMatch(/^(EHOSTUNREACH|ENETUNREACH)$/);
  });

  it('reaches the database through an SSH tunnel via the bastion', async () => {
    const bastion = await connect(
      {
        host: lab.LAB_BASTION_HOST,
        port: Number(lab.LAB_BASTION_PORT),
        username: lab.LAB_BASTION_USER,
        privateKey: readKey(lab.LAB_BASTION_KEY_FILE!),
      },
      lab.LAB_BASTION_KNOWN_HOSTS!,
    );
    const server = net.createServer((local) => {
      bastion.forwardOut('127.0.0.1', 0, lab.LAB_DB_HOST!, Number(lab.LAB_DB_PORT), (error, remote) => {
        if (error) {
          local.destroy();
          return;
        }
        local.pipe(remote).pipe(local);
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as net.AddressInfo).port;
    try {
      const { stdout } = await run(
        'psql',
        [
          '-h',
          '127.0.0.1',
          '-p',
          String(port),
          '-U',
          lab.LAB_DB_USER!,
          '-d',
          lab.LAB_DB_NAME!,
          '-Atc',
          "SELECT current_user || '@' || current_database() || ' via ' || host(inet_client_addr())",
        ],
        { env: { ...process.env, PGPASSWORD: lab.LAB_DB_PASSWORD, PGCONNECT_TIMEOUT: '10' } },
      );
      // The database sees the bastion's address on the db link, not the runner's.
      expect(stdout.trim()).toMatch(new RegExp(`^${lab.LAB_DB_USER}@${lab.LAB_DB_NAME} via 10\\.231\\.2\\.1$`));
    } finally {
      server.close();
      bastion.end();
    }
  });
});

describe('registry', () => {
  // A throwaway docker client config, so the test's login never touches the user's credentials.
  const dockerConfig = mkdtempSync(join(tmpdir(), 'gp-lab-docker-'));
  afterAll(() => rmSync(dockerConfig, { recursive: true, force: true }));
  const dockerLogin = (password: string) =>
    spawnSync('docker', ['--config', dockerConfig, 'login', '-u', lab.LAB_REGISTRY_USER!, '--password-stdin', lab.LAB_REGISTRY!], {
      input: password,
      encoding: 'utf8',
    });

  it('requires the htpasswd user for docker login', () => {
    expect(dockerLogin('not-the-password').status).not.toBe(0);
    expect(dockerLogin(lab.LAB_REGISTRY_PASSWORD!).stdout).toContain('Login Succeeded');
  });

  it('stores and serves a pushed image', async () => {
    const ref = `${lab.LAB_REGISTRY}/lab-test/busybox:${Date.now()}`;
    const docker = (...args: string[]) => run('docker', ['--config', dockerConfig, ...args]);
    await docker('tag', lab.LAB_BUSYBOX_IMAGE!, ref);
    await docker('push', ref);
    await docker('rmi', ref);
    await docker('pull', ref);
    const { stdout } = await docker('image', 'inspect', '--format', '{{json .RepoDigests}}', ref);
    expect(stdout).toMatch(/sha256:[0-9a-f]{64}/);
    await docker('rmi', ref);
  });
});

describe('host proxy and images', () => {
  it('runs nginx as the host reverse proxy', async () => {
    const response = await fetch(`${lab.LAB_PROXY_URL}/__lab/proxy-health`);
    expect(response.status).toBe(200);
    expect(await response.text()).toBe('proxy ok\n');
  });

  it('has the Debian python base image with Django and psycopg2', async () => {
    const { stdout } = await run('docker', [
      'run',
      '--rm',
      '--label',
      'golden-lab',
      lab.LAB_PYTHON_IMAGE!,
      'python3',
      '-c',
      'import django, psycopg2, gunicorn; print("ok")',
    ]);
    expect(stdout.trim()).toBe('ok');
  });
});

describe('app hosts (separate machines)', () => {
  const appHostList = () => appHosts(lab).filter((host) => !host.jumpOnly);

  it('each answers SSH with its own pinned key, with its own engine, home and /tmp, and reaches nothing beyond the lab network', async () => {
    const seen = new Set<string>();
    for (const host of appHostList()) {
      const pin = lab.LAB_APP_KNOWN_HOSTS!.split('\n').find((line) => line.startsWith(`${host.ip} `))!;
      const client = await connect(
        { host: host.ip, port: 22, username: lab.LAB_SSH_USER, privateKey: readKey(lab.LAB_SSH_KEY_FILE!) },
        pin,
      );
      try {
        const root = await exec(client, "docker info --format '{{.DockerRootDir}}'");
        expect(root.code).toBe(0);
        seen.add(root.stdout.trim());
        // A file in this host's /tmp is in no other host's.
        expect((await exec(client, `ls /tmp/gp-lab-test-* 2>/dev/null | wc -l`)).stdout.trim()).toBe('0');
        expect((await exec(client, `touch /tmp/gp-lab-test-${host.name}`)).code).toBe(0);
        // No default route: neither the runner's other lab links nor the world.
        for (const target of [`${lab.LAB_DB_HOST}/${lab.LAB_DB_PORT}`, '192.0.2.1/80']) {
          const attempt = await exec(client, `timeout 5 bash -c 'exec 3<>/dev/tcp/${target}' 2>&1; echo "exit $?"`);
          expect(attempt.stdout, target).toMatch(/Network is unreachable|No route to host/);
        }
      } finally {
        client.end();
      }
    }
    expect(seen.size).toBe(appHostList().length);
    // Each host's marker stays in that host's /tmp until now, so a shared /tmp would have been seen above.
    for (const host of appHostList()) rmSync(`${lab.LAB_DIR}/apps/${host.name}/tmp/gp-lab-test-${host.name}`);
  });

  it('refuses the host key of another app host', async () => {
    const [first, second] = appHostList() as [AppHost, AppHost];
    const wrongPin = lab.LAB_APP_KNOWN_HOSTS!.split('\n').find((line) => line.startsWith(`${second.ip} `))!;
    await expect(
      connect({ host: first.ip, port: 22, username: lab.LAB_SSH_USER, privateKey: readKey(lab.LAB_SSH_KEY_FILE!) }, wrongPin),
    ).rejects.toThrow();
  });

  it('the load balancer forwards to the app hosts; each pulls from the registry where it sees it', async () => {
    expect((await fetch(`${lab.LAB_LB_URL}/__lab/lb-health`)).status).toBe(200);
    const registry = await fetch(`http://${lab.LAB_APP_REGISTRY}/v2/`);
    expect(registry.status).toBe(401);
  });
});

describe('the swarm (app1–app3)', () => {
  const swarmDocker = (...args: string[]) => run('docker', args, { env: { ...process.env, DOCKER_HOST: lab.LAB_SWARM_DOCKER_HOST! } });

  it('is three ready managers, one of them the leader, reachable at the addresses lab env gives', async () => {
    const { stdout } = await swarmDocker('node', 'ls', '--format', '{{.Status}} {{.ManagerStatus}}');
    expect(stdout.trim().split('\n').sort()).toEqual(['Ready Leader', 'Ready Reachable', 'Ready Reachable']);
    const { stdout: addresses } = await swarmDocker(
      'node',
      'inspect',
      '--format',
      '{{.Status.Addr}}',
      ...(await swarmDocker('node', 'ls', '-q')).stdout.trim().split('\n'),
    );
    expect(addresses.trim().split('\n').sort()).toEqual(lab.LAB_SWARM_NODES!.split('\n').sort());
    expect(lab.LAB_SWARM_MANAGER).toBe(`${lab.LAB_SWARM_NODES!.split('\n')[0]}:22`);
    expect(lab.LAB_APP_KNOWN_HOSTS).toContain(`${lab.LAB_SWARM_MANAGER!.replace(/:22$/, '')} ssh-ed25519 `);
  });

  it('has a balancer over the nodes’ LAB_SWARM_PORT', async () => {
    expect((await fetch(`${lab.LAB_SWARM_LB_URL}/__lab/swarm-lb-health`)).status).toBe(200);
    expect(lab.LAB_SWARM_PORT).toMatch(/^\d+$/);
  });
});
