// How a local pipeline run is shown: the live lines, the timeline and Gantt chart, the job summary and the
// closing console report. Pure functions of the run's records, so they are unit-tested.
import { markdownCell } from '#text/markdown';
import type { JobRecord, JobStatus, ScheduleEvent } from './schedule.ts';

const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

/** A terminal Gantt chart: one bar per job on a shared time axis. */
export function textTimeline(records: readonly JobRecord[], width = 48): string {
  const ran = records.filter((r) => r.startMs !== undefined && r.endMs !== undefined);
  const total = Math.max(1, ...ran.map((r) => r.endMs!));
  const label = Math.max(...records.map((r) => r.id.length));
  const mark: Record<JobStatus, string> = { success: '█', failure: '▓', skipped: ' ', pending: ' ', running: '░' };
  return records
    .map((r) => {
      if (r.startMs === undefined || r.endMs === undefined) return `${r.id.padEnd(label)} │${' '.repeat(width)}│ ${r.status}`;
      const from = Math.floor((r.startMs / total) * width);
      const to = Math.max(from + 1, Math.round((r.endMs / total) * width));
      const bar = ' '.repeat(from) + mark[r.status].repeat(to - from) + ' '.repeat(Math.max(0, width - to));
      return `${r.id.padEnd(label)} │${bar}│ ${seconds(r.endMs - r.startMs)}${r.status === 'success' ? '' : ` ${r.status}`}`;
    })
    .join('\n');
}

/** The same timeline as a Mermaid Gantt chart, one section per lane (times in seconds from the start). */
export function mermaidGantt(records: readonly JobRecord[], title: string): string {
  const lanes = [...new Set(records.map((r) => r.lane))];
  const lines = ['```mermaid', 'gantt', `  title ${title}`, '  dateFormat X', '  axisFormat %Ss'];
  for (const lane of lanes) {
    lines.push(`  section ${lane}`);
    for (const r of records.filter((x) => x.lane === lane)) {
      if (r.startMs === undefined || r.endMs === undefined) continue;
      const tag = r.status === 'failure' ? (r.continueOnError ? 'active, ' : 'crit, ') : '';
      const start = Math.floor(r.startMs / 1000);
      const end = Math.max(start + 1, Math.ceil(r.endMs / 1000));
      lines.push(`  ${r.id} :${tag}${r.id.replace(/[^a-zA-Z0-9]/g, '_')}, ${start}, ${end}`);
    }
  }
  lines.push('```');
  return lines.join('\n');
}

/** `[  12.3s]`: time since the pipeline started, aligned. */
export const clock = (ms: number) => `[${(ms / 1000).toFixed(1).padStart(6)}s]`;

/** One live line for a schedule event; job ids padded to `width`, `atMs` from the pipeline's start. */
export function eventLine(event: ScheduleEvent, width: number, atMs: number): string {
  const { job } = event;
  const name = job.id.padEnd(width);
  const at = clock(atMs);
  switch (event.kind) {
    case 'start':
      return `${at} ▶ ${name}  (${job.lane})`;
    case 'progress':
      return `${at}   ${name}  ${event.message}`;
    case 'success':
      return `${at} ✔ ${name}  ${seconds(job.endMs! - job.startMs!)}`;
    case 'failure':
      return `${at} ${job.continueOnError ? '⚠' : '✖'} ${name}  ${job.continueOnError ? '(non-blocking) ' : ''}${job.error}`;
    case 'skipped':
      return `${at} ⏭ ${name}  skipped: ${job.error}`;
  }
}

/** What was deployed where, one row per component, for the summary and the console. */
export interface DeployedRow {
  component: string;
  environment: string;
  image: string;
  url: string;
  record: JobRecord;
}

/** `deployed`, `rolled back to <image>`, or the deploy job's status. */
export function deployOutcome(record: JobRecord): string {
  if (record.status === 'success') return 'deployed';
  return record.notes['rolled back to'] ? `rolled back to ${record.notes['rolled back to']}` : record.status;
}

export interface RunReport {
  ok: boolean;
  env: string;
  tag: string;
  sequential: boolean;
  totalMs: number;
  rows: readonly DeployedRow[];
  /** The version the backend answers with after the run; undefined when nothing answers. */
  served?: string;
  records: readonly JobRecord[];
}

/** The job summary: what was deployed, what serves, every job, and a Gantt chart of the run. */
export function summaryMarkdown(run: RunReport): string {
  const duration = (r: JobRecord) => (r.startMs !== undefined && r.endMs !== undefined ? seconds(r.endMs - r.startMs) : '–');
  const notes = (r: JobRecord) =>
    [...Object.entries(r.notes).map(([key, value]) => markdownCell(`${key}: ${value}`)), ...(r.error ? [markdownCell(r.error)] : [])].join(
      '; ',
    );
  return [
    `## ${run.ok ? '✅' : '❌'} Golden pipeline: ${run.env} at \`${run.tag}\` in ${seconds(run.totalMs)}`,
    '',
    '| component | environment | image | result | url |',
    '| --- | --- | --- | --- | --- |',
    ...run.rows.map(
      (r) => `| ${r.component} | \`${r.environment}\` | \`${r.image}\` | ${markdownCell(deployOutcome(r.record))} | ${r.url} |`,
    ),
    '',
    `The backend answers as version \`${run.served ?? 'nothing'}\`.`,
    '',
    '| job | lane | status | time | notes |',
    '| --- | --- | --- | --- | --- |',
    ...run.records.map(
      (r) =>
        `| ${r.id} | ${r.lane} | ${r.status}${r.continueOnError && r.status === 'failure' ? ' (non-blocking)' : ''} | ${duration(r)} | ${notes(r)} |`,
    ),
    '',
    mermaidGantt(run.records, `${run.env} ${run.tag} (${run.sequential ? 'sequential' : 'swimlanes'})`),
    '',
  ].join('\n');
}

/** The console's closing report: what was deployed, what serves, a rollback if any, the timeline, the verdict. */
export function consoleReport(run: RunReport): string {
  const backend = run.rows.find((r) => r.component === 'backend');
  const failed = blockingFailures(run.records);
  const rolledBack = backend?.record.notes['rolled back to'];
  return [
    `\n── deployed (${seconds(run.totalMs)})`,
    ...run.rows.map((r) => `${r.component.padEnd(9)} ${r.environment.padEnd(15)} ${r.image}  ${r.url}  ${deployOutcome(r.record)}`),
    `the backend answers as version ${run.served ?? '(nothing answers)'}`,
    ...(rolledBack
      ? [`rollback: the broken ${backend.image} failed its health gate before it took any traffic; ${rolledBack} kept serving`]
      : []),
    `\n── timeline\n${textTimeline(run.records)}`,
    run.ok ? `\npipeline passed: ${run.tag}` : `\npipeline FAILED: ${failed.map((r) => `${r.id} ${r.status}`).join(', ')}`,
  ].join('\n');
}

/** Jobs that failed the run: every failure except a non-blocking one, and every skip. */
export function blockingFailures(records: readonly JobRecord[]): JobRecord[] {
  return records.filter((r) => r.status !== 'success' && !r.notRun && !(r.status === 'failure' && r.continueOnError));
}
