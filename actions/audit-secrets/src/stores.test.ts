/**
 * audit-secrets with `secrets: ${{ toJSON(secrets) }}` and `vars: ${{ toJSON(vars) }}`, as a deploy job of the
 * reusable workflow calls it: env mode checks GitHub's stores, and `env` renders the application's variables.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { MemoryLogger } from '#log/index';
import { MemoryReporter } from '#log/reporter';
import { parseWorkflow } from '#audit/workflows';
import { auditWorkflows } from '#audit/audit';
import { parseManifest } from '#audit/load';
import { runAuditSecrets } from './main.ts';

const MANIFEST = 'config/env.manifest.json';
const KEY = '-----BEGIN OPENSSH PRIVATE KEY-----\nAAAAkeyline1xyz\nAAAAkeyline2xyz\n-----END OPENSSH PRIVATE KEY-----';

/** What GitHub holds for dev-backend and uat2 (STAGING_ for the legacy frontend), by GitHub name. */
const SECRETS: Record<string, string> = {
  github_token: 'ghs_builtin0000',
  DEV_HOST: '203.0.113.7',
  DEV_SSH_PRIVATE_KEY: KEY,
  DEV_REGISTRY_PASSWORD: 'registry-pass-1',
  DEV_BASTION_HOST: '203.0.113.8',
  DEV_BASTION_PRIVATE_KEY: KEY,
  DEV_DJANGO_SECRET_KEY: 'django-secret=with=equals',
  DEV_DB_HOST: '10.0.0.5',
  DEV_DB_USER: 'app',
  DEV_DB_PASSWORD: 'db pass with spaces',
  STAGING_HOST: '203.0.113.9',
  STAGING_SSH_PRIVATE_KEY: KEY,
  STAGING_REGISTRY_PASSWORD: 'registry-pass-2',
};
const VARS: Record<string, string> = {
  DEV_SSH_USER: 'deploy',
  DEV_SSH_HOST_KEY: 'host ssh-ed25519 AAAA',
  DEV_BASTION_HOST_KEY: 'bastion ssh-ed25519 AAAA',
  dev_db_name: 'app', // GitHub's names are case-insensitive
  STAGING_SSH_USER: 'deploy',
  STAGING_SSH_HOST_KEY: 'host ssh-ed25519 AAAA',
  STAGING_API_BASE_URL: 'https://uat.example/api',
};

async function audit(inputs: Record<string, string>) {
  const logger = new MemoryLogger();
  const reporter = new MemoryReporter();
  const ok = await runAuditSecrets({
    inputs: (name) => inputs[name] ?? '',
    logger,
    reporter,
    cwd: process.cwd(),
    io: { readFile: (path) => readFileSync(path, 'utf8'), listWorkflows: () => [], env: {} },
  });
  return { ok, logger, reporter };
}

const withStores = (environment: string, secrets = SECRETS, vars = VARS) => ({
  manifest: MANIFEST,
  mode: 'env',
  environment,
  secrets: JSON.stringify(secrets),
  vars: JSON.stringify(vars),
});

describe('audit-secrets with the stores a job sees', () => {
  it('renders the application variables, by the names the app reads, and none of the deploy’s own', async () => {
    const { ok, reporter, logger } = await audit(withStores('dev-backend'));
    expect(ok).toBe(true);
    expect(reporter.outputs.env!.split('\n')).toEqual([
      'DJANGO_SECRET_KEY=django-secret=with=equals',
      'DB_HOST=10.0.0.5',
      'DB_NAME=app',
      'DB_USER=app',
      'DB_PASSWORD=db pass with spaces',
    ]);
    // Every secret value is masked, the built-in token too, and each line of the key.
    for (const value of ['ghs_builtin0000', 'registry-pass-1', 'db pass with spaces', 'AAAAkeyline1xyz'])
      expect(logger.masked).toContain(value);
    expect(logger.masked).not.toContain('https://uat.example/api');
  });

  it('reads a plain variable from vars, under a legacy prefix', async () => {
    const { ok, reporter } = await audit(withStores('uat2'));
    expect(ok).toBe(true);
    expect(reporter.outputs.env).toBe('API_BASE_URL=https://uat.example/api');
  });

  it('fails on a missing secret, names it by its GitHub name, and renders nothing', async () => {
    const secrets = { ...SECRETS };
    delete secrets.DEV_DB_PASSWORD;
    const { ok, reporter } = await audit(withStores('dev-backend', secrets));
    expect(ok).toBe(false);
    expect(reporter.failure).toMatch(/DEV_DB_PASSWORD is not set in the secrets and vars given/);
    expect(reporter.outputs.env).toBeUndefined();
  });

  it('never takes a secret from vars, where it would be printed', async () => {
    const { DEV_DJANGO_SECRET_KEY: secretKey, ...secrets } = SECRETS;
    const { ok, reporter } = await audit(withStores('dev-backend', secrets, { ...VARS, DEV_DJANGO_SECRET_KEY: secretKey! }));
    expect(ok).toBe(false);
    expect(reporter.failure).toMatch(/DEV_DJANGO_SECRET_KEY is not set/);
  });

  it('refuses an application value on several lines, naming the input and the secret', async () => {
    const { ok, reporter } = await audit(withStores('dev-backend', { ...SECRETS, DEV_DB_PASSWORD: 'two\nlines' }));
    expect(ok).toBe(false);
    expect(reporter.failure).toMatch(/Input 'secrets'.*DEV_DB_PASSWORD \(DB_PASSWORD for dev-backend\) spans several lines/);
  });

  it.each([
    [{ secrets: '{"A":' }, /^Input 'secrets': must be a JSON object such as \$\{\{ toJSON\(secrets\) \}\}/],
    [{ vars: '["A"]' }, /^Input 'vars': must be a JSON object .* not an array/],
    [{ secrets: '{"A":1}' }, /^Input 'secrets': A must be a string, not number/],
  ])('names the input of a malformed store: %j', async (bad, message) => {
    const { ok, reporter } = await audit({ ...withStores('dev-backend'), ...bad });
    expect(ok).toBe(false);
    expect(reporter.failure).toMatch(message);
  });

  it('needs the environment the stores are read for', async () => {
    const { ok, reporter } = await audit({ manifest: MANIFEST, mode: 'workflows', secrets: '{}' });
    expect(ok).toBe(false);
    expect(reporter.failure).toMatch(/^Input 'environment': is required with secrets or vars/);
  });
});

describe('workflows mode and toJSON(secrets)', () => {
  const manifest = parseManifest(MANIFEST, readFileSync(MANIFEST, 'utf8'));
  const unused = (workflow: string) =>
    auditWorkflows(manifest, parseWorkflow('w.yml', workflow), false)
      .filter((f) => f.kind === 'not-used-by-workflows')
      .map((f) => f.name);

  it('counts every secret of the job’s environment as used, and no other', () => {
    const job = (environment: string) =>
      `jobs:\n  deploy:\n    environment: ${environment}\n    runs-on: x\n    steps:\n      - with: { secrets: "\${{ toJSON(secrets) }}" }\n`;
    const left = unused(job('dev-frontend'));
    expect(left).not.toContain('DEV_SSH_PRIVATE_KEY');
    expect(left).toContain('DEV_DJANGO_SECRET_KEY');
    expect(unused(job('${{ inputs.environment }}'))).toEqual([]);
    expect(unused(job('dev-frontend').replace('toJSON(secrets)', 'toJSON(vars)'))).toContain('DEV_SSH_PRIVATE_KEY');
  });
});
