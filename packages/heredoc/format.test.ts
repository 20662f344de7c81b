import { describe, expect, it } from 'vitest';
import { lintText } from './lint.ts';
import { sarifUri, toSarif } from './format.ts';

interface SarifResult {
  locations: Array<{ physicalLocation: { artifactLocation: { uri: string }; region: { startLine: number } } }>;
  partialFingerprints: Record<string, string>;
}
const resultsOf = (file: string, content: string) =>
  (toSarif(lintText(file, content).findings) as { runs: Array<{ results: SarifResult[] }> }).runs[0]!.results;

describe('SARIF', () => {
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
