import type { ProbeResult } from '#probe/index';
import { median } from '#stats/index';
import { markdownCell } from '#text/markdown';

export interface UrlReport {
  url: string;
  healthy: boolean;
  attempts: number;
  status: number | null;
  error: string | null;
  latency_ms: { min: number; median: number; max: number } | null;
  duration_ms: number;
  diagnosis: string;
}

/** The `results` output: one entry per URL, in input order. */
export function toReports(results: readonly ProbeResult[]): UrlReport[] {
  return results.map((result) => {
    // Latencies of attempts that got an HTTP answer; connection errors have none.
    const answered = result.history.filter((r) => r.status !== undefined).map((r) => r.latencyMs);
    return {
      url: result.url,
      healthy: result.healthy,
      attempts: result.attempts,
      status: result.lastStatus ?? null,
      error: result.lastError ?? null,
      latency_ms: answered.length ? { min: Math.min(...answered), median: Math.round(median(answered)), max: Math.max(...answered) } : null,
      duration_ms: result.durationMs,
      diagnosis: result.diagnosis,
    };
  });
}

export function summaryMarkdown(reports: readonly UrlReport[], durationMs: number): string {
  const healthy = reports.filter((r) => r.healthy).length;
  const lines = [
    `## ${healthy === reports.length ? '✅' : '❌'} Health check: ${healthy}/${reports.length} healthy in ${durationMs} ms`,
    '',
    '| URL | Result | Last status | Attempts | Latency min / median / max | Diagnosis |',
    '| --- | --- | --- | --- | --- | --- |',
    ...reports.map((r) => {
      const latency = r.latency_ms ? `${r.latency_ms.min} / ${r.latency_ms.median} / ${r.latency_ms.max} ms` : '–';
      return `| ${markdownCell(r.url)} | ${r.healthy ? '✅ healthy' : '❌ unhealthy'} | ${r.status ?? '–'} | ${r.attempts} | ${latency} | ${markdownCell(r.diagnosis)} |`;
    }),
    '',
  ];
  return lines.join('\n');
}

export function failureMessage(reports: readonly UrlReport[]): string {
  const unhealthy = reports.filter((r) => !r.healthy);
  const first = unhealthy[0]!;
  const more = unhealthy.length > 1 ? ` (and ${unhealthy.length - 1} more; see the results output)` : '';
  return `${unhealthy.length} of ${reports.length} URL${reports.length === 1 ? '' : 's'} unhealthy: ${first.url} ${first.diagnosis}${more}`;
}
