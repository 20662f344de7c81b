import { describe, expect, it } from 'vitest';
import {
  blockingFailures,
  consoleReport,
  deployOutcome,
  eventLine,
  mermaidGantt,
  type RunReport,
  summaryMarkdown,
  textTimeline,
} from './report.ts';
import type { JobRecord } from './schedule.ts';

describe('timelines', () => {
  const records: JobRecord[] = [
    { id: 'audit', lane: 'setup', status: 'success', startMs: 0, endMs: 1000, notes: {}, continueOnError: false },
    { id: 'deploy-backend', lane: 'backend', status: 'failure', startMs: 1000, endMs: 4000, notes: {}, continueOnError: false },
    { id: 'health-backend', lane: 'backend', status: 'skipped', notes: {}, continueOnError: false },
  ];

  it('draws bars on a shared time axis', () => {
    expect(textTimeline(records, 8).split('\n')).toEqual([
      'audit          │██      │ 1.0 s',
      'deploy-backend │  ▓▓▓▓▓▓│ 3.0 s failure',
      'health-backend │        │ skipped',
    ]);
  });

  it('writes a Mermaid Gantt chart with a section per lane and failures marked', () => {
    expect(mermaidGantt(records, 'dev')).toBe(
      [
        '```mermaid',
        'gantt',
        '  title dev',
        '  dateFormat X',
        '  axisFormat %Ss',
        '  section setup',
        '  audit :audit, 0, 1',
        '  section backend',
        '  deploy-backend :crit, deploy_backend, 1, 4',
        '```',
      ].join('\n'),
    );
  });
});

const job = (fields: Partial<JobRecord> & { id: string }): JobRecord => ({
  lane: 'backend',
  status: 'success',
  notes: {},
  continueOnError: false,
  ...fields,
});

describe('live lines', () => {
  it('one line per event, ids aligned, time since the start', () => {
    const deploy = job({ id: 'deploy', startMs: 1000, endMs: 3500 });
    expect(eventLine({ kind: 'start', job: deploy }, 8, 1000)).toBe('[   1.0s] ▶ deploy    (backend)');
    expect(eventLine({ kind: 'progress', job: deploy, message: 'pulling' }, 8, 1500)).toBe('[   1.5s]   deploy    pulling');
    expect(eventLine({ kind: 'success', job: deploy }, 8, 3500)).toBe('[   3.5s] ✔ deploy    2.5 s');
    expect(eventLine({ kind: 'failure', job: { ...deploy, status: 'failure', error: 'gate failed' } }, 8, 3500)).toBe(
      '[   3.5s] ✖ deploy    gate failed',
    );
    expect(
      eventLine({ kind: 'failure', job: job({ id: 'scan', status: 'failure', continueOnError: true, error: 'root user' }) }, 4, 62_000),
    ).toBe('[  62.0s] ⚠ scan  (non-blocking) root user');
    expect(eventLine({ kind: 'skipped', job: job({ id: 'health', status: 'skipped', error: 'needs deploy' }) }, 6, 0)).toBe(
      '[   0.0s] ⏭ health  skipped: needs deploy',
    );
  });
});

