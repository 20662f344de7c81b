/**
 * Strategy `switch`: the new version starts beside the old one and takes traffic only once it is verified.
 *
 * The service's edge, an HAProxy container (`proxy-image`), owns the published host ports. App containers
 * publish nothing; they join the service's network under an alias. Each port has two server slots: one
 * serves, the other takes the next release. The config file on the host records the serving alias and slot,
 * and is the one record of what serves. The order, as Kamal's boot with kamal-proxy:
 *   start new → gate it directly → post-deploy → switch (record, then the runtime API: the idle slot takes
 *   the new address and traffic, the serving one goes to maintenance) → verify through the runtime and the
 *   port → drain the old slot's requests, then stop the old container, kept as the rollback target.
 * No client connection is touched: kept-alive ones send their next request to the new slot. Before the
 * switch a failure removes the new container; after it, the old slot takes the traffic back. At no moment is
 * the port left without a verified version, and the next deploy's recovery puts the runtime back in line
 * with the record, whatever a fault left.
 */
import { randomBytes } from 'node:crypto';
import * as docker from '#docker/index';
import { containerPortFor, hostAddressOf, hostCommands, type Slot } from '#docker/index';
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
  await deploy.phase('drain', () => retireOld(deploy, state));
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

/** Moves traffic to the new version and verifies it through the proxy; on failure, moves it back. */
async function moveTraffic(deploy: HostDeploy, state: SwitchState, spec: docker.ContainerSpec, release: string): Promise<boolean> {
  const { host, inputs, logger } = deploy;
  const old = state.serving;
  const retiring = state.edge?.slot;
  try {
    const target = await deploy.phase('switch', async () => {
      const target: EdgeTarget = {
        upstream: release,
        slot: retiring ? docker.otherSlot(retiring) : 'blue',
        address: await addressOn(host, spec.name, state.names.network),
      };
      await writeTls(host, inputs, state.names);
      await switchEdge(deploy, state, target);
      return target;
    });
    await deploy.phase('verify', async () => {
      await verifyThroughProxy(host, inputs, state, target, logger);
      if (inputs.health.url && !state.maintenance) {
        const edge = transportThrough(host, inputs.proxyProtocol);
        await healthGate(host, inputs.health, spec.name, inputs.health.url, logger, edge);
      }
    });
    return true;
  } catch (error) {
    if (!old || !inputs.rollback) {
      deploy.error = describe(error);
      deploy.servingContainer = spec.name;
      return false;
    }
    try {
      // After the switch: back to the old container, which still runs, in the slot it served from.
      await deploy.phase('rollback', async () => {
        const back: EdgeTarget = {
          upstream: aliasOf(inputs.name, old.name),
          slot: retiring ?? 'green',
          address: await addressOn(host, old.name, state.names.network),
        };
        await switchEdge(deploy, state, back);
        await verifyThroughProxy(host, inputs, state, back, logger);
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

/**
 * Waits for the old slot's requests in flight (at most drain-timeout), closes what still runs there (long
 * polls, WebSockets, event streams), stops the old version (kept as the rollback target), and removes the
 * versions before it and an nginx proxy this deploy took the ports from.
 */
async function retireOld(deploy: HostDeploy, state: SwitchState): Promise<void> {
  const { host, inputs, logger } = deploy;
  const old = state.serving;
  if (state.edge) await drainSlot(host, state.names.proxy, state.edge, inputs.drainTimeoutMs, logger);
  if (old) await host.exec(docker.stop(old.name));
  if (state.handedOver) {
    await host.exec(docker.remove(state.names.retiredProxy));
    await host.exec(hostCommands.removeFile(state.names.legacyConfig));
  }
  const containers = parseServiceContainers(await host.run(docker.serviceContainers(inputs.name)));
  const serving = deploy.servingContainer;
  const stale = containers.filter((c) => c.role === 'app' && c.name !== serving && c.name !== old?.name).map((c) => c.name);
  if (stale.length > 0) await host.exec(docker.removeContainers(stale));
}

/** Names of one service's parts on a host. */
export function serviceNames(service: string, base: string) {
  const proxyDir = `${base}/proxy/${service}`;
  return {
    network: `${service}-net`,
    proxy: `${service}-proxy`,
    /** Mounted read-only into the proxy at EDGE_MOUNT: the config, the maintenance map, the TLS file. */
    proxyDir,
    config: `${proxyDir}/${docker.EDGE_CONFIG}`,
    nextConfig: `${proxyDir}/${docker.EDGE_CONFIG}.next`,
    map: `${proxyDir}/${docker.EDGE_MAP}`,
    pem: `${proxyDir}/${docker.EDGE_PEM}`,
    /** The config of the nginx proxy that earlier versions ran, which one deploy replaces. */
    legacyConfig: `${proxyDir}/nginx.conf`,
    /**
     * The name of the container that held the ports while a new edge takes them over: an earlier version's
     * nginx proxy, or an edge of another image or other ports. It is removed once the deploy is through.
     */
    retiredProxy: `${service}-proxy-retired`,
  };
}
export type ServiceNames = ReturnType<typeof serviceNames>;

/** How long the proxy has to show a switch. */
const VERIFY_ATTEMPTS = 20;
const VERIFY_INTERVAL_MS = 250;
/** How often a drain looks at the old slot's sessions. */
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
  /** The app container the record names before this deploy, if it exists. */
  serving?: ServiceContainer;
  /** Whether the proxy container exists, and runs. */
  proxy?: ServiceContainer;
  /** What the edge's config records (release and slot) and the ports it listens on; unset before the edge. */
  edge?: docker.EdgeRecord & { ports: number[]; config: string };
  /** The proxy is the nginx one earlier versions ran: this deploy hands its ports to the edge. */
  legacy: boolean;
  /** Why the running edge must be replaced (another image, other ports), handing its ports to a new one. */
  replaceEdge?: string;
  /** This deploy handed the ports from an older container (set aside as `retiredProxy`) to a new edge. */
  handedOver?: boolean;
  /** Whether the edge answers with the maintenance page, as its map file says. */
  maintenance: boolean;
}

/** Where traffic goes: a release's alias, the slot it takes, and its address on the service network. */
export interface EdgeTarget {
  upstream: string;
  slot: Slot;
  address: string;
}

/**
 * Reads what earlier deploys left and repairs it, before anything new starts: the container the record
 * names runs, the proxy runs, the runtime routes as the record says (a fault between the record and the
 * runtime commands left them apart), the maintenance flag is what the map file says, and strays
 * (half-started versions, old ones never stopped) are drained and stopped.
 */
export async function recoverService(host: RemoteHost, inputs: DeployInputs, base: string, logger: Logger): Promise<SwitchState> {
  const service = inputs.name;
  const names = serviceNames(service, base);
  if ((await host.exec(docker.networkExists(names.network))).code !== 0) await host.run(docker.networkCreate(names.network));
  await host.run(hostCommands.makePrivateDirs(names.proxyDir));
  await host.exec(hostCommands.removeFile(names.nextConfig));

  const containers = parseServiceContainers(await host.run(docker.serviceContainers(service)));
  const legacy = await recoverRetiredProxy(host, names, containers, logger);
  // The edge, or (legacy) the nginx proxy that still holds the ports.
  const proxy = containers.find((c) => (c.role === EDGE_ROLE || c.role === NGINX_ROLE) && c.name === names.proxy);
  const config = await readHostFile(host, names.config);
  // While the nginx proxy holds the ports, its config says what serves; an edge record beside it is only
  // the one a hand-over that never ran left behind.
  const record = config === undefined || legacy ? undefined : docker.edgeRecord(config);
  const upstream = legacy ? legacy.upstream : record?.upstream;
  const serving = upstream ? containers.find((c) => c.role === 'app' && aliasOf(service, c.name) === upstream) : undefined;
  const map = docker.parseEdgeMap((await readHostFile(host, names.map)) ?? '');
  const state: SwitchState = {
    names,
    serving,
    proxy,
    edge: record && config ? { ...record, ports: docker.edgePorts(config), config } : undefined,
    legacy: legacy !== undefined,
    maintenance: map?.on ?? false,
  };

  if (proxy && !state.legacy) state.replaceEdge = await edgeMismatch(host, inputs, proxy);
  if (state.replaceEdge)
    logger.warning(
      `${host.name}: ${state.replaceEdge}; this deploy replaces the edge, and its ports go unserved for the moment of the hand-over`,
    );
  for (const container of [serving, proxy]) {
    if (!container || container.state === 'running') continue;
    logger.warning(`${host.name}: ${container.name}, which serves, was ${container.state}; starting it`);
    await host.run(docker.start(container.name));
    container.state = 'running';
  }
  if (proxy && serving && state.edge && !state.legacy && !state.replaceEdge) await realignRuntime(host, state, serving, map);
  await stopStrays(host, inputs, state, containers, logger);
  return state;
}

/** Cheap and idempotent: whatever a fault left in the edge's runtime, it now routes and answers as the files say. */
async function realignRuntime(
  host: RemoteHost,
  state: SwitchState,
  serving: ServiceContainer,
  map?: docker.EdgeMaintenance,
): Promise<void> {
  const { names, edge } = state;
  const address = await addressOn(host, serving.name, names.network);
  await proxyAdmin(host, names.proxy, docker.routeCommands(edge!.ports, edge!.slot, address));
  if (map) await proxyAdmin(host, names.proxy, docker.maintenanceCommands(map));
}

/** Drains and stops app containers that run but do not serve: half-started versions, old ones never stopped. */
async function stopStrays(
  host: RemoteHost,
  inputs: DeployInputs,
  state: SwitchState,
  containers: readonly ServiceContainer[],
  logger: Logger,
): Promise<void> {
  const strays = containers.filter((c) => c.role === 'app' && c.name !== state.serving?.name && c.state === 'running');
  if (strays.length === 0) return;
  logger.warning(`${host.name}: stopping ${strays.map((c) => c.name).join(', ')}, left running by a deploy that did not finish`);
  if (state.proxy && state.edge && !state.legacy) await drainSlot(host, state.names.proxy, state.edge, inputs.drainTimeoutMs, logger);
  for (const stray of strays) await host.exec(docker.stop(stray.name));
}

/**
 * The role label of the edge container; the nginx proxy of earlier versions has `proxy`, which is how a deploy
 * tells the two apart whatever files a fault left.
 */
export const EDGE_ROLE = 'edge';
const NGINX_ROLE = 'proxy';

/**
 * The holder of the ports a hand-over cut short, and an earlier version's nginx proxy. Returns the release the
 * nginx proxy's config names while it still holds the ports (this deploy hands them to the edge). A hand-over
 * sets the old holder aside as `retiredProxy` first, so the names tell what a fault left: set aside with
 * nothing under the proxy's name, it takes its name back and runs again; set aside beside a new edge, the edge
 * took the ports, and it goes. The nginx config goes once no nginx proxy is left.
 */
async function recoverRetiredProxy(
  host: RemoteHost,
  names: ServiceNames,
  containers: ServiceContainer[],
  logger: Logger,
): Promise<{ upstream?: string } | undefined> {
  const named = (name: string) => containers.find((c) => (c.role === NGINX_ROLE || c.role === EDGE_ROLE) && c.name === name);
  const retired = named(names.retiredProxy);
  if (retired && named(names.proxy)) {
    logger.warning(`${host.name}: removing ${retired.name}, which an interrupted deploy moved the ports from`);
    await host.run(docker.remove(retired.name));
    containers.splice(containers.indexOf(retired), 1);
  } else if (retired) {
    logger.warning(`${host.name}: ${retired.name} was set aside by an interrupted hand-over; it takes the ports back`);
    await host.run(docker.rename(retired.name, names.proxy));
    await host.run(docker.start(names.proxy));
    Object.assign(retired, { name: names.proxy, state: 'running' });
  }
  if (named(names.proxy)?.role === NGINX_ROLE)
    return { upstream: docker.servingUpstream((await readHostFile(host, names.legacyConfig)) ?? '') };
  await host.exec(hostCommands.removeFile(names.legacyConfig));
  return undefined;
}

/** Why the running edge cannot serve these inputs (another image, other published ports), if it cannot. */
async function edgeMismatch(host: RemoteHost, inputs: DeployInputs, edge: ServiceContainer): Promise<string | undefined> {
  if (edge.image !== inputs.proxyImage) return `the edge ${edge.name} runs ${edge.image}, not proxy-image ${inputs.proxyImage}`;
  const published = await host.exec(docker.publishedPorts(edge.name));
  if (published.code === 0 && !docker.publishesExactly(published.stdout.trim(), inputs.ports))
    return `the edge ${edge.name} publishes other ports than ${inputs.ports.map(docker.formatPortMapping).join(', ')}`;
  return undefined;
}

const readHostFile = async (host: RemoteHost, path: string): Promise<string | undefined> => {
  const read = await host.exec(hostCommands.readFile(path));
  return read.code === 0 ? read.stdout : undefined;
};

/** A container's address on a network. */
async function addressOn(host: RemoteHost, container: string, network: string): Promise<string> {
  const address = (await host.run(docker.containerAddress(container, network))).trim();
  if (!address) throw new UserError(`${container} has no address on ${network}`);
  return address;
}

/** Runs commands on the edge's runtime API; throws with what HAProxy said when it refused one. */
async function proxyAdmin(host: RemoteHost, proxy: string, commands: string): Promise<string> {
  const answer = await host.run(hostCommands.proxyAdmin(proxy, commands));
  const refused = docker.adminFailure(answer);
  if (refused) throw new UserError(`the proxy ${proxy} refused a runtime command: ${refused}`);
  return answer;
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

/**
 * The edge container: publishes `ports`, mounts the proxy folder read-only, restarts with the host. HAProxy
 * runs as its master (-W), which a reload signals; as root, so it reads the private folder whatever user the
 * image names.
 */
export function proxySpec(inputs: DeployInputs, names: ServiceNames): docker.ContainerSpec {
  return {
    name: names.proxy,
    image: inputs.proxyImage!,
    ports: inputs.ports,
    volumes: [`${names.proxyDir}:${docker.EDGE_MOUNT}:ro`],
    labels: [`${docker.SERVICE_LABEL}=${inputs.name}`, `${docker.ROLE_LABEL}=${EDGE_ROLE}`],
    restart: 'unless-stopped',
    network: names.network,
    command: ['haproxy', '-W', '-db', '-f', `${docker.EDGE_MOUNT}/${docker.EDGE_CONFIG}`],
    extraArgs: ['--user', '0:0'],
  };
}

/** The edge's settings as these inputs ask for them, for a config that routes to `target`. */
export const edgeConfigSpec = (inputs: DeployInputs, target: Pick<EdgeTarget, 'upstream' | 'slot'>): docker.EdgeConfigSpec => ({
  upstream: target.upstream,
  slot: target.slot,
  ports: [...new Set(inputs.ports.map((port) => port.containerPort))],
  tls: inputs.tls !== undefined,
  certificateDigest: inputs.tls?.digest,
  proxyProtocol: inputs.proxyProtocol,
  forwardHeaders: inputs.forwardHeaders,
});

/** Where the gate reaches the new container directly: its address on the service network, in plain HTTP. */
export async function directHealthUrl(
  host: RemoteHost,
  inputs: DeployInputs,
  container: string,
  network: string,
): Promise<URL | undefined> {
  const url = inputs.health.url;
  if (!url) return undefined;
  const direct = new URL(url.href);
  direct.hostname = await addressOn(host, container, network);
  direct.port = String(containerPortFor(inputs.ports, url));
  // The edge ends TLS: the app behind it speaks plain HTTP.
  direct.protocol = 'http:';
  return direct;
}

/**
 * Writes the record for `target`, checks it, and moves traffic there. With a running edge, one remote unit
 * renames the record into place and then sends the runtime commands (or, when ports, TLS or the PROXY
 * protocol changed, reloads HAProxy, which starts from the record), so a runner that dies in between leaves
 * the record and the runtime together. The first time, the edge starts on the record, taking the ports from
 * a replace-strategy container or an nginx proxy if one holds them.
 */
export async function switchEdge(deploy: HostDeploy, state: SwitchState, target: EdgeTarget): Promise<void> {
  const { host, inputs } = deploy;
  const { names } = state;
  const spec = edgeConfigSpec(inputs, target);
  const config = docker.renderEdgeConfig(spec);
  const running = state.proxy && state.edge && !state.legacy && !state.replaceEdge;
  await host.writeFile(names.nextConfig, config, 0o644);
  // HAProxy loads the map a config names when it checks it: a new edge needs one first.
  if (!running && !(await readHostFile(host, names.map)))
    await host.writeFile(names.map, docker.renderEdgeMap({ on: false, page: docker.DEFAULT_MAINTENANCE_PAGE }), 0o644);
  await host.run(docker.checkEdgeConfig(inputs.proxyImage!, names.proxyDir, `${docker.EDGE_CONFIG}.next`));
  if (running) {
    const reload = docker.edgeSettingsDiffer(state.edge!.config, spec);
    const apply = reload
      ? docker.reloadEdge(names.proxy)
      : hostCommands.proxyAdmin(names.proxy, docker.routeCommands(spec.ports, target.slot, target.address));
    if (reload) deploy.logger.info(`${host.name}: the edge's ports, TLS or PROXY protocol changed; HAProxy reloads`);
    const answer = await host.run(hostCommands.switchConfig(names.nextConfig, names.config, apply));
    const refused = reload ? undefined : docker.adminFailure(answer);
    if (refused) throw new UserError(`the proxy ${names.proxy} refused a runtime command: ${refused}`);
  } else {
    await host.run(hostCommands.replaceFile(names.nextConfig, names.config));
    await startEdge(host, inputs, state);
  }
  state.edge = { upstream: target.upstream, slot: target.slot, ports: spec.ports, config };
}

/**
 * Starts the edge on the record. A container that holds the ports (the replace strategy's, an earlier
 * version's nginx proxy, or an edge of another image or ports) hands them over in one unit; one with the
 * proxy's name is set aside as `retiredProxy` for the length of the deploy.
 */
async function startEdge(host: RemoteHost, inputs: DeployInputs, state: SwitchState): Promise<void> {
  const { names } = state;
  const spec = proxySpec(inputs, names);
  // An edge with no record beside it (its folder was removed by hand) routes to nothing this deploy can vouch
  // for: it hands its ports over as any other holder does.
  if (state.legacy || state.replaceEdge || state.proxy) {
    await host.run(hostCommands.takeOverPorts(names.proxy, names.retiredProxy, names.proxy, docker.create(spec)));
    state.handedOver = true;
  } else if ((await host.exec(docker.containerInfo(inputs.name))).code === 0)
    await host.run(hostCommands.takeOverPorts(inputs.name, '', names.proxy, docker.create(spec)));
  else await host.run(docker.run(spec));
  Object.assign(state, { legacy: false, replaceEdge: undefined });
  state.proxy = { name: names.proxy, image: inputs.proxyImage!, state: 'running', role: EDGE_ROLE };
}

/**
 * Puts the TLS file in place (certificate chain and key, mode 0600 in the private proxy folder, replaced by
 * rename), or removes it when TLS is off. The config names the certificate's digest, so a new certificate
 * is a changed setting, which reloads HAProxy.
 */
async function writeTls(host: RemoteHost, inputs: DeployInputs, names: ServiceNames): Promise<void> {
  if (!inputs.tls) {
    // With the half-written copy an interrupted deploy may have left.
    await host.exec(hostCommands.removeFile(names.pem, `${names.pem}.next`));
    return;
  }
  await host.writeFile(`${names.pem}.next`, docker.edgePem(inputs.tls.certificate, inputs.tls.key), 0o600);
  await host.run(hostCommands.replaceFile(`${names.pem}.next`, names.pem));
}

/**
 * Where the verify asks the edge, as the host sees it: the first published port, with health-url's host and
 * path when health-url is on that port (a certificate names that host).
 */
function edgeProbeUrl(inputs: DeployInputs): URL {
  const published = inputs.ports[0]!;
  const address = hostAddressOf(published);
  const url = new URL(`${inputs.tls ? 'https' : 'http'}://${address.includes(':') ? `[${address}]` : address}:${published.hostPort}/`);
  if (inputs.health.url && containerPortFor(inputs.ports, inputs.health.url) === published.containerPort) {
    url.hostname = inputs.health.url.hostname;
    url.pathname = inputs.health.url.pathname;
  }
  return url;
}

/**
 * Waits until the runtime routes to `target` (slot, address) and, unless the edge is in maintenance, a
 * request through the published port is answered by that slot.
 */
export async function verifyThroughProxy(
  host: RemoteHost,
  inputs: DeployInputs,
  state: SwitchState,
  target: EdgeTarget,
  logger: Logger,
): Promise<void> {
  const transport = transportThrough(host, inputs.proxyProtocol);
  const url = edgeProbeUrl(inputs);
  const ports = state.edge!.ports;
  const routed = await pollUntil<number>(
    async (attempt) => {
      try {
        const servers = await host.run(hostCommands.proxyAdmin(state.names.proxy, docker.SERVERS_STATE_COMMAND));
        if (!docker.routesTo(servers, ports, target.slot, target.address)) return { done: false, seen: 'the runtime routes elsewhere' };
        if (state.maintenance) return { done: true, value: attempt };
        const response = await transport.send({
          url,
          method: 'GET',
          headers: { [docker.PROBE_HEADER]: '1' },
          timeoutMs: 5000,
          followRedirects: false,
          ca: inputs.health.ca,
          insecure: false,
        });
        const slot = response.headers?.[docker.SLOT_HEADER];
        if (slot === target.slot) return { done: true, value: attempt };
        return { done: false, seen: `status ${response.status} from slot ${slot || 'none'}` };
      } catch (error) {
        return { done: false, seen: (error as Error).message };
      }
    },
    { intervalMs: VERIFY_INTERVAL_MS, maxAttempts: VERIFY_ATTEMPTS },
  );
  if (!routed.done)
    throw new UserError(`the proxy did not route to ${target.upstream} within ${VERIFY_ATTEMPTS} checks (last: ${routed.last})`);
  logger.info(
    `${host.name}: the proxy routes to ${target.upstream} in slot ${target.slot} (${routed.value} check${routed.value > 1 ? 's' : ''})` +
      (state.maintenance ? '; the edge is in maintenance, so no request went through' : ''),
  );
}

/**
 * Waits until no request runs through the slot that does not serve (the other one than `edge` records),
 * at most `timeoutMs`, then closes what is left there: long requests, WebSockets and event streams end at
 * drain-timeout, never earlier.
 */
export async function drainSlot(
  host: RemoteHost,
  proxy: string,
  edge: NonNullable<SwitchState['edge']>,
  timeoutMs: number,
  logger: Logger,
): Promise<void> {
  const slot = docker.otherSlot(edge.slot);
  const drained = await pollUntil<void>(
    async () => {
      const sessions = docker.sessionsOn(await host.run(hostCommands.proxyAdmin(proxy, docker.STATS_COMMAND)), slot);
      return sessions === 0 ? { done: true, value: undefined } : { done: false, seen: String(sessions) };
    },
    { intervalMs: DRAIN_INTERVAL_MS, deadlineMs: timeoutMs },
  );
  if (drained.done) return;
  logger.warning(`${host.name}: ${drained.last} connection(s) still open to the old version after drain-timeout; closing them`);
  await proxyAdmin(host, proxy, docker.closeSessionsCommands(edge.ports, slot));
}
