/** What users and the host are left with after a fault: checked from outside, as a person would. */
import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import type { LabEnv } from './lab.ts';

/** Waits up to `withinMs` for `url` to answer 2xx with a body `accept` takes; returns that body and when, or the last answer. */
export async function servesWithin(
  url: string,
  withinMs: number,
  accept: (body: string) => boolean = () => true,
): Promise<{ body: string; afterMs: number }> {
  const started = performance.now();
  let last = '';
  while (performance.now() - started < withinMs) {
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(1000) });
      last = (await response.text()).trim();
      if (response.ok && accept(last)) return { body: last, afterMs: Math.round(performance.now() - started) };
    } catch (error) {
      last = (error as Error).message;
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return { body: `nothing acceptable (last: ${last})`, afterMs: withinMs };
}

/** Every file the deploy user owns under /tmp, /var/tmp and its home that holds the registry's user:password, raw or base64. */
export function credentialsAtRest(lab: LabEnv): string[] {
  const home = execFileSync('getent', ['passwd', lab.LAB_SSH_USER!], { encoding: 'utf8' }).split(':')[5]!;
  const needles = [lab.LAB_REGISTRY_PASSWORD!, Buffer.from(`${lab.LAB_REGISTRY_USER}:${lab.LAB_REGISTRY_PASSWORD}`).toString('base64')];
  // find exits 1 when a file vanishes while it walks (docker and runc churn in /tmp); what it listed stands.
  const files = spawnSync('find', ['/tmp', '/var/tmp', home, '-xdev', '-user', lab.LAB_SSH_USER!, '-type', 'f', '-size', '-2M'], {
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  })
    .stdout.split('\n')
    .filter(Boolean);
  return files.filter((file) => {
    try {
      const text = readFileSync(file, 'utf8');
      return needles.some((needle) => text.includes(needle));
    } catch {
      return false;
    }
  });
}

/**
 * Resolves once `logins()` exceeds `before`: the action's SSH session exists, so a fault injected from
 * now on hits it. Random kill moments are measured from here, not from the spawn, whose cost varies with load.
 */
export async function sessionStarted(logins: () => number, before: number, timeoutMs = 30_000): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (logins() <= before) {
    if (performance.now() > deadline) throw new Error(`no SSH login within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
