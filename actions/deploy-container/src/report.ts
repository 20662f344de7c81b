import type { ActionReporter } from '#log/reporter';
import { markdownCell } from '#text/markdown';
import type { HostResult } from './deploy.ts';
import type { Roll } from './roll.ts';

const OUTCOME = {
  deployed: '✅ deployed',
  'rolled-back': '↩️ rolled back',
  failed: '❌ failed',
  'rollback-failed': '🔥 rollback failed',
} as const;

/** `title` says what ran, e.g. ``Deploy of `registry/app:sha` ``; `notes` are lines under the table. */
export function summaryMarkdown(
  title: string,
  results: readonly HostResult[],
  skipped: readonly string[],
  durationMs: number,
  notes: readonly string[] = [],
): string {
  const ok = results.length > 0 && results.every((r) => r.outcome === 'deployed') && skipped.length === 0;
  return [
    `## ${ok ? '✅' : '❌'} ${title} in ${durationMs} ms`,
    '',
    '| Host | Result | Digest | Previous image | Phases | Duration |',
    '| --- | --- | --- | --- | --- | --- |',
    ...results.map(
      (r) =>
        `| ${markdownCell(r.host)} | ${OUTCOME[r.outcome]}${r.error ? `: ${markdownCell(r.error)}` : ''} | ${r.imageDigest ? `\`${r.imageDigest.split('@')[1] ?? r.imageDigest}\`` : '–'} | ` +
        `${r.previousImage ? `\`${markdownCell(r.previousImage)}\`` : '–'} | ${r.phases.map((p) => `${p.phase} ${p.ms} ms`).join(' · ')} | ${r.durationMs} ms |`,
    ),
    ...skipped.map((host) => `| ${markdownCell(host)} | ⏭️ not attempted (an earlier host failed) | – | – | – | – |`),
    '',
    ...notes.map((note) => `${markdownCell(note)}\n`),
  ].join('\n');
}

/** Outputs are per host when several hosts were deployed (`host=value` lines), plain for one. */
export function perHost(results: readonly HostResult[], pick: (r: HostResult) => string | undefined): string {
  if (results.length === 1) return pick(results[0]!) ?? '';
  return results.map((r) => `${r.host}=${pick(r) ?? ''}`).join('\n');
}

/** The step's outputs, its summary, and its one failure sentence (the first host that did not deploy). */
export async function reportRoll(
  reporter: ActionReporter,
  title: string,
  roll: Roll,
  durationMs: number,
  notes: readonly string[] = [],
): Promise<boolean> {
  const { results, skipped } = roll;
  reporter.setOutput(
    'container-id',
    perHost(results, (r) => (r.outcome === 'deployed' ? r.containerId : undefined)),
  );
  reporter.setOutput(
    'image-digest',
    perHost(results, (r) => r.imageDigest),
  );
  reporter.setOutput(
    'previous-image',
    perHost(results, (r) => r.previousImage),
  );
  reporter.setOutput(
    'serving-container',
    perHost(results, (r) => r.servingContainer),
  );
  reporter.setOutput('rolled-back', String(results.some((r) => r.outcome === 'rolled-back')));
  const tasks = results.find((r) => r.tasks)?.tasks;
  reporter.setOutput('tasks', tasks ? JSON.stringify(tasks) : '');
  reporter.setOutput('duration-ms', String(durationMs));
  await reporter.writeSummary(summaryMarkdown(title, results, skipped, durationMs, notes));

  const failed = results.find((r) => r.outcome !== 'deployed');
  if (!failed) return true;
  const untouched = skipped.length > 0 ? ` ${skipped.length} later host(s) left untouched: ${skipped.join(', ')}.` : '';
  const what = {
    'rolled-back': `deploy failed and was rolled back to ${failed.previousImage}`,
    'rollback-failed': `deploy failed and the ROLLBACK FAILED too (previous image ${failed.previousImage})`,
    failed: 'deploy failed',
    deployed: '',
  }[failed.outcome];
  reporter.setFailed(`${failed.host}: ${what}: ${failed.error}.${untouched}`);
  return false;
}
