import type { HostResult } from './deploy.ts';
import { markdownCell } from '../../../packages/text/markdown.ts';

const OUTCOME = {
  deployed: '✅ deployed',
  'rolled-back': '↩️ rolled back',
  failed: '❌ failed',
  'rollback-failed': '🔥 rollback failed',
} as const;

export function summaryMarkdown(image: string, results: readonly HostResult[], skipped: readonly string[], durationMs: number): string {
  const ok = results.length > 0 && results.every((r) => r.outcome === 'deployed') && skipped.length === 0;
  return [
    `## ${ok ? '✅' : '❌'} Deploy of \`${image}\` in ${durationMs} ms`,
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
  ].join('\n');
}

/** Outputs are per host when several hosts were deployed (`host=value` lines), plain for one. */
export function perHost(results: readonly HostResult[], pick: (r: HostResult) => string | undefined): string {
  if (results.length === 1) return pick(results[0]!) ?? '';
  return results.map((r) => `${r.host}=${pick(r) ?? ''}`).join('\n');
}
