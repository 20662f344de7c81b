// Published ports: docker's `--publish` grammar, parsed once into a type, and written back only for docker.
// `[address:][hostPort[-last]:]containerPort[-last][/protocol]`, the address an IPv4 one or [IPv6].

export type PortProtocol = 'tcp' | 'udp' | 'sctp';

export interface PortMapping {
  /** The host address it listens on, without brackets; undefined for every address. */
  address?: string;
  /** undefined: docker picks a free host port. */
  hostPort?: number;
  /** The last port of a host range. */
  hostPortLast?: number;
  containerPort: number;
  /** The last port of a container range. */
  containerPortLast?: number;
  protocol: PortProtocol;
}

const PORT_MAPPING =
  /^(?:(\d{1,3}(?:\.\d{1,3}){3}|\[[0-9a-fA-F:]+\]):)?(?:(\d{1,5})(?:-(\d{1,5}))?:)?(\d{1,5})(?:-(\d{1,5}))?(?:\/(tcp|udp|sctp))?$/;

const optionalNumber = (text: string | undefined) => (text === undefined ? undefined : Number(text));

/** One mapping, or undefined when the text is not one. */
export function parsePortMapping(text: string): PortMapping | undefined {
  const match = PORT_MAPPING.exec(text);
  if (!match) return undefined;
  const [, address, hostPort, hostPortLast, containerPort, containerPortLast, protocol] = match;
  return {
    address: address?.replace(/^\[|\]$/g, ''),
    hostPort: optionalNumber(hostPort),
    hostPortLast: optionalNumber(hostPortLast),
    containerPort: Number(containerPort),
    containerPortLast: optionalNumber(containerPortLast),
    protocol: (protocol as PortProtocol | undefined) ?? 'tcp',
  };
}

/** The mapping as docker's `--publish` takes it. */
export function formatPortMapping(port: PortMapping): string {
  const range = (first: number, last: number | undefined) => (last === undefined ? `${first}` : `${first}-${last}`);
  const address = port.address === undefined ? '' : port.address.includes(':') ? `[${port.address}]:` : `${port.address}:`;
  const host = port.hostPort === undefined ? '' : `${range(port.hostPort, port.hostPortLast)}:`;
  const protocol = port.protocol === 'tcp' ? '' : `/${port.protocol}`;
  return `${address}${host}${range(port.containerPort, port.containerPortLast)}${protocol}`;
}

/** One TCP host port to one container port: what a proxy can stand in front of. */
export const isSingleTcpPort = (port: PortMapping): port is PortMapping & { hostPort: number } =>
  port.protocol === 'tcp' && port.hostPort !== undefined && port.hostPortLast === undefined && port.containerPortLast === undefined;

/** Whether the port listens on every address of the host (no address, 0.0.0.0 or ::). */
export const onEveryAddress = (port: PortMapping) => port.address === undefined || port.address === '0.0.0.0' || port.address === '::';

/** An address on the host itself that reaches the port: loopback when it listens everywhere. */
export function hostAddressOf(port: PortMapping): string {
  if (port.address === '::') return '::1';
  return onEveryAddress(port) ? '127.0.0.1' : port.address!;
}

/**
 * The container port behind the host address and port a URL names: a port that listens on every address
 * matches any host name.
 */
export function containerPortFor(ports: readonly PortMapping[], url: URL): number | undefined {
  const urlPort = Number(url.port || (url.protocol === 'https:' ? 443 : 80));
  const urlHost = url.hostname.replace(/^\[|\]$/g, '');
  const port = ports.find((p) => isSingleTcpPort(p) && p.hostPort === urlPort && (onEveryAddress(p) || p.address === urlHost));
  return port?.containerPort;
}

/**
 * Whether a container publishes exactly the single-port `ports` (switch's), from `docker inspect`'s
 * `{{json .HostConfig.PortBindings}}`, e.g. {"80/tcp":[{"HostIp":"127.0.0.1","HostPort":"8000"}]}.
 */
export function publishesExactly(bindingsJson: string, ports: readonly PortMapping[]): boolean {
  let bindings: Record<string, Array<{ HostIp?: string; HostPort?: string }> | null>;
  try {
    bindings = JSON.parse(bindingsJson || 'null') ?? {};
  } catch {
    return false;
  }
  const published = Object.entries(bindings).flatMap(([container, hosts]) =>
    (hosts ?? []).map((host) => `${host.HostIp ?? ''}|${host.HostPort ?? ''}|${container}`),
  );
  const wanted = ports.map((port) => `${port.address ?? ''}|${port.hostPort ?? ''}|${port.containerPort}/${port.protocol}`);
  return published.length === wanted.length && wanted.every((key) => published.includes(key));
}
