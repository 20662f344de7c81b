// Renders findings as text, GitHub annotations, JSON or SARIF 2.1.0.
import { createHash } from 'node:crypto';
import { pathToFileURL } from 'node:url';
import { type Annotation, type AnnotationLevel, annotationCommand } from '#log/annotation';
import type { Finding } from './lint.ts';
import { RULES, ruleById, type Severity } from './rules.ts';
import suite from '../../../package.json' with { type: 'json' };
import { SUITE_VERSION } from '#release/version';

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

export function toJson(findings: readonly Finding[]): { findings: Array<Omit<Finding, 'lineText'>> } {
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

/**
 * A file's SARIF artifact URI: a relative path as a URI reference with each segment percent-encoded, an absolute
 * one as a file:// URI (code scanning resolves relative ones against the checkout).
 */
export function sarifUri(file: string): string {
  const path = file.split('\\').join('/').replace(/^\.\//, '');
  if (path.startsWith('/') || /^[A-Za-z]:\//.test(path)) return pathToFileURL(path).href;
  return path.split('/').map(encodeURIComponent).join('/');
}

/**
 * Identifies a result across runs without its line number, so code scanning keeps one alert when lines above it
 * move: the rule, the file, the line's text and which of its equals this is.
 */
function fingerprints(findings: readonly Finding[]): string[] {
  const seen = new Map<string, number>();
  return findings.map((f) => {
    const key = `${f.rule}\0${f.file}\0${f.lineText.trim()}`;
    const nth = seen.get(key) ?? 0;
    seen.set(key, nth + 1);
    return createHash('sha256').update(`${key}\0${nth}`).digest('hex');
  });
}

export function toSarif(findings: readonly Finding[]): Record<string, unknown> {
  const ruleIndex = new Map(RULES.map((rule, index) => [rule.id, index]));
  const keys = fingerprints(findings);
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
        results: findings.map((f, i) => ({
          ruleId: f.rule,
          ruleIndex: ruleIndex.get(f.rule),
          level: SARIF_LEVEL[f.severity],
          message: { text: `${f.message}. Fix: ${f.fix}` },
          locations: [
            {
              physicalLocation: {
                artifactLocation: { uri: sarifUri(f.file) },
                region: { startLine: f.line, startColumn: f.column },
              },
            },
          ],
          partialFingerprints: { 'heredocLint/v1': keys[i] },
        })),
        columnKind: 'utf16CodeUnits',
      },
    ],
  };
}
