/**
 * Each bundle folder's licenses.txt covers every entry point built into it (scripts/licenses.mjs). Before,
 * the last entry's file overwrote the others: heredoc-lint listed only `yaml`, without @actions/core or undici.
 */
import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
// @ts-expect-error: a plain ES module of the build scripts, without types
import { licenseBlocks, mergeLicenses } from '../scripts/licenses.mjs';

const known = new Set(['alpha', 'beta', '@scope/gamma']);
const isPackage = (name: string) => known.has(name);
// Every block start, counted as often as it occurs (a Map would hide duplicates).
const namesIn = (file: string) => {
  const text = readFileSync(file, 'utf8');
  const blocks = licenseBlocks(text, (name: string) => existsSync(`node_modules/${name}/package.json`)) as Map<string, string>;
  return [...blocks.keys()].flatMap((name) => Array(text.split('\n').filter((line, i, rows) => line === name && (i === 0 || rows[i - 1] === '') && /^\(?[\w.+-]+/.test(rows[i + 1] ?? '')).length).fill(name));
};

describe('licenses.txt', () => {
  it('merges the entries\' files by package, once each, sorted, keeping texts with blank lines whole', () => {
    // ncc separates some blocks by one blank line, some by two; a package name line inside a text is not a block start.
    const index = 'beta\nMIT\nBeta text\n\nalpha\nISC\nAlpha text\n\n\nnot-a-package-line\nsecond paragraph\n\nbeta is great\n';
    const cli = '@scope/gamma\nMIT\nGamma text\n\n\nalpha\nISC\nAlpha text';
    const merged = mergeLicenses([index, cli], isPackage) as string;
    expect([...(licenseBlocks(merged, isPackage) as Map<string, string>).keys()]).toEqual(['@scope/gamma', 'alpha', 'beta']);
    expect(merged).toContain('Alpha text\n\n\nnot-a-package-line\nsecond paragraph\n\nbeta is great');
    expect(merged.match(/^alpha$/gm)).toHaveLength(1);
  });

  it('in the committed bundles, covers what every entry point carries, ncc\'s omissions included, each once', () => {
    // ncc leaves these out of its own file though it bundles them; the build adds them from the packages' licence files.
    expect(namesIn('actions/health-check/dist/licenses.txt')).toEqual(expect.arrayContaining(['re2js', '@actions/exec', '@actions/http-client']));
    expect(namesIn('actions/bastion-migrate/dist/licenses.txt')).toEqual(expect.arrayContaining(['pg', 'pgpass', 'asn1']));
    for (const action of ['audit-secrets', 'bastion-migrate', 'deploy-container', 'health-check', 'heredoc-lint']) {
      const names = namesIn(`actions/${action}/dist/licenses.txt`);
      expect(names.length, action).toBe(new Set(names).size);
    }
    // heredoc-lint: the action (@actions/core, undici) and the command (yaml, tinyglobby, picomatch).
    expect(namesIn('actions/heredoc-lint/dist/licenses.txt')).toEqual(expect.arrayContaining(['@actions/core', 'undici', 'yaml', 'tinyglobby', 'picomatch', 'fdir']));
    // bastion-migrate: the main step (pg, ssh2) and the keep-open helper and post step.
    expect(namesIn('actions/bastion-migrate/dist/licenses.txt')).toEqual(expect.arrayContaining(['@actions/core', 'undici', 'ssh2', 'pg-protocol', 'pg-pool']));
    expect(namesIn('actions/audit-secrets/dist/licenses.txt')).toEqual(expect.arrayContaining(['@actions/core', 'ajv', 'yaml']));
  });
});