describe('the run report', () => {
  const broken: RunReport = {
    ok: false,
    env: 'dev',
    tag: 'dev-abc1234',
    sequential: false,
    totalMs: 61_250,
    served: 'dev-0000001',
    records: [
      job({ id: 'audit-secrets', lane: 'setup', startMs: 0, endMs: 1000 }),
      job({ id: 'scan-backend', status: 'failure', continueOnError: true, startMs: 1000, endMs: 2000, error: 'runs as root | user' }),
      job({
        id: 'deploy-backend',
        status: 'failure',
        startMs: 2000,
        endMs: 40_000,
        error: 'health gate failed\nafter 5 attempts',
        notes: { 'rolled back to': 'reg/backend:dev-0000001' },
      }),
      job({ id: 'health-backend', status: 'skipped', error: 'needs deploy-backend' }),
      job({ id: 'deploy-frontend', lane: 'frontend', startMs: 2000, endMs: 30_000 }),
    ],
    rows: [],
  };
  broken.rows = [
    {
      component: 'backend',
      environment: 'dev-backend',
      image: 'reg/backend:dev-abc1234',
      url: 'http://lb/api/v1/health/',
      record: broken.records[2]!,
    },
    {
      component: 'frontend',
      environment: 'dev-frontend',
      image: 'reg/frontend:dev-abc1234',
      url: 'http://proxy/',
      record: broken.records[4]!,
    },
  ];

  it('names the outcome of each deploy', () => {
    expect(broken.rows.map((r) => deployOutcome(r.record))).toEqual(['rolled back to reg/backend:dev-0000001', 'deployed']);
    expect(deployOutcome(job({ id: 'deploy', status: 'skipped' }))).toBe('skipped');
  });

  it('counts every failure but a non-blocking one, and every skip but a lane or job the call leaves out, against the run', () => {
    expect(blockingFailures(broken.records).map((r) => r.id)).toEqual(['deploy-backend', 'health-backend']);
    const leftOut = job({ id: 'migrate', status: 'skipped', notRun: true, error: 'no migrate-command' });
    expect(blockingFailures([...broken.records, leftOut]).map((r) => r.id)).toEqual(['deploy-backend', 'health-backend']);
  });

  it('writes a job summary whose table cells cannot break the table', () => {
    const markdown = summaryMarkdown(broken);
    const lines = markdown.split('\n');
    expect(lines[0]).toBe('## ❌ Golden pipeline: dev at `dev-abc1234` in 61.3 s');
    expect(lines).toContain(
      '| backend | `dev-backend` | `reg/backend:dev-abc1234` | rolled back to reg/backend:dev-0000001 | http://lb/api/v1/health/ |',
    );
    expect(lines).toContain('The backend answers as version `dev-0000001`.');
    // Every row of the job table has exactly the header's five cells, whatever the error says.
    const jobRows = lines.filter((line) => /^\| (audit-secrets|scan-backend|deploy-backend|health-backend|deploy-frontend) \|/.test(line));
    expect(jobRows).toHaveLength(5);
    for (const row of jobRows) expect(row.split(/(?<!\\)\|/).length - 2).toBe(5);
    expect(jobRows[1]).toContain('failure (non-blocking)');
    expect(jobRows[3]).toMatch(/^\| health-backend \| backend \| skipped \| – \| needs deploy-backend \|$/);
    expect(markdown).toContain('  title dev dev-abc1234 (swimlanes)');
  });

  it('says on the console what serves, that the rollback kept the old version, and which jobs failed', () => {
    const text = consoleReport(broken);
    expect(text).toContain('\n── deployed (61.3 s)\n');
    expect(text).toContain(
      'backend   dev-backend     reg/backend:dev-abc1234  http://lb/api/v1/health/  rolled back to reg/backend:dev-0000001',
    );
    expect(text).toContain('the backend answers as version dev-0000001');
    expect(text).toContain(
      'rollback: the broken reg/backend:dev-abc1234 failed its health gate before it took any traffic; reg/backend:dev-0000001 kept serving',
    );
    expect(text.endsWith('\npipeline FAILED: deploy-backend failure, health-backend skipped')).toBe(true);
  });

  it('a clean run passes, and nothing answering is said plainly', () => {
    const clean: RunReport = { ...broken, ok: true, served: undefined, records: [broken.records[0]!], rows: [] };
    expect(consoleReport(clean)).toContain('the backend answers as version (nothing answers)');
    expect(consoleReport(clean).endsWith('\npipeline passed: dev-abc1234')).toBe(true);
    expect(summaryMarkdown(clean)).toContain('The backend answers as version `nothing`.');
    expect(summaryMarkdown(clean).split('\n')[0]).toBe('## ✅ Golden pipeline: dev at `dev-abc1234` in 61.3 s');
  });
});
