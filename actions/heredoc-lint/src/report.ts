import type { Finding } from '#heredoc/lint';
import { markdownCell } from '#text/markdown';

/** The job summary: one row per finding, with where, what and how to fix it. */
export function summaryMarkdown(findings: readonly Finding[], files: number): string {
  if (findings.length === 0) return `### heredoc-lint\n\nNo heredoc problems in ${files} file(s).\n`;
  const rows = findings.map(
    (f) =>
      `| \`${markdownCell(f.file)}:${f.line}:${f.column}\` | ${f.rule} | ${f.severity} | ${markdownCell(f.message)} | ${markdownCell(f.fix)} |`,
  );
  return [
    '### heredoc-lint',
    '',
    `${findings.length} finding(s) in ${files} file(s).`,
    '',
    '| where | rule | severity | problem | fix |',
    '| --- | --- | --- | --- | --- |',
    ...rows,
    '',
  ].join('\n');
}
