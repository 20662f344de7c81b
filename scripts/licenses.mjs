// One licenses.txt per bundle folder, covering every entry point built into it and every package bundled.
// ncc writes one licence file per entry, in blocks of "name\nlicence\ntext" separated by two blank lines;
// building a second entry into the same folder used to overwrite the first's, and ncc leaves out some packages
// it bundles (@actions/exec, @actions/http-client, pg, re2js). The blocks are merged by package name, the
// missing packages' blocks are made from their own licence files, and a package without one fails the build.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const LICENSE_ID = /^\(?[\w.+-]+(?: (?:OR|AND|WITH) [\w.+-]+)*\)?$/;

/** Splits ncc's licenses.txt into { name → block }; a block starts at a line naming a bundled package. */
export function licenseBlocks(text, isPackage) {
  const blocks = new Map();
  let name;
  let lines = [];
  const flush = () => {
    if (name) blocks.set(name, lines.join('\n').replace(/\n+$/, ''));
  };
  const rows = text.split('\n');
  rows.forEach((line, index) => {
    // A package name after a blank line, followed by its licence identifier (MIT, Apache-2.0, (MIT OR X), UNKNOWN).
    const startsBlock = (index === 0 || rows[index - 1] === '') && line !== '' && LICENSE_ID.test(rows[index + 1] ?? '') && isPackage(line);
    if (startsBlock) {
      flush();
      name = line;
      lines = [line];
    } else if (name) lines.push(line);
  });
  flush();
  return blocks;
}

/**
 * Whether a block has a licence text after its name and identifier (ncc writes just those two lines when a
 * package has no licence file).
 */
export const hasLicenseText = (block) =>
  block
    .split('\n')
    .slice(2)
    .some((line) => line.trim() !== '');

/**
 * The blocks of every text, each package once (the first block with a text wins), sorted by name; `extra`
 * ({ name → block }) adds packages and replaces blocks without a text.
 */
export function mergeLicenses(texts, isPackage, extra = new Map()) {
  const merged = new Map();
  for (const text of texts) {
    for (const [name, block] of licenseBlocks(text, isPackage))
      if (!merged.has(name) || !hasLicenseText(merged.get(name))) merged.set(name, block);
  }
  for (const [name, block] of extra) if (!merged.has(name) || !hasLicenseText(merged.get(name))) merged.set(name, block);
  return (
    [...merged.keys()]
      .sort()
      .map((name) => merged.get(name))
      .join('\n\n\n') + '\n'
  );
}

/** { package name → its folder } for every module file webpack bundled (ncc's stats); the innermost node_modules wins. */
export function bundledPackages(stats) {
  const packages = new Map();
  for (const module of stats?.compilation?.modules ?? []) {
    const resource = module.resource ?? '';
    const at = resource.lastIndexOf('/node_modules/');
    if (at < 0) continue;
    const rest = resource.slice(at + '/node_modules/'.length).split('/');
    const name = rest[0].startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0];
    packages.set(name, join(resource.slice(0, at), 'node_modules', name));
  }
  return packages;
}

/**
 * A licence block made from a package's own licence file or, failing that, the licence section of its README
 * (pg-types has only that); throws when it has neither.
 */
export function licenseBlockFromPackage(name, folder) {
  const entries = readdirSync(folder);
  const file = entries.find((entry) => /^licen[cs]e(\.(md|txt))?$/i.test(entry));
  const readme = entries.find((entry) => /^readme(\.md)?$/i.test(entry));
  const text = file
    ? readFileSync(join(folder, file), 'utf8')
    : readme
      ? readmeLicenseSection(readFileSync(join(folder, readme), 'utf8'))
      : undefined;
  if (!text)
    throw new Error(
      `${name} (${folder}) is bundled but ships no licence text (no licence file, no licence section in its README); add it before bundling`,
    );
  const { license } = JSON.parse(readFileSync(join(folder, 'package.json'), 'utf8'));
  return `${name}\n${license ?? 'UNKNOWN'}\n${text.replace(/\r\n/g, '\n').trim()}`;
}

/** The body of a README's "## License" section (any heading level), or undefined. */
export function readmeLicenseSection(readme) {
  const lines = readme.replace(/\r\n/g, '\n').split('\n');
  const start = lines.findIndex((line) => /^#{1,6}\s+licen[cs]e\s*$/i.test(line));
  if (start < 0) return undefined;
  const end = lines.findIndex((line, i) => i > start && /^#{1,6}\s/.test(line));
  const body = lines
    .slice(start + 1, end < 0 ? undefined : end)
    .join('\n')
    .trim();
  return body === '' ? undefined : body;
}
