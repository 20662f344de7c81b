/**
 * audit-secrets' committed bundle, run the way the runner runs it, and its `audit-secrets` bin. GitHub itself
 * is the local stub in support/github-stub.ts, whose every response must match GitHub's OpenAPI description.
 */
import type { AuditReport } from '#audit/audit';
import { spawn, spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runAction, secretLeaks, type StepRun } from '#runner/index';
import { conformance, type GitHubState, type GitHubStub, startGitHubStub } from './support/github-stub.ts';

const ACTION = resolve('actions/audit-secrets');
const BIN = resolve('packages/cli/bin/audit-secrets.cjs');
const MANIFEST = resolve('config/env.manifest.json');
const TOKEN = 'github_pat_11AUDIT0token0for0tests';

type Report = AuditReport;
const reportOf = (run: StepRun) => JSON.parse(run.outputs.report!) as Report;
const failure = (run: StepRun) =>
  run.commands
    .filter((c) => c.command === 'error' && !c.properties.file)
    .map((c) => c.message)
    .join('\n');

/** Every name the project manifest requires, per environment, as GitHub would hold them in environment scope. */
function fullInventory(): Partial<GitHubState> {
  const manifest = JSON.parse(readFileSync(MANIFEST, 'utf8'));
  const environments: GitHubState['environments'] = {};
  for (const [name, env] of Object.entries<{ type: string; prefix: string }>(manifest.environments)) {
    environments[name] = { secrets: [], variables: {} };
    for (const group of Object.values<Record<string, any>>(manifest.variables)) {
      for (const [variable, spec] of Object.entries<any>(group)) {
        const applies = spec.applies_to
          ? spec.applies_to.includes(env.type)
          : spec.ci_secret_mapping
            ? name in spec.ci_secret_mapping
            : true;
        if (!applies || spec.scope === 'repository') continue;
        const secretName: string = spec.ci_secret_mapping?.[name] ?? `${env.prefix}_${variable}`;
        if (spec.secret === false) environments[name]!.variables[secretName] = 'plain';
        else environments[name]!.secrets.push(secretName);
      }
    }
  }
  return { environments, repoSecrets: ['SSH_PASSWORD'], token: TOKEN };
}

let workspace: string;
let stub: GitHubStub | undefined;
const roots: string[] = [];
beforeEach(() => {
  workspace = mkdtempSync(join(tmpdir(), 'audit-ws-'));
  roots.push(workspace);
  mkdirSync(join(workspace, 'config'));
  cpSync(MANIFEST, join(workspace, 'config/env.manifest.json'));
});
afterEach(async () => {
  if (stub) expect(stub.violations, "every stub response matches GitHub's OpenAPI description").toEqual([]);
  await stub?.close();
  stub = undefined;
});
afterAll(() => {
  for (const root of roots) rmSync(root, { recursive: true, force: true });
});

const github = async (state: Partial<GitHubState>, inputs: Record<string, string> = {}) => {
  stub = await startGitHubStub(state);
  const { main } = await runAction(ACTION, {
    cwd: workspace,
    inputs: { mode: 'github', token: TOKEN, repository: 'acme/meats', 'api-url': stub.url, ...inputs },
  });
  expect(secretLeaks(main, TOKEN), 'the token never shows').toEqual([]);
  return main;
};

describe('the GitHub API contract', () => {
  it('accepts what GitHub documents and rejects what it does not (the check can fail)', () => {
    const ok = { total_count: 1, secrets: [{ name: 'A', created_at: '2026-01-01T00:00:00Z', updated_at: '2026-01-01T00:00:00Z' }] };
    expect(conformance('/repos/o/r/actions/secrets', 200, ok)).toEqual([]);
    expect(conformance('/repos/o/r/actions/secrets', 200, { total_count: 1, secrets: [{ name: 'A' }] }).join()).toMatch(
      /must have required property 'created_at'/,
    );
    expect(conformance('/repos/o/r/environments/e/variables', 200, { total_count: '1', variables: [] }).join()).toMatch(
      /total_count must be integer/,
    );
    expect(conformance('/repos/o/r/actions/secrets', 403, { message: 'Forbidden' })).toEqual([]);
    expect(conformance('/repos/o/r/actions/secrets', 403, { message: 403 }).join()).toMatch(/\/message must be string/);
  });
});

