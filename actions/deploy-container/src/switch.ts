/**
 * Strategy `switch`: the new version starts beside the old one and takes traffic only once it is verified.
 *
 * The service's proxy container (nginx, `proxy-image`) owns the published host ports. App containers
 * publish nothing; they join the service's network under an alias. The proxy config on the host names
 * the alias that serves, and is the one record of it. The order, as Kamal's boot with kamal-proxy:
 *   start new → gate it directly → post-deploy → switch (config rename + graceful reload) →
 *   verify through the proxy → drain and stop the old one, kept stopped as the rollback target.
 * Before the switch a failure removes the new container (the old one never stopped); after it, the config
 * goes back to the old container, which still runs. At no moment is the port left without a verified
 * version, so a lost connection or a dead runner leaves something verified serving; the next deploy
 * recovers whatever such a fault left (a half-started container, a config not yet loaded, old versions).
 */
import { randomBytes } from 'node:crypto';
import * as docker from '#docker/index';
import { containerPortFor, hostAddressOf, hostCommands } from '#docker/index';
import { UserError } from '#errors/index';
import type { Logger } from '#log/index';
import { pollUntil } from '#probe/index';
import type { RemoteHost } from '#ssh/index';
import { describe, type HostDeploy } from './deploy.ts';
import { healthGate, transportThrough } from './gate.ts';
import type { DeployInputs } from './inputs.ts';

export async function switchDeploy(deploy: HostDeploy): Promise<void> {
  const state = await deploy.phase('recover', () => recoverService(deploy.host, deploy.inputs, deploy.paths.base, deploy.logger));
  deploy.previousImage = state.serving?.image;
  deploy.servingContainer = state.serving?.name;
  const release = newRelease();
  const spec = newContainerSpec(deploy.inputs, release, state.names, deploy.paths.envFile);
  if (!(await startBeside(deploy, state, spec))) return;
  if (!(await moveTraffic(deploy, state, spec, release))) return;
  deploy.deployed(spec.name);
  await deploy.phase('drain', () => retireOld(deploy, state, spec.name));
}

/** The old version still serves: the deploy ends as rolled back (or failed, on a first deploy). */
function fellBack(deploy: HostDeploy, state: SwitchState, why: unknown): void {
  const old = state.serving;
  deploy.error = describe(why);
  deploy.outcome = old ? 'rolled-back' : 'failed';
  if (old) deploy.logger.info(`${deploy.host.name}: ${old.name} (${old.image}) still serves`);
}

/**
 * Starts the new version beside the old one and gates it directly, then post-deploy. Before the switch a
 * failure removes the new container: it never took a request, and the old one never stopped.
 */
async function startBeside(deploy: HostDeploy, state: SwitchState, spec: docker.ContainerSpec): Promise<boolean> {
  const { host, inputs } = deploy;
  try {
    deploy.containerId = (await deploy.phase('start', () => host.run(docker.run(spec)))).trim();
    if (inputs.network) await host.run(docker.networkConnect(inputs.network, spec.name));
    const direct = await directHealthUrl(host, inputs, spec.name, state.names.network);
    await deploy.phase('health gate', () => healthGate(host, inputs.health, spec.name, direct, deploy.logger));
    await deploy.runPostDeploy(spec.name);
    return true;
  } catch (error) {
    await deploy.showDiagnostics(spec.name).catch(() => undefined);
    await host.exec(docker.remove(spec.name)).catch(() => undefined);
    fellBack(deploy, state, error);
    return false;
  }
}

