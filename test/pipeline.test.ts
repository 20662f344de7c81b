/**
 * `npm run pipeline` end to end against the lab: both swimlanes in parallel with migrate as the sync point,
 * a second run deploying a new SHA, and a broken backend rolled back; and `--example status`, a second app of
 * another shape through the same reusable-workflow call. Everything is checked on the real containers,
 * registry, database and proxy, not on the pipeline's own word.
 */
import { execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JobRecord } from '#pipeline/schedule';
import { runAction } from '#runner/index';
import { appHosts, balancerAnswers, removeService } from './support/app-hosts.ts';
import { labEnv, type LabEnv } from './support/lab.ts';
import { startLoad } from './support/load.ts';

const execFileAsync = promisify(execFile);

interface Result {
  ok: boolean;
  example: string;
  tag: string;
  served: string | null;
  workdir: string;
  jobs: JobRecord[];
}

const scratch = mkdtempSync(join(tmpdir(), 'pipeline-test-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

function pipeline(...args: string[]): Promise<{ code: number | null; output: string; result: Result }> {
  const resultFile = join(scratch, `${randomBytes(4).toString('hex')}.json`);
  return new Promise((done, reject) => {
    const child = spawn(process.execPath, ['scripts/pipeline.ts', ...args, '--result', resultFile], { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk;
    });
    child.stderr.on('data', (chunk: Buffer) => {
      output += chunk;
    });
    child.on('error', reject);
    child.on('close', (code) => done({ code, output, result: JSON.parse(readFileSync(resultFile, 'utf8')) as Result }));
  });
}

const sha = () => randomBytes(6).toString('hex');
const job = (result: Result, id: string) => result.jobs.find((j) => j.id === id)!;
const json = async (url: string) => (await fetch(url)).json() as Promise<Record<string, string>>;

let lab: LabEnv;
beforeAll(() => {
  lab = labEnv();
});

describe('npm run pipeline against the lab', () => {
  const first = sha();
  const second = sha();
  let firstRun: Awaited<ReturnType<typeof pipeline>>;

  it('deploys both swimlanes in parallel, with migrate as the sync point, and both answer through the proxy', async () => {
    firstRun = await pipeline('--sha', first);
    expect(firstRun.code, firstRun.output).toBe(0);
    const { result, output } = firstRun;
    expect(result.jobs.map((j) => `${j.id}:${j.status}`).filter((s) => !s.endsWith(':success'))).toEqual([]);
    // Parallel lanes: the frontend build runs while the backend build does.
    expect(job(result, 'build-frontend').startMs!).toBeLessThan(job(result, 'build-backend').endMs!);
    // The sync point: the frontend deploy starts only after migrate finished.
    expect(job(result, 'deploy-frontend').startMs!).toBeGreaterThanOrEqual(job(result, 'migrate').endMs!);

    expect(await json(`${lab.LAB_PROXY_URL}/api/v1/health/`)).toEqual({
      status: 'ok',
      version: `dev-${first}`,
      environment: 'dev-backend',
    });
    const page = await (await fetch(`${lab.LAB_PROXY_URL}/`)).text();
    expect(page).toContain('<script src="/env-config.js"></script>');
    expect(await (await fetch(`${lab.LAB_PROXY_URL}/env-config.js`)).text()).toContain(
      `"ENVIRONMENT":"dev-frontend","VERSION":"dev-${first}"`,
    );
    expect((await fetch(`${lab.LAB_PROXY_URL}/static/core/app.css`)).status).toBe(200);
    expect((await fetch(`${lab.LAB_PROXY_URL}/admin/login/`)).status).toBe(200);

    // The images are in the lab registry under {env}-{sha}.
    const auth = `Basic ${Buffer.from(`${lab.LAB_REGISTRY_USER}:${lab.LAB_REGISTRY_PASSWORD}`).toString('base64')}`;
    const tags = (await (
      await fetch(`http://${lab.LAB_REGISTRY}/v2/golden/backend/tags/list`, { headers: { authorization: auth } })
    ).json()) as { tags: string[] };
    expect(tags.tags).toContain(`dev-${first}`);

    // The migration ran through the bastion: the database behind it (reachable no other way) has core's tables.
    expect(job(result, 'migrate').notes.migrated).toMatch(/^app in \d+ ms/);
    const { main: query } = await runAction('actions/bastion-migrate', {
      inputs: {
        'bastion-host': lab.LAB_BASTION_HOST!,
        'bastion-user': lab.LAB_BASTION_USER!,
        'bastion-key': readFileSync(lab.LAB_BASTION_KEY_FILE!, 'utf8'),
        'bastion-host-key': lab.LAB_BASTION_KNOWN_HOSTS!,
        'db-host': lab.LAB_DB_HOST!,
        'db-name': lab.LAB_DB_NAME!,
        'db-user': lab.LAB_DB_USER!,
        'db-password': lab.LAB_DB_PASSWORD!,
        lock: 'false',
        command: `psql "$DATABASE_URL" -tAc "select 'applied:' || string_agg(name, ',') from django_migrations where app = 'core'; select 'table:' || to_regclass('core_item')"`,
      },
    });
    expect(query.exitCode).toBe(0);
    expect(query.stdout).toContain('applied:0001_initial');
    expect(query.stdout).toContain('table:core_item');

    // A live view, a summary and a timeline; no secret in any of it.
    expect(output).toMatch(/▶ build-backend/);
    expect(output).toMatch(/── timeline\n/);
    const summary = readFileSync(join(result.workdir, 'summary.md'), 'utf8');
    expect(summary).toContain('```mermaid\ngantt');
    expect(summary).toContain('section frontend');
    for (const secret of [
      lab.LAB_REGISTRY_PASSWORD,
      lab.LAB_DB_PASSWORD,
      lab.LAB_DJANGO_SECRET_KEY,
      readFileSync(lab.LAB_SSH_KEY_FILE!, 'utf8').split('\n')[1]!,
    ].map(String)) {
      expect(output.includes(secret)).toBe(false);
      expect(summary.includes(secret)).toBe(false);
    }
  }, 300_000);

  it('a second run deploys the new SHA in place of the first, and no request through the proxy fails meanwhile', async () => {
    const client = startLoad(`${lab.LAB_PROXY_URL}/api/v1/health/`, { keepAlive: false, intervalMs: 20 });
    const { code, output, result } = await pipeline('--sha', second);
    const load = await client.stop();
    expect(code, output).toBe(0);
    expect({ failed: load.failed, errors: load.errors }).toEqual({ failed: 0, errors: [] });
    const versions = new Set(Object.keys(load.answers).map((body) => (JSON.parse(body) as { version: string }).version));
    expect([...versions].sort()).toEqual([`dev-${first}`, `dev-${second}`].sort());
    expect(job(result, 'deploy-backend').notes.replaced).toBe(`${lab.LAB_REGISTRY}/golden/backend:dev-${first}`);
    expect(job(result, 'deploy-frontend').notes.replaced).toBe(`${lab.LAB_REGISTRY}/golden/frontend:dev-${first}`);
    expect((await json(`${lab.LAB_PROXY_URL}/api/v1/health/`)).version).toBe(`dev-${second}`);
    expect(result.served).toBe(`dev-${second}`);
  }, 300_000);

  it('--break-backend: the broken build fails its gate, never answers a request, and the running version serves throughout', async () => {
    const broken = sha();
    // A user asking the backend through the lab's proxy the whole time the pipeline runs.
    const client = startLoad(`${lab.LAB_PROXY_URL}/api/v1/health/`, { keepAlive: false, intervalMs: 20 });
    const { code, output, result } = await pipeline('--sha', broken, '--break-backend');
    const load = await client.stop();
    expect({ failed: load.failed, errors: load.errors }).toEqual({ failed: 0, errors: [] });
    const versions = Object.keys(load.answers).map((body) => (JSON.parse(body) as { version: string }).version);
    expect(versions).toEqual([`dev-${second}`]);
    expect(load.sent).toBeGreaterThan(100);
    expect(code).toBe(1);
    expect(job(result, 'test-backend').status).toBe('success'); // the break is one that tests do not catch
    expect(job(result, 'deploy-backend').status).toBe('failure');
    expect(job(result, 'deploy-backend').notes['rolled back to']).toBe(`${lab.LAB_REGISTRY}/golden/backend:dev-${second}`);
    expect(job(result, 'health-backend').status).toBe('skipped');
    expect(output).toContain(
      `rollback: the broken ${lab.LAB_REGISTRY}/golden/backend:dev-${broken} failed its health gate before it took any traffic`,
    );
    expect((await json(`${lab.LAB_PROXY_URL}/api/v1/health/`)).version).toBe(`dev-${second}`);
  }, 300_000);

  it('--hosts 2: the backend rolls across two app hosts behind the load balancer, which answers the new version from each', async () => {
    const run = sha();
    const hosts = appHosts(lab)
      .filter((host) => !host.jumpOnly)
      .slice(0, 2);
    try {
      const { code, output, result } = await pipeline('--sha', run, '--hosts', '2');
      expect(code, output).toBe(0);
      expect(output).toContain(`backend on 2 app hosts behind ${lab.LAB_LB_URL}`);
      expect(job(result, 'deploy-backend').status).toBe('success');
      expect(result.served).toBe(`dev-${run}`);
      const answers = await balancerAnswers(lab, '/api/v1/health/', 20);
      for (const host of hosts) {
        expect(
          [...(answers.get(host.ip) ?? [])].map((body) => (JSON.parse(body) as { version: string }).version),
          host.ip,
        ).toEqual([`dev-${run}`]);
        // Each host's own engine runs the backend.
        const { stdout } = await execFileAsync('docker', [
          '-H',
          host.engine,
          'container',
          'ls',
          '--filter',
          'label=golden.deploy.service=golden-backend',
          '--filter',
          'label=golden.deploy.role=app',
          '--format',
          '{{.Image}}',
        ]);
        expect(stdout.trim()).toBe(`${lab.LAB_APP_REGISTRY}/golden/backend:dev-${run}`);
      }
    } finally {
      // The load balancer's port on these hosts is the rolling test's too.
      await removeService(hosts, 'golden-backend');
    }
  }, 300_000);

  it('--swarm: the backend goes to the lab’s swarm as the reusable workflow’s backend-strategy swarm, and answers the new version through its balancer', async () => {
    const run = sha();
    const swarmDocker = (...args: string[]) =>
      execFileAsync('docker', args, { env: { ...process.env, DOCKER_HOST: lab.LAB_SWARM_DOCKER_HOST! } });
    try {
      const { code, output, result } = await pipeline('--sha', run, '--swarm');
      expect(code, output).toBe(0);
      expect(output).toContain(`backend on the lab's swarm behind ${lab.LAB_SWARM_LB_URL}`);
      expect(job(result, 'deploy-backend').status).toBe('success');
      expect(job(result, 'health-backend').notes.url).toBe(`${lab.LAB_SWARM_LB_URL}/api/v1/health/`);
      for (let i = 0; i < 6; i += 1) expect((await json(`${lab.LAB_SWARM_LB_URL}/api/v1/health/`)).version).toBe(`dev-${run}`);
      const { stdout } = await swarmDocker('service', 'ls', '--filter', 'name=golden-backend_app', '--format', '{{.Replicas}}');
      expect(stdout.trim()).toBe('2/2');
    } finally {
      await swarmDocker('stack', 'rm', 'golden-backend').catch(() => undefined);
    }
  }, 300_000);

  it('--example status: a backend-only shell service with its own manifest, test, port and health path, through the same call', async () => {
    const run = sha();
    const { code, output, result } = await pipeline('--example', 'status', '--sha', run);
    expect(code, output).toBe(0);
    expect(result.example).toBe('status');
    // One lane: the frontend's jobs and migrate are left out by the call, and the run passes without them.
    expect(result.jobs.filter((j) => j.status === 'skipped').map((j) => `${j.id}: ${j.error}`)).toEqual([
      'migrate: no migrate-command',
      'build-frontend: no frontend lane (frontend-environment is empty)',
      'test-frontend: no frontend lane (frontend-environment is empty)',
      'scan-frontend: no frontend lane (frontend-environment is empty)',
      'deploy-frontend: no frontend lane (frontend-environment is empty)',
      'health-frontend: no frontend lane (frontend-environment is empty)',
    ]);
    expect(job(result, 'test-backend').status).toBe('success');
    expect(readFileSync(join(result.workdir, 'logs', 'test-backend.log'), 'utf8')).toContain('status example: 5 checks passed');

    // What the deploy host serves: the new image, with the manifest's application variables and none of the deploy's own.
    expect(await json('http://127.0.0.1:9300/cgi-bin/status')).toEqual({
      status: 'ok',
      version: `dev-${run}`,
      environment: 'dev',
      message: 'all systems go',
    });
    const generated = JSON.parse(readFileSync(join(lab.LAB_DIR!, 'pipeline', 'status-generated-secrets.json'), 'utf8')) as Record<
      string,
      string
    >;
    expect(generated.STATUS_TOKEN).toMatch(/^[\w-]{24}$/);
    const privately = (token: string) => fetch('http://127.0.0.1:9300/cgi-bin/private', { headers: { authorization: `Bearer ${token}` } });
    expect((await privately(generated.STATUS_TOKEN!)).status).toBe(200);
    expect((await privately('wrong')).status).toBe(401);
    const { stdout: env } = await execFileAsync('docker', [
      'container',
      'ls',
      '--filter',
      'label=golden.deploy.service=status-api',
      '--filter',
      'label=golden.deploy.role=app',
      '--format',
      '{{.ID}}',
    ]);
    const { stdout: inspected } = await execFileAsync('docker', ['container', 'inspect', '--format', '{{json .Config.Env}}', env.trim()]);
    const names = (JSON.parse(inspected) as string[]).map((entry) => entry.split('=')[0]);
    expect(names).toEqual(expect.arrayContaining(['STATUS_MESSAGE', 'STATUS_TOKEN', 'APP_ENV']));
    for (const infrastructure of ['HOST', 'SSH_PRIVATE_KEY', 'REGISTRY_PASSWORD', 'DB_PASSWORD', 'DJANGO_SECRET_KEY'])
      expect(names).not.toContain(infrastructure);
    expect(output.includes(generated.STATUS_TOKEN!)).toBe(false);
    expect(readFileSync(join(result.workdir, 'summary.md'), 'utf8').includes(generated.STATUS_TOKEN!)).toBe(false);

    // The service goes again (the same action, as a service step), so the lab's port is free for the next run.
    const { main: removed } = await runAction('actions/deploy-container', {
      inputs: {
        host: lab.LAB_SSH_HOST!,
        port: lab.LAB_SSH_PORT!,
        username: lab.LAB_SSH_USER!,
        'private-key': readFileSync(lab.LAB_SSH_KEY_FILE!, 'utf8'),
        'host-key': lab.LAB_SSH_KNOWN_HOSTS!,
        name: 'status-api',
        remove: 'true',
      },
    });
    expect(removed.exitCode, removed.stderr).toBe(0);
    await expect(fetch('http://127.0.0.1:9300/cgi-bin/status')).rejects.toThrow();
  }, 300_000);

  it('refuses bad arguments with exit 2', async () => {
    const child = spawn(process.execPath, ['scripts/pipeline.ts', '--env', 'staging'], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk;
    });
    const code = await new Promise((done) => child.on('close', done));
    expect(code).toBe(2);
    expect(stderr).toContain('--env must be one of dev, uat, prod, not "staging"');
  });
});
