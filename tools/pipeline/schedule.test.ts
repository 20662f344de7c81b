import { describe, expect, it } from 'vitest';
import { type JobSpec, runSchedule, validateGraph } from './schedule.ts';

/** Jobs that each take `ms` of real time and record the order they started in. */
function simulated(specs: { id: string; lane?: string; needs?: string[]; ms: number; fail?: boolean; continueOnError?: boolean }[]) {
  const order: string[] = [];
  const jobs: JobSpec<null>[] = specs.map((s) => ({
    id: s.id,
    lane: s.lane ?? 'main',
    needs: s.needs ?? [],
    continueOnError: s.continueOnError,
    run: async () => {
      order.push(s.id);
      await new Promise((resolve) => setTimeout(resolve, s.ms));
      if (s.fail) throw new Error(`${s.id} broke`);
    },
  }));
  return { jobs, order };
}

const SWIMLANES = [
  { id: 'audit', ms: 5 },
  { id: 'build-backend', lane: 'backend', needs: ['audit'], ms: 20 },
  { id: 'migrate', lane: 'backend', needs: ['build-backend'], ms: 20 },
  { id: 'deploy-backend', lane: 'backend', needs: ['migrate'], ms: 20 },
  { id: 'build-frontend', lane: 'frontend', needs: ['audit'], ms: 20 },
  { id: 'deploy-frontend', lane: 'frontend', needs: ['build-frontend', 'migrate'], ms: 20 },
];

describe('runSchedule', () => {
  it.each([false, true])(
    'runs past a job its condition skips, as a workflow job on !failure() does, but not past a failure (sequential %s)',
    async (sequential) => {
      const { jobs, order } = simulated([...SWIMLANES, { id: 'health-frontend', lane: 'frontend', needs: ['deploy-frontend'], ms: 1 }]);
      // No migrate-command: the frontend deploys without waiting on it.
      jobs.find((j) => j.id === 'migrate')!.skipReason = () => 'no migrate-command';
      let records = await runSchedule(jobs, null, { sequential, onEvent: () => undefined });
      const status = () => Object.fromEntries(records.map((r) => [r.id, r.status]));
      expect(status()).toMatchObject({
        migrate: 'skipped',
        'deploy-backend': 'success',
        'deploy-frontend': 'success',
        'health-frontend': 'success',
      });
      expect(records.find((r) => r.id === 'migrate')).toMatchObject({ notRun: true, error: 'no migrate-command' });
      expect(order).not.toContain('migrate');

      // The backend lane left out entirely, and the frontend's build failing: nothing after it runs.
      for (const id of ['build-backend', 'deploy-backend']) jobs.find((j) => j.id === id)!.skipReason = () => 'no backend lane';
      jobs.find((j) => j.id === 'build-frontend')!.run = () => Promise.reject(new Error('broke'));
      records = await runSchedule(jobs, null, { sequential, onEvent: () => undefined });
      expect(status()).toEqual({
        audit: 'success',
        'build-backend': 'skipped',
        migrate: 'skipped',
        'deploy-backend': 'skipped',
        'build-frontend': 'failure',
        'deploy-frontend': 'skipped',
        'health-frontend': 'skipped',
      });
      expect(records.find((r) => r.id === 'deploy-frontend')).toMatchObject({ error: 'needs build-frontend, which failed' });
      expect(records.find((r) => r.id === 'deploy-frontend')!.notRun).toBeUndefined();
    },
  );

  it('runs independent lanes at once and waits at the sync point', async () => {
    const { jobs } = simulated(SWIMLANES);
    const records = await runSchedule(jobs, null, { sequential: false, onEvent: () => undefined });
    const at = (id: string) => records.find((r) => r.id === id)!;
    expect(records.every((r) => r.status === 'success')).toBe(true);
    // build-frontend starts alongside build-backend, not after it.
    expect(at('build-frontend').startMs!).toBeLessThan(at('build-backend').endMs!);
    // deploy-frontend waits for migrate even though its own build finished long before.
    expect(at('deploy-frontend').startMs!).toBeGreaterThanOrEqual(at('migrate').endMs!);
  });

  it('runs one job at a time in declaration order when sequential', async () => {
    const { jobs, order } = simulated(SWIMLANES);
    const records = await runSchedule(jobs, null, { sequential: true, onEvent: () => undefined });
    expect(order).toEqual(SWIMLANES.map((s) => s.id));
    for (let i = 1; i < records.length; i++) expect(records[i]!.startMs!).toBeGreaterThanOrEqual(records[i - 1]!.endMs!);
  });

  it('skips what needs a failed job, transitively, and lets the other lane finish', async () => {
    const { jobs } = simulated(SWIMLANES.map((s) => (s.id === 'build-backend' ? { ...s, fail: true } : s)));
    const events: string[] = [];
    const records = await runSchedule(jobs, null, { sequential: false, onEvent: (e) => events.push(`${e.kind} ${e.job.id}`) });
    const status = Object.fromEntries(records.map((r) => [r.id, r.status]));
    expect(status).toEqual({
      audit: 'success',
      'build-backend': 'failure',
      migrate: 'skipped',
      'deploy-backend': 'skipped',
      'build-frontend': 'success',
      'deploy-frontend': 'skipped',
    });
    expect(records.find((r) => r.id === 'build-backend')!.error).toBe('build-backend broke');
    expect(records.find((r) => r.id === 'deploy-backend')!.error).toBe('needs migrate, which was skipped');
    expect(events).toContain('failure build-backend');
  });

  it('does not let a continue-on-error job block what follows', async () => {
    const { jobs } = simulated([
      { id: 'scan', ms: 1, fail: true, continueOnError: true },
      { id: 'deploy', needs: ['scan'], ms: 1 },
    ]);
    const records = await runSchedule(jobs, null, { sequential: false, onEvent: () => undefined });
    expect(records.map((r) => r.status)).toEqual(['failure', 'success']);
  });

  it('refuses unknown needs and cycles before running anything', () => {
    const job = (id: string, needs: string[]) => ({ id, lane: 'x', needs, run: async () => undefined });
    expect(() => validateGraph([job('a', ['nope'])])).toThrow('job a needs unknown job nope');
    expect(() => validateGraph([job('a', ['b']), job('b', ['a'])])).toThrow('jobs form a cycle: a → b → a');
  });
});
