import { describe, expect, it } from 'vitest';
import { InputReader } from '#inputs/index';
import { MemoryLogger } from '#log/index';
import { RecordingHost, TEST_HOST_KEY_PIN, TEST_PRIVATE_KEY } from '#ssh/testing';
import { readDeployInputs } from './inputs.ts';
import { convergence, nodeNames, type SwarmService, type SwarmTask, swarmDeploy, tasksPerNode } from './swarm.ts';

const IMAGE = 'reg/shop:dev-2';
const task = (over: { node?: string; image?: string; desired?: string; state?: string; err?: string } = {}): SwarmTask => ({
  ID: 't',
  NodeID: over.node ?? 'n1',
  Slot: 1,
  DesiredState: over.desired ?? 'running',
  Status: { State: over.state ?? 'running', Err: over.err },
  Spec: { ContainerSpec: { Image: `${over.image ?? IMAGE}@sha256:aa` } },
});
const service = (state?: string, message?: string): SwarmService => ({
  Spec: { TaskTemplate: { ContainerSpec: { Image: `${IMAGE}@sha256:aa` } }, Mode: { Replicated: { Replicas: 2 } } },
  UpdateStatus: state ? { State: state, StartedAt: 'now', Message: message } : undefined,
});

describe('convergence: where a swarm update stands', () => {
  const two = [task({ node: 'n1' }), task({ node: 'n2' })];

  it('converges when the update completed and every replica runs the new image', () => {
    expect(convergence(service('completed'), two, IMAGE, 2, true)).toEqual({ kind: 'converged' });
    expect(convergence(service('completed'), [two[0]!], IMAGE, 2, true).kind).toBe('waiting');
  });

  it('waits while the engine updates or rolls back, saying how far it is', () => {
    const mixed = [task(), task({ image: 'reg/shop:dev-1', node: 'n3' })];
    expect(convergence(service('updating'), mixed, IMAGE, 2, true)).toEqual({
      kind: 'waiting',
      progress: 'updating: 1/2 tasks running reg/shop:dev-2, 1 of the previous version',
    });
    expect(convergence(service('rollback_started', 'task failed'), mixed, IMAGE, 2, true).kind).toBe('waiting');
  });

  it('reads the engine’s rollback and a paused update as the outcome', () => {
    expect(convergence(service('rollback_completed', 'update rolled back due to failure'), two, IMAGE, 2, true)).toEqual({
      kind: 'rolled-back',
      message: 'update rolled back due to failure',
    });
    expect(convergence(service('paused', 'update paused due to failure'), two, IMAGE, 2, true)).toEqual({
      kind: 'failed',
      message: 'the update is paused: update paused due to failure',
    });
  });

  it('ignores an update status that is not this deploy’s, and fails a first deploy whose tasks keep failing', () => {
    expect(convergence(service('rollback_completed'), two, IMAGE, 2, false)).toEqual({ kind: 'converged' });
    const failing = [1, 2, 3].map(() => task({ desired: 'shutdown', state: 'failed', err: 'task: non-zero exit (1)' }));
    expect(convergence(service(), failing, IMAGE, 2, false)).toEqual({
      kind: 'failed',
      message: '3 tasks of reg/shop:dev-2 failed and none runs',
    });
    expect(convergence(service(), failing.slice(0, 2), IMAGE, 2, false).kind).toBe('waiting');
  });

  it('counts running tasks per node, named by hostname, or with the address where hostnames repeat', () => {
    const names = nodeNames('n1 vm 10.0.0.1\nn2 vm 10.0.0.2\nn3 db 10.0.0.3\n');
    expect(names).toEqual({ n1: 'vm (10.0.0.1)', n2: 'vm (10.0.0.2)', n3: 'db' });
    const tasks = [...two, task({ node: 'n1' }), task({ node: 'n3' }), task({ node: 'n3', desired: 'shutdown', state: 'shutdown' })];
    expect(tasksPerNode(tasks, names)).toEqual({ 'vm (10.0.0.1)': 2, 'vm (10.0.0.2)': 1, db: 1 });
  });
});

// ---------------------------------------------------------------- the whole flow against the recording fake host

const NEW = 'reg.example/shop:dev-2';
const OLD = 'reg.example/shop:dev-1';
const ENV_SECRET = 'env-secret-value-91';
const PASSWORD = 'registry-password-77';

