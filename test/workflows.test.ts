/**
 * The workflows themselves: valid against the public JSON schemas for workflows and actions
 * (@action-validator/core, SchemaStore's schemas), shaped as the golden pipeline promises, in step with the
 * local pipeline's job graph, and clean under this suite's own heredoc-lint and audit-secrets (dogfooding).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { validateAction, validateWorkflow } from '@action-validator/core';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { PIPELINE_GRAPH } from '../packages/pipeline/graph.ts';

const WORKFLOWS = '.github/workflows';
const workflowFiles = readdirSync(WORKFLOWS).filter((f) => f.endsWith('.yml')).sort();
const actionFiles = readdirSync('actions').filter((a) => existsSync(join('actions', a, 'action.yml'))).map((a) => join('actions', a, 'action.yml'));
const load = (name: string) => parse(readFileSync(join(WORKFLOWS, name), 'utf8')) as Record<string, any>;
const node = process.execPath;

describe('schema validation', () => {
  it.each(workflowFiles)('%s is a valid workflow', (file) => {
    expect(validateWorkflow(readFileSync(join(WORKFLOWS, file), 'utf8')).errors).toEqual([]);
  });

  it.each(actionFiles)('%s is a valid action', (file) => {
    const text = readFileSync(file, 'utf8');
    expect(text).toMatch(/^ {2}using: node24$/m);
    // The schema bundled with @action-validator/core 0.6.0 predates node24 (it knows node12/16/20); every other
    // property is checked as written.
    expect(validateAction(text.replace(/^( {2}using: )node24$/m, '$1node20')).errors).toEqual([]);
  });

  it('catches what is wrong (the check can fail)', () => {
    expect(validateWorkflow('on: push\njobs:\n  a:\n    runs-on: x\n    stepz: []\n').errors).not.toEqual([]);
    expect(validateAction('name: x\ndescription: y\nruns:\n  using: node20\n').errors).not.toEqual([]);
  });
});

describe('reusable-deploy.yml', () => {
  const workflow = load('reusable-deploy.yml');
  const jobs = workflow.jobs as Record<string, any>;
  const needs = (id: string): string[] => [jobs[id].needs ?? []].flat();

  it('is called with workflow_call, with the environments, images and health URLs as inputs', () => {
    expect(Object.keys(workflow.on)).toEqual(['workflow_call']);
    expect(Object.keys(workflow.on.workflow_call.inputs)).toEqual(expect.arrayContaining([
      'backend-environment', 'frontend-environment', 'tag-prefix', 'registry', 'backend-image', 'frontend-image',
      'backend-health-url', 'frontend-health-url', 'frontend-proxy-url',
    ]));
  });

  it('has exactly the local pipeline’s jobs, with the same order between them', () => {
    expect(Object.keys(jobs).sort()).toEqual(PIPELINE_GRAPH.map((j) => j.id).sort());
    // Workflow jobs also list jobs whose outputs they read; the order is the same when those are ancestors anyway.
    const ancestors = (id: string): Set<string> => new Set(needs(id).flatMap((n) => [n, ...ancestors(n)]));
    for (const job of PIPELINE_GRAPH) {
      expect(new Set(job.needs.flatMap((n) => [n, ...ancestors(n)])), job.id).toEqual(ancestors(job.id));
      expect(Boolean(jobs[job.id]['continue-on-error']), `${job.id} continue-on-error`).toBe(Boolean(job.continueOnError));
    }
  });

  it('audits secrets first, makes migrate the sync point, and health-checks after each deploy', () => {
    const graph = Object.fromEntries(PIPELINE_GRAPH.map((j) => [j.id, j]));
    const roots = (id: string): string[] => (graph[id]!.needs.length === 0 ? [id] : graph[id]!.needs.flatMap(roots));
    for (const job of PIPELINE_GRAPH) expect(new Set(roots(job.id)), job.id).toEqual(new Set(['audit-secrets']));
    expect(needs('deploy-frontend')).toEqual(expect.arrayContaining(['migrate', 'test-frontend']));
    expect(needs('health-backend')).toEqual(['deploy-backend']);
    expect(needs('health-frontend')).toEqual(['deploy-frontend']);
    expect(JSON.stringify(jobs['migrate'].steps)).toContain('actions/bastion-migrate@v1');
    expect(JSON.stringify(jobs['deploy-backend'].steps)).toContain('actions/deploy-container@v1');
    expect(jobs['health-frontend'].steps.map((s: any) => s.name)).toEqual(['The container directly', 'Through the proxy']);
  });

  it('scopes secrets to environments and never overlaps two deploys to one environment', () => {
    for (const id of ['migrate', 'deploy-backend']) expect(jobs[id].environment).toBe('${{ inputs.backend-environment }}');
    expect(jobs['deploy-frontend'].environment).toBe('${{ inputs.frontend-environment }}');
    for (const [id, job] of Object.entries(jobs)) {
      if (!job.environment) expect(JSON.stringify(job), `${id} reads environment secrets without an environment`).not.toMatch(/secrets\[fromJSON/);
    }
    expect(workflow.concurrency).toEqual({ group: 'golden-deploy-${{ inputs.backend-environment }}-${{ inputs.frontend-environment }}', 'cancel-in-progress': false });
  });

  it('tags images {env}-{sha}, refuses latest, and deploys with deploy-container’s latest guard left on', () => {
    const tagStep = jobs['audit-secrets'].steps.find((s: any) => s.id === 'tag');
    expect(tagStep.run).toContain('echo "tag=$PREFIX-${GITHUB_SHA::12}"');
    expect(tagStep.run).toContain('[ "$PREFIX" = latest ]');
    expect(readFileSync(join(WORKFLOWS, 'reusable-deploy.yml'), 'utf8')).not.toMatch(/allow-latest|:latest\b/);
  });

  it('skips the steps that need real infrastructure under act', () => {
    for (const id of ['migrate', 'deploy-backend', 'deploy-frontend', 'health-backend', 'health-frontend']) {
      const remote = jobs[id].steps.filter((s: any) => /bastion-migrate|deploy-container|health-check/.test(s.uses ?? ''));
      expect(remote.length, id).toBeGreaterThan(0);
      for (const step of remote) expect(step.if, `${id}: ${step.uses}`).toBe('${{ !env.ACT }}');
    }
  });
});

describe('the other workflows', () => {
  it('main-pipeline deploys on pushes to development, uat and main or by hand, never on pull requests', () => {
    const workflow = load('main-pipeline.yml');
    expect(Object.keys(workflow.on).sort()).toEqual(['push', 'workflow_dispatch']);
    expect(workflow.on.push.branches).toEqual(['development', 'uat', 'main']);
    expect(workflow['run-name']).toMatch(/^🚀 Deploy: \$\{\{/);
    expect(workflow.jobs.deploy.uses).toBe('./.github/workflows/reusable-deploy.yml');
    expect(workflow.jobs.deploy.secrets).toBe('inherit');
  });

  it('main-pipeline routes each branch to the manifest’s environments', () => {
    const script = load('main-pipeline.yml').jobs.route.steps[0].run as string;
    const manifest = JSON.parse(readFileSync('config/env.manifest.json', 'utf8'));
    const output = join(mkdtempSync(join(tmpdir(), 'route-')), 'output');
    const route = (branch: string) => {
      writeFileSync(output, '');
      const result = spawnSync('bash', ['-e', '-c', script], { encoding: 'utf8', env: { PATH: process.env.PATH, BRANCH: branch, CHOSEN: '', GITHUB_OUTPUT: output } });
      expect(result.status).toBe(0);
      return Object.fromEntries(readFileSync(output, 'utf8').trim().split('\n').map((l) => l.split('=')));
    };
    expect(route('main')).toEqual({ 'tag-prefix': 'prod', backend: 'prod2-backend', frontend: 'prod2-frontend' });
    expect(route('uat')).toEqual({ 'tag-prefix': 'uat', backend: 'uat2-backend', frontend: 'uat2' });
    expect(route('development')).toEqual({ 'tag-prefix': 'dev', backend: 'dev-backend', frontend: 'dev-frontend' });
    for (const branch of ['main', 'uat', 'development']) {
      const { backend, frontend } = route(branch);
      expect(manifest.environments[backend].type).toBe('backend');
      expect(manifest.environments[frontend].type).toBe('frontend');
    }
  });

  it('auto-promote opens the promotion PR after a successful deploy: development → uat → main', () => {
    const workflow = load('auto-promote.yml');
    expect(workflow.on.workflow_run).toEqual({ workflows: ['Main pipeline'], types: ['completed'], branches: ['development', 'uat'] });
    expect(workflow.jobs.promote.if).toContain("github.event.workflow_run.conclusion == 'success'");
    const run = workflow.jobs.promote.steps[0].run as string;
    expect(run).toMatch(/development\) to=uat/);
    expect(run).toMatch(/uat\) to=main/);
    expect(run).toMatch(/gh pr edit/);
    expect(run).toMatch(/gh pr create/);
  });

  it('the PR check runs the tests, heredoc-lint and audit-secrets --mode workflows', () => {
    const workflow = load('pr-check.yml');
    expect(workflow['run-name']).toBe('🔍 PR Check: ${{ github.event.pull_request.title }}');
    expect(Object.keys(workflow.on)).toEqual(['pull_request']);
    const text = JSON.stringify(workflow.jobs);
    expect(text).toContain('npm run test:unit');
    expect(text).toContain('./actions/heredoc-lint');
    expect(workflow.jobs['audit-secrets'].steps[1]).toEqual({ uses: './actions/audit-secrets', with: { mode: 'workflows' } });
  });
});

describe('dogfooding', () => {
  it('heredoc-lint passes on this repository’s workflows, actions and scripts', () => {
    const result = spawnSync(node, ['bin/heredoc-lint.cjs', '.github/workflows', 'actions', 'scripts', '.ci'], { encoding: 'utf8' });
    expect(result.stdout).toBe('');
    expect(result.status).toBe(0);
  });

  it('audit-secrets --mode workflows passes on this repository’s workflows, with every manifest secret but the legacy password used', () => {
    const result = spawnSync(node, ['bin/audit-secrets.cjs', '--mode', 'workflows', '--format', 'json'], { encoding: 'utf8' });
    expect(result.status).toBe(0);
    const report = JSON.parse(result.stdout);
    expect(report.ok).toBe(true);
    expect(report.findings.filter((f: any) => f.level !== 'info').map((f: any) => `${f.kind} ${f.name}`)).toEqual(['not-used-by-workflows SSH_PASSWORD']);
  });

  it('.actrc sets ACT for every step, and dist is committed, not ignored (act copies only what git tracks)', () => {
    expect(readFileSync('.actrc', 'utf8')).toMatch(/^--env ACT=true$/m);
    expect(readFileSync('.gitignore', 'utf8')).not.toMatch(/dist/);
    const tracked = spawnSync('git', ['ls-files', 'actions/*/dist/index.cjs'], { encoding: 'utf8' }).stdout.trim().split('\n');
    expect(tracked.length).toBe(actionFiles.length);
  });
});
