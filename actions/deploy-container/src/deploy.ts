/**
 * One deploy on one host, over one SSH connection, as an object that holds the host, the parsed inputs, the
 * phase log and the outcome. `run` reads as the deploy does: lock, sweep what faults left, pull, env file,
 * files, directories, then the strategy (replace.ts or switch.ts), then prune, audit and unlock. Every remote
 * command comes from the catalogue (packages/runtime/docker) as an argv.
 */
import * as docker from '#docker/index';
import { hostCommands } from '#docker/index';
import { inGroup, type Logger } from '#log/index';
import type { RemoteHost } from '#ssh/index';
import { UserError } from '#errors/index';
import type { DeployInputs, DeployStrategy } from './inputs.ts';
import { acquireLock, type HeldLock } from './lock.ts';
import { replaceDeploy } from './replace.ts';
import { switchDeploy } from './switch.ts';

export interface PhaseTiming {
  phase: string;
  ms: number;
}

export type DeployOutcome = 'deployed' | 'rolled-back' | 'failed' | 'rollback-failed';

export interface HostResult {
  host: string;
  outcome: DeployOutcome;
  containerId?: string;
  imageDigest?: string;
  previousImage?: string;
  /** The container that serves on this host when the deploy ends. */
  servingContainer?: string;
  durationMs: number;
  phases: PhaseTiming[];
  /** Why the deploy failed, when it did. */
  error?: string;
  /** Strategy swarm: the service's running tasks per node when the deploy ends. */
  tasks?: Record<string, number>;
}

export interface RunContext {
  /** Who and which run, for the lock owner and the audit log. */
  actor: string;
  runId: string;
  logger: Logger;
}

/** A strategy moves the host from what serves to the new version, or back, and records the outcome on the deploy. */
type Strategy = (deploy: HostDeploy) => Promise<void>;
// Strategy swarm is not a deploy on a host: swarm.ts deploys through a manager to the whole swarm.
const STRATEGIES: Record<Exclude<DeployStrategy, 'swarm'>, Strategy> = { replace: replaceDeploy, switch: switchDeploy };

const LOG_TAIL = 40;

/** Remote paths for one container, under the deploy user's home. */
export function deployPaths(home: string, name: string, envFilePath?: string) {
  const base = `${home}/.golden-deploy`;
  return {
    base,
    envDir: `${base}/env`,
    locks: `${base}/locks`,
    lock: `${base}/locks/${name}.lock`,
    audit: `${base}/audit.log`,
    envFile: envFilePath ?? `${base}/env/${name}.env`,
  };
}
export type DeployPaths = ReturnType<typeof deployPaths>;

export const describe = (error: unknown): string => (error instanceof Error ? error.message : String(error));

export async function deployToHost(host: RemoteHost, inputs: DeployInputs, context: RunContext): Promise<HostResult> {
  const home = (await host.run(hostCommands.homeDirectory())).trim();
  const deploy = new HostDeploy(host, inputs, context, deployPaths(home, inputs.name, inputs.envFilePath));
  await host.run(hostCommands.makePrivateDirs(deploy.paths.base, deploy.paths.envDir, deploy.paths.locks));
  return deploy.run();
}

export class HostDeploy {
  readonly phases: PhaseTiming[] = [];
  outcome: DeployOutcome = 'failed';
  error?: string;
  containerId?: string;
  imageDigest?: string;
  previousImage?: string;
  servingContainer?: string;
  readonly host: RemoteHost;
  readonly inputs: DeployInputs;
  readonly context: RunContext;
  readonly paths: DeployPaths;
  private readonly started = performance.now();

  constructor(host: RemoteHost, inputs: DeployInputs, context: RunContext, paths: DeployPaths) {
    this.host = host;
    this.inputs = inputs;
    this.context = context;
    this.paths = paths;
  }

  get logger(): Logger {
    return this.context.logger;
  }

  /** A named, timed log group of the deploy. */
  phase<T>(name: string, work: () => Promise<T>): Promise<T> {
    return inGroup(this.logger, `${this.host.name}: ${name}`, work, (ms) => this.phases.push({ phase: name, ms }));
  }

  async run(): Promise<HostResult> {
    const lock = await this.phase('lock', () => this.takeLock());
    try {
      await this.sweepCredentials();
      await this.pull();
      await this.writeEnvFile();
      await this.uploadFiles();
      await this.prepareDirs();
      await STRATEGIES[this.inputs.strategy as Exclude<DeployStrategy, 'swarm'>](this);
      if (this.outcome === 'deployed') await this.phase('prune', () => this.pruneImages());
    } catch (error) {
      this.error ??= describe(error);
    } finally {
      await this.finish(lock);
    }
    return this.result();
  }

  /** The new version serves. */
  deployed(container: string): void {
    this.outcome = 'deployed';
    this.servingContainer = container;
  }

  /** Runs the post-deploy commands in the container, each a phase; the first that fails fails the deploy. */
  async runPostDeploy(container: string): Promise<void> {
    for (const [index, command] of this.inputs.postDeploy.entries()) {
      await this.phase(`post-deploy ${index + 1}`, async () => {
        const ran = await this.host.exec(docker.execInContainer(container, command));
        if (ran.stdout.trim()) this.logger.info(ran.stdout.trimEnd());
        if (ran.code !== 0) throw new UserError(`post-deploy command ${index + 1} exited ${ran.code}: ${lastLines(ran.stderr, 3)}`);
      });
    }
  }

