import { describe, expect, it } from 'vitest';
import { convergence, nodeNames, type SwarmService, type SwarmTask, tasksPerNode } from './swarm.ts';

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
