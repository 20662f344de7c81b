/**
 * The nginx config of a service's proxy container (strategy switch). The proxy owns the published host
 * ports; each listens on the app's container port and forwards to the container that serves now, found by
 * its alias on the service's network. The file names that container, so the config on the host is the one
 * record of what serves: it is replaced with rename(2) and loaded with nginx's graceful reload.
 */

/** Docker's embedded DNS server, which answers for container aliases on user-defined networks. */
const DOCKER_DNS = '127.0.0.11';
const SERVING_MARK = '# golden-deploy serving: ';

export interface ProxyConfigSpec {
  /** The network alias of the app container that serves (unique on the service's network). */
  upstream: string;
  /** The container ports the app listens on; the proxy listens on the same ones. */
  ports: number[];
  /** Answers `GET /.golden-proxy/<token>` with the upstream's name: proof that this config is the loaded one. */
  token: string;
  /** How long old workers may finish their requests after a reload before nginx closes them. */
  drainSeconds: number;
}

export function renderProxyConfig(spec: ProxyConfigSpec): string {
  const servers = spec.ports.map(
    (port) => `  server {
    listen ${port};
    location = /.golden-proxy/${spec.token} {
      access_log off;
      default_type text/plain;
      return 200 "${spec.upstream}\\n";
    }
    location / {
      # A variable makes nginx resolve the alias when it is used, through docker's DNS, so a restarted
      # container with a new address is still found.
      set $golden_upstream ${spec.upstream};
      proxy_pass http://$golden_upstream:${port};
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header Host $http_host;
      proxy_set_header X-Real-IP $remote_addr;
      proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
      proxy_set_header X-Forwarded-Proto $scheme;
      proxy_connect_timeout 5s;
      proxy_read_timeout 300s;
      proxy_send_timeout 300s;
      client_max_body_size 0;
      proxy_buffering off;
    }
  }`,
  );
  return `${SERVING_MARK}${spec.upstream}
# Written by deploy-container (strategy switch); replaced on every deploy.
worker_processes 1;
pid /tmp/golden-proxy.pid;
error_log stderr warn;
worker_shutdown_timeout ${spec.drainSeconds}s;
events { worker_connections 4096; }
http {
  access_log off;
  server_tokens off;
  resolver ${DOCKER_DNS} valid=5s ipv6=off;
  resolver_timeout 3s;
  client_body_temp_path /tmp/golden-proxy-body;
  proxy_temp_path /tmp/golden-proxy-temp;
  keepalive_timeout 65s;
${servers.join('\n')}
}
`;
}

/** The alias the config routes to, or undefined for a file that is not one of ours. */
export function servingUpstream(config: string): string | undefined {
  const first = config.split('\n', 1)[0] ?? '';
  return first.startsWith(SERVING_MARK) ? first.slice(SERVING_MARK.length).trim() || undefined : undefined;
}

/**
 * The pids of the nginx workers in `docker top` output (UID PID PPID … CMD). Taken before a reload, they
 * are the workers the reload retires: the drain is over when none of them is left.
 */
export function nginxWorkerPids(top: string): string[] {
  return top
    .split('\n')
    .filter((line) => /nginx: worker process/.test(line))
    .map((line) => line.trim().split(/\s+/)[1]!)
    .filter(Boolean);
}
