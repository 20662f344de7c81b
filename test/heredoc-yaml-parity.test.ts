/**
 * heredoc-lint reads a workflow exactly when GitHub's own parser (@actions/workflow-parser) reads it: on a corpus
 * of awkward YAML (tabs, flow and quoted scalars, anchors, merge keys, long folded lines, CRLF, duplicate keys,
 * several documents), HD100 is reported for the files GitHub rejects as YAML, and only for those, quoting the
 * parser's message at the parser's position.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { NoOperationTraceWriter, parseWorkflow } from '@actions/workflow-parser';
import { describe, expect, it } from 'vitest';
import { lintText } from '#heredoc/lint';

const CORPUS = 'test/fixtures/yaml-parity';
const files = readdirSync(CORPUS)
  .filter((f) => f.endsWith('.yml'))
  .sort();

/** GitHub's YAML errors for a file: parseWorkflow stops at them and returns no template. */
function githubYamlErrors(name: string, content: string) {
  const parsed = parseWorkflow({ name, content }, new NoOperationTraceWriter());
  return parsed.value === undefined ? parsed.context.errors.getErrors() : [];
}

describe('YAML parity with GitHub’s workflow parser', () => {
  it('has awkward files of both kinds', () => {
    const rejected = files.filter((f) => githubYamlErrors(f, readFileSync(join(CORPUS, f), 'utf8')).length > 0);
    expect(files.length).toBeGreaterThanOrEqual(15);
    expect(rejected.length).toBeGreaterThanOrEqual(5);
    expect(files.length - rejected.length).toBeGreaterThanOrEqual(8);
  });

  it.each(files)('%s: read by heredoc-lint exactly when GitHub reads it, HD100 in GitHub’s words and place', (file) => {
    const content = readFileSync(join(CORPUS, file), 'utf8');
    const github = githubYamlErrors(file, content);
    const result = lintText(file, content);
    const hd100 = result.findings.filter((f) => f.rule === 'HD100');
    if (github.length === 0) {
      expect(result.kind).toBe('workflow');
      expect(hd100).toEqual([]);
      return;
    }
    expect(result.kind).toBe('yaml-error');
    expect(hd100).toHaveLength(1);
    const first = github[0]!;
    expect(hd100[0]!.message).toBe(`invalid YAML: ${first.rawMessage.split('\n')[0]!.replace(/:$/, '')}`);
    expect({ line: hd100[0]!.line, column: hd100[0]!.column }).toEqual({
      line: first.range!.start.line,
      column: first.range!.start.column,
    });
  });
});