  /** The failed container's state and its last log lines, in a group of their own. */
  async showDiagnostics(container: string): Promise<void> {
    this.logger.startGroup(`${this.host.name}: the new container's state and last ${LOG_TAIL} log lines`);
    const state = await this.host.exec(docker.containerState(container));
    this.logger.info(state.code === 0 ? state.stdout.trim() : 'the container does not exist');
    const logs = await this.host.exec(docker.logs(container, LOG_TAIL));
    for (const line of `${logs.stdout}${logs.stderr}`.trimEnd().split('\n')) if (line) this.logger.info(`  ${line}`);
    this.logger.endGroup();
  }

  result(): HostResult {
    const { outcome, containerId, imageDigest, previousImage, servingContainer, phases, error } = this;
    return {
      host: this.host.name,
      outcome,
      containerId,
      imageDigest,
      previousImage,
      servingContainer,
      durationMs: Math.round(performance.now() - this.started),
      phases,
      error,
    };
  }

  private takeLock(): Promise<HeldLock> {
    const owner = `run ${this.context.runId} by ${this.context.actor} since ${new Date().toISOString()}`;
    return acquireLock(this.host, this.paths.lock, owner, this.inputs.lockTimeoutMs, this.logger);
  }

  private async sweepCredentials(): Promise<void> {
    const swept = (await this.host.exec(hostCommands.sweepCredentials())).stdout.trim();
    if (swept)
      this.logger.warning(`${this.host.name}: removed registry credentials an interrupted deploy left: ${swept.split('\n').join(', ')}`);
  }

  private async pull(): Promise<void> {
    const { registry, image } = this.inputs;
    if (registry) {
      await this.phase('login and pull', () =>
        this.host.run(hostCommands.loginAndPull(registry.server, registry.username, image.reference), { stdin: registry.password }),
      );
    } else {
      await this.phase('pull', () => this.host.run(docker.pull(image.reference)));
    }
    this.imageDigest = (await this.host.run(docker.imageDigest(image.reference))).trim() || undefined;
  }

  private async writeEnvFile(): Promise<void> {
    if (this.inputs.env.length === 0) return;
    await this.phase('env file', async () => {
      const file = this.paths.envFile;
      await this.host.run(hostCommands.makePrivateDirs(file.slice(0, file.lastIndexOf('/')) || '/'));
      await this.host.writeFile(file, docker.renderEnvFile(this.inputs.env), 0o600);
    });
  }

  private async uploadFiles(): Promise<void> {
    if (this.inputs.files.length === 0) return;
    await this.phase('files', async () => {
      for (const file of this.inputs.files) {
        await this.host.run(hostCommands.makeDirs(file.remote.slice(0, file.remote.lastIndexOf('/')) || '/'));
        await this.host.writeFile(file.remote, file.content, 0o644);
      }
    });
  }

  private async prepareDirs(): Promise<void> {
    if (this.inputs.prepareDirs.length === 0) return;
    await this.phase('prepare dirs', async () => {
      for (const dir of this.inputs.prepareDirs)
        await this.host.run(docker.prepareDir(this.inputs.image.reference, dir.path, dir.owner, dir.mode));
    });
  }

  /** Removes this repository's images beyond keep-images, never the running image or the rollback target. */
  private async pruneImages(): Promise<void> {
    const { image, keepImages } = this.inputs;
    const listed = (await this.host.run(docker.listImages(image.repository))).trim();
    const ids = [
      ...new Set(
        listed
          .split('\n')
          .filter(Boolean)
          .map((line) => line.split(' ')[0]!),
      ),
    ];
    // The running image and the rollback target always stay and count toward keep-images; the newest
    // of the rest fill what is left.
    const kept = new Set<string>();
    for (const reference of [image.reference, this.previousImage]) {
      if (!reference) continue;
      const id = await this.host.exec(docker.imageId(reference));
      if (id.code === 0) kept.add(id.stdout.trim());
    }
    for (const id of ids) if (kept.size < keepImages) kept.add(id);
    const doomed = ids.filter((id) => !kept.has(id));
    if (doomed.length === 0) return;
    const removed = await this.host.exec(docker.removeImages(doomed));
    this.logger.info(
      `pruned ${doomed.length} image(s) of ${image.repository}${removed.code === 0 ? '' : ` (some are still in use: ${removed.stderr.trim()})`}`,
    );
  }

  /** Writes the audit line and releases the lock, whatever happened; neither failure hides the deploy's own. */
  private async finish(lock: HeldLock): Promise<void> {
    await this.appendAudit().catch((error) => this.logger.warning(`audit log: ${describe(error)}`));
    await lock.release().catch((error) => this.logger.warning(`releasing the lock: ${describe(error)}`));
  }

  private async appendAudit(): Promise<void> {
    const result = this.result();
    const line = [
      new Date().toISOString(),
      `actor=${this.context.actor}`,
      `run=${this.context.runId}`,
      `container=${this.inputs.name}`,
      `image=${this.inputs.image.reference}`,
      `digest=${result.imageDigest ?? '-'}`,
      `result=${result.outcome}`,
      `ms=${result.durationMs}`,
    ].join(' ');
    await this.host.run(hostCommands.appendLine(this.paths.audit, line));
  }
}

/** The last lines of a command's output, joined on one line for a message. */
export const lastLines = (text: string, count: number) => text.trim().split('\n').slice(-count).join(' | ');

/** The container as strategy replace runs it: under the service's name, publishing its ports. */
export function containerSpec(inputs: DeployInputs, envFile: string): docker.ContainerSpec {
  return {
    name: inputs.name,
    image: inputs.image.reference,
    envFile: inputs.env.length > 0 ? envFile : undefined,
    ports: inputs.ports,
    volumes: inputs.volumes,
    labels: inputs.labels,
    restart: inputs.restart,
    network: inputs.network,
    command: inputs.command,
    extraArgs: inputs.dockerArgs,
  };
}
