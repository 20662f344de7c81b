// The local pipeline's jobs (scripts/pipeline.ts): the run's context from the lab, how a job runs a command
// or an action bundle, and what each job of PIPELINE_GRAPH does.
import { spawn, spawnSync } from 'node:child_process';
import { appendFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { type Manifest, parseManifest } from '#audit/load';
import { requirementsOf } from '#audit/resolve';
import { type GithubStores, storedValue } from '#audit/stores';
import { UserError } from '#errors/index';
import { labEnv } from '#lab/env';
import { maskablePieces } from '#log/index';
import { type Lane, type PipelineCall, pipelineCall, readCaller, readWorkflowInputs, REUSABLE_WORKFLOW } from '#pipeline/caller';
import { PIPELINE_GRAPH } from '#pipeline/graph';
import { labInfrastructure, labStores, type LabValues, parseLabValues } from '#pipeline/lab-stores';
import { UsageError } from '#args/index';
import { ENVIRONMENTS, type PipelineOptions } from '#pipeline/options';
import type { JobHandle, JobSpec } from '#pipeline/schedule';
import { applyMasks, runAction, type StepRun } from '#runner/index';

const root = resolve(import.meta.dirname, '..');

export interface Context {
  options: PipelineOptions;
  lab: Record<string, string>;
  /** examples/<example>/deploy.yml's call of the reusable workflow, as lanes. */
  call: PipelineCall;
  /** <tag-prefix>-<sha>: the tag of every image. */
  tag: string;
  /** Each lane's image in the lab registry. */
  images: Partial<Record<LaneName, string>>;
  /** With --hosts: the lab's app hosts (ip:22) the backend rolls across, behind LAB_LB_URL. */
  backendHosts: string[];
  /** What GitHub's stores would hold for each lane's environment, by GitHub name (toJSON(secrets), toJSON(vars)). */
  stores: Partial<Record<LaneName, GithubStores>>;
  manifest: Manifest;
  /** Values that must never be printed: each secret whole, and each line of 8+ characters of a multi-line one. */
  sensitive: string[];
  workdir: string;
  dockerConfig: string;
}

type LaneName = Lane['name'];

/** examples/<app>/deploy.yml, read with the lab's values for the repository variables it uses. */
function readExample(options: PipelineOptions, lab: Record<string, string>): { call: PipelineCall; values: LabValues; source: string } {
  const directory = join(root, 'examples', options.example);
  const file = join(directory, 'deploy.yml');
  if (!existsSync(file)) {
    const known = readdirSync(join(root, 'examples')).filter((name) => existsSync(join(root, 'examples', name, 'deploy.yml')));
    throw new UsageError(
      `--example ${options.example}: there is no examples/${options.example}/deploy.yml (there are: ${known.join(', ')})`,
    );
  }
  const labFile = join(directory, 'lab.json');
  const values = existsSync(labFile)
    ? parseLabValues(`examples/${options.example}/lab.json`, readFileSync(labFile, 'utf8'), lab)
    : { vars: {}, values: {} };
  const workflow = readWorkflowInputs(readFileSync(join(root, REUSABLE_WORKFLOW), 'utf8'));
  const inputs = readCaller(`examples/${options.example}/deploy.yml`, readFileSync(file, 'utf8'), workflow, {
    vars: values.vars,
    github: { repository_owner: 'local', actor: process.env.USER || 'local', sha: options.sha },
  });
  // The reusable workflow's own choice, as a caller would make it.
  if (options.swarm) inputs['backend-strategy'] = 'swarm';
  if (options.env) {
    // The golden example in another of its manifest's environments.
    const environments = ENVIRONMENTS[options.env];
    Object.assign(inputs, {
      'tag-prefix': options.env,
      'backend-environment': environments.backend,
      'frontend-environment': environments.frontend,
    });
  }
  return { call: pipelineCall(inputs, `examples/${options.example}/deploy.yml`), values, source: `examples/${options.example}/lab.json` };
}

export function buildContext(options: PipelineOptions): Context {
  let lab: Record<string, string>;
  try {
    lab = labEnv(root);
  } catch (error) {
    throw new UserError(`scripts/lab env failed: ${(error as Error).message}`);
  }
  const { call, values, source } = readExample(options, lab);
  const directHosts = (lab.LAB_APP_HOSTS ?? '').split('\n').filter((host) => host && host !== lab.LAB_APP_JUMP_HOST);
  if ((options.hosts > 1 || options.swarm) && !call.backend)
    throw new UsageError(`${options.swarm ? '--swarm' : `--hosts ${options.hosts}`}: examples/${options.example} has no backend lane`);
  if (options.hosts > 1 && options.hosts > directHosts.length)
    throw new UsageError(`--hosts ${options.hosts}: the lab has ${directHosts.length} app hosts behind its load balancer`);
  const tag = `${call.tagPrefix}-${options.sha}`;
  const manifestPath = join(root, call.manifest);
  const manifest = parseManifest(call.manifest, readFileSync(manifestPath, 'utf8'));
  // Secrets the lab has no value for are generated once per example, and kept as scripts/lab keeps its own.
  const generatedFile = join(lab.LAB_DIR!, 'pipeline', `${options.example}-generated-secrets.json`);
  mkdirSync(dirname(generatedFile), { recursive: true });
  const generated = existsSync(generatedFile) ? (JSON.parse(readFileSync(generatedFile, 'utf8')) as Record<string, string>) : {};
  const known = { ...labInfrastructure(lab, (path) => readFileSync(path, 'utf8')), ...values.values };
  const stores: Context['stores'] = {};
  const images: Context['images'] = {};
  for (const lane of lanesOf(call)) {
    stores[lane.name] = labStores(manifest, lane.environment, known, generated, source);
    // The lab's registry stands in for the caller's.
    images[lane.name] = `${lab.LAB_REGISTRY}/${lane.image}:${tag}`;
  }
  writeFileSync(generatedFile, `${JSON.stringify(generated, null, 2)}\n`, { mode: 0o600 });
  const workdir = join(lab.LAB_DIR!, 'pipeline', `${new Date().toISOString().replace(/[:.]/g, '-')}-${options.example}-${tag}`);
  mkdirSync(join(workdir, 'logs'), { recursive: true });
  return {
    options,
    lab,
    call,
    tag,
    images,
    backendHosts: options.hosts > 1 ? directHosts.slice(0, options.hosts) : [],
    stores,
    manifest,
    sensitive: [...Object.values(stores).flatMap((store) => Object.values(store.secrets)), lab.LAB_SSH_PASSWORD!]
      // The same pieces the actions mask (packages/runtime/log): the value and each of its lines.
      .flatMap((secret) => maskablePieces(secret.trim())),
    workdir,
    dockerConfig: mkdtempSync(join(tmpdir(), 'golden-pipeline-docker-')),
  };
}

/** The lanes the call runs, backend first. */
export function lanesOf(call: PipelineCall): Lane[] {
  return [call.backend, call.frontend].filter((lane): lane is Lane => lane !== undefined);
}

/** A lane's value of a manifest variable, as the workflow reads secrets[fromJSON(names).VARIABLE]. */
function valueOf(context: Context, lane: LaneName, variable: string): string {
  const requirement = requirementsOf(context.manifest, context.call[lane]!.environment).find((r) => r.variable === variable);
  const value = requirement && storedValue(requirement, context.stores[lane]!);
  if (value === undefined) throw new UserError(`${context.call.manifest} has no ${variable} for ${context.call[lane]!.environment}`);
  return value;
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

async function buildAndPush(context: Context, job: string, handle: JobHandle, lane: Lane, buildArgs: string[]): Promise<void> {
  const image = context.images[lane.name]!;
  handle.progress(`docker build ${lane.context}`);
  await command(context, job, [
    'docker',
    'build',
    '--network',
    'host',
    '-q',
    ...(context.options.noCache ? ['--no-cache'] : []),
    ...buildArgs.flatMap((a) => ['--build-arg', a]),
    ...(lane.dockerfile ? ['--file', join(root, lane.dockerfile)] : []),
    '-t',
    image,
    join(root, lane.context),
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
  // The image's config and layers, not its tags: the registry's address is no secret baked in.
  const everything = JSON.stringify(config!.Config) + layers;
  // Detection, not masking: a piece shorter than 8 characters (a PEM's last line) could occur by chance.
  if (context.sensitive.some((secret) => secret.length >= 8 && everything.includes(secret)))
    problems.push('a secret value is baked into its layers or config');
  const summary = `${layers.trim().split('\n').length} layers, user ${user || 'root'}, ${Math.round(config!.Size / 1e6)} MB: ${problems.length ? problems.join('; ') : 'clean'}`;
  appendFileSync(logOf(context, job), `${summary}\n`);
  handle.progress(summary);
  handle.note('scan', problems.length ? problems.join('; ') : 'clean');
  if (problems.length) throw new Error(problems.join('; '));
}

/**
 * The migrate job's commands, exactly as reusable-deploy.yml passes them to bastion-migrate (test/pipeline-call.test.ts
 * compares the two): the caller's command runs in the new image, which sees the tunnel, from an environment variable.
 */
export const MIGRATE_COMMANDS = {
  command: 'docker run --rm --network host -e DATABASE_URL -e PGOPTIONS -e PGAPPNAME --entrypoint sh "$IMAGE" -c "$MIGRATE_COMMAND"',
  check: 'docker run --rm --network host -e DATABASE_URL -e PGOPTIONS -e PGAPPNAME --entrypoint sh "$IMAGE" -c "$MIGRATE_CHECK_COMMAND"',
};

/** The test job's command, as reusable-deploy.yml runs it: the caller's test command in the image, with no network. */
export const testArgv = (image: string, testCommand: string) => [
  'docker',
  'run',
  '--rm',
  '--network',
  'none',
  '--entrypoint',
  'sh',
  image,
  '-c',
  testCommand,
];

/** deploy-container's inputs as the workflow's deploy job gives them, with the lab's differences (port, registry login, pace). */
function deployInputs(context: Context, lane: Lane, env: string): Record<string, string> {
  const { lab } = context;
  return {
    host: valueOf(context, lane.name, 'HOST'),
    username: valueOf(context, lane.name, 'SSH_USER'),
    'private-key': valueOf(context, lane.name, 'SSH_PRIVATE_KEY'),
    'host-key': valueOf(context, lane.name, 'SSH_HOST_KEY'),
    image: context.images[lane.name]!,
    name: lane.container,
    ports: lane.ports,
    'registry-username': lab.LAB_REGISTRY_USER!,
    'registry-password': valueOf(context, lane.name, 'REGISTRY_PASSWORD'),
    env: [env, `APP_ENV=${lane.environment}`].filter(Boolean).join('\n'),
    'health-url': lane.containerHealthUrl,
    strategy: lane.strategy,
    replicas: lane.replicas,
    // No Docker Hub here: the lab's HAProxy image stands in for the caller's proxy-image.
    'proxy-image': lab.LAB_PROXY_IMAGE!,
    // The lab's differences: its deploy host's SSH port, and a quicker pace.
    port: lab.LAB_SSH_PORT!,
    'health-interval': '1s',
    'health-attempts': '10',
    'drain-timeout': '10s',
  };
}

/** The container's port of a lane's first published port (host-ip:host-port:container-port). */
const containerPort = (ports: string) => ports.split('\n')[0]!.trim().split(':').pop()!;

/** A URL moved to another origin, path and query kept. */
const atOrigin = (url: string, origin: string) => {
  const parsed = new URL(url);
  return `${origin}${parsed.pathname}${parsed.search}`;
};

/**
 * The backend's deploy across the lab's app hosts, one at a time (a broken build stops at the first), each
 * publishing the port the load balancer forwards to; they pull the image from the registry where they see it.
 */
function acrossAppHosts(context: Context, lane: Lane): Record<string, string> {
  const { lab } = context;
  return {
    host: '',
    port: '22',
    hosts: context.backendHosts.join('\n'),
    'host-key': lab.LAB_APP_KNOWN_HOSTS!,
    'max-parallel': '1',
    image: context.images[lane.name]!.replace(lab.LAB_REGISTRY!, lab.LAB_APP_REGISTRY!),
    ports: `0.0.0.0:${lab.LAB_LB_UPSTREAM_PORT}:${containerPort(lane.ports)}`,
    'health-url': atOrigin(lane.containerHealthUrl, `http://127.0.0.1:${lab.LAB_LB_UPSTREAM_PORT}`),
  };
}

/**
 * A lane on the lab's swarm: deployed through its manager, with the image from the registry where the nodes see it, and
 * the lane's container port published as LAB_SWARM_PORT on every node.
 */
function onLabSwarm(context: Context, lane: Lane): Record<string, string> {
  const { lab } = context;
  const [host, port] = lab.LAB_SWARM_MANAGER!.split(':');
  return {
    host: host!,
    port: port!,
    'host-key': lab.LAB_APP_KNOWN_HOSTS!,
    image: context.images[lane.name]!.replace(lab.LAB_REGISTRY!, lab.LAB_APP_REGISTRY!),
    ports: `${lab.LAB_SWARM_PORT}:${containerPort(lane.ports)}`,
    'health-url': atOrigin(lane.containerHealthUrl, `http://127.0.0.1:${lab.LAB_SWARM_PORT}`),
  };
}

/** The URLs the health job checks: the caller's; across app hosts or on the swarm, through the lab's balancer for them. */
export function healthUrls(context: Context, lane: Lane): string[] {
  const { lab } = context;
  if (lane.strategy === 'swarm') return lane.healthUrls.map((url) => atOrigin(url, lab.LAB_SWARM_LB_URL!));
  if (lane.name !== 'backend' || context.backendHosts.length === 0) return lane.healthUrls;
  return [
    ...context.backendHosts.map((host) =>
      atOrigin(lane.containerHealthUrl, `http://${host.replace(/:\d+$/, '')}:${lab.LAB_LB_UPSTREAM_PORT}`),
    ),
    ...lane.healthUrls.map((url) => atOrigin(url, lab.LAB_LB_URL!)),
  ];
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

/** audit-secrets as a deploy job runs it: GitHub's stores for the lane's environment; its `env` output. */
async function auditStores(context: Context, job: string, lane: Lane): Promise<string> {
  const stores = context.stores[lane.name]!;
  const step = await action(context, job, 'audit-secrets', {
    manifest: join(root, context.call.manifest),
    mode: 'env',
    environment: lane.environment,
    secrets: JSON.stringify(stores.secrets),
    vars: JSON.stringify(stores.vars),
  });
  return step.outputs.env ?? '';
}

// ---------------------------------------------------------------- the jobs

/** Why a job of a lane does not run (the workflow's if:), or undefined. */
function laneSkip(context: Context, lane: LaneName, also?: [boolean, string]): string | undefined {
  if (!context.call[lane]) return `no ${lane} lane (${lane}-environment is empty)`;
  if (also && !also[0]) return also[1];
  return undefined;
}

/** What each job of PIPELINE_GRAPH does here; the graph itself (needs, lanes) is shared with the workflow test. */
export function jobs(context: Context): JobSpec<Context>[] {
  const { lab, tag, call } = context;
  type Job = Pick<JobSpec<Context>, 'run' | 'skipReason'>;
  const laneJobs = (name: LaneName): Record<string, Job> => {
    const lane = () => call[name]!;
    return {
      [`build-${name}`]: {
        skipReason: (c) => laneSkip(c, name),
        run: (c, handle) =>
          buildAndPush(c, `build-${name}`, handle, lane(), [
            `VERSION=${tag}`,
            ...lane().buildArgs,
            // The examples' backends build broken on purpose with BROKEN=1, to show the gate and the rollback.
            ...(name === 'backend' ? [`BROKEN=${c.options.breakBackend ? 1 : 0}`] : []),
          ]),
      },
      [`test-${name}`]: {
        skipReason: (c) => laneSkip(c, name, [Boolean(c.call[name]?.testCommand), `no ${name}-test-command`]),
        run: async (c, handle) => {
          handle.progress(lane().testCommand);
          await command(c, `test-${name}`, testArgv(c.images[name]!, lane().testCommand));
        },
      },
      [`scan-${name}`]: {
        skipReason: (c) => laneSkip(c, name),
        run: (c, handle) => scanImage(c, `scan-${name}`, handle, c.images[name]!),
      },
      [`deploy-${name}`]: {
        skipReason: (c) => laneSkip(c, name),
        run: async (c, handle) => {
          handle.progress(`audit-secrets for ${lane().environment}`);
          const env = await auditStores(c, `deploy-${name}`, lane());
          await deploy(c, `deploy-${name}`, handle, {
            ...deployInputs(c, lane(), env),
            ...(name === 'backend' && c.backendHosts.length > 0 ? acrossAppHosts(c, lane()) : {}),
            ...(lane().strategy === 'swarm' ? onLabSwarm(c, lane()) : {}),
          });
        },
      },
      [`health-${name}`]: {
        skipReason: (c) => laneSkip(c, name, [(c.call[name]?.healthUrls.length ?? 0) > 0, `no ${name}-health-url`]),
        run: async (c, handle) => {
          const urls = healthUrls(c, lane());
          handle.progress(urls.join(', '));
          await action(c, `health-${name}`, 'health-check', {
            urls: urls.join('\n'),
            'json-field': lane().healthJsonField,
            interval: '1s',
            'max-attempts': '10',
          });
          handle.note('url', urls.at(-1)!);
        },
      },
    };
  };
  const runs: Record<string, Job> = {
    'audit-secrets': {
      run: async (c, handle) => {
        for (const lane of lanesOf(c.call)) {
          handle.progress(`env mode for ${lane.environment}`);
          await auditStores(c, 'audit-secrets', lane);
        }
        handle.note(
          'audited',
          lanesOf(c.call)
            .map((lane) => lane.environment)
            .join(', '),
        );
      },
    },
    ...laneJobs('backend'),
    ...laneJobs('frontend'),
    migrate: {
      skipReason: (c) => laneSkip(c, 'backend', [Boolean(c.call.migrate), 'no migrate-command']),
      run: async (c, handle) => {
        handle.progress(`bastion-migrate through ${valueOf(c, 'backend', 'BASTION_HOST')}`);
        const { migrate } = c.call;
        const step = await action(
          c,
          'migrate',
          'bastion-migrate',
          {
            'bastion-host': valueOf(c, 'backend', 'BASTION_HOST'),
            'bastion-user': lab.LAB_BASTION_USER!,
            'bastion-key': valueOf(c, 'backend', 'BASTION_PRIVATE_KEY'),
            'bastion-host-key': valueOf(c, 'backend', 'BASTION_HOST_KEY'),
            'db-host': valueOf(c, 'backend', 'DB_HOST'),
            'db-name': valueOf(c, 'backend', 'DB_NAME'),
            'db-user': valueOf(c, 'backend', 'DB_USER'),
            'db-password': valueOf(c, 'backend', 'DB_PASSWORD'),
            'check-command': migrate!.checkCommand ? MIGRATE_COMMANDS.check : '',
            command: MIGRATE_COMMANDS.command,
          },
          { IMAGE: c.images.backend!, MIGRATE_COMMAND: migrate!.command, MIGRATE_CHECK_COMMAND: migrate!.checkCommand },
        );
        handle.note(
          'migrated',
          `${valueOf(c, 'backend', 'DB_NAME')} in ${step.outputs['duration-ms']} ms (lock wait ${step.outputs['lock-wait-ms']} ms)`,
        );
      },
    },
  };
  return PIPELINE_GRAPH.map((job) => ({ ...job, ...runs[job.id]! }));
}