describe('github mode (bundle against the OpenAPI-checked stub)', () => {
  it('passes when every environment has its secrets, paginating at 100 a page', async () => {
    const state = fullInventory();
    state.repoSecrets = ['SSH_PASSWORD', ...Array.from({ length: 249 }, (_, i) => `LEGACY_${i}`)];
    const main = await github(state);
    expect(main.exitCode).toBe(0);
    const report = reportOf(main);
    expect(report.ok).toBe(true);
    expect(report.environments.map((e) => [e.environment, e.present, e.checked, e.missing])).toEqual([
      ['dev-backend', 14, 14, []],
      ['dev-frontend', 7, 7, []],
      ['uat2-backend', 14, 14, []],
      ['uat2', 7, 7, []],
      ['prod2-backend', 13, 13, []],
      ['prod2-frontend', 6, 6, []],
    ]);
    expect(main.outputs).toMatchObject({ missing: '0', unused: '249' });
    const repoPages = stub!.requests.filter((r) => r.includes('/actions/secrets?'));
    // Octokit asks for the first page without a number, then follows the Link header's rel="next".
    expect(repoPages).toEqual(['', '&page=2', '&page=3'].map((page) => `GET /repos/acme/meats/actions/secrets?per_page=100${page}`));
    expect(report.environments.find((e) => e.environment === 'prod2-frontend')!.exceptions).toEqual(['PRODUCTION_HOST']);
    expect(main.outputs.names, 'names are published only for a single environment').toBeUndefined();
    expect(main.summary).toContain('| ✅ `uat2` | 7/7 |');
  });

  it('reports a missing secret as an error annotated at its manifest line, and an unused one as a warning', async () => {
    const state = fullInventory();
    state.environments!['uat2-backend']!.secrets = state.environments!['uat2-backend']!.secrets.filter((s) => s !== 'UAT_DB_PASSWORD');
    state.environments!['uat2-backend']!.secrets.push('UAT_OLD_API_KEY');
    const main = await github(state);
    expect(main.exitCode).toBe(1);
    const manifestLines = readFileSync(MANIFEST, 'utf8').split('\n');
    const missing = main.commands.find((c) => c.command === 'error' && c.properties.title === 'audit-secrets missing')!;
    expect(missing.message).toBe(
      'secret UAT_DB_PASSWORD (DB_PASSWORD) is missing for uat2-backend: not in the environment, the repository or the organization',
    );
    expect(manifestLines[Number(missing.properties.line) - 1]).toContain('"DB_PASSWORD"');
    expect(main.commands.find((c) => c.command === 'warning')!.message).toContain(
      'UAT_OLD_API_KEY is set in environment uat2-backend but the manifest does not use it',
    );
    expect(main.outputs).toMatchObject({ missing: '1', unused: '1' });
    expect(failure(main)).toMatch(/audit-secrets found 1 problem\(s\); the first: secret UAT_DB_PASSWORD/);
    const failOnUnused = await github(state, { 'fail-on-unused': 'true' });
    expect(
      reportOf(failOnUnused)
        .findings.filter((f) => f.level === 'error')
        .map((f) => f.kind),
    ).toEqual(['missing', 'unused']);
  });

  it('takes environment, then repository, then organization secrets; honours selected visibility', async () => {
    const state = fullInventory();
    const prodFrontend = state.environments!['prod2-frontend']!;
    prodFrontend.secrets = prodFrontend.secrets.filter(
      (s) => s !== 'PRODUCTION_HOST' && s !== 'PROD_REGISTRY_PASSWORD' && s !== 'PROD_SSH_PRIVATE_KEY',
    );
    state.orgSecrets = [
      { name: 'PRODUCTION_HOST', visibility: 'all' },
      { name: 'PROD_REGISTRY_PASSWORD', visibility: 'selected', selected: ['acme/meats', 'acme/other'] },
      { name: 'PROD_SSH_PRIVATE_KEY', visibility: 'selected', selected: ['acme/other'] },
    ];
    const main = await github(state, { environment: 'prod2-frontend' });
    const report = reportOf(main);
    expect(report.environments.map((e) => e.environment)).toEqual(['prod2-frontend']);
    expect(report.environments[0]!.missing).toEqual(['PROD_SSH_PRIVATE_KEY']);
    expect(JSON.parse(main.outputs.names!)).toEqual({
      HOST: 'PRODUCTION_HOST',
      SSH_USER: 'PROD_SSH_USER',
      SSH_PRIVATE_KEY: 'PROD_SSH_PRIVATE_KEY',
      SSH_HOST_KEY: 'PROD_SSH_HOST_KEY',
      REGISTRY_PASSWORD: 'PROD_REGISTRY_PASSWORD',
      API_BASE_URL: 'PROD_API_BASE_URL',
    });
    expect(report.findings.filter((f) => f.kind === 'broader-scope').map((f) => f.name)).toEqual([
      'PRODUCTION_HOST',
      'PROD_REGISTRY_PASSWORD',
    ]);
    expect(main.exitCode).toBe(1);
  });

  it('says which fine-grained permissions a 403 needs, and changes nothing', async () => {
    const main = await github({ ...fullInventory(), forbidden: ['/actions/secrets'] });
    expect(main.exitCode).toBe(1);
    expect(failure(main)).toMatch(
      /GitHub refused \/repos\/acme\/meats\/actions\/secrets \(403\) \("Resource not accessible by personal access token"\)\. Reading secrets needs a token that can read them, which GITHUB_TOKEN cannot: use a fine-grained token with Secrets: read/,
    );
    expect(stub!.requests.every((r) => r.startsWith('GET '))).toBe(true);
  });

  it('treats a 404 environment as absent in GitHub: an info note, and its environment secrets missing', async () => {
    const state = fullInventory();
    delete state.environments!['dev-frontend'];
    const main = await github(state, { environment: 'dev-frontend' });
    const report = reportOf(main);
    expect(report.findings.find((f) => f.kind === 'no-github-environment')!.message).toMatch(
      /GitHub has no environment dev-frontend .*Environments: read/,
    );
    expect(report.environments[0]!.missing).toEqual([
      'DEV_HOST',
      'DEV_SSH_USER',
      'DEV_SSH_PRIVATE_KEY',
      'DEV_SSH_HOST_KEY',
      'DEV_REGISTRY_PASSWORD',
      'DEV_API_BASE_URL',
    ]);
    expect(main.exitCode).toBe(1);
  });

  it('waits out a secondary limit (429, retry-after) and the primary one (403, x-ratelimit-reset), and gives up past rate-limit-wait', async () => {
    const after429 = await github({ ...fullInventory(), rateLimit: { style: '429', requests: 1, seconds: 1 } }, { environment: 'uat2' });
    expect(after429.exitCode).toBe(0);
    expect(after429.stdout).toMatch(/GitHub secondary rate limit reached; waiting 1 s before retrying \/repos\/acme\/meats\//);
    await stub!.close();
    stub = undefined;
    const after403 = await github({ ...fullInventory(), rateLimit: { style: '403', requests: 1, seconds: 1 } }, { environment: 'uat2' });
    expect(after403.exitCode).toBe(0);
    expect(after403.stdout).toMatch(/GitHub primary rate limit reached; waiting [1-3] s/);
    await stub!.close();
    stub = undefined;
    const tooLong = await github(
      { ...fullInventory(), rateLimit: { style: '403', requests: 5, seconds: 3600 } },
      { environment: 'uat2', 'rate-limit-wait': '10s' },
    );
    expect(tooLong.exitCode).toBe(1);
    expect(failure(tooLong)).toMatch(/rate limit is exhausted for this token until \d{4}-\d\d-\d\dT.* more than the 10 s this step waits/);
  }, 60_000);

  it("retries a 5xx as Octokit's retry plugin does, and stops retrying a limit that does not lift after 3 waits", async () => {
    const after502 = await github({ ...fullInventory(), rateLimit: { style: '502', requests: 1, seconds: 0 } }, { environment: 'uat2' });
    expect(after502.exitCode).toBe(0);
    // The request that met the 502 was sent again, once.
    expect(stub!.requests.filter((request) => request === stub!.requests[0])).toHaveLength(2);
    await stub!.close();
    stub = undefined;
    const stuck = await github({ ...fullInventory(), rateLimit: { style: '429', requests: 100, seconds: 1 } }, { environment: 'uat2' });
    expect(stuck.exitCode).toBe(1);
    expect(stuck.stdout.match(/GitHub secondary rate limit reached; waiting 1 s before retrying/g)?.length).toBeGreaterThanOrEqual(3);
    expect(failure(stuck)).toMatch(/rate limit is exhausted for this token until .*\(1 s, still limited after 3 waits\)/);
  }, 60_000);

  it('works against GitHub Enterprise Server through api-url', async () => {
    const main = await github({ ...fullInventory(), prefix: '/api/v3' }, { environment: 'dev-backend' });
    expect(stub!.url).toMatch(/\/api\/v3$/);
    expect(main.exitCode).toBe(0);
    expect(stub!.requests[0]).toMatch(/^GET \/api\/v3\/repos\/acme\/meats\//);
  });

  it('names the input when the token, repository or api-url is bad, before any request', async () => {
    stub = await startGitHubStub(fullInventory());
    const cases: [Record<string, string>, RegExp][] = [
      [{ token: '' }, /Input 'token': is required for github mode/],
      [{ repository: 'not a repo' }, /Input 'repository': must be OWNER\/REPO/],
      [{ 'api-url': 'ftp://x' }, /Input 'api-url': must be an http\(s\) URL/],
      [{ mode: 'github,vault' }, /Input 'mode': expected one or several of github, env, workflows, got 'vault'/],
      [{ 'rate-limit-wait': 'soon' }, /Input 'rate-limit-wait'/],
    ];
    for (const [inputs, message] of cases) {
      const { main } = await runAction(ACTION, {
        cwd: workspace,
        inputs: { mode: 'github', token: TOKEN, repository: 'acme/meats', 'api-url': stub.url, ...inputs },
      });
      expect(main.exitCode, JSON.stringify(inputs)).toBe(1);
      expect(failure(main)).toMatch(message);
    }
    expect(stub.requests).toEqual([]);
  });
});

describe('env mode (bundle)', () => {
  const VALUES: Record<string, string> = {
    HOST: '10.231.9.9',
    SSH_USER: 'deploy',
    SSH_PRIVATE_KEY: '-----BEGIN KEY-----\nc2VjcmV0LWtleS1saW5l\n-----END KEY-----',
    SSH_HOST_KEY: 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHostKeyValue',
    BASTION_HOST: 'bastion.internal.example',
    BASTION_HOST_KEY: 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBastionKey',
    BASTION_PRIVATE_KEY: 'bastion-private-key-value-7731',
    REGISTRY_PASSWORD: 'registry-pw-55d1e',
    DJANGO_SECRET_KEY: 'django-insecure-9f8e7d6c5b4a',
    DB_HOST: 'db.internal.example',
    DB_NAME: 'meats',
    DB_USER: 'meats_app',
    DB_PASSWORD: 'pg-pass-w0rd-31337',
  };

  it('passes when every variable is set, and never prints a value anywhere', async () => {
    const { main } = await runAction(ACTION, { cwd: workspace, inputs: { mode: 'env', environment: 'dev-backend' }, env: VALUES });
    expect(main.exitCode).toBe(0);
    // 13 set; the 14th is optional and unset, so it is neither present nor missing.
    expect(reportOf(main).environments).toEqual([
      { environment: 'dev-backend', checked: 14, present: 13, missing: [], optionalMissing: ['SSH_PASSWORD'], unused: [], exceptions: [] },
    ]);
    expect(main.stdout).toContain('dev-backend: 13/14 present');
    assertNoValueLeaks(main);
  });

  it('with nothing set, counts nothing as present', async () => {
    const { main } = await runAction(ACTION, { cwd: workspace, inputs: { mode: 'env', environment: 'dev-backend' }, env: {} });
    expect(main.exitCode).toBe(1);
    const [summary] = reportOf(main).environments;
    expect(summary).toMatchObject({ checked: 14, present: 0, optionalMissing: ['SSH_PASSWORD'] });
    expect(summary!.missing).toHaveLength(13);
    expect(main.stdout).toContain('dev-backend: 0/14 present');
  });

  it('fails naming each missing or empty variable, still without printing any value', async () => {
    const env = { ...VALUES, DB_PASSWORD: '', DJANGO_SECRET_KEY: undefined as unknown as string };
    delete (env as Record<string, string | undefined>).DJANGO_SECRET_KEY;
    const { main } = await runAction(ACTION, { cwd: workspace, inputs: { mode: 'env', environment: 'DEV-BACKEND' }, env });
    expect(main.exitCode).toBe(1);
    const report = reportOf(main);
    expect(report.environments[0]!.missing).toEqual(['DJANGO_SECRET_KEY', 'DB_PASSWORD']);
    expect(report.findings.filter((f) => f.level === 'error').map((f) => f.message)).toEqual([
      "DJANGO_SECRET_KEY is not set in this step's environment (secret DEV_DJANGO_SECRET_KEY (DJANGO_SECRET_KEY) for dev-backend)",
      "DB_PASSWORD is set but empty in this step's environment (secret DEV_DB_PASSWORD (DB_PASSWORD) for dev-backend)",
    ]);
    assertNoValueLeaks(main);
  });

  it('checks secret names with names: secret', async () => {
    const bySecretName = Object.fromEntries(Object.entries(VALUES).map(([k, v]) => [k === 'HOST' ? 'PRODUCTION_HOST' : `PROD_${k}`, v]));
    const { main } = await runAction(ACTION, {
      cwd: workspace,
      inputs: { mode: 'env', environment: 'prod2-frontend', names: 'secret' },
      env: bySecretName,
    });
    expect(reportOf(main).environments[0]!.missing).toEqual(['PROD_API_BASE_URL']);
    assertNoValueLeaks(main);
  });

  it('names the environment input when it is missing or unknown', async () => {
    const none = await runAction(ACTION, { cwd: workspace, inputs: { mode: 'env' } });
    expect(failure(none.main)).toMatch(/^Input 'environment': env mode checks one environment: name it \(dev-backend, /);
    const unknown = await runAction(ACTION, { cwd: workspace, inputs: { mode: 'env', environment: 'qa' } });
    expect(failure(unknown.main)).toMatch(/^Input 'environment': "qa" is not an environment of config\/env\.manifest\.json/);
  });

  function assertNoValueLeaks(run: StepRun): void {
    for (const value of Object.values(VALUES).flatMap((v) => v.split('\n'))) {
      if (value.length < 6) continue; // 'meats' and 'deploy' are words the report uses for other reasons.
      for (const [where, text] of Object.entries({
        stdout: run.stdout,
        stderr: run.stderr,
        summary: run.summary,
        outputs: JSON.stringify(run.outputs),
      })) {
        expect(text.includes(value), `${value} in ${where}`).toBe(false);
      }
    }
  }
});

describe('workflows mode and the manifest (bundle)', () => {
  it('annotates a secret a job uses that its environment does not define, at the workflow line', async () => {
    mkdirSync(join(workspace, '.github/workflows'), { recursive: true });
    writeFileSync(
      join(workspace, '.github/workflows/deploy.yml'),
      [
        'on: push',
        'jobs:',
        '  deploy:',
        '    environment: uat2',
        '    runs-on: ubuntu-latest',
        '    steps:',
        '      - run: ./deploy.sh',
        '        env:',
        '          HOST: ${{ secrets.UAT_HOST }}',
        '',
      ].join('\n'),
    );
    const { main } = await runAction(ACTION, { cwd: workspace });
    expect(main.exitCode).toBe(1);
    const error = main.commands.find((c) => c.command === 'error' && c.properties.file === '.github/workflows/deploy.yml')!;
    expect(error.properties).toMatchObject({ line: '9', col: '21' });
    expect(error.message).toBe(
      'job deploy uses secrets.UAT_HOST, which the manifest does not define for uat2 (it is defined for uat2-backend)',
    );
  });

  it('names workflows-dir when it cannot be read, and the workflow line when a workflow does not parse', async () => {
    const missing = await runAction(ACTION, { cwd: workspace, inputs: { 'workflows-dir': 'no/such/dir' } });
    expect(failure(missing.main)).toMatch(/^Input 'workflows-dir': cannot read no\/such\/dir: /);
    mkdirSync(join(workspace, '.github/workflows'), { recursive: true });
    writeFileSync(join(workspace, '.github/workflows/broken.yml'), 'jobs:\n  a: [unclosed\n');
    const broken = await runAction(ACTION, { cwd: workspace });
    expect(failure(broken.main)).toMatch(/^Input 'workflows-dir' \(\.github\/workflows\/broken\.yml:\d+:\d+\): invalid YAML: /);
  });

  it('fails on an invalid manifest with every problem annotated at its line and column', async () => {
    writeFileSync(
      join(workspace, 'config/env.manifest.json'),
      readFileSync(resolve('packages/engines/audit/fixtures/schema-violations.json')),
    );
    const { main } = await runAction(ACTION, { cwd: workspace });
    expect(main.exitCode).toBe(1);
    const problems = main.commands.filter((c) => c.properties.title === 'audit-secrets invalid manifest');
    expect(problems.length).toBe(6);
    expect(problems.find((p) => p.message.startsWith('/version'))!.properties).toMatchObject({
      file: 'config/env.manifest.json',
      line: '3',
      col: '3',
    });
    expect(failure(main)).toMatch(
      /^Input 'manifest' \(config\/env\.manifest\.json:\d+:\d+\): is not a valid manifest: 6 problem\(s\); the first: /,
    );
  });
});

describe('audit-secrets command (package bin)', () => {
  const cli = (args: string[], env: Record<string, string> = {}) =>
    spawnSync(process.execPath, [BIN, ...args], { cwd: workspace, encoding: 'utf8', env: { PATH: process.env.PATH, ...env } });

  it('exits 0 when all present, 1 when something is missing, 2 for a usage error or an invalid manifest', () => {
    const env = {
      DB_HOST: 'a',
      DB_NAME: 'b',
      DB_USER: 'c',
      DB_PASSWORD: 'd',
      DJANGO_SECRET_KEY: 'e',
      HOST: 'f',
      SSH_USER: 'g',
      SSH_PRIVATE_KEY: 'h',
      SSH_HOST_KEY: 'i',
      BASTION_HOST: 'j',
      BASTION_HOST_KEY: 'k',
      BASTION_PRIVATE_KEY: 'l',
      REGISTRY_PASSWORD: 'm',
    };
    expect(cli(['--mode', 'env', '--environment', 'dev-backend'], env).status).toBe(0);
    const missing = cli(['--mode', 'env', '--environment', 'dev-backend', '--format', 'json'], { ...env, DB_PASSWORD: '' });
    expect(missing.status).toBe(1);
    expect(JSON.parse(missing.stdout).environments[0].missing).toEqual(['DB_PASSWORD']);
    expect(cli(['--mode', 'vault']).status).toBe(2);
    expect(cli([]).stderr).toBe('audit-secrets: --mode is required (audit-secrets --help for usage)\n');
    expect(cli(['--version'])).toMatchObject({
      status: 0,
      stdout: `audit-secrets ${JSON.parse(readFileSync('package.json', 'utf8')).version}\n`,
    });
    const noDirectory = cli(['--mode', 'workflows', '--workflows-dir', 'no/such/dir']);
    expect([noDirectory.status, noDirectory.stderr]).toEqual([2, 'audit-secrets: cannot read no/such/dir: no such directory\n']);
    writeFileSync(join(workspace, 'broken.json'), '{ "project": ');
    const broken = cli(['--manifest', 'broken.json', '--mode', 'workflows']);
    expect(broken.status).toBe(2);
    expect(broken.stderr).toMatch(/^broken\.json:1:14 \(root\): malformed JSON: /);
  });

  it('runs github mode from the command line with the token from the environment', async () => {
    stub = await startGitHubStub(fullInventory());
    const result = await new Promise<{ status: number | null; stdout: string }>((done) => {
      const child = spawn(
        process.execPath,
        [BIN, '--mode', 'github', '--repository', 'acme/meats', '--api-url', stub!.url, '--environment', 'uat2'],
        { cwd: workspace, env: { PATH: process.env.PATH, GITHUB_TOKEN: TOKEN } },
      );
      let stdout = '';
      child.stdout.on('data', (d: Buffer) => {
        stdout += d;
      });
      child.on('close', (status: number | null) => done({ status, stdout }));
    });
    expect(result.stdout).toContain('uat2: 7/7 present, all present');
    expect(result.status).toBe(0);
    expect(cli(['--mode', 'github', '--repository', 'acme/meats']).stderr).toContain('reads the token from GITHUB_TOKEN or GH_TOKEN');
  });
});
