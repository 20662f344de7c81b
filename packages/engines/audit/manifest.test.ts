import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { auditEnv, auditGithub, auditWorkflows, buildReport, type Inventory } from './audit.ts';
import { type Manifest, ManifestError, parseManifest } from './load.ts';
import { renderText } from './format.ts';
import { requirements, requirementsOf } from './resolve.ts';
import { parseWorkflow } from './workflows.ts';

const fixture = (name: string) => join(import.meta.dirname, 'fixtures', name);
const load = (path: string) => parseManifest(path, readFileSync(path, 'utf8'));
const problemsOf = (path: string) => {
  try {
    load(path);
  } catch (error) {
    if (error instanceof ManifestError) return error.problems;
    throw error;
  }
  throw new Error(`${path} loaded without problems`);
};
const PROJECT = join(import.meta.dirname, '../../../config/env.manifest.json');

describe('manifest schema and loader', () => {
  it('validates with standalone code generated from the committed schema (not stale)', () => {
    const check = spawnSync(process.execPath, [join(import.meta.dirname, '../../../scripts/generate-manifest-validator.mjs'), '--check'], {
      encoding: 'utf8',
    });
    expect(check.stderr).toBe('');
    expect(check.status).toBe(0);
  });

  it('accepts the version 3.3 format exactly as it is used today', () => {
    const manifest = load(fixture('issue-example.json'));
    expect(requirements(manifest).map((r) => [r.environment, r.name, r.scope, r.required, r.secret])).toEqual([
      ['dev-backend', 'DEV_HOST', 'environment', true, true],
      ['uat2', 'STAGING_HOST', 'environment', true, true],
    ]);
  });

  it('gives malformed JSON one error with its line and column', () => {
    const [problem, ...rest] = problemsOf(fixture('malformed.json'));
    expect(rest).toEqual([]);
    expect(problem!.position).toEqual({ line: 6, column: 3 });
    expect(problem!.message).toMatch(/^malformed JSON: /);
  });

  it('reports every schema violation with its JSON path and line:column', () => {
    const problems = problemsOf(fixture('schema-violations.json'));
    const byPath = Object.fromEntries(problems.map((p) => [p.path, p]));
    expect(Object.keys(byPath).sort()).toEqual(
      [
        '/environments/dev/prefix',
        '/environments/dev/type',
        '/variables/application/GITHUB_TOKEN',
        '/variables/application/DB_HOST/colour',
        '/variables/application/DB_HOST/scope',
        '/version',
      ].sort(),
    );
    expect(byPath['/version']!.position).toEqual({ line: 3, column: 3 });
    expect(byPath['/environments/dev/type']!.message).toMatch(/allowed values \(backend, frontend\)/);
    expect(byPath['/variables/application/DB_HOST/colour']).toMatchObject({
      position: { line: 9, column: 62 },
      message: 'unknown property "colour"',
    });
    expect(byPath['/variables/application/DB_HOST/scope']!.message).toMatch(/environment, repository, organization/);
    // GITHUB_TOKEN is a name GitHub reserves: the property name itself is rejected, at the name.
    expect(byPath['/variables/application/GITHUB_TOKEN']).toMatchObject({
      position: { line: 10, column: 7 },
      message: expect.stringMatching(/^the name "GITHUB_TOKEN" must match pattern/),
    });
    expect(problems).toHaveLength(6);
  });

  it('names an unknown environment in a mapping, with a hint when only the case is wrong', () => {
    const [problem, ...rest] = problemsOf(fixture('unknown-environment.json'));
    expect(rest).toEqual([]);
    expect(problem).toMatchObject({
      path: '/variables/infrastructure/HOST/ci_secret_mapping/Dev-Backend2',
      position: { line: 9, column: 90 },
    });
    expect(problem!.message).toBe('unknown environment "Dev-Backend2"; environments are: dev-backend');
  });

  it('rejects names that differ only in case: environments, variables and mapped secrets', () => {
    const messages = problemsOf(fixture('case-duplicates.json')).map((p) => `${p.path} ${p.position.line}: ${p.message}`);
    expect(messages).toEqual([
      '/environments/DEV 6: environment "DEV" differs from "dev" only in case; GitHub environment names are case-insensitive',
      '/variables/legacy/db_host 11: variable "db_host" differs from "DB_HOST" only in case; GitHub secret and variable names are case-insensitive',
      '/variables/legacy/TOKEN/ci_secret_mapping/DEV 12: secret name "api_token" differs from "API_TOKEN" only in case; GitHub treats them as one secret',
    ]);
  });

  it('the error names the input, the file, line and column, and the path of the first problem', () => {
    expect(() => load(fixture('unknown-environment.json'))).toThrow(
      /^Input 'manifest' \(.*unknown-environment\.json:9:90\): is not a valid manifest: 1 problem\(s\); the first: \/variables\/infrastructure\/HOST\/ci_secret_mapping\/Dev-Backend2: unknown environment/,
    );
  });
});

