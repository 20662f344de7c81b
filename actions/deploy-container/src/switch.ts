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
import { UserError } from '../../../packages/errors/index.ts';
import { randomBytes } from 'node:crypto';
import * as docker from '../../../packages/docker/index.ts';
import { hostCommands } from '../../../packages/docker/index.ts';
import type { Logger } from '../../../packages/log/index.ts';
import { createHttpTransport } from '../../../packages/probe/index.ts';
import type { RemoteHost } from '../../../packages/ssh/index.ts';
import { containerPortOf, type DeployInputs, parsePortMapping } from './inputs.ts';

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
/** How long the proxy has to show a switched config, and an old version to stop after its drain. */
const VERIFY_ATTEMPTS = 20;
const VERIFY_INTERVAL_MS = 250;
/** How long a stopped version gets to finish before docker kills it. */
export const STOP_SECONDS = 10;

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
    for (const stray of strays) await host.exec(docker.stop(stray.name, STOP_SECONDS));
  }
  return { names, serving, proxy, strays };
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
  direct.port = String(containerPortOf(inputs.ports, url));
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
  const ports = inputs.ports.map((port) => parsePortMapping(port)!.containerPort);
  const config = docker.renderProxyConfig({
    upstream,
    ports: [...new Set(ports)],
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
  const transport = createHttpTransport((h, p) => host.forwardOut(h, p));
  const published = parsePortMapping(inputs.ports[0]!)!;
  const address = !published.hostIp || published.hostIp === '0.0.0.0' ? '127.0.0.1' : published.hostIp === '::' ? '::1' : published.hostIp;
  const url = new URL(`http://${address.includes(':') ? `[${address}]` : address}:${published.hostPort}/.golden-proxy/${target.token}`);
  let last = '';
  for (let attempt = 1; attempt <= VERIFY_ATTEMPTS; attempt += 1) {
    try {
      const response = await transport.send({ url, method: 'GET', headers: {}, timeoutMs: 5000, followRedirects: false, insecure: false });
      if (response.status === 200 && response.body.trim() === target.upstream) {
        logger.info(`${host.name}: the proxy routes to ${target.upstream} (${attempt} check${attempt > 1 ? 's' : ''})`);
        return;
      }
      last = `status ${response.status}`;
    } catch (error) {
      last = (error as Error).message;
    }
    await new Promise((resolve) => setTimeout(resolve, VERIFY_INTERVAL_MS));
  }
  throw new UserError(`the proxy did not take the new config within ${VERIFY_ATTEMPTS} checks (last: ${last})`);
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
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const alive = new Set(await proxyWorkers(host, proxy));
    const draining = retired.filter((pid) => alive.has(pid)).length;
    if (draining === 0) return;
    if (performance.now() >= deadline) {
      logger.warning(`${host.name}: ${draining} proxy worker(s) still finishing requests after drain-timeout; nginx closes them now`);
      return;
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}
