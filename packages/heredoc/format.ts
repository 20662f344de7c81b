// Renders findings as text, GitHub annotations, JSON or SARIF 2.1.0.
import { type Annotation, type AnnotationLevel, annotationCommand } from '../log/annotation.ts';
import type { Finding } from './lint.ts';
import { RULES, ruleById, type Severity } from './rules.ts';
import suite from '../../package.json' with { type: 'json' };
import { SUITE_VERSION } from '../release/version.ts';

export const FORMATS = ['text', 'json', 'sarif', 'github'] as const;
export type Format = (typeof FORMATS)[number];

export const TOOL_NAME = 'heredoc-lint';
export const TOOL_VERSION = SUITE_VERSION;
// The rules' documentation at this release; package.json says where the project lives, so a fork edits one place.
const INFORMATION_URI = `${suite.homepage.replace(/#.*$/, '')}/tree/v${TOOL_VERSION}/actions/heredoc-lint`;

export function render(format: Format, findings: readonly Finding[]): string {
  switch (format) {
    case 'text':
      return renderText(findings);
    case 'json':
      return `${JSON.stringify(toJson(findings), null, 2)}\n`;
    case 'sarif':
      return `${JSON.stringify(toSarif(findings), null, 2)}\n`;
    case 'github':
      return renderGithub(findings);
  }
}

export function renderText(findings: readonly Finding[]): string {
  return findings.map((f) => `${f.file}:${f.line}:${f.column} ${f.rule} ${f.severity}: ${f.message}\n  fix: ${f.fix}\n`).join('');
}

export function toJson(findings: readonly Finding[]): { findings: Finding[] } {
  return {
    findings: findings.map(({ file, line, column, rule, severity, message, fix }) => ({
      file,
      line,
      column,
      rule,
      severity,
      message,
      fix,
    })),
  };
}

const ANNOTATION: Record<Severity, AnnotationLevel> = { error: 'error', warning: 'warning', info: 'notice' };

/** Each finding as an annotation on its file, line and column. */
export function annotationsOf(findings: readonly Finding[]): Annotation[] {
  return findings.map((f) => ({
    level: ANNOTATION[f.severity],
    file: f.file,
    line: f.line,
    column: f.column,
    title: `${TOOL_NAME} ${f.rule} ${ruleById(f.rule).name}`,
    message: `${f.message}. Fix: ${f.fix}`,
  }));
}

/** The annotations as workflow commands, for the command line's `--format github`. */
export function renderGithub(findings: readonly Finding[]): string {
  return annotationsOf(findings)
    .map((annotation) => `${annotationCommand(annotation)}\n`)
    .join('');
}

const SARIF_LEVEL: Record<Severity, 'error' | 'warning' | 'note'> = { error: 'error', warning: 'warning', info: 'note' };

export function toSarif(findings: readonly Finding[]): Record<string, unknown> {
  const ruleIndex = new Map(RULES.map((rule, index) => [rule.id, index]));
  return {
    $schema: 'https://json.schemastore.org/sarif-2.1.0.json',
    version: '2.1.0',
    runs: [
      {
        tool: {
          driver: {
            name: TOOL_NAME,
            version: TOOL_VERSION,
            informationUri: INFORMATION_URI,
            rules: RULES.map((rule) => ({
              id: rule.id,
              name: rule.name,
              shortDescription: { text: rule.summary },
              defaultConfiguration: { level: SARIF_LEVEL[rule.severity] },
            })),
          },
        },
        results: findings.map((f) => ({
          ruleId: f.rule,
          ruleIndex: ruleIndex.get(f.rule),
          level: SARIF_LEVEL[f.severity],
          message: { text: `${f.message}. Fix: ${f.fix}` },
          locations: [
            {
              physicalLocation: {
                artifactLocation: { uri: f.file.split('\\').join('/').replace(/^\.\//, '') },
                region: { startLine: f.line, startColumn: f.column },
              },
            },
          ],
        })),
        columnKind: 'utf16CodeUnits',
      },
    ],
  };
}
