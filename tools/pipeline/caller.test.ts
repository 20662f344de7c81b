import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { MIGRATE_COMMANDS, testArgv } from '../../scripts/pipeline-jobs.ts';
import { evaluate, pipelineCall, readCaller, readWorkflowInputs, REUSABLE_WORKFLOW } from './caller.ts';

const WORKFLOW_TEXT = readFileSync(REUSABLE_WORKFLOW, 'utf8');
const WORKFLOW = readWorkflowInputs(WORKFLOW_TEXT);
const CONTEXTS = { vars: { PUBLIC_URL: 'http://127.0.0.1:8088', BUSYBOX_IMAGE: 'lab/busybox:1' }, github: { repository_owner: 'local' } };

const caller = (withLines: string) =>
  `on: push\njobs:\n  route:\n    runs-on: ubuntu-latest\n    steps: [{ run: 'true' }]\n  deploy:\n    uses: acme/pipeline/.github/workflows/reusable-deploy.yml@v1\n    with:\n${withLines}`;
const MINIMAL =
  '      tag-prefix: dev\n      registry: ghcr.io/${{ github.repository_owner }}\n      backend-environment: dev\n      backend-image: a/api\n      backend-container: api\n      backend-ports: 127.0.0.1:3000:3000\n      backend-container-health-url: http://127.0.0.1:3000/ready\n';

const FRONTEND_LANE = {
  'frontend-environment': 'web',
  'frontend-image': 'i',
  'frontend-container': 'c',
  'frontend-ports': 'p',
  'frontend-container-health-url': 'u',
};

describe('a caller of the reusable workflow, read for the local pipeline', () => {
  it('takes the reusable workflow’s own defaults and the caller’s values, expressions evaluated', () => {
    const inputs = readCaller(
      'deploy.yml',
      caller(`${MINIMAL}      backend-health-url: \${{ vars.PUBLIC_URL }}/ready\n`),
      WORKFLOW,
      CONTEXTS,
    );
    expect(inputs).toMatchObject({
      registry: 'ghcr.io/local',
      'backend-health-url': 'http://127.0.0.1:8088/ready',
      'backend-context': '.',
      'proxy-image': 'haproxy:2.8',
      manifest: 'config/env.manifest.json',
      'frontend-environment': '',
    });
    const call = pipelineCall(inputs, 'deploy.yml');
    expect(call.frontend).toBeUndefined();
    expect(call.migrate).toBeUndefined();
    expect(call.backend).toMatchObject({
      environment: 'dev',
      container: 'api',
      healthUrls: ['http://127.0.0.1:8088/ready'],
      buildArgs: [],
    });
  });

  it('reads both examples, each as the lanes it runs', () => {
    const read = (app: string) =>
      pipelineCall(
        readCaller(app, readFileSync(`examples/${app}/deploy.yml`, 'utf8'), WORKFLOW, {
          ...CONTEXTS,
          vars: { ...CONTEXTS.vars, PYTHON_IMAGE: 'p', NGINX_IMAGE: 'n', STATUS_URL: 'http://s' },
        }),
        app,
      );
    const golden = read('golden');
    expect([golden.backend?.container, golden.frontend?.container]).toEqual(['golden-backend', 'golden-frontend']);
    expect(golden.migrate).toEqual({
      command: 'python3 manage.py migrate --noinput',
      checkCommand: 'python3 manage.py makemigrations --check --dry-run',
    });
    const status = read('status');
    expect(status).toMatchObject({ manifest: 'examples/status/env.manifest.json', frontend: undefined, migrate: undefined });
    expect(status.backend).toMatchObject({
      testCommand: 'sh /srv/test.sh',
      healthUrls: ['http://s/cgi-bin/status'],
      buildArgs: ['BASE_IMAGE=lab/busybox:1'],
    });
  });

  it.each([
    [
      `${MINIMAL}      backend-port: 3000\n`,
      /^deploy\.yml:16:7: backend-port is not an input of \.github\/workflows\/reusable-deploy\.yml$/,
    ],
    ['      registry: r\n', /^deploy\.yml:6:3: job deploy does not pass tag-prefix, which .* requires$/],
    [
      `${MINIMAL}      backend-health-url: \${{ secrets.URL }}\n`,
      /^deploy\.yml:16:27: backend-health-url: the lab evaluates only vars\.NAME and github\.NAME, not \$\{\{ secrets\.URL \}\}$/,
    ],
    [`${MINIMAL}      backend-health-url: \${{ vars.NOPE }}\n`, /backend-health-url: vars\.NOPE has no value in the lab$/],
    [`${MINIMAL}      backend-health-url:\n        - 1\n`, /^deploy\.yml:16:7: backend-health-url must be a string, number or boolean$/],
    [`${MINIMAL}      backend-ports: 1\n`, /^deploy\.yml:16:7: invalid YAML: Map keys must be unique/],
  ])('refuses what GitHub or the lab would, at its line and column (%#)', (withLines, message) => {
    expect(() => readCaller('deploy.yml', caller(withLines), WORKFLOW, CONTEXTS)).toThrow(message);
  });

  it('refuses a file with no call, or two', () => {
    expect(() => readCaller('d.yml', 'on: push\njobs: {}\n', WORKFLOW, CONTEXTS)).toThrow(/expected one job that calls .*, found 0/);
    const twice = `${caller(MINIMAL)}  again:\n    uses: ./.github/workflows/reusable-deploy.yml\n`;
    expect(() => readCaller('d.yml', twice, WORKFLOW, CONTEXTS)).toThrow(/found 2/);
  });

  it.each([
    [{ 'backend-environment': 'dev' }, 'backend-environment is set: backend-image is required'],
    [{ ...FRONTEND_LANE, 'frontend-container-health-url': '' }, 'frontend-container-health-url is required'],
    [{}, 'there is no lane to run'],
    [{ ...FRONTEND_LANE, 'migrate-command': 'm' }, 'migrate-command runs in the backend lane'],
  ])('checks the lanes as the workflow’s first step does: %j', (given, message) => {
    expect(() => pipelineCall({ ...WORKFLOW.defaults, 'tag-prefix': 'dev', registry: 'r', ...given }, 'd.yml')).toThrow(message);
  });

  it('evaluates names case-insensitively, as GitHub does, and leaves text without expressions alone', () => {
    expect(evaluate('${{ vars.public_url }}/x', CONTEXTS, 'w')).toBe('http://127.0.0.1:8088/x');
    expect(evaluate('plain $HOME', CONTEXTS, 'w')).toBe('plain $HOME');
  });
});

describe('the local pipeline runs the workflow’s own commands', () => {
  type Step = { uses?: string; run?: string; with?: Record<string, string> };
  const jobs = (parse(WORKFLOW_TEXT) as { jobs: Record<string, { steps: Step[] }> }).jobs;
  it('migrates with the same bastion-migrate commands', () => {
    const step = jobs.migrate!.steps.find((s) => s.uses?.endsWith('/bastion-migrate'))!;
    expect(step.with!.command).toBe(MIGRATE_COMMANDS.command);
    expect(step.with!['check-command']).toContain(`'${MIGRATE_COMMANDS.check}'`);
  });
  it('tests the image the same way', () => {
    for (const lane of ['backend', 'frontend']) {
      const run = jobs[`test-${lane}`]!.steps[0]!.run!;
      expect(run).toContain(testArgv('"$IMAGE"', '"$TEST_COMMAND"').join(' '));
    }
  });
});
