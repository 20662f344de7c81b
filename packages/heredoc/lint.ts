// One file in, findings with file positions out; plus the mechanical fixes.
import { analyzeScript } from './analyze.ts';
import { type RuleId, ruleById, SEVERITY_RANK, type Severity } from './rules.ts';
import { classify, type FileKind } from './sources.ts';

export interface Finding {
  file: string;
  line: number;
  column: number;
  rule: RuleId;
  severity: Severity;
  message: string;
  fix: string;
}

/** A replacement in file offsets. */
export interface FileEdit {
  start: number;
  end: number;
  text: string;
}

export interface FileResult {
  file: string;
  kind: FileKind | 'skipped' | 'yaml-error';
  /** Why the file was not linted, for skipped files. */
  reason?: string;
  scripts: number;
  findings: Finding[];
  /** Mechanical fixes, one per fixable finding (same order as findings, undefined where none). */
  edits: (FileEdit | undefined)[];
}

export function lintText(file: string, content: string): FileResult {
  const classified = classify(file, content);
  if (classified.kind === 'skipped') return { file, kind: 'skipped', reason: classified.reason, scripts: 0, findings: [], edits: [] };
  if (classified.kind === 'yaml-error') {
    const { line, column } = classified.position;
    return {
      file, kind: 'yaml-error', scripts: 0, edits: [undefined],
      findings: [{ file, line, column, rule: 'HD100', severity: ruleById('HD100').severity, message: `invalid YAML: ${classified.message}`, fix: 'fix the YAML syntax' }],
    };
  }
  const findings: Finding[] = [];
  const edits: (FileEdit | undefined)[] = [];
  for (const script of classified.scripts) {
    const lineOf = (offset: number) => script.map(offset).line;
    for (const finding of analyzeScript(script.text, { shell: script.shell, expressions: script.expressions, folded: script.folded, lineOf })) {
      const { line, column } = script.map(finding.offset);
      findings.push({ file, line, column, rule: finding.rule, severity: finding.severity, message: finding.message, fix: finding.fix });
      edits.push(finding.edit && script.exact
        ? { start: script.map(finding.edit.start).offset, end: script.map(finding.edit.end).offset, text: finding.edit.text }
        : undefined);
    }
  }
  const order = findings.map((_, i) => i).sort((a, b) => findings[a]!.line - findings[b]!.line || findings[a]!.column - findings[b]!.column);
  return { file, kind: classified.kind, scripts: classified.scripts.length, findings: order.map((i) => findings[i]!), edits: order.map((i) => edits[i]) };
}

/** Applies non-overlapping edits; everything else stays byte for byte. */
export function applyEdits(content: string, edits: readonly (FileEdit | undefined)[]): { content: string; applied: number } {
  const sorted = edits.filter((e): e is FileEdit => e !== undefined).sort((a, b) => b.start - a.start || b.end - a.end);
  let result = content;
  let applied = 0;
  let floor = Infinity;
  for (const edit of sorted) {
    if (edit.end > floor) continue;
    result = result.slice(0, edit.start) + edit.text + result.slice(edit.end);
    floor = edit.start;
    applied++;
  }
  return { content: result, applied };
}

export function atOrAbove(finding: Finding, threshold: Severity): boolean {
  return SEVERITY_RANK[finding.severity] >= SEVERITY_RANK[threshold];
}