describe('the project manifest: six environments and their legacy exceptions', () => {
  const manifest = load(PROJECT);
  const names = (environment: string) => requirementsOf(manifest, environment).map((r) => r.name);

  it('lists the six environments with their types and prefixes', () => {
    expect(Object.entries(manifest.data.environments).map(([name, e]) => `${name}:${e.type}:${e.prefix}`)).toEqual([
      'dev-backend:backend:DEV',
      'dev-frontend:frontend:DEV',
      'uat2-backend:backend:UAT',
      'uat2:frontend:STAGING',
      'prod2-backend:backend:PROD',
      'prod2-frontend:frontend:PROD',
    ]);
  });

  it('names secrets <PREFIX>_<VAR> unless a mapping says otherwise', () => {
    expect(names('uat2')).toContain('STAGING_HOST');
    expect(names('uat2-backend')).toEqual(expect.arrayContaining(['UAT_HOST', 'UAT_DB_PASSWORD', 'UAT_BASTION_HOST']));
    expect(names('prod2-frontend')).toContain('PRODUCTION_HOST');
    expect(names('prod2-frontend')).not.toContain('PROD_HOST');
    expect(names('prod2-frontend')).not.toContain('PROD_DB_PASSWORD');
  });

  it('keeps the global SSH_PASSWORD shared by the dev and UAT environments, in repository scope, documented', () => {
    const shared = requirements(manifest).filter((r) => r.variable === 'SSH_PASSWORD');
    expect(shared.map((r) => r.environment)).toEqual(['dev-backend', 'dev-frontend', 'uat2-backend', 'uat2']);
    expect(new Set(shared.map((r) => `${r.name}/${r.scope}/${r.required}/${r.exception?.documented}`))).toEqual(
      new Set(['SSH_PASSWORD/repository/false/true']),
    );
  });
});

// ---------------------------------------------------------------- audits

const manifest: Manifest = parseManifest(
  'm.json',
  JSON.stringify(
    {
      project: 'p',
      version: '3.3',
      environments: { dev: { type: 'backend', prefix: 'DEV' }, web: { type: 'frontend', prefix: 'WEB' } },
      variables: {
        app: {
          DB_HOST: { description: 'd', applies_to: ['backend'] },
          API_URL: { description: 'a', applies_to: ['frontend'], secret: false },
          SSH_PASSWORD: {
            description: 's',
            scope: 'repository',
            required: false,
            ci_secret_mapping: { dev: 'SSH_PASSWORD', web: 'SSH_PASSWORD' },
            exceptions: { dev: 'shared' },
          },
          HOST: { description: 'h', ci_secret_mapping: { web: 'PRODUCTION_HOST' } },
        },
      },
    },
    null,
    2,
  ),
);

describe('env mode', () => {
  it('checks variable names by default and secret names with names: secret, never reading out a value', () => {
    const env = { DB_HOST: 'db.internal', HOST: '' };
    const findings = auditEnv(manifest, 'dev', env, 'variable');
    expect(findings.map((f) => [f.level, f.kind, f.name])).toEqual([['info', 'optional-missing', 'SSH_PASSWORD']]);
    const bySecret = auditEnv(manifest, 'dev', { DEV_DB_HOST: 'x' }, 'secret');
    expect(bySecret.map((f) => [f.level, f.kind, f.name])).toEqual([['info', 'optional-missing', 'SSH_PASSWORD']]);
    const web = auditEnv(manifest, 'web', { HOST: '', PRODUCTION_HOST: 'x' }, 'variable');
    expect(web.map((f) => [f.level, f.kind, f.name])).toEqual([
      ['error', 'missing', 'API_URL'],
      ['info', 'optional-missing', 'SSH_PASSWORD'],
      ['error', 'empty', 'HOST'],
    ]);
    expect(JSON.stringify(findings.concat(bySecret, web))).not.toContain('db.internal');
  });

  it('counts an unset optional name as not present (and not missing)', () => {
    const nothing = buildReport(manifest, ['env'], ['web'], auditEnv(manifest, 'web', {}, 'variable')).environments[0]!;
    expect(nothing.present).toBe(0);
    expect(nothing.present + nothing.missing.length + nothing.optionalMissing.length).toBe(nothing.checked);
    expect(nothing.optionalMissing).toEqual(['SSH_PASSWORD']);
    const required = buildReport(manifest, ['env'], ['dev'], auditEnv(manifest, 'dev', { DB_HOST: 'db.internal' }, 'variable'));
    expect(required.environments[0]).toMatchObject({ checked: 2, present: 1, missing: [], optionalMissing: ['SSH_PASSWORD'] });
    expect(renderText(required)).toContain('dev: 1/2 present, all required present, 1 optional not set');
  });
});

