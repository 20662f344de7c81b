import type { Finding } from '../../../packages/heredoc/lint.ts';

const cell = (text: string) => text.replace(/\|/g, '\\|').replace(/\n/g, ' ');

/** The job summary: one row per finding, with where, what and how to fix it. */
export function summaryMarkdown(findings: readonly Finding[], files: number): string {
  if (findings.length === 0) return `### heredoc-lint\n\nNo heredoc problems in ${files} file(s).\n`;
  const rows = findings.map((f) =>
    `| \`${cell(f.file)}:${f.line}:${f.column}\` | ${f.rule} | ${f.severity} | ${cell(f.message)} | ${cell(f.fix)} |`);
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
