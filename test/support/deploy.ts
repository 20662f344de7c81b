/**
 * What the lab-backed deploy tests and benches share: the SSH, registry and health-gate inputs of a
 * deploy-container step against the lab, running the committed bundle through the runner harness, and
 * reading a step's error lines.
 */
import type { ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
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

/** Runs deploy-container's committed bundle as the runner would; resolves to its main step. */
export async function runDeploy(
  inputs: Record<string, string>,
  options: { runId: string; timeoutMs: number; onSpawn?: (child: ChildProcess) => void },
): Promise<StepRun> {
  const { main } = await runAction(DEPLOY_ACTION, {
    inputs,
    env: { GITHUB_ACTOR: 'tester', GITHUB_RUN_ID: options.runId },
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