describe('github mode', () => {
  const inventory = (overrides: Partial<Inventory> = {}): Inventory => ({
    environments: new Map([
      ['dev', { secrets: ['dev_db_host', 'OLD_TOKEN'], variables: [] }],
      ['web', { secrets: [], variables: ['WEB_API_URL'] }],
    ]),
    repository: { secrets: ['SSH_PASSWORD', 'PRODUCTION_HOST', 'FORGOTTEN'], variables: [] },
    organization: { secrets: ['DEV_HOST'], variables: [] },
    ...overrides,
  });

  it('finds names case-insensitively, by precedence environment → repository → organization, and reports the rest', () => {
    const findings = auditGithub(manifest, ['dev', 'web'], inventory(), false);
    expect(findings.map((f) => `${f.level} ${f.kind} ${f.environment} ${f.name}`)).toEqual([
      'info exception dev SSH_PASSWORD',
      'warning unused dev OLD_TOKEN',
      'info exception web SSH_PASSWORD',
      'info broader-scope web PRODUCTION_HOST',
      'info exception web PRODUCTION_HOST',
      'warning unused (repository) FORGOTTEN',
    ]);
    const report = buildReport(manifest, ['github'], ['dev', 'web'], findings);
    expect(report.ok).toBe(true);
    expect(report.environments).toEqual([
      { environment: 'dev', checked: 2, present: 2, missing: [], optionalMissing: [], unused: ['OLD_TOKEN'], exceptions: ['SSH_PASSWORD'] },
      {
        environment: 'web',
        checked: 3,
        present: 3,
        missing: [],
        optionalMissing: [],
        unused: [],
        exceptions: ['SSH_PASSWORD', 'PRODUCTION_HOST'],
      },
    ]);
  });

  it('makes missing secrets errors, unused ones errors with fail-on-unused, and notes an environment GitHub lacks', () => {
    const findings = auditGithub(
      manifest,
      ['dev', 'web'],
      inventory({ environments: new Map(), organization: { secrets: [], variables: [] } }),
      true,
    );
    expect(findings.filter((f) => f.level === 'error').map((f) => `${f.kind} ${f.environment} ${f.name}`)).toEqual([
      'missing dev DEV_DB_HOST',
      'missing web WEB_API_URL',
      'unused (repository) FORGOTTEN',
    ]);
    expect(findings.filter((f) => f.kind === 'no-github-environment').map((f) => f.environment)).toEqual(['dev', 'web']);
    expect(buildReport(manifest, ['github'], ['dev', 'web'], findings).ok).toBe(false);
  });
});

