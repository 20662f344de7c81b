import Ajv from 'ajv-draft-04';
import addFormats from 'ajv-formats';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { lintText } from './lint.ts';
import { sarifUri, toSarif } from './format.ts';
import { RULES } from './rules.ts';

/** The OASIS SARIF 2.1.0 schema (draft-04), as Microsoft's SARIF SDK ships it. */
const sarifSchema = createRequire(import.meta.url)('@microsoft/jest-sarif/lib/schemas/sarif-2.1.0-rtm.5.json');
// The schema's patterns are written for non-unicode regular expressions; its uri and uri-reference formats are
// checked (ajv-formats), so a path that is not percent-encoded fails.
const validateSarif = addFormats(new Ajv({ allErrors: true, strict: false, unicodeRegExp: false })).compile(sarifSchema);
const schemaErrors = (log: unknown) =>
  validateSarif(log) ? [] : (validateSarif.errors ?? []).map((e) => `${e.instancePath || '(log)'} ${e.message}`);

/** Every file of the labelled corpus, with its findings: most rules, in shell scripts, workflows and actions. */
function corpusFindings() {
  const dir = join(import.meta.dirname, 'corpus');
  const files = (folder: string): string[] =>
    readdirSync(folder).flatMap((name) => (statSync(join(folder, name)).isDirectory() ? files(join(folder, name)) : [join(folder, name)]));
  return files(dir)
    .filter((file) => /\.(sh|ya?ml)$/.test(file))
    .flatMap((file) => lintText(file.slice(dir.length + 1), readFileSync(file, 'utf8')).findings);
}

interface SarifResult {
  locations: Array<{ physicalLocation: { artifactLocation: { uri: string }; region: { startLine: number } } }>;
  partialFingerprints: Record<string, string>;
}
const resultsOf = (file: string, content: string) =>
  (toSarif(lintText(file, content).findings) as { runs: Array<{ results: SarifResult[] }> }).runs[0]!.results;

describe('SARIF', () => {
  it('is valid against the SARIF 2.1.0 schema, for every finding of the corpus and for odd and absolute paths', () => {
    const findings = [
      ...corpusFindings(),
      ...lintText('/srv/repo/deploy app#1.sh', 'cat <<EOF\nx\n EOF\n').findings,
      ...lintText(
        '.github/workflows/100%.yml',
        'on: push\njobs:\n  a:\n    runs-on: x\n    steps:\n      - run: |\n          cat <<EOF\n          x\n           EOF\n',
      ).findings,
    ];
    // Enough of the rules to stand for all of them: their descriptors are in every log, used or not.
    expect(new Set(findings.map((f) => f.rule)).size).toBeGreaterThan(RULES.length / 2);
    expect(schemaErrors(toSarif(findings))).toEqual([]);
    expect(schemaErrors(toSarif([]))).toEqual([]);
  });

  it('the schema check can fail: a result without a message, or a bad level, is refused', () => {
    const log = toSarif(lintText('s.sh', 'cat <<EOF\nx\n EOF\n').findings) as { runs: Array<{ results: Array<Record<string, unknown>> }> };
    const result = log.runs[0]!.results[0]!;
    expect(schemaErrors({ ...log, runs: [{ ...log.runs[0], results: [{ ...result, message: undefined }] }] })).not.toEqual([]);
    expect(schemaErrors({ ...log, runs: [{ ...log.runs[0], results: [{ ...result, level: 'fatal' }] }] })).not.toEqual([]);
    const unencoded = JSON.parse(JSON.stringify(log).replace('"uri":"s.sh"', '"uri":"a b%.sh"'));
    expect(schemaErrors(unencoded)).not.toEqual([]);
  });

  it('gives each file a URI: relative paths percent-encoded by segment, absolute ones as file://', () => {
    expect(sarifUri('./scripts/deploy app#1.sh')).toBe('scripts/deploy%20app%231.sh');
    expect(sarifUri('.github\\workflows\\100%.yml')).toBe('.github/workflows/100%25.yml');
    expect(sarifUri('/srv/repo/my script.sh')).toBe('file:///srv/repo/my%20script.sh');
    expect(resultsOf('a b.sh', 'cat <<EOF\nx\n EOF\n')[0]!.locations[0]!.physicalLocation.artifactLocation.uri).toBe('a%20b.sh');
  });

  it('fingerprints a result by its rule, file and line text, so it survives lines added above it', () => {
    const broken = 'cat <<EOF > a\nx\nEOF # end\n';
    const [before] = resultsOf('s.sh', broken);
    const [after] = resultsOf('s.sh', `echo first\necho second\n${broken}`);
    expect(after!.locations[0]!.physicalLocation.region.startLine).toBe(before!.locations[0]!.physicalLocation.region.startLine + 2);
    expect(after!.partialFingerprints).toEqual(before!.partialFingerprints);
    expect(before!.partialFingerprints['heredocLint/v1']).toMatch(/^[0-9a-f]{64}$/);
  });

  it('tells two equal lines of one file apart', () => {
    const results = resultsOf('s.sh', 'cat <<EOF > a\nx\nEOF # end\ncat <<EOF > b\nx\nEOF\ncat <<EOF > a\nx\nEOF # end\n');
    const keys = results.map((r) => r.partialFingerprints['heredocLint/v1']);
    expect(keys.length).toBeGreaterThanOrEqual(2);
    expect(new Set(keys).size).toBe(keys.length);
  });
});
