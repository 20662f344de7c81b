/**
 * Each bundle folder's licenses.txt covers every entry point built into it (scripts/licenses.mjs). Before,
 * the last entry's file overwrote the others: heredoc-lint listed only `yaml`, without @actions/core or undici.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
// @ts-expect-error: ncc ships no types
import ncc from '@vercel/ncc';
import { describe, expect, it } from 'vitest';
// @ts-expect-error: a plain ES module of the build scripts, without types
import { bundledPackages, licenseBlocks, mergeLicenses, readmeLicenseSection } from '../scripts/licenses.mjs';

const known = new Set(['alpha', 'beta', '@scope/gamma']);
const isPackage = (name: string) => known.has(name);
// Every block start, counted as often as it occurs (a Map would hide duplicates).
const namesIn = (file: string) => {
  const text = readFileSync(file, 'utf8');
  const blocks = licenseBlocks(text, (name: string) => existsSync(`node_modules/${name}/package.json`)) as Map<string, string>;
  return [...blocks.keys()].flatMap((name) =>
    Array(
      text.split('\n').filter((line, i, rows) => line === name && (i === 0 || rows[i - 1] === '') && /^\(?[\w.+-]+/.test(rows[i + 1] ?? ''))
        .length,
    ).fill(name),
  );
};

describe('licenses.txt', () => {
  it("merges the entries' files by package, once each, sorted, keeping texts with blank lines whole", () => {
    // ncc separates some blocks by one blank line, some by two; a package name line inside a text is not a block start.
    const index = 'beta\nMIT\nBeta text\n\nalpha\nISC\nAlpha text\n\n\nnot-a-package-line\nsecond paragraph\n\nbeta is great\n';
    const cli = '@scope/gamma\nMIT\nGamma text\n\n\nalpha\nISC\nAlpha text';
    const merged = mergeLicenses([index, cli], isPackage) as string;
    expect([...(licenseBlocks(merged, isPackage) as Map<string, string>).keys()]).toEqual(['@scope/gamma', 'alpha', 'beta']);
    expect(merged).toContain('Alpha text\n\n\nnot-a-package-line\nsecond paragraph\n\nbeta is great');
    expect(merged.match(/^alpha$/gm)).toHaveLength(1);
  });

  it('replaces a block without a text (ncc writes just name and identifier) by one from the package, README section included', () => {
    const merged = mergeLicenses(
      ['alpha\nMIT\n\n\nbeta\nISC\nBeta text\n'],
      isPackage,
      new Map([
        ['alpha', 'alpha\nMIT\nAlpha text'],
        ['beta', 'beta\nISC\nOther'],
      ]),
    ) as string;
    expect(merged).toBe('alpha\nMIT\nAlpha text\n\n\nbeta\nISC\nBeta text\n');
    expect(readmeLicenseSection('# x\n\nuse it\n\n## License\n\nThe MIT License\n\nCopyright\n\n## Other\nno')).toBe(
      'The MIT License\n\nCopyright',
    );
    expect(readmeLicenseSection('# x\n## Licensing notes\ntext')).toBeUndefined();
  });

  it("in the committed bundles, covers what every entry point carries, ncc's omissions included, each once", () => {
    // ncc leaves these out of its own file though it bundles them; the build adds them from the packages' licence files.
    expect(namesIn('actions/health-check/dist/licenses.txt')).toEqual(
      expect.arrayContaining(['re2js', '@actions/exec', '@actions/http-client']),
    );
    expect(namesIn('actions/bastion-migrate/dist/licenses.txt')).toEqual(expect.arrayContaining(['pg', 'pgpass', 'asn1']));
    for (const folder of ['audit-secrets', 'bastion-migrate', 'deploy-container', 'health-check', 'heredoc-lint']
      .map((a) => `actions/${a}`)
      .concat('packages/cli')) {
      const names = namesIn(`${folder}/dist/licenses.txt`);
      expect(names.length, folder).toBe(new Set(names).size);
    }
    // The command-line package: both commands (yaml, tinyglobby, picomatch; ajv for the manifest), no toolkit.
    expect(namesIn('packages/cli/dist/licenses.txt')).toEqual(expect.arrayContaining(['yaml', 'tinyglobby', 'picomatch', 'fdir', 'ajv']));
    // heredoc-lint: the action (@actions/core, undici) and its reader (yaml, tinyglobby, picomatch).
    expect(namesIn('actions/heredoc-lint/dist/licenses.txt')).toEqual(
      expect.arrayContaining(['@actions/core', 'undici', 'yaml', 'tinyglobby', 'picomatch', 'fdir']),
    );
    // bastion-migrate: the main step (pg, ssh2) and the keep-open helper and post step.
    expect(namesIn('actions/bastion-migrate/dist/licenses.txt')).toEqual(
      expect.arrayContaining(['@actions/core', 'undici', 'ssh2', 'pg-protocol', 'pg-pool']),
    );
    expect(namesIn('actions/audit-secrets/dist/licenses.txt')).toEqual(expect.arrayContaining(['@actions/core', 'ajv', 'yaml']));
  });

  // Every entry point is bundled again here, and every package webpack took into it must have a block, with a
  // licence identifier and text, in its folder's committed licenses.txt.
  const targets = readdirSync('actions')
    .filter((a) => existsSync(`actions/${a}/action.yml`))
    .map((a) => `actions/${a}`)
    .concat('packages/cli');
  it.each(targets)(
    '%s: every package bundled from every entry point has its licence text',
    async (folder) => {
      const entries = readdirSync(`${folder}/src`).filter((f) => /^(index|post|keep-open-helper|heredoc-lint|audit-secrets)\.ts$/.test(f));
      expect(entries.length).toBeGreaterThan(0);
      const blocks = licenseBlocks(readFileSync(`${folder}/dist/licenses.txt`, 'utf8'), (name: string) =>
        existsSync(`node_modules/${name}/package.json`),
      ) as Map<string, string>;
      for (const entry of entries) {
        const { stats } = await ncc(resolve(folder, 'src', entry), {
          esm: false,
          minify: false,
          quiet: true,
          transpileOnly: true,
          cache: false,
          target: 'es2023',
        });
        const bundled = [...(bundledPackages(stats) as Map<string, string>).keys()];
        expect(bundled.length, entry).toBeGreaterThan(0);
        for (const name of bundled) {
          const block = blocks.get(name);
          expect(block, `${folder}/dist/licenses.txt lacks ${name}, bundled into ${entry}`).toBeDefined();
          expect(block!.split('\n').length, `${name}'s licence text`).toBeGreaterThan(3);
        }
      }
    },
    180_000,
  );
});