describe('workflows mode', () => {
  const workflow = [
    'on: push',
    'jobs:',
    '  deploy-dev:',
    '    environment: dev',
    '    runs-on: ubuntu-latest',
    '    steps:',
    '      - run: echo "${{ secrets.DEV_DB_HOST }} ${{ secrets.WEB_HOST }} ${{ secrets.GITHUB_TOKEN }}"',
    '  deploy-web:',
    '    environment:',
    '      name: ${{ inputs.target }}',
    '    runs-on: ubuntu-latest',
    '    env:',
    "      HOST: ${{ secrets[format('{0}_HOST', inputs.prefix)] }}",
    "      OTHER: ${{ secrets[format('{0}_NOPE', inputs.prefix)] }}",
    '      DYN: ${{ secrets[inputs.name] }}',
    '    steps:',
    "      - run: echo ${{ secrets['SSH_PASSWORD'] }}",
    '  stray:',
    '    environment: staging',
    '    runs-on: ubuntu-latest',
    '    steps: [{ run: "echo ${{ secrets.X }}" }]',
    '',
  ].join('\n');

  it('reads each job’s environment and every secret reference with its position', () => {
    const jobs = parseWorkflow('w.yml', workflow);
    expect(jobs.map((j) => [j.id, j.environment?.name, j.environment?.dynamic])).toEqual([
      ['deploy-dev', 'dev', false],
      ['deploy-web', '${{ inputs.target }}', true],
      ['stray', 'staging', false],
    ]);
    const lines = workflow.split('\n');
    expect(jobs[0]!.secrets.map((s) => (s.kind === 'name' ? `${s.name}@${s.position.line}:${s.position.column}` : s.kind))).toEqual([
      'DEV_DB_HOST@7:24',
      'WEB_HOST@7:51',
      'GITHUB_TOKEN@7:75',
    ]);
    for (const s of jobs.flatMap((j) => j.secrets)) expect(lines[s.position.line - 1]!.slice(s.position.column - 1)).toMatch(/^secrets\b/);
    expect(jobs[1]!.secrets.map((s) => s.kind)).toEqual(['pattern', 'pattern', 'opaque', 'name']);
  });

  it('reports secrets a job uses that its environment does not define, and manifest secrets no job uses', () => {
    const findings = auditWorkflows(manifest, parseWorkflow('w.yml', workflow), false);
    expect(findings.map((f) => `${f.level} ${f.kind} ${f.name} ${f.file}:${f.position.line}`)).toEqual([
      'error undefined-secret WEB_HOST w.yml:7',
      "error undefined-secret format('{0}_NOPE', inputs.prefix) w.yml:14",
      'info unresolved-reference inputs.name w.yml:15',
      'warning unknown-environment staging w.yml:19',
    ]);
    expect(findings[0]!.message).toBe('job deploy-dev uses secrets.WEB_HOST, which the manifest does not define for dev');
  });

  it('resolves secrets[fromJSON(names).VARIABLE] through the manifest, and ignores tooling secrets of jobs without an environment', () => {
    const text = [
      'on: push',
      'jobs:',
      '  audit:',
      '    runs-on: x',
      '    steps: [{ run: "echo ${{ secrets.AUDIT_TOKEN }} ${{ secrets.DEV_DB_HOST }}" }]',
      '  deploy:',
      '    needs: audit',
      '    environment: web',
      '    runs-on: x',
      '    env:',
      '      HOST: ${{ secrets[fromJSON(needs.audit.outputs.names).HOST] }}',
      "      PW: ${{ secrets[fromJSON(needs.audit.outputs.names)['SSH_PASSWORD'] ] }}",
      '      DB: ${{ secrets[fromJSON(needs.audit.outputs.names).DB_HOST] }}',
      '      OUT: ${{ needs.audit-secrets.outputs.names }}',
      '    steps: [{ run: "true" }]',
      '',
    ].join('\n');
    const jobs = parseWorkflow('w.yml', text);
    expect(jobs[1]!.secrets.map((r) => (r.kind === 'variable' ? r.variable : r.kind))).toEqual(['HOST', 'SSH_PASSWORD', 'DB_HOST']);
    const findings = auditWorkflows(manifest, jobs, false);
    expect(findings.map((f) => `${f.level} ${f.kind} ${f.name}`)).toEqual(['error undefined-secret DB_HOST']);
    expect(findings[0]!.message).toBe(
      "job deploy uses the manifest's secret for DB_HOST (secrets[fromJSON(needs.audit.outputs.names).DB_HOST]), but the manifest defines no secret DB_HOST for web",
    );
  });

  it('reports each manifest secret no workflow uses once, at its manifest line; errors with fail-on-unused', () => {
    const findings = auditWorkflows(manifest, [], true);
    const text = JSON.stringify(JSON.parse(JSON.stringify(manifest.data)), null, 2).split('\n');
    expect(findings.map((f) => `${f.level} ${f.kind} ${f.name} ${f.environment} → ${text[f.position.line - 1]!.trim()}`)).toEqual([
      'error not-used-by-workflows DEV_DB_HOST dev → "DB_HOST": {',
      'error not-used-by-workflows SSH_PASSWORD dev, web → "dev": "SSH_PASSWORD",',
      'error not-used-by-workflows PRODUCTION_HOST web → "web": "PRODUCTION_HOST"',
    ]);
  });
});
