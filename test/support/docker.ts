import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { connect } from 'node:net';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { LabEnv } from './lab.ts';

const execFileAsync = promisify(execFile);

/** Runs the local docker CLI (the same engine the deploy host uses) and returns stdout. */
export async function docker(...args: string[]): Promise<string> {
  return (await execFileAsync('docker', args, { maxBuffer: 16 * 1024 * 1024 })).stdout;
}

export async function dockerMaybe(...args: string[]): Promise<{ code: number; stdout: string }> {
  try {
    return { code: 0, stdout: await docker(...args) };
  } catch (error) {
    return { code: (error as { code?: number }).code ?? 1, stdout: '' };
  }
}

/** Builds test/fixtures/app as `<registry>/gp-test/app:<tag>` and pushes it; returns the reference. */
export async function buildAndPush(lab: LabEnv, tag: string, buildArgs: Record<string, string>): Promise<string> {
  const ref = `${lab.LAB_REGISTRY}/gp-test/app:${tag}`;
  const config = mkdtempSync(join(tmpdir(), 'gp-docker-'));
  try {
    await docker(
      'build',
      '-q',
      ...Object.entries(buildArgs).flatMap(([k, v]) => ['--build-arg', `${k}=${v}`]),
      '-t',
      ref,
      'test/fixtures/app',
    );
    const login = spawn('docker', ['--config', config, 'login', '-u', lab.LAB_REGISTRY_USER!, '--password-stdin', lab.LAB_REGISTRY!]);
    login.stdin.end(lab.LAB_REGISTRY_PASSWORD);
    await new Promise((resolve, reject) =>
      login.on('close', (code) => (code === 0 ? resolve(null) : reject(new Error('docker login failed')))),
    );
    await docker('--config', config, 'push', '-q', ref);
    // Remove the local tag so the deploy must really pull it from the registry.
    await docker('image', 'rm', ref);
    return ref;
  } finally {
    rmSync(config, { recursive: true, force: true });
  }
}

/** The fixture app as v1, v2 and a broken build (its /health/ is missing), pushed under `<name>-<suffix>` tags. */
export async function buildFixtureVersions(lab: LabEnv, suffix: string): Promise<{ v1: string; v2: string; broken: string }> {
  const [v1, v2, broken] = await Promise.all([
    buildAndPush(lab, `v1-${suffix}`, { VERSION: 'v1' }),
    buildAndPush(lab, `v2-${suffix}`, { VERSION: 'v2' }),
    buildAndPush(lab, `broken-${suffix}`, { VERSION: 'broken', HEALTH: 'missing' }),
  ]);
  return { v1, v2, broken };
}

/** A second sshd for the deploy host on another port (a second "host"), started and stopped by the test. */
export interface ExtraSshd {
  port: number;
  knownHosts: string;
  /** Authentications seen so far (one per SSH handshake that logged in). */
  logins(): number;
  /** Kills the per-connection session processes, as if the host's sshd died mid-deploy. */
  killSessions(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * Starts another sshd with the config of the lab's deploy host (default) or bastion (`bastion: true`,
 * inside the bastion's namespace), on `port`; the test owns it and stops it by pid.
 */
export async function startExtraSshd(lab: LabEnv, port: number, options: { bastion?: boolean } = {}): Promise<ExtraSshd> {
  const dir = mkdtempSync(join(tmpdir(), 'gp-sshd-'));
  const log = join(dir, 'sshd.log');
  const address = options.bastion ? lab.LAB_BASTION_HOST! : '127.0.0.1';
  const sshdArgs = [
    '-D',
    '-E',
    log,
    '-f',
    `${lab.LAB_DIR}/${options.bastion ? 'bastion' : 'deploy-host'}/sshd_config`,
    '-o',
    `Port=${port}`,
    '-o',
    `ListenAddress=${address}`,
    '-o',
    `PidFile=${join(dir, 'pid')}`,
  ];
  // `ip netns exec` execs sshd in place, so the pid is sshd's own.
  const child: ChildProcess = options.bastion
    ? spawn('ip', ['netns', 'exec', 'gp-bastion', '/usr/sbin/sshd', ...sshdArgs], { stdio: 'ignore' })
    : spawn('/usr/sbin/sshd', sshdArgs, { stdio: 'ignore' });
  for (let i = 0; i < 50; i += 1) {
    const ready = await new Promise<boolean>((resolve) => {
      const socket = connect(port, address);
      socket
        .on('connect', () => {
          socket.destroy();
          resolve(true);
        })
        .on('error', () => resolve(false));
    });
    if (ready) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    port,
    knownHosts: (options.bastion ? lab.LAB_BASTION_KNOWN_HOSTS! : lab.LAB_SSH_KNOWN_HOSTS!).replace(/^\S+/, `[${address}]:${port}`),
    logins: () => {
      try {
        return (readFileSync(log, 'utf8').match(/Accepted (publickey|password) for/g) ?? []).length;
      } catch {
        return 0;
      }
    },
    killSessions: () => killDescendants(child.pid!),
    async stop() {
      await killDescendants(child.pid!);
      child.kill('SIGTERM');
      await new Promise((resolve) => (child.exitCode !== null ? resolve(null) : child.on('exit', resolve)));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Every process below `root` (not `root` itself), from one look at the process table. */
export async function descendants(root: number): Promise<number[]> {
  const table = (await execFileAsync('ps', ['-e', '-o', 'pid=,ppid='])).stdout
    .trim()
    .split('\n')
    .map((line) => line.trim().split(/\s+/).map(Number) as [number, number]);
  const tree = new Set([root]);
  for (let grew = true; grew;) {
    grew = false;
    for (const [pid, ppid] of table)
      if (tree.has(ppid) && !tree.has(pid)) {
        tree.add(pid);
        grew = true;
      }
  }
  tree.delete(root);
  return [...tree];
}

/** SIGKILLs every process below `root`: for an sshd, its sessions, as if they died mid-deploy. */
export async function killDescendants(root: number): Promise<void> {
  for (const pid of await descendants(root)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      /* already gone */
    }
  }
}