/** Switches the proxy to the new version and verifies it through the proxy; on failure, switches back. */
async function moveTraffic(deploy: HostDeploy, state: SwitchState, spec: docker.ContainerSpec, release: string): Promise<boolean> {
  const { host, inputs, logger } = deploy;
  const old = state.serving;
  state.retired = state.proxy ? await proxyWorkers(host, state.names.proxy) : [];
  try {
    const target = await deploy.phase('switch', () => switchProxy(host, inputs, state, release));
    await deploy.phase('verify', async () => {
      await verifyThroughProxy(host, inputs, target, logger);
      if (inputs.health.url) await healthGate(host, inputs.health, spec.name, inputs.health.url, logger);
    });
    return true;
  } catch (error) {
    if (!old || !inputs.rollback) {
      deploy.error = describe(error);
      deploy.servingContainer = spec.name;
      return false;
    }
    try {
      // After the switch: back to the old container, which still runs.
      await deploy.phase('rollback', async () => {
        const back = await switchProxy(host, inputs, state, aliasOf(inputs.name, old.name));
        await verifyThroughProxy(host, inputs, back, logger);
      });
      await host.exec(docker.remove(spec.name));
      fellBack(deploy, state, error);
    } catch (rollbackError) {
      deploy.outcome = 'rollback-failed';
      deploy.error = `${describe(error)}; then switching back to ${old.name} failed: ${describe(rollbackError)}`;
    }
    return false;
  }
}

/** Drains the old version, stops it (kept as the rollback target), and removes the versions before it. */
async function retireOld(deploy: HostDeploy, state: SwitchState, serving: string): Promise<void> {
  const { host, inputs, logger } = deploy;
  const old = state.serving;
  await waitForDrain(host, state.names.proxy, state.retired, inputs.drainTimeoutMs, logger);
  if (old) await host.exec(docker.stop(old.name));
  const containers = parseServiceContainers(await host.run(docker.serviceContainers(inputs.name)));
  const stale = containers.filter((c) => c.role === 'app' && c.name !== serving && c.name !== old?.name).map((c) => c.name);
  if (stale.length > 0) await host.exec(docker.removeContainers(stale));
}

/** Names of one service's parts on a host. */
export function serviceNames(service: string, base: string) {
  return {
    network: `${service}-net`,
    proxy: `${service}-proxy`,
    /** Mounted read-only into the proxy at /golden. */
    proxyDir: `${base}/proxy/${service}`,
    config: `${base}/proxy/${service}/nginx.conf`,
    nextConfig: `${base}/proxy/${service}/nginx.conf.next`,
  };
}
export type ServiceNames = ReturnType<typeof serviceNames>;

const PROXY_MOUNT = '/golden';
/** How long the proxy has to show a switched config. */
const VERIFY_ATTEMPTS = 20;
const VERIFY_INTERVAL_MS = 250;
/** How often a drain looks at the proxy's workers. */
const DRAIN_INTERVAL_MS = 200;

export interface ServiceContainer {
  name: string;
  image: string;
  state: string;
  role: string;
}

/** A release id sorts by time and is unique per deploy: the app container is `<service>-<release>`. */
export function newRelease(now = new Date()): string {
  const stamp = now
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, '')
    .toLowerCase();
  return `r${stamp}-${randomBytes(2).toString('hex')}`;
}

/** The alias of an app container on the service network: its release id. */
export const aliasOf = (service: string, container: string) => container.slice(service.length + 1);

export function parseServiceContainers(listing: string): ServiceContainer[] {
  return listing
    .split('\n')
    .filter(Boolean)
    .map((line) => {
      const [name = '', image = '', state = '', role = ''] = line.split('|');
      return { name, image, state, role };
    });
}

export interface SwitchState {
  names: ServiceNames;
  /** The app container the proxy config routes to before this deploy, if it exists. */
  serving?: ServiceContainer;
  /** Whether the proxy container exists, and runs. */
  proxy?: ServiceContainer;
  /** App containers that are neither serving nor the rollback target: left by earlier faults. */
  strays: ServiceContainer[];
  /** The proxy's workers before the switch: the ones its reload retires, whose requests the drain waits for. */
  retired: string[];
}

/**
 * Reads what earlier deploys left and repairs it, before anything new starts: the proxy runs the config
 * on disk (a fault between the config's rename and the reload left them apart), the container that config
 * names runs, and strays (half-started versions, old ones never stopped) are drained and stopped.
 */
