// Lists what GitHub holds for the audited environments: names only, at every scope, every page.
import type { GitHubClient } from '#github/client';
import { GitHubApiError } from '#github/errors';
import type { Inventory } from './audit.ts';

export interface Repository {
  owner: string;
  name: string;
}

export function parseRepository(value: string): Repository | undefined {
  const match = /^([A-Za-z0-9_.-]+)\/([A-Za-z0-9_.-]+)$/.exec(value.trim());
  return match ? { owner: match[1]!, name: match[2]! } : undefined;
}

const names = (items: { name: string }[]) => items.map((item) => item.name);

/** Environment secrets (and variables, when asked), then repository, then organization secrets visible to the repository. */
export async function fetchInventory(
  client: GitHubClient,
  repository: Repository,
  environments: readonly string[],
  withVariables: boolean,
): Promise<Inventory> {
  const base = `/repos/${encodeURIComponent(repository.owner)}/${encodeURIComponent(repository.name)}`;
  const list = (path: string, key: 'secrets' | 'variables') => client.listAll<{ name: string }>(path, key).then(names);
  const inventory: Inventory = {
    environments: new Map(),
    repository: {
      secrets: await list(`${base}/actions/secrets`, 'secrets'),
      variables: withVariables ? await list(`${base}/actions/variables`, 'variables') : [],
    },
    // The repository's own view of organization secrets lists only those whose visibility reaches it
    // (all, private for a private repository, or selected with this repository selected).
    organization: {
      secrets: await orEmptyWhenNotAnOrganization(list(`${base}/actions/organization-secrets`, 'secrets')),
      variables: withVariables ? await orEmptyWhenNotAnOrganization(list(`${base}/actions/organization-variables`, 'variables')) : [],
    },
  };
  for (const environment of environments) {
    const path = `${base}/environments/${encodeURIComponent(environment)}`;
    try {
      const secrets = await list(`${path}/secrets`, 'secrets');
      inventory.environments.set(environment, { secrets, variables: withVariables ? await list(`${path}/variables`, 'variables') : [] });
    } catch (error) {
      if (error instanceof GitHubApiError && error.status === 404) continue; // No such environment: reported by the audit.
      throw error;
    }
  }
  return inventory;
}

/** A repository owned by a user has no organization: GitHub answers 404 there. */
async function orEmptyWhenNotAnOrganization(names: Promise<string[]>): Promise<string[]> {
  try {
    return await names;
  } catch (error) {
    if (error instanceof GitHubApiError && error.status === 404) return [];
    throw error;
  }
}
