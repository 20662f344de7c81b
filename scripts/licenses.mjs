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
  const flush = () => { if (name) blocks.set(name, lines.join('\n').replace(/\n+$/, '')); };
  const rows = text.split('\n');
  rows.forEach((line, index) => {
    // A package name after a blank line, followed by its licence identifier (MIT, Apache-2.0, (MIT OR X), UNKNOWN).
    const startsBlock = (index === 0 || rows[index - 1] === '') && line !== '' && LICENSE_ID.test(rows[index + 1] ?? '') && isPackage(line);
    if (startsBlock) { flush(); name = line; lines = [line]; } else if (name) lines.push(line);
  });
  flush();
  return blocks;
}

/** The blocks of every text, plus `extra` ({ name → block }), each package once (the first block wins), sorted by name. */
export function mergeLicenses(texts, isPackage, extra = new Map()) {
  const merged = new Map();
  for (const text of texts) for (const [name, block] of licenseBlocks(text, isPackage)) if (!merged.has(name)) merged.set(name, block);
  for (const [name, block] of extra) if (!merged.has(name)) merged.set(name, block);
  return [...merged.keys()].sort().map((name) => merged.get(name)).join('\n\n\n') + '\n';
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

/** A licence block made from a package's own licence file; throws when it has none. */
export function licenseBlockFromPackage(name, folder) {
  const file = readdirSync(folder).find((entry) => /^licen[cs]e(\.(md|txt))?$/i.test(entry));
  if (!file) throw new Error(`${name} (${folder}) is bundled but ships no licence file; add its licence text before bundling it`);
  const { license } = JSON.parse(readFileSync(join(folder, 'package.json'), 'utf8'));
  return `${name}\n${license ?? 'UNKNOWN'}\n${readFileSync(join(folder, file), 'utf8').replace(/\r\n/g, '\n').trimEnd()}`;
}
