/**
 * Each bundle folder's licenses.txt covers every entry point built into it (scripts/licenses.mjs). Before,
 * the last entry's file overwrote the others: heredoc-lint listed only `yaml`, without @actions/core or undici.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
// @ts-expect-error: a plain ES module of the build scripts, without types
import { licenseBlocks, mergeLicenses } from '../scripts/licenses.mjs';

const known = new Set(['alpha', 'beta', '@scope/gamma']);
const isPackage = (name: string) => known.has(name);
const namesIn = (file: string) => [...(licenseBlocks(readFileSync(file, 'utf8'), (name: string) => /^(@[\w.-]+\/)?[\w.-]+$/.test(name)) as Map<string, string>).keys()];

describe('licenses.txt', () => {
  it('merges the entries\' files by package, once each, sorted, keeping texts with blank lines whole', () => {
    const index = 'beta\nMIT\nBeta text\n\n\nalpha\nISC\nAlpha text\n\n\nnot-a-package-line\nsecond paragraph';
    const cli = '@scope/gamma\nMIT\nGamma text\n\n\nalpha\nISC\nAlpha text';
    const merged = mergeLicenses([index, cli], isPackage) as string;
    expect([...(licenseBlocks(merged, isPackage) as Map<string, string>).keys()]).toEqual(['@scope/gamma', 'alpha', 'beta']);
    expect(merged).toContain('Alpha text\n\n\nnot-a-package-line\nsecond paragraph');
    expect(merged.match(/^alpha$/gm)).toHaveLength(1);
  });

  it('in the committed bundles, covers what every entry point carries', () => {
    // heredoc-lint: the action (@actions/core, undici) and the command (yaml, tinyglobby, picomatch).
    expect(namesIn('actions/heredoc-lint/dist/licenses.txt')).toEqual(expect.arrayContaining(['@actions/core', 'undici', 'yaml', 'tinyglobby', 'picomatch', 'fdir']));
    // bastion-migrate: the main step (pg, ssh2) and the keep-open helper and post step.
    expect(namesIn('actions/bastion-migrate/dist/licenses.txt')).toEqual(expect.arrayContaining(['@actions/core', 'undici', 'ssh2', 'pg-protocol', 'pg-pool']));
    expect(namesIn('actions/audit-secrets/dist/licenses.txt')).toEqual(expect.arrayContaining(['@actions/core', 'ajv', 'yaml']));
  });
});