/** A manager whose swarm runs `shop` on OLD, and takes the new stack as `verdict` says. */
function fakeSwarm(verdict: 'completed' | 'rollback_completed', options: { manager?: boolean } = {}) {
  let deployed = false;
  const stdins: string[] = [];
  const taskJson = (id: string, node: string, image: string, desired: string, state: string, err = '') =>
    JSON.stringify({
      ID: id,
      NodeID: node,
      Slot: 1,
      DesiredState: desired,
      Status: { State: state, Err: err },
      Spec: { ContainerSpec: { Image: `${image}@sha256:ab` } },
    });
  const tasks = () => {
    if (!deployed) return [taskJson('o1', 'n1', OLD, 'running', 'running'), taskJson('o2', 'n2', OLD, 'running', 'running')];
    if (verdict === 'completed')
      return [
        taskJson('t1', 'n1', NEW, 'running', 'running'),
        taskJson('t2', 'n2', NEW, 'running', 'running'),
        taskJson('o1', 'n1', OLD, 'shutdown', 'shutdown'),
      ];
    return [
      taskJson('o1', 'n1', OLD, 'running', 'running'),
      taskJson('o2', 'n2', OLD, 'running', 'running'),
      taskJson('t1', 'n2', NEW, 'shutdown', 'failed', 'task: non-zero exit (137): dockerexec: unhealthy container'),
    ];
  };
  const host = new RecordingHost(
    (argv, stdin) => {
      const text = argv.join(' ');
      if (argv[0] === 'pwd') return { stdout: '/home/deploy\n' };
      if (text.startsWith('docker info')) return { stdout: options.manager === false ? 'inactive false\n' : 'active true\n' };
      if (text.startsWith('docker service inspect')) {
        const app = argv.at(-1) === 'shop_app';
        const image = deployed && (verdict === 'completed' || !app) ? NEW : OLD;
        const status = deployed
          ? { State: verdict, StartedAt: 'T2', Message: verdict === 'completed' ? 'update completed' : 'rollback completed' }
          : { State: 'completed', StartedAt: 'T1' };
        return {
          stdout: JSON.stringify({
            Spec: { TaskTemplate: { ContainerSpec: { Image: `${image}@sha256:ab` } }, Mode: {} },
            UpdateStatus: status,
          }),
        };
      }
      if (argv[3] === 'with-registry-login') {
        stdins.push(stdin ?? '');
        deployed = true;
        return { stdout: 'Updating service shop_app\n' };
      }
      if (text.startsWith('docker service ps')) return { stdout: argv.at(-1) === 'shop_edge' ? 'e1\ne2\n' : 'ids\n' };
      if (text.startsWith('docker inspect --type task'))
        return {
          stdout: `${argv.includes('e1') ? [taskJson('e1', 'n1', 'haproxy:2.8', 'running', 'running'), taskJson('e2', 'n2', 'haproxy:2.8', 'running', 'running')].join('\n') : tasks().join('\n')}\n`,
        };
      if (text.startsWith('docker node ls')) return { stdout: 'n1 Ready Active\nn2 Ready Active\n' };
      if (text.startsWith('docker node inspect')) return { stdout: 'n1 node-a 10.0.0.1\nn2 node-b 10.0.0.2\n' };
      if (text.startsWith('docker service logs')) return { stdout: 'booting\nhealth check failed\n' };
      return undefined;
    },
    (_address, port, path) => (port === 8300 && path === '/healthz' ? { status: 200, body: 'ok' } : undefined),
  );
  return { host, stdins };
}

const swarmInputs = () =>
  readDeployInputs(
    new InputReader(
      (name) =>
        ({
          host: 'manager.example',
          username: 'deploy',
          'private-key': TEST_PRIVATE_KEY,
          'host-key': TEST_HOST_KEY_PIN,
          strategy: 'swarm',
          image: NEW,
          name: 'shop',
          ports: '8300:9000',
          'health-url': 'http://127.0.0.1:8300/healthz',
          'health-interval': '10ms',
          'proxy-image': 'haproxy:2.8',
          'registry-username': 'ci',
          'registry-password': PASSWORD,
          env: `TOKEN=${ENV_SECRET}`,
        })[name] ?? '',
    ),
  );

describe('swarmDeploy against a recording fake manager', () => {
  it('sends the stack on stdin after the password, waits for the engine, verifies, and reports tasks per node', async () => {
    const { host, stdins } = fakeSwarm('completed');
    const logger = new MemoryLogger();
    const result = await swarmDeploy(host, swarmInputs(), { actor: 'a', runId: 'r', logger });
    host.close();
    expect(result).toMatchObject({ outcome: 'deployed', previousImage: OLD, tasks: { 'node-a': 1, 'node-b': 1 } });
    expect(stdins).toHaveLength(1);
    expect(stdins[0]!.split('\n')[0]).toBe(PASSWORD);
    expect(stdins[0]).toContain(`TOKEN: ${ENV_SECRET}`);
    // Neither the password nor an env value is ever in a command line.
    for (const command of host.commands) {
      expect(command).not.toContain(ENV_SECRET);
      expect(command).not.toContain(PASSWORD);
    }
    expect(host.commands).toContain('<connect 127.0.0.1:8300>');
  });

  it('reads the engine’s rollback as the outcome, naming the failing task, its node, error and last log line', async () => {
    const { host } = fakeSwarm('rollback_completed');
    const logger = new MemoryLogger();
    const result = await swarmDeploy(host, swarmInputs(), { actor: 'a', runId: 'r', logger });
    host.close();
    expect(result.outcome).toBe('rolled-back');
    expect(result.error).toBe(
      'the update failed and the engine rolled it back (rollback completed); task shop_app.1 on node-b: failed, ' +
        'task: non-zero exit (137): dockerexec: unhealthy container; last log line: health check failed',
    );
    expect(logger.text()).toContain('  booting');
  });

  it('refuses a host that is not a swarm manager before changing anything', async () => {
    const { host, stdins } = fakeSwarm('completed', { manager: false });
    const result = await swarmDeploy(host, swarmInputs(), { actor: 'a', runId: 'r', logger: new MemoryLogger() });
    host.close();
    expect(result).toMatchObject({
      outcome: 'failed',
      error: 'fake-host is not a swarm manager (its engine says: inactive false); give a manager as host',
    });
    expect(stdins).toEqual([]);
  });
});
