/** The lab's separate app hosts as the tests see them: SSH address, lab address and own Docker engine. */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { promisify } from 'node:util';
import type { LabEnv } from './lab.ts';

const execFileAsync = promisify(execFile);

export interface AppHost {
  /** The lab's name for the host (app1…): its pidfiles are `$LAB_DIR/run/<name>-sshd.pid` and `-dockerd.pid`. */
  name: string;
  /** `ip:22`, as in LAB_APP_HOSTS. */
  address: string;
  ip: string;
  /** The host's own engine, for `docker -H`. */
  engine: string;
  /** Reachable only through the bastion (LAB_APP_JUMP_HOST). */
  jumpOnly: boolean;
}

/** LAB_APP_HOSTS with their engines (LAB_APP_DOCKER_HOSTS, same order) and lab names (from each host's sshd_config). */
export function appHosts(lab: LabEnv): AppHost[] {
  const engines = lab.LAB_APP_DOCKER_HOSTS!.split('\n');
  return lab.LAB_APP_HOSTS!.split('\n').map((address, index) => {
    const ip = address.replace(/:\d+$/, '');
    const name = `app${index + 1}`;
    const listen = /^ListenAddress (\S+)$/m.exec(readFileSync(`${lab.LAB_DIR}/apps/${name}/sshd_config`, 'utf8'))?.[1];
    if (listen !== ip) throw new Error(`the lab's ${name} listens on ${listen}, not ${ip}: LAB_APP_HOSTS and the lab disagree`);
    return { name, address, ip, engine: engines[index]!, jumpOnly: address === lab.LAB_APP_JUMP_HOST };
  });
}

/** Asks the load balancer `count` times; returns the bodies each upstream host answered (its header X-Lab-Upstream). */
export async function balancerAnswers(lab: LabEnv, path: string, count: number): Promise<Map<string, Set<string>>> {
  const answers = new Map<string, Set<string>>();
  for (let i = 0; i < count; i += 1) {
    const response = await fetch(`${lab.LAB_LB_URL}${path}`, { signal: AbortSignal.timeout(5000) });
    // After a retry nginx lists every upstream it tried; the last one answered.
    const upstream = (response.headers.get('x-lab-upstream') ?? '').split(', ').at(-1)!.replace(/:\d+$/, '');
    const body = (await response.text()).trim();
    answers.set(upstream, (answers.get(upstream) ?? new Set()).add(response.ok ? body : `status ${response.status}`));
  }
  return answers;
}

/** Removes what deploy-container left for `service` on each host: its containers (by label) and its network. */
export async function removeService(hosts: readonly AppHost[], service: string): Promise<void> {
  for (const host of hosts) {
    const docker = (...args: string[]) => execFileAsync('docker', ['-H', host.engine, ...args]);
    const { stdout } = await docker('container', 'ls', '--all', '--quiet', '--filter', `label=golden.deploy.service=${service}`);
    const ids = stdout.trim().split('\n').filter(Boolean);
    if (ids.length > 0) await docker('container', 'rm', '--force', ...ids);
    await docker('network', 'rm', `${service}-net`).catch(() => undefined);
  }
}
