/** bastion-migrate's job summary: the plan check-command printed, and how the run ended. */
import type { DbSettings } from '#postgres/index';
import type { LockBlocker, LockWait } from '#postgres/locks';
import { markdownCell } from '#text/markdown';

export interface MigrationReport {
  bastion: string;
  database: DbSettings;
  lockWaitMs: number;
  /** How many times `command` ran (lock retries). */
  attempts: number;
  /** The lock wait a failed step gave up on. */
  blocked?: LockWait;
}

/** A job summary stays far below GitHub's 1 MiB a step; the log keeps the whole output. */
export const MAX_PLAN_CHARS = 60_000;

/** A code fence longer than any run of backticks in the text, so the text cannot close it. */
function fence(text: string): string {
  const longest = Math.max(0, ...[...text.matchAll(/`+/g)].map((run) => run[0].length));
  return '`'.repeat(Math.max(3, longest + 1));
}

/** What check-command printed, as a collapsed block a reviewer opens before the migration runs. */
export function planBlock(lines: readonly string[]): string {
  let text = lines.join('\n');
  if (text.length > MAX_PLAN_CHARS) {
    const kept = text.slice(0, MAX_PLAN_CHARS);
    const shown = kept.split('\n').length;
    text = `${kept.slice(0, kept.lastIndexOf('\n'))}\n… ${lines.length - shown + 1} more line(s) in the step's log`;
  }
  const marks = fence(text);
  return `<details><summary>Plan: what check-command printed (${lines.length} line${lines.length === 1 ? '' : 's'})</summary>\n\n${marks}text\n${text}\n${marks}\n\n</details>\n\n`;
}

const where = (report: MigrationReport) =>
  `Database ${report.database.database} on ${report.database.host}:${report.database.port} as the bastion sees it`;

export function successSummary(report: MigrationReport): string {
  const retried = report.attempts > 1 ? `; the command ran ${report.attempts} times (lock retries)` : '';
  return `## ✅ Migration through ${report.bastion} done\n\n${where(report)}; the migration lock waited ${report.lockWaitMs} ms${retried}.\n`;
}

/** A blocker as a table row: the query in code, so Markdown in it shows as text. */
function blockerRow(blocker: LockBlocker): string {
  const open = blocker.transactionMs === undefined ? '–' : `${(blocker.transactionMs / 1000).toFixed(1)} s`;
  const query = blocker.query ? `\`${markdownCell(blocker.query).replace(/`/g, "'")}\`` : '–';
  const cells = [String(blocker.pid), blocker.user, blocker.applicationName, blocker.state ?? '(hidden)', open].map(markdownCell);
  return `| ${[...cells, query].join(' | ')} |`;
}

/** The failure in one sentence and, when a lock stopped it, who held the lock. */
export function failureSummary(report: MigrationReport, sentence: string): string {
  const heading = `## ❌ Migration through ${report.bastion} failed\n\n${sentence.charAt(0).toUpperCase()}${sentence.slice(1)}.\n\n${where(report)}.\n`;
  const wait = report.blocked;
  if (!wait) return heading;
  const waited = `Session ${wait.pid} waited ${(wait.waitedMs / 1000).toFixed(1)} s for ${wait.lock}, with ${wait.queuedBehind} other session(s) queued behind it.`;
  if (wait.blockers.length === 0) return `${heading}\n${waited} The blocking session had gone before it could be seen.\n`;
  const table = [
    '| pid | user | application_name | state | transaction open | query |',
    '| --- | --- | --- | --- | --- | --- |',
    ...wait.blockers.map(blockerRow),
  ];
  return `${heading}\n${waited} Blocking sessions:\n\n${table.join('\n')}\n`;
}