export async function recoverService(host: RemoteHost, inputs: DeployInputs, base: string, logger: Logger): Promise<SwitchState> {
  const service = inputs.name;
  const names = serviceNames(service, base);
  if ((await host.exec(docker.networkExists(names.network))).code !== 0) await host.run(docker.networkCreate(names.network));
  await host.run(hostCommands.makePrivateDirs(names.proxyDir));
  await host.exec(hostCommands.removeFile(names.nextConfig));

  const containers = parseServiceContainers(await host.run(docker.serviceContainers(service)));
  const proxy = containers.find((c) => c.role === 'proxy' && c.name === names.proxy);
  const config = await host.exec(hostCommands.readFile(names.config));
  const upstream = config.code === 0 ? docker.servingUpstream(config.stdout) : undefined;
  const serving = upstream ? containers.find((c) => c.role === 'app' && aliasOf(service, c.name) === upstream) : undefined;

  if (serving && serving.state !== 'running') {
    logger.warning(`${host.name}: ${serving.name}, which the proxy routes to, was ${serving.state}; starting it`);
    await host.run(docker.start(serving.name));
    serving.state = 'running';
  }
  if (proxy && proxy.state !== 'running') {
    logger.warning(`${host.name}: the proxy ${names.proxy} was ${proxy.state}; starting it`);
    await host.run(docker.start(names.proxy));
    proxy.state = 'running';
  }
  let retired: string[] = [];
  if (proxy) {
    // Cheap and idempotent: whatever a fault left loaded, the proxy now runs the config on disk.
    retired = await proxyWorkers(host, names.proxy);
    await host.run(docker.reloadProxy(names.proxy));
  }
  const strays = containers.filter((c) => c.role === 'app' && c.name !== serving?.name && c.state === 'running');
  if (strays.length > 0) {
    logger.warning(`${host.name}: stopping ${strays.map((c) => c.name).join(', ')}, left running by a deploy that did not finish`);
    if (proxy) await waitForDrain(host, names.proxy, retired, inputs.drainTimeoutMs, logger);
    for (const stray of strays) await host.exec(docker.stop(stray.name));
  }
  return { names, serving, proxy, strays, retired: [] };
}

/** Starts the new version beside the old one: unpublished, on the service network under its release alias. */
export function newContainerSpec(inputs: DeployInputs, release: string, names: ServiceNames, envFile: string): docker.ContainerSpec {
  return {
    name: `${inputs.name}-${release}`,
    image: inputs.image.reference,
    envFile: inputs.env.length > 0 ? envFile : undefined,
    ports: [],
    volumes: inputs.volumes,
    labels: [...inputs.labels, `${docker.SERVICE_LABEL}=${inputs.name}`, `${docker.ROLE_LABEL}=app`],
    restart: inputs.restart,
    network: names.network,
    networkAlias: release,
    command: inputs.command,
    extraArgs: inputs.dockerArgs,
  };
}

/** The proxy container: publishes `ports`, mounts the config folder read-only, restarts with the host. */
export function proxySpec(inputs: DeployInputs, names: ServiceNames): docker.ContainerSpec {
  return {
    name: names.proxy,
    image: inputs.proxyImage!,
    ports: inputs.ports,
    volumes: [`${names.proxyDir}:${PROXY_MOUNT}:ro`],
    labels: [`${docker.SERVICE_LABEL}=${inputs.name}`, `${docker.ROLE_LABEL}=proxy`],
    restart: 'unless-stopped',
    network: names.network,
    command: ['nginx', '-g', 'daemon off;', '-c', `${PROXY_MOUNT}/nginx.conf`],
    extraArgs: [],
  };
}

/** Where the gate reaches the new container directly: its address on the service network. */
export async function directHealthUrl(
  host: RemoteHost,
  inputs: DeployInputs,
  container: string,
  network: string,
): Promise<URL | undefined> {
  const url = inputs.health.url;
  if (!url) return undefined;
  const address = (await host.run(docker.containerAddress(container, network))).trim();
  if (!address) throw new UserError(`${container} has no address on ${network}`);
  const direct = new URL(url.href);
  direct.hostname = address;
  direct.port = String(containerPortFor(inputs.ports, url));
  return direct;
}

export interface ProxyTarget {
  upstream: string;
  token: string;
}

