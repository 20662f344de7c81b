// Runs a graph of jobs the way a workflow does: a job starts when every job it needs has succeeded, is skipped
// when one of them did not, and a job marked continueOnError never blocks what follows. (Rendering: report.ts.)

export type JobStatus = 'pending' | 'running' | 'success' | 'failure' | 'skipped';

export interface JobSpec<C> {
  id: string;
  /** The swimlane it belongs to, for the view and the timeline. */
  lane: string;
  needs: string[];
  /** A failure is reported but treated as success by the jobs that need it (security scans). */
  continueOnError?: boolean;
  /**
   * Why the job does not run at all (the workflow's `if:`), or undefined when it runs. Such a job does not hold
   * the jobs that need it, as a GitHub job whose needs were skipped runs on `!failure()`; a failed one does.
   */
  skipReason?(context: C): string | undefined;
  run(context: C, job: JobHandle): Promise<void>;
}

export interface JobHandle {
  /** One line of progress for the live view. */
  progress(message: string): void;
  /** Facts for the final summary (deployed image, URL, rollback…). */
  note(key: string, value: string): void;
}

export interface JobRecord {
  id: string;
  lane: string;
  status: JobStatus;
  /** Milliseconds from the pipeline's start. */
  startMs?: number;
  endMs?: number;
  error?: string;
  /** Skipped by its own condition (skipReason), not because a job it needs failed. */
  notRun?: boolean;
  notes: Record<string, string>;
  continueOnError: boolean;
}

export type ScheduleEvent =
  { kind: 'start' | 'success' | 'failure' | 'skipped'; job: JobRecord } | { kind: 'progress'; job: JobRecord; message: string };

export interface ScheduleOptions {
  /** One job at a time, in declaration order (the baseline the swimlanes are measured against). */
  sequential: boolean;
  onEvent(event: ScheduleEvent): void;
  now?: () => number;
}

/** Throws on an unknown need or a cycle, before anything runs. */
export function validateGraph(jobs: readonly JobSpec<unknown>[]): void {
  const ids = new Set(jobs.map((j) => j.id));
  if (ids.size !== jobs.length) throw new Error('job ids must be unique');
  for (const job of jobs) for (const need of job.needs) if (!ids.has(need)) throw new Error(`job ${job.id} needs unknown job ${need}`);
  const state = new Map<string, 'visiting' | 'done'>();
  const visit = (id: string, path: string[]) => {
    if (state.get(id) === 'done') return;
    if (state.get(id) === 'visiting') throw new Error(`jobs form a cycle: ${[...path, id].join(' → ')}`);
    state.set(id, 'visiting');
    for (const need of jobs.find((j) => j.id === id)!.needs) visit(need, [...path, id]);
    state.set(id, 'done');
  };
  for (const job of jobs) visit(job.id, []);
}

export async function runSchedule<C>(jobs: readonly JobSpec<C>[], context: C, options: ScheduleOptions): Promise<JobRecord[]> {
  validateGraph(jobs as readonly JobSpec<unknown>[]);
  const now = options.now ?? (() => performance.now());
  const started = now();
  const records = new Map<string, JobRecord>(
    jobs.map((j) => [j.id, { id: j.id, lane: j.lane, status: 'pending', notes: {}, continueOnError: Boolean(j.continueOnError) }]),
  );
  const satisfied = (id: string) => {
    const record = records.get(id)!;
    return record.status === 'success' || (record.status === 'failure' && record.continueOnError) || Boolean(record.notRun);
  };
  const settled = (id: string) => ['success', 'failure', 'skipped'].includes(records.get(id)!.status);
  const running = new Map<string, Promise<void>>();

  /** Starts a job; false when its condition skips it instead. */
  const start = (spec: JobSpec<C>): boolean => {
    const record = records.get(spec.id)!;
    const reason = spec.skipReason?.(context);
    if (reason !== undefined) {
      Object.assign(record, { status: 'skipped', notRun: true, error: reason });
      options.onEvent({ kind: 'skipped', job: record });
      return false;
    }
    record.status = 'running';
    record.startMs = now() - started;
    options.onEvent({ kind: 'start', job: record });
    const handle: JobHandle = {
      progress: (message) => options.onEvent({ kind: 'progress', job: record, message }),
      note: (key, value) => {
        record.notes[key] = value;
      },
    };
    const promise = spec
      .run(context, handle)
      .then(
        () => {
          record.status = 'success';
        },
        (error: unknown) => {
          record.status = 'failure';
          record.error = error instanceof Error ? error.message : String(error);
        },
      )
      .then(() => {
        record.endMs = now() - started;
        running.delete(spec.id);
        options.onEvent({ kind: record.status === 'success' ? 'success' : 'failure', job: record });
      });
    running.set(spec.id, promise);
    return true;
  };

  for (;;) {
    // Skip whatever can no longer run, then start whatever can.
    let changed = true;
    while (changed) {
      changed = false;
      for (const spec of jobs) {
        const record = records.get(spec.id)!;
        if (record.status !== 'pending') continue;
        const blocked = spec.needs.find((need) => settled(need) && !satisfied(need));
        if (blocked) {
          record.status = 'skipped';
          record.error = `needs ${blocked}, which ${records.get(blocked)!.status === 'skipped' ? 'was skipped' : 'failed'}`;
          options.onEvent({ kind: 'skipped', job: record });
          changed = true;
        }
      }
    }
    const ready = jobs.filter((spec) => records.get(spec.id)!.status === 'pending' && spec.needs.every(satisfied));
    let skipped = false;
    if (options.sequential) {
      if (running.size === 0 && ready.length > 0) skipped = !start(ready[0]!);
    } else {
      for (const spec of ready) skipped = !start(spec) || skipped;
    }
    // A job its condition skipped may free others at once.
    if (skipped) continue;
    if (running.size === 0) break;
    await Promise.race(running.values());
  }
  return jobs.map((j) => records.get(j.id)!);
}
