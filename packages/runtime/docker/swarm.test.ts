import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { stackDeploy, swarmEdgeConfig, swarmHealthCommand, swarmStack } from './swarm.ts';

const SPEC = {
  stack: 'shop',
  image: 'reg.example/shop:dev-1',
  replicas: 3,
  containerPort: 9000,
  publishedPort: 8300,
  healthPath: '/cgi-bin/status?deep=1',
  env: [
    { key: 'TOKEN', value: 's3cret \' " $HOME' },
    { key: 'MESSAGE', value: 'hi: there' },
  ],
  proxyImage: 'haproxy:2.8',
  stopGraceSeconds: 10,
  health: { intervalMs: 500, timeoutMs: 2000, retries: 4 },
  labels: { 'golden.deploy.service': 'shop', 'golden.deploy.managed': 'true' },
};

describe('the swarm stack', () => {
  const stack = parse(swarmStack(SPEC)) as Record<string, any>;
  const app = stack.services.app;
  const edge = stack.services.edge;

  it('runs the app with no published port, behind DNS round robin, updated start-first and rolled back by the engine', () => {
    expect(app.image).toBe(SPEC.image);
    expect(app.ports).toBeUndefined();
    expect(app.deploy).toMatchObject({
      replicas: 3,
      endpoint_mode: 'dnsrr',
      update_config: { parallelism: 1, order: 'start-first', failure_action: 'rollback' },
      rollback_config: { order: 'start-first' },
    });
    expect(app.healthcheck).toMatchObject({ interval: '500ms', timeout: '2000ms', retries: 4, start_period: '2000ms' });
    expect(app.healthcheck.test[0]).toBe('CMD-SHELL');
    expect(app.stop_grace_period).toBe('10s');
  });

  it('carries env values exactly, whatever they hold (the stack file travels on stdin alone)', () => {
    expect(app.environment).toEqual({ TOKEN: 's3cret \' " $HOME', MESSAGE: 'hi: there' });
  });

  it('publishes the port on every node from the edge, in host mode, and replaces the edge stop-first', () => {
    expect(edge.ports).toEqual([{ target: 8080, published: 8300, protocol: 'tcp', mode: 'host' }]);
    expect(edge.deploy).toMatchObject({ mode: 'global', update_config: { order: 'stop-first' } });
    expect(edge.environment.GOLDEN_EDGE_CONFIG).toBe(swarmEdgeConfig(SPEC));
    // $$ is compose's escape: the entrypoint reads the variable at start, not at deploy.
    expect(edge.entrypoint[2]).toContain('"$$GOLDEN_EDGE_CONFIG"');
    expect(stack.networks.mesh).toEqual({ driver: 'overlay', attachable: true });
  });

  it('makes the edge find the healthy tasks through Docker’s DNS and retry a failed attempt on another', () => {
    const config = swarmEdgeConfig(SPEC);
    expect(config).toContain('server-template task 32 tasks.shop_app:9000');
    expect(config).toContain('nameserver dns 127.0.0.11:53');
    expect(config).toContain('option httpchk GET /cgi-bin/status?deep=1');
    expect(config).toContain('retry-on all-retryable-errors');
    expect(config).toContain('option redispatch 1');
  });

  it('checks health with whatever the image has, the URL quoted as one word', () => {
    const command = swarmHealthCommand(9000, "/x'y");
    expect(command).toBe(
      "wget -q -O /dev/null 'http://127.0.0.1:9000/x'\\''y' 2>/dev/null || curl -fsS -o /dev/null 'http://127.0.0.1:9000/x'\\''y' 2>/dev/null || " +
        "python3 -c 'import sys, urllib.request; urllib.request.urlopen(sys.argv[1], timeout=3)' 'http://127.0.0.1:9000/x'\\''y'",
    );
  });

  it('deploys from stdin, never from a file', () => {
    expect(stackDeploy('shop')).toEqual(['docker', 'stack', 'deploy', '--resolve-image', 'changed', '--compose-file', '-', 'shop']);
  });
});