/** Renders and installs the config for `upstream`: written beside the live one, checked, renamed, reloaded. */
export async function switchProxy(host: RemoteHost, inputs: DeployInputs, state: SwitchState, upstream: string): Promise<ProxyTarget> {
  const { names } = state;
  const token = randomBytes(12).toString('hex');
  const config = docker.renderProxyConfig({
    upstream,
    ports: [...new Set(inputs.ports.map((port) => port.containerPort))],
    token,
    drainSeconds: Math.ceil(inputs.drainTimeoutMs / 1000),
  });
  await host.writeFile(names.nextConfig, config, 0o644);
  if (state.proxy) {
    await host.run(docker.testProxyConfig(names.proxy, `${PROXY_MOUNT}/nginx.conf.next`));
    // One remote unit: once the new config is in place the reload follows even if this runner dies.
    await host.run(hostCommands.switchConfig(names.nextConfig, names.config, names.proxy));
  } else {
    await host.run(hostCommands.replaceFile(names.nextConfig, names.config));
    const legacy = await host.exec(docker.containerInfo(inputs.name));
    // The first switch deploy over a `replace` container: it holds the port until the proxy takes it.
    await host.run(
      legacy.code === 0
        ? hostCommands.takeOverPorts(inputs.name, docker.run(proxySpec(inputs, names)))
        : docker.run(proxySpec(inputs, names)),
    );
    state.proxy = { name: names.proxy, image: inputs.proxyImage!, state: 'running', role: 'proxy' };
  }
  return { upstream, token };
}

/** Waits until the proxy answers its published port with `target`'s config: the switch is live. */
export async function verifyThroughProxy(host: RemoteHost, inputs: DeployInputs, target: ProxyTarget, logger: Logger): Promise<void> {
  const transport = transportThrough(host);
  const published = inputs.ports[0]!;
  const address = hostAddressOf(published);
  const url = new URL(`http://${address.includes(':') ? `[${address}]` : address}:${published.hostPort}/.golden-proxy/${target.token}`);
  const routed = await pollUntil<number>(
    async (attempt) => {
      try {
        const response = await transport.send({
          url,
          method: 'GET',
          headers: {},
          timeoutMs: 5000,
          followRedirects: false,
          insecure: false,
        });
        if (response.status === 200 && response.body.trim() === target.upstream) return { done: true, value: attempt };
        return { done: false, seen: `status ${response.status}` };
      } catch (error) {
        return { done: false, seen: (error as Error).message };
      }
    },
    { intervalMs: VERIFY_INTERVAL_MS, maxAttempts: VERIFY_ATTEMPTS },
  );
  if (!routed.done) throw new UserError(`the proxy did not take the new config within ${VERIFY_ATTEMPTS} checks (last: ${routed.last})`);
  logger.info(`${host.name}: the proxy routes to ${target.upstream} (${routed.value} check${routed.value > 1 ? 's' : ''})`);
}

/** The proxy's nginx worker pids now; taken before a reload, the workers it will retire. */
export async function proxyWorkers(host: RemoteHost, proxy: string): Promise<string[]> {
  const top = await host.exec(docker.processes(proxy));
  return top.code === 0 ? docker.nginxWorkerPids(top.stdout) : [];
}

/**
 * Waits until the `retired` workers (taken before a reload) have finished their requests and exited, at
 * most `timeoutMs`; nginx's worker_shutdown_timeout closes what is left at the same time.
 */
export async function waitForDrain(
  host: RemoteHost,
  proxy: string,
  retired: readonly string[],
  timeoutMs: number,
  logger: Logger,
): Promise<void> {
  const drained = await pollUntil<void>(
    async () => {
      const alive = new Set(await proxyWorkers(host, proxy));
      const draining = retired.filter((pid) => alive.has(pid)).length;
      return draining === 0 ? { done: true, value: undefined } : { done: false, seen: String(draining) };
    },
    { intervalMs: DRAIN_INTERVAL_MS, deadlineMs: timeoutMs },
  );
  if (!drained.done)
    logger.warning(`${host.name}: ${drained.last} proxy worker(s) still finishing requests after drain-timeout; nginx closes them now`);
}
