/**
 * The roll across hosts: `max-parallel` hosts at a time, each over its own SSH connection; after a host fails,
 * no further host is touched, so a bad version never reaches the rest of the fleet.
 */
import type { RemoteHost, SshTarget } from '#ssh/index';
import { describe, type HostResult } from './deploy.ts';

export interface Roll {
  results: HostResult[];
  /** Hosts left untouched after a failure, as labels. */
  skipped: string[];
}

export const hostLabel = (target: SshTarget) => (target.port === 22 ? target.host : `${target.host}:${target.port}`);

export async function rollAcrossHosts(
  targets: readonly SshTarget[],
  maxParallel: number,
  connect: (target: SshTarget) => Promise<RemoteHost>,
  deploy: (host: RemoteHost) => Promise<HostResult>,
): Promise<Roll> {
  const results: HostResult[] = [];
  const pending = [...targets];
  while (pending.length > 0 && results.every((r) => r.outcome === 'deployed')) {
    const batch = pending.splice(0, maxParallel);
    results.push(...(await Promise.all(batch.map((target) => deployOne(target, connect, deploy)))));
  }
  return { results, skipped: pending.map(hostLabel) };
}

async function deployOne(
  target: SshTarget,
  connect: (target: SshTarget) => Promise<RemoteHost>,
  deploy: (host: RemoteHost) => Promise<HostResult>,
): Promise<HostResult> {
  const started = performance.now();
  const failed = (error: unknown): HostResult => ({
    host: hostLabel(target),
    outcome: 'failed',
    error: describe(error),
    phases: [],
    durationMs: Math.round(performance.now() - started),
  });
  let host: RemoteHost;
  try {
    host = await connect(target);
  } catch (error) {
    return failed(error);
  }
  try {
    return await deploy(host);
  } catch (error) {
    // A host that fails outside the deploy's own bookkeeping (say, its connection drops while the lock is being
    // taken) is still this host's failure: it stops the roll and is reported on its row.
    return failed(error);
  } finally {
    host.close();
  }
}
