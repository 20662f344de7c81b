// One file in, findings with file positions out; plus the mechanical fixes.
import { analyzeScript } from './analyze.ts';
import { type RuleId, ruleById, SEVERITY_RANK, type Severity } from './rules.ts';
import { classify, type FileKind, type SourceOptions } from './sources.ts';
import { LineIndex } from '#text/lines';

export interface LintOptions extends SourceOptions {
  /** More commands whose standard input is a script (see feeds.ts). */
  scriptCommands?: ReadonlySet<string>;
}

export interface Finding {
  file: string;
  line: number;
  column: number;
  rule: RuleId;
  severity: Severity;
  message: string;
  fix: string;
  /** The text of the finding's line, which identifies it across edits elsewhere in the file (SARIF fingerprints). */
  lineText: string;
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
  /**
   * Mechanical fixes, one group per fixable finding (same order as findings, undefined where none); a group
   * applies whole or not at all.
   */
  edits: (FileEdit[] | undefined)[];
}

export function lintText(file: string, content: string, options: LintOptions = {}): FileResult {
  const classified = classify(file, content, options);
  if (classified.kind === 'skipped') return { file, kind: 'skipped', reason: classified.reason, scripts: 0, findings: [], edits: [] };
  if (classified.kind === 'yaml-error') {
    const { line, column } = classified.position;
    return {
      file,
      kind: 'yaml-error',
      scripts: 0,
      edits: [undefined],
      findings: [
        {
          file,
          line,
          column,
          rule: 'HD100',
          severity: ruleById('HD100').severity,
          message: `invalid YAML: ${classified.message}`,
          fix: 'fix the YAML syntax',
          lineText: new LineIndex(content).lineText(line - 1),
        },
      ],
    };
  }
  const findings: Finding[] = [];
  const edits: (FileEdit[] | undefined)[] = [];
  const lines = new LineIndex(content);
  for (const script of classified.scripts) {
    // Two fixes that each make the step's env: would write the key twice: the first one makes it, and the next
    // round of --fix adds the others to it.
    let envMade = false;
    const lineOf = (offset: number) => script.map(offset).line;
    const positionOf = (offset: number) => script.map(offset);
    for (const finding of analyzeScript(script.text, {
      shell: script.shell,
      expressions: script.expressions,
      folded: script.folded,
      lineOf,
      positionOf,
      scriptCommands: options.scriptCommands,
      envNames: script.exact ? script.stepEnv?.names : undefined,
      file: classified.kind === 'script',
      checkedLineByLine: script.checkedLineByLine,
      untrustedOutputs: script.untrustedOutputs,
    })) {
      const { line, column } = script.map(finding.offset);
      findings.push({
        file,
        line,
        column,
        rule: finding.rule,
        severity: finding.severity,
        message: finding.message,
        fix: finding.fix,
        lineText: lines.lineText(line - 1),
      });
      const inScript = finding.edits?.map((edit) => ({
        start: script.map(edit.start).offset,
        end: script.map(edit.end).offset,
        text: edit.text,
      }));
      if (!inScript || !script.exact) edits.push(undefined);
      else if (!finding.env) edits.push(inScript);
      else if (!script.stepEnv || (script.stepEnv.creates && envMade)) edits.push(undefined);
      else {
        envMade = script.stepEnv.creates;
        edits.push([...inScript, script.stepEnv.add(finding.env)]);
      }
    }
  }
  const order = findings
    .map((_, i) => i)
    .sort((a, b) => findings[a]!.line - findings[b]!.line || findings[a]!.column - findings[b]!.column);
  return {
    file,
    kind: classified.kind,
    scripts: classified.scripts.length,
    findings: order.map((i) => findings[i]!),
    edits: order.map((i) => edits[i]),
  };
}

/**
 * Applies each group of edits whole, skipping a group that overlaps one taken before it; everything else stays
 * byte for byte. `applied` counts the groups applied.
 */
export function applyEdits(content: string, groups: readonly (readonly FileEdit[] | undefined)[]): { content: string; applied: number } {
  const taken: FileEdit[] = [];
  let applied = 0;
  for (const group of groups) {
    if (!group || group.length === 0) continue;
    if (group.some((edit) => taken.some((other) => edit.start < other.end && other.start < edit.end))) continue;
    taken.push(...group);
    applied++;
  }
  let result = content;
  for (const edit of taken.sort((a, b) => b.start - a.start)) result = result.slice(0, edit.start) + edit.text + result.slice(edit.end);
  return { content: result, applied };
}

export function atOrAbove(finding: Finding, threshold: Severity): boolean {
  return SEVERITY_RANK[finding.severity] >= SEVERITY_RANK[threshold];
}
