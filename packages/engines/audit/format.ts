// The audit report as text, Markdown (job summary) and annotations. Names only: values never reach here.
import type { Annotation, AnnotationLevel } from '#log/annotation';
import type { AuditFinding, AuditReport, Level } from './audit.ts';
import type { ManifestProblem } from './load.ts';
import { markdownCell } from '#text/markdown';

const MARK: Record<Level, string> = { error: '✗', warning: '!', info: 'i' };
const ANNOTATION: Record<Level, AnnotationLevel> = { error: 'error', warning: 'warning', info: 'notice' };

export function renderText(report: AuditReport): string {
  const lines: string[] = [];
  // Presence is what github and env modes check; workflows mode only reads names.
  const presence = report.modes.some((mode) => mode !== 'workflows');
  for (const summary of presence ? report.environments : []) {
    const state =
      summary.missing.length > 0
        ? `${summary.missing.length} missing`
        : summary.optionalMissing.length > 0
          ? 'all required present'
          : 'all present';
    const optional = summary.optionalMissing.length ? `, ${summary.optionalMissing.length} optional not set` : '';
    lines.push(
      `${summary.environment}: ${summary.present}/${summary.checked} present, ${state}${optional}${summary.unused.length ? `, ${summary.unused.length} unused` : ''}`,
    );
  }
  for (const finding of report.findings) {
    lines.push(
      `${finding.file}:${finding.position.line}:${finding.position.column} ${MARK[finding.level]} ${finding.level} [${finding.mode}] ${finding.message}`,
    );
  }
  const errors = report.findings.filter((f) => f.level === 'error').length;
  lines.push(
    report.ok ? `audit-secrets: ok (${report.modes.join(', ')})` : `audit-secrets: ${errors} error(s) (${report.modes.join(', ')})`,
  );
  return `${lines.join('\n')}\n`;
}

export function annotations(findings: readonly AuditFinding[]): Annotation[] {
  return findings.map((f) => ({
    level: ANNOTATION[f.level],
    file: f.file,
    line: f.position.line,
    column: f.position.column,
    title: `audit-secrets ${f.kind}`,
    message: f.message,
  }));
}

export function problemAnnotations(file: string, problems: readonly ManifestProblem[]): Annotation[] {
  return problems.map((p) => ({
    level: 'error',
    file,
    line: p.position.line,
    column: p.position.column,
    title: 'audit-secrets invalid manifest',
    message: `${p.path || '(root)'}: ${p.message}`,
  }));
}

const list = (names: readonly string[]) => (names.length ? names.map((n) => `\`${n}\``).join(', ') : '—');

export function summaryMarkdown(report: AuditReport): string {
  const presence = report.modes.some((mode) => mode !== 'workflows');
  const rows = (presence ? report.environments : []).map(
    (s) =>
      `| ${s.missing.length ? '❌' : '✅'} \`${s.environment}\` | ${s.present}/${s.checked} | ${list(s.missing)} | ${list(s.unused)} | ${list(s.exceptions)} |`,
  );
  const details = report.findings
    .filter((f) => f.level !== 'info' || f.kind === 'exception')
    .map(
      (f) =>
        `| ${f.level} | ${f.mode} | \`${markdownCell(f.environment)}\` | \`${markdownCell(f.name)}\` | ${markdownCell(f.message)} | \`${markdownCell(f.file)}:${f.position.line}\` |`,
    );
  return [
    `### audit-secrets: ${report.ok ? (presence ? 'every environment has what it needs' : 'the workflows use only what the manifest defines') : 'problems found'}`,
    '',
    `Manifest \`${report.manifest}\`, modes: ${report.modes.join(', ')}.`,
    '',
    ...(rows.length ? ['| environment | present | missing | unused | exceptions |', '| --- | --- | --- | --- | --- |', ...rows, ''] : []),
    ...(details.length
      ? ['| level | mode | environment | name | finding | where |', '| --- | --- | --- | --- | --- | --- |', ...details, '']
      : []),
  ].join('\n');
}
