/**
 * What the lab-backed deploy tests and benches share: the SSH, registry and health-gate inputs of a
 * deploy-container step against the lab, running the committed bundle through the runner harness, and
 * reading a step's error lines.
 */
import { type ChildProcess, execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runAction, type StepRun } from '#runner/index';
import type { LabEnv } from './lab.ts';

export const DEPLOY_ACTION = 'actions/deploy-container';

/** Where the deploy goes: one `host` (with `port`), or a `hosts` list; and the known_hosts lines that pin them. */
export type DeployTarget = { host: string; port: string | number; knownHosts: string } | { hosts: readonly string[]; knownHosts: string };

/** The inputs every lab deploy shares: the target over SSH as the lab's deploy user, the lab registry, and a
 * health gate on `healthUrl` that checks every 300 ms, up to 10 times. */
export function labDeployInputs(lab: LabEnv, target: DeployTarget, healthUrl: string): Record<string, string> {
  return {
    ...('hosts' in target ? { hosts: target.hosts.join('\n') } : { host: target.host, port: String(target.port) }),
    username: lab.LAB_SSH_USER!,
    'private-key': readFileSync(lab.LAB_SSH_KEY_FILE!, 'utf8'),
    'host-key': target.knownHosts,
    'registry-username': lab.LAB_REGISTRY_USER!,
    'registry-password': lab.LAB_REGISTRY_PASSWORD!,
    'health-url': healthUrl,
    'health-interval': '300ms',
    'health-attempts': '10',
  };
}

/**
 * A strategy switch roll of `image` as `name` across `hosts` (ip:22), one at a time, each publishing the port the lab's
 * load balancer forwards to (LAB_LB_UPSTREAM_PORT, container port 80), gated on /health/.
 */
export function labRollInputs(lab: LabEnv, hosts: readonly string[], name: string, image: string): Record<string, string> {
  const port = lab.LAB_LB_UPSTREAM_PORT!;
  return {
    ...labDeployInputs(lab, { hosts, knownHosts: lab.LAB_APP_KNOWN_HOSTS! }, `http://127.0.0.1:${port}/health/`),
    image,
    name,
    ports: `0.0.0.0:${port}:80`,
    'docker-args': '--init',
    'max-parallel': '1',
    strategy: 'switch',
    'proxy-image': lab.LAB_PROXY_IMAGE!,
    'drain-timeout': '5s',
  };
}

/**
 * A strategy swarm deploy of `image` as the stack `name` through the lab's swarm manager, its container port 80
 * published as LAB_SWARM_PORT on every node, gated on /health/.
 */
export function labSwarmInputs(lab: LabEnv, name: string, image: string): Record<string, string> {
  const [host, port] = lab.LAB_SWARM_MANAGER!.split(':');
  return {
    ...labDeployInputs(
      lab,
      { host: host!, port: port!, knownHosts: lab.LAB_APP_KNOWN_HOSTS! },
      `http://127.0.0.1:${lab.LAB_SWARM_PORT}/health/`,
    ),
    strategy: 'swarm',
    'proxy-image': lab.LAB_PROXY_IMAGE!,
    image,
    name,
    ports: `${lab.LAB_SWARM_PORT}:80`,
    'drain-timeout': '5s',
  };
}

/**
 * Runs deploy-container's committed bundle as the runner would (or `action`, another version's folder);
 * resolves to its main step.
 */
export async function runDeploy(
  inputs: Record<string, string>,
  options: { runId: string; timeoutMs: number; onSpawn?: (child: ChildProcess) => void; action?: string; env?: Record<string, string> },
): Promise<StepRun> {
  const { main } = await runAction(options.action ?? DEPLOY_ACTION, {
    inputs,
    env: { GITHUB_ACTOR: 'tester', GITHUB_RUN_ID: options.runId, ...options.env },
    timeoutMs: options.timeoutMs,
    onSpawn: options.onSpawn,
  });
  return main;
}

/** The step's `::error::` lines, joined: what a user sees as the failure. */
export const errorsOf = (step: StepRun) =>
  step.commands
    .filter((c) => c.command === 'error')
    .map((c) => c.message)
    .join('\n');

/** The last commit whose deploy-container ran strategy switch through an nginx proxy: the version a service upgrades from. */
export const NGINX_PROXY_COMMIT = '73b7cd5';

/**
 * deploy-container as this repository committed it at `commit` (its action.yml and bundle, from git), in a
 * folder of its own: an earlier version to upgrade from.
 */
export function deployActionAt(commit: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'gp-deploy-at-'));
  const show = (path: string) => execFileSync('git', ['show', `${commit}:${DEPLOY_ACTION}/${path}`], { maxBuffer: 64 << 20 });
  mkdirSync(join(dir, 'dist'));
  writeFileSync(join(dir, 'action.yml'), show('action.yml'));
  writeFileSync(join(dir, 'dist/index.cjs'), show('dist/index.cjs'));
  return dir;
}
