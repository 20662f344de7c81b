// The local pipeline's jobs (scripts/pipeline.ts): the run's context from the lab, how a job runs a command
// or an action bundle, and what each job of PIPELINE_GRAPH does.
import { spawn, spawnSync } from 'node:child_process';
import { appendFileSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { UserError } from '#errors/index';
import { labEnv } from '#lab/env';
import { maskablePieces } from '#log/index';
import { PIPELINE_GRAPH } from '#pipeline/graph';
import { UsageError } from '#args/index';
import { ENVIRONMENTS, type PipelineOptions } from '#pipeline/options';
import type { JobHandle, JobSpec } from '#pipeline/schedule';
import { applyMasks, runAction, type StepRun } from '#runner/index';

const root = resolve(import.meta.dirname, '..');

export interface Context {
  options: PipelineOptions;
  lab: Record<string, string>;
  /** <env>-<sha>: the tag of both images. */
  tag: string;
  backendImage: string;
  frontendImage: string;
  /** With --hosts: the lab's app hosts (ip:22) the backend rolls across, behind LAB_LB_URL. */
  backendHosts: string[];
  /** Where users reach the backend: the lab's proxy, or with --hosts its load balancer. */
  backendUrl: string;
  environments: { backend: string; frontend: string };
  /** What GitHub secrets would carry, per environment, by manifest variable name. */
  secrets: { backend: Record<string, string>; frontend: Record<string, string> };
  /** Values that must never be printed: each secret whole, and each line of 8+ characters of a multi-line one. */
  sensitive: string[];
  workdir: string;
  dockerConfig: string;
}

export function buildContext(options: PipelineOptions): Context {
  let lab: Record<string, string>;
  try {
    lab = labEnv(root);
  } catch (error) {
    throw new UserError(`scripts/lab env failed: ${(error as Error).message}`);
  }
  const environments = ENVIRONMENTS[options.env];
  const directHosts = (lab.LAB_APP_HOSTS ?? '').split('\n').filter((host) => host && host !== lab.LAB_APP_JUMP_HOST);
  if (options.hosts > 1 && options.hosts > directHosts.length)
    throw new UsageError(`--hosts ${options.hosts}: the lab has ${directHosts.length} app hosts behind its load balancer`);
  const tag = `${options.env}-${options.sha}`;
  const deployKey = readFileSync(lab.LAB_SSH_KEY_FILE!, 'utf8');
  const bastionKey = readFileSync(lab.LAB_BASTION_KEY_FILE!, 'utf8');
  const host = {
    HOST: lab.LAB_SSH_HOST!,
    SSH_USER: lab.LAB_SSH_USER!,
    SSH_PRIVATE_KEY: deployKey,
    SSH_HOST_KEY: lab.LAB_SSH_KNOWN_HOSTS!,
    REGISTRY_PASSWORD: lab.LAB_REGISTRY_PASSWORD!,
  };
  const backend = {
    ...host,
    BASTION_HOST: lab.LAB_BASTION_HOST!,
    BASTION_HOST_KEY: lab.LAB_BASTION_KNOWN_HOSTS!,
    BASTION_PRIVATE_KEY: bastionKey,
    DJANGO_SECRET_KEY: lab.LAB_DJANGO_SECRET_KEY!,
    DB_HOST: lab.LAB_DB_HOST!,
    DB_NAME: lab.LAB_DB_NAME!,
    DB_USER: lab.LAB_DB_USER!,
    DB_PASSWORD: lab.LAB_DB_PASSWORD!,
  };
  const frontend = { ...host, API_BASE_URL: lab.LAB_PROXY_URL! };
  const workdir = join(lab.LAB_DIR!, 'pipeline', `${new Date().toISOString().replace(/[:.]/g, '-')}-${tag}`);
  mkdirSync(join(workdir, 'logs'), { recursive: true });
  return {
    options,
    lab,
    tag,
    environments,
    backendImage: `${lab.LAB_REGISTRY}/golden/backend:${tag}`,
    frontendImage: `${lab.LAB_REGISTRY}/golden/frontend:${tag}`,
    backendHosts: options.hosts > 1 ? directHosts.slice(0, options.hosts) : [],
    backendUrl: options.hosts > 1 ? lab.LAB_LB_URL! : lab.LAB_PROXY_URL!,
    secrets: { backend, frontend },
    sensitive: [deployKey, bastionKey, lab.LAB_REGISTRY_PASSWORD!, lab.LAB_DJANGO_SECRET_KEY!, lab.LAB_DB_PASSWORD!, lab.LAB_SSH_PASSWORD!]
      // The same pieces the actions mask (packages/runtime/log): the value and each of its lines.
      .flatMap((secret) => maskablePieces(secret.trim())),
    workdir,
    dockerConfig: mkdtempSync(join(tmpdir(), 'golden-pipeline-docker-')),
  };
}

// ---------------------------------------------------------------- how jobs run things

const logOf = (context: Context, job: string) => join(context.workdir, 'logs', `${job}.log`);
const redact = (context: Context, text: string) => applyMasks(text, context.sensitive);

/** Runs an argv (never a shell string) with its output in the job's log; throws with the last lines on failure. */
function command(context: Context, job: string, argv: string[], options: { stdin?: string; cwd?: string } = {}): Promise<string> {
  appendFileSync(logOf(context, job), `$ ${argv.join(' ')}\n`);
  return new Promise((done, reject) => {
    const child = spawn(argv[0]!, argv.slice(1), { cwd: options.cwd ?? root, stdio: ['pipe', 'pipe', 'pipe'] });
    let output = '';
    const collect = (chunk: Buffer) => {
      const text = redact(context, chunk.toString());
      output += text;
      appendFileSync(logOf(context, job), text);
    };
    child.stdout.on('data', collect);
    child.stderr.on('data', collect);
    child.stdin.end(options.stdin ?? '');
    child.on('error', reject);
    child.on('close', (code) => {
      if (code === 0) done(output);
      else reject(new Error(`${argv.slice(0, 3).join(' ')} exited ${code}: ${output.trim().split('\n').slice(-3).join(' | ')}`));
    });
  });
}

/** Runs an action's committed bundle through the runner harness; the masked log goes to the job's log. */
async function action(
  context: Context,
  job: string,
  name: string,
  inputs: Record<string, string>,
  env: Record<string, string> = {},
): Promise<StepRun> {
  const { main, post } = await runAction(join(root, 'actions', name), {
    inputs,
    cwd: context.workdir,
    timeoutMs: 300_000,
    env: {
      GITHUB_ACTOR: process.env.USER || 'local',
      GITHUB_RUN_ID: `pipeline-${context.tag}`,
      GITHUB_REPOSITORY: 'local/golden-pipeline',
      ...env,
    },
  });
  for (const step of [main, post]) {
    if (step)
      appendFileSync(
        logOf(context, job),
        `── ${name} ${step.step} step (exit ${step.exitCode})\n${redact(context, step.maskedLog)}${redact(context, step.stderr)}`,
      );
  }
  if (main.exitCode !== 0) {
    const reason =
      main.commands
        .filter((c) => c.command === 'error' && !c.properties.file)
        .map((c) => c.message)
        .pop() ?? `exit ${main.exitCode}`;
    throw Object.assign(new Error(`${name}: ${redact(context, reason)}`), { step: main });
  }
  return main;
}

async function buildAndPush(
  context: Context,
  job: string,
  handle: JobHandle,
  directory: string,
  image: string,
  buildArgs: string[],
): Promise<void> {
  handle.progress(`docker build ${directory}`);
  await command(context, job, [
    'docker',
    'build',
    '--network',
    'host',
    '-q',
    ...(context.options.noCache ? ['--no-cache'] : []),
    ...buildArgs.flatMap((a) => ['--build-arg', a]),
    '-t',
    image,
    join(root, directory),
  ]);
  handle.progress(`push ${image}`);
  await command(
    context,
    job,
    [
      'docker',
      '--config',
      context.dockerConfig,
      'login',
      '-u',
      context.lab.LAB_REGISTRY_USER!,
      '--password-stdin',
      context.lab.LAB_REGISTRY!,
    ],
    { stdin: context.lab.LAB_REGISTRY_PASSWORD },
  );
  await command(context, job, ['docker', '--config', context.dockerConfig, 'push', '-q', image]);
  handle.note('image', image);
}

/** A non-blocking image scan: runs unprivileged, and no secret value sits in its layers or config. */
async function scanImage(context: Context, job: string, handle: JobHandle, image: string): Promise<void> {
  const read = (argv: string[]) => {
    const result = spawnSync('docker', argv, { encoding: 'utf8' });
    if (result.status !== 0) throw new Error(`docker ${argv[0]} ${argv[1]} failed: ${result.stderr.trim()}`);
    return result.stdout;
  };
  const [config] = JSON.parse(read(['image', 'inspect', image])) as { Config: { User?: string }; Size: number }[];
  const layers = read(['history', '--no-trunc', '--format', '{{.CreatedBy}}', image]);
  const problems: string[] = [];
  const user = config!.Config.User ?? '';
  if (user === '' || user === 'root' || user === '0') problems.push('runs as root (set USER)');
  const everything = JSON.stringify(config) + layers;
  // Detection, not masking: a piece shorter than 8 characters (a PEM's last line) could occur by chance.
  if (context.sensitive.some((secret) => secret.length >= 8 && everything.includes(secret)))
    problems.push('a secret value is baked into its layers or config');
  const summary = `${layers.trim().split('\n').length} layers, user ${user || 'root'}, ${Math.round(config!.Size / 1e6)} MB: ${problems.length ? problems.join('; ') : 'clean'}`;
  appendFileSync(logOf(context, job), `${summary}\n`);
  handle.progress(summary);
  handle.note('scan', problems.length ? problems.join('; ') : 'clean');
  if (problems.length) throw new Error(problems.join('; '));
}

function deployInputs(context: Context, secrets: Record<string, string>): Record<string, string> {
  return {
    host: secrets.HOST!,
    port: context.lab.LAB_SSH_PORT!,
    username: secrets.SSH_USER!,
    'private-key': secrets.SSH_PRIVATE_KEY!,
    'host-key': secrets.SSH_HOST_KEY!,
    'registry-username': context.lab.LAB_REGISTRY_USER!,
    'registry-password': secrets.REGISTRY_PASSWORD!,
    'health-interval': '1s',
    'health-attempts': '10',
    // The new version starts beside the running one and takes traffic only once verified; the lab's
    // Debian nginx image is the proxy that owns each service's port.
    strategy: 'switch',
    'proxy-image': context.lab.LAB_PROXY_IMAGE!,
    'drain-timeout': '10s',
  };
}

/**
 * The backend's deploy across the lab's app hosts, one at a time (a broken build stops at the first), each
 * publishing the port the load balancer forwards to; they pull the image from the registry where they see it.
 */
function acrossAppHosts(context: Context): Record<string, string> {
  const { lab } = context;
  return {
    host: '',
    port: '22',
    hosts: context.backendHosts.join('\n'),
    'host-key': lab.LAB_APP_KNOWN_HOSTS!,
    'max-parallel': '1',
    image: context.backendImage.replace(lab.LAB_REGISTRY!, lab.LAB_APP_REGISTRY!),
    ports: `0.0.0.0:${lab.LAB_LB_UPSTREAM_PORT}:8000`,
    'health-url': `http://127.0.0.1:${lab.LAB_LB_UPSTREAM_PORT}/api/v1/health/`,
  };
}

async function deploy(context: Context, job: string, handle: JobHandle, inputs: Record<string, string>): Promise<void> {
  handle.progress(`deploy-container ${inputs.name} ← ${inputs.image}`);
  try {
    const step = await action(context, job, 'deploy-container', inputs);
    handle.note('container', `${step.outputs['serving-container']} (${step.outputs['container-id']?.slice(0, 12)})`);
    if (step.outputs['previous-image']) handle.note('replaced', step.outputs['previous-image']);
  } catch (error) {
    const step = (error as { step?: StepRun }).step;
    if (step?.outputs['rolled-back'] === 'true') {
      handle.note('rolled back to', step.outputs['previous-image'] ?? '?');
      handle.note('serving', step.outputs['serving-container'] ?? '?');
    }
    throw error;
  }
}

// ---------------------------------------------------------------- the jobs

/** What each job of PIPELINE_GRAPH does here; the graph itself (needs, lanes) is shared with the workflow test. */
export function jobs(context: Context): JobSpec<Context>[] {
  const { lab, tag, environments, secrets } = context;
  const frontendConfigRemote = `/home/${lab.LAB_SSH_USER}/golden/${environments.frontend}/env-config.js`;
  const runs: Record<string, JobSpec<Context>['run']> = {
    'audit-secrets': async (c, handle) => {
      for (const [lane, environment] of [
        ['backend', environments.backend],
        ['frontend', environments.frontend],
      ] as const) {
        handle.progress(`env mode for ${environment}`);
        await action(
          c,
          'audit-secrets',
          'audit-secrets',
          { manifest: join(root, 'config/env.manifest.json'), mode: 'env', environment },
          secrets[lane],
        );
      }
      handle.note('audited', `${environments.backend}, ${environments.frontend}`);
    },
    'build-backend': (c, handle) =>
      buildAndPush(c, 'build-backend', handle, 'examples/backend', c.backendImage, [
        `VERSION=${tag}`,
        `BROKEN=${c.options.breakBackend ? 1 : 0}`,
      ]),
    'test-backend': async (c, handle) => {
      handle.progress('manage.py test core');
      await command(c, 'test-backend', [
        'docker',
        'run',
        '--rm',
        '--network',
        'none',
        c.backendImage,
        'python3',
        'manage.py',
        'test',
        'core',
      ]);
    },
    'scan-backend': (c, handle) => scanImage(c, 'scan-backend', handle, c.backendImage),
    migrate: async (c, handle) => {
      handle.progress(`bastion-migrate through ${lab.LAB_BASTION_HOST}`);
      // The run's lock timeout and application_name reach Django only when passed into the container.
      const django = `docker run --rm --network host -e DATABASE_URL -e PGOPTIONS -e PGAPPNAME ${c.backendImage} python3 manage.py`;
      const step = await action(c, 'migrate', 'bastion-migrate', {
        'bastion-host': secrets.backend.BASTION_HOST!,
        'bastion-user': lab.LAB_BASTION_USER!,
        'bastion-key': secrets.backend.BASTION_PRIVATE_KEY!,
        'bastion-host-key': secrets.backend.BASTION_HOST_KEY!,
        'db-host': secrets.backend.DB_HOST!,
        'db-name': secrets.backend.DB_NAME!,
        'db-user': secrets.backend.DB_USER!,
        'db-password': secrets.backend.DB_PASSWORD!,
        'check-command': `${django} makemigrations --check --dry-run`,
        command: `${django} migrate --noinput`,
      });
      handle.note(
        'migrated',
        `${secrets.backend.DB_NAME} in ${step.outputs['duration-ms']} ms (lock wait ${step.outputs['lock-wait-ms']} ms)`,
      );
    },
    'deploy-backend': (c, handle) =>
      deploy(c, 'deploy-backend', handle, {
        ...deployInputs(c, secrets.backend),
        image: c.backendImage,
        name: 'golden-backend',
        ports: `127.0.0.1:${lab.LAB_PROXY_UPSTREAM_PORT}:8000`,
        env: [
          `DJANGO_SECRET_KEY=${secrets.backend.DJANGO_SECRET_KEY}`,
          `APP_ENV=${environments.backend}`,
          'DJANGO_ALLOWED_HOSTS=*',
          ...(['DB_HOST', 'DB_NAME', 'DB_USER', 'DB_PASSWORD'] as const).map((name) => `${name}=${secrets.backend[name]}`),
        ].join('\n'),
        'health-url': `http://127.0.0.1:${lab.LAB_PROXY_UPSTREAM_PORT}/api/v1/health/`,
        ...(c.backendHosts.length > 0 ? acrossAppHosts(c) : {}),
      }),
    'health-backend': async (c, handle) => {
      // Across app hosts: each host on its own lab address, and the load balancer in front of them.
      const urls =
        c.backendHosts.length > 0
          ? [
              ...c.backendHosts.map((host) => `http://${host.replace(/:\d+$/, '')}:${lab.LAB_LB_UPSTREAM_PORT}/api/v1/health/`),
              `${c.backendUrl}/api/v1/health/`,
            ]
          : [`http://127.0.0.1:${lab.LAB_PROXY_UPSTREAM_PORT}/api/v1/health/`, `${c.backendUrl}/api/v1/health/`];
      handle.progress(urls.join(', '));
      await action(c, 'health-backend', 'health-check', {
        urls: urls.join('\n'),
        'json-field': `status=ok\nversion=${tag}`,
        interval: '1s',
        'max-attempts': '10',
      });
      await action(c, 'health-backend', 'health-check', {
        urls: `${c.backendUrl}/static/core/app.css\n${c.backendUrl}/admin/login/`,
        interval: '1s',
        'max-attempts': '5',
      });
      handle.note('url', `${c.backendUrl}/api/v1/health/`);
    },
    'build-frontend': (c, handle) => buildAndPush(c, 'build-frontend', handle, 'examples/frontend', c.frontendImage, [`VERSION=${tag}`]),
    'test-frontend': async (c, handle) => {
      handle.progress('nginx -t, and the page loads env-config.js');
      // Each check in a throwaway container of the new image, with no network.
      const inImage = (...argv: string[]) =>
        command(c, 'test-frontend', ['docker', 'run', '--rm', '--network', 'none', c.frontendImage, ...argv]);
      await inImage('nginx', '-t', '-c', '/etc/nginx/golden-frontend.conf');
      await inImage('grep', '-q', 'src="/env-config.js"', '/srv/www/index.html');
    },
    'scan-frontend': (c, handle) => scanImage(c, 'scan-frontend', handle, c.frontendImage),
    'deploy-frontend': (c, handle) => {
      mkdirSync(join(c.workdir, 'frontend'), { recursive: true });
      writeFileSync(
        join(c.workdir, 'frontend/env-config.js'),
        `window.GOLDEN_ENV = ${JSON.stringify({ API_BASE_URL: secrets.frontend.API_BASE_URL, ENVIRONMENT: environments.frontend, VERSION: tag })};\n`,
      );
      return deploy(c, 'deploy-frontend', handle, {
        ...deployInputs(c, secrets.frontend),
        image: c.frontendImage,
        name: 'golden-frontend',
        ports: `127.0.0.1:${lab.LAB_PROXY_FRONTEND_PORT}:8080`,
        files: `frontend/env-config.js=${frontendConfigRemote}`,
        volumes: `${frontendConfigRemote}:/srv/www/env-config.js:ro`,
        'health-url': `http://127.0.0.1:${lab.LAB_PROXY_FRONTEND_PORT}/healthz`,
      });
    },
    'health-frontend': async (c, handle) => {
      const direct = `http://127.0.0.1:${lab.LAB_PROXY_FRONTEND_PORT}`;
      handle.progress(`the container directly: ${direct}`);
      await action(c, 'health-frontend', 'health-check', {
        urls: `${direct}/healthz`,
        'json-field': `status=ok\nversion=${tag}`,
        interval: '1s',
        'max-attempts': '10',
      });
      await action(c, 'health-frontend', 'health-check', {
        urls: `${direct}/env-config.js`,
        'body-contains': `"ENVIRONMENT":"${environments.frontend}"`,
        interval: '1s',
        'max-attempts': '5',
      });
      handle.progress(`through the proxy: ${lab.LAB_PROXY_URL}`);
      await action(c, 'health-frontend', 'health-check', {
        urls: `${lab.LAB_PROXY_URL}/\n${lab.LAB_PROXY_URL}/index.html`,
        'body-contains': 'Golden Pipeline example',
        interval: '1s',
        'max-attempts': '10',
      });
      handle.note('url', `${lab.LAB_PROXY_URL}/`);
    },
  };
  return PIPELINE_GRAPH.map((job) => ({ ...job, run: runs[job.id]! }));
}
