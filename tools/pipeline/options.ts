// The local pipeline's command line (scripts/pipeline.ts), parsed by node:util parseArgs into checked options.
import { parseCommandLine, UsageError } from '#args/index';

/** The golden example's environments by --env: its deploy.yml deploys dev; uat and prod are the others its manifest has. */
export const ENVIRONMENTS = {
  dev: { backend: 'dev-backend', frontend: 'dev-frontend' },
  uat: { backend: 'uat2-backend', frontend: 'uat2' },
  prod: { backend: 'prod2-backend', frontend: 'prod2-frontend' },
} as const;
export type PipelineEnv = keyof typeof ENVIRONMENTS;

/** The app run when --example is not given. */
export const DEFAULT_EXAMPLE = 'golden';

export interface PipelineOptions {
  /** examples/<example>/deploy.yml is the call the pipeline runs. */
  example: string;
  /** Only for the golden example: its environments and tag prefix in place of its deploy.yml's. */
  env?: PipelineEnv;
  /** '' when not given: the caller takes HEAD's. */
  sha: string;
  hosts: number;
  /** The backend to the lab's swarm (strategy swarm), checked through its balancer. */
  swarm: boolean;
  breakBackend: boolean;
  sequential: boolean;
  noCache: boolean;
  result?: string;
}

export const PIPELINE_USAGE =
  'usage: npm run pipeline -- [--example APP] [--env dev|uat|prod] [--sha SHA] [--hosts N] [--swarm] [--break-backend] [--sequential] [--no-cache] [--result FILE]';

export function parsePipelineOptions(argv: readonly string[]): PipelineOptions {
  const { values } = parseCommandLine(argv, {
    example: { type: 'string' },
    env: { type: 'string' },
    sha: { type: 'string' },
    hosts: { type: 'string' },
    swarm: { type: 'boolean' },
    'break-backend': { type: 'boolean' },
    sequential: { type: 'boolean' },
    'no-cache': { type: 'boolean' },
    result: { type: 'string' },
  });
  const example = values.example ?? DEFAULT_EXAMPLE;
  if (!/^[a-z0-9][a-z0-9-]*$/.test(example)) throw new UsageError(`--example must name a directory of examples/, not "${example}"`);
  const env = values.env;
  if (env !== undefined && !(env in ENVIRONMENTS))
    throw new UsageError(`--env must be one of ${Object.keys(ENVIRONMENTS).join(', ')}, not "${env}"`);
  if (env !== undefined && example !== DEFAULT_EXAMPLE)
    throw new UsageError(`--env picks the ${DEFAULT_EXAMPLE} example's environments; examples/${example}/deploy.yml names its own`);
  const sha = values.sha ?? '';
  if (values.sha !== undefined && !/^[0-9a-f]{7,40}$/.test(sha)) throw new UsageError(`--sha must be 7 to 40 hex digits, not "${sha}"`);
  const hosts = values.hosts ?? '1';
  if (!/^[1-9]$/.test(hosts)) throw new UsageError(`--hosts must be a number of app hosts from 1 to 9, not "${hosts}"`);
  if (values.result === '') throw new UsageError('--result needs a file name');
  if (values.swarm && values.hosts !== undefined)
    throw new UsageError('--swarm and --hosts are two ways to deploy the backend: choose one');
  return {
    example,
    env: env as PipelineEnv | undefined,
    sha,
    hosts: Number(hosts),
    swarm: values.swarm ?? false,
    breakBackend: values['break-backend'] ?? false,
    sequential: values.sequential ?? false,
    noCache: values['no-cache'] ?? false,
    result: values.result,
  };
}
