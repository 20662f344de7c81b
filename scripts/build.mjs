#!/usr/bin/env node
// Bundles every action's entry points, and the command-line package's commands, with the @vercel/ncc API into
// CommonJS dist/*.cjs. esm: false because ssh2 reads __dirname, which an ESM bundle does not have.
//
//   node scripts/build.mjs [--out-root DIR] [target ...]      (a target: an action's name, or cli)
// --out-root writes bundles under DIR/<same path> instead of in place (used by check-dist).
import ncc from '@vercel/ncc';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { bundledPackages, hasLicenseText, licenseBlockFromPackage, licenseBlocks, mergeLicenses } from './licenses.mjs';
import { writeUnits } from './units.mjs';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
// The host units' shell files, as text the bundles carry.
writeUnits();
// node scripts/build.mjs [--out-root DIR] [TARGET...]
const { values, positionals } = parseArgs({ options: { 'out-root': { type: 'string' } }, allowPositionals: true, strict: true });
const outRoot = values['out-root'] !== undefined ? resolve(values['out-root']) : root;
const wanted = new Set(positionals);

// An action: src/index.ts → dist/index.cjs, src/post.ts → dist/post.cjs, src/keep-open-helper.ts → dist/keep-open-helper.cjs (a helper
// process). The package @golden-pipeline/cli (packages/cli): one bundle per command, run by its bin/ wrapper.
const ACTION_ENTRIES = [
  ['index.ts', 'index.cjs'],
  ['post.ts', 'post.cjs'],
  ['keep-open-helper.ts', 'keep-open-helper.cjs'],
];
const CLI_ENTRIES = [
  ['heredoc-lint.ts', 'heredoc-lint.cjs'],
  ['audit-secrets.ts', 'audit-secrets.cjs'],
];

const actionTargets = readdirSync(join(root, 'actions'), { withFileTypes: true })
  .filter((entry) => entry.isDirectory() && existsSync(join(root, 'actions', entry.name, 'action.yml')))
  .map((entry) => ({ name: entry.name, folder: join('actions', entry.name), entries: ACTION_ENTRIES }));
const TARGETS = [...actionTargets, { name: 'cli', folder: join('packages', 'cli'), entries: CLI_ENTRIES }]
  .filter((target) => wanted.size === 0 || wanted.has(target.name))
  .sort((a, b) => a.folder.localeCompare(b.folder));

const isPackage = (name) => /^(@[\w.-]+\/)?[\w.-]+$/.test(name) && existsSync(join(root, 'node_modules', name, 'package.json'));

/** Bundles one target's entry points into `outDir`, with one licenses.txt for all of them. */
async function bundleTarget({ folder, entries }, outDir) {
  const licenses = [];
  const packages = new Map();
  for (const [source, bundle] of entries) {
    const entry = join(root, folder, 'src', source);
    if (!existsSync(entry)) continue;
    const started = performance.now();
    const { code, assets, stats } = await ncc(entry, {
      esm: false,
      minify: true,
      sourceMap: false,
      target: 'es2023',
      quiet: true,
      // Type-checking is tsc's job (npm test runs it first); ncc would check the whole project, tests included.
      transpileOnly: true,
      license: 'licenses.txt',
      // No module cache across entries: its stats would leave out modules another entry built first.
      cache: false,
    });
    writeFileSync(join(outDir, bundle), code);
    for (const [name, folder] of bundledPackages(stats)) packages.set(name, folder);
    for (const [name, asset] of Object.entries(assets ?? {})) {
      if (name.endsWith('.node')) throw new Error(`a native addon (${name}) reached the bundle; install with scripts off`);
      if (name === 'licenses.txt') {
        licenses.push(String(asset.source));
        continue;
      }
      const target = join(outDir, name);
      // Two entries of one folder must not write different files under one name (a code-split chunk, an asset).
      if (existsSync(target) && !readFileSync(target).equals(Buffer.from(asset.source)))
        throw new Error(`${bundle} and an earlier entry both emit ${name}, with different contents`);
      mkdirSync(dirname(target), { recursive: true });
      writeFileSync(target, asset.source);
      // A dynamic import() becomes a chunk NNN.index.js, CommonJS like the bundle; inside the repository's
      // "type": "module" Node would read a .js file as ESM, so the folder says it is CommonJS.
      if (/^\d+\.index\.js$/.test(name)) writeFileSync(join(outDir, 'package.json'), '{ "type": "commonjs" }\n');
    }
    const kb = Math.round(Buffer.byteLength(code) / 1024);
    console.log(`built ${folder}/dist/${bundle} (${kb} KiB) in ${Math.round(performance.now() - started)} ms`);
  }
  // Packages ncc left out, or listed without a text, get their block from their own files.
  const listed = licenses.map((text) => licenseBlocks(text, isPackage));
  const covered = (name) => listed.some((blocks) => blocks.has(name) && hasLicenseText(blocks.get(name)));
  const missing = new Map(
    [...packages].filter(([name]) => !covered(name)).map(([name, folder]) => [name, licenseBlockFromPackage(name, folder)]),
  );
  if (licenses.length > 0 || missing.size > 0) writeFileSync(join(outDir, 'licenses.txt'), mergeLicenses(licenses, isPackage, missing));
}

let failed = false;
for (const target of TARGETS) {
  const dist = join(outRoot, target.folder, 'dist');
  // Build beside dist and swap only on success, so a failed build never leaves an action without a bundle.
  const staging = `${dist}.building`;
  rmSync(staging, { recursive: true, force: true });
  mkdirSync(staging, { recursive: true });
  try {
    await bundleTarget(target, staging);
    rmSync(dist, { recursive: true, force: true });
    renameSync(staging, dist);
  } catch (error) {
    failed = true;
    rmSync(staging, { recursive: true, force: true });
    // ncc's own stack is one minified line of megabytes; the message is what matters.
    console.error(
      `build of ${target.folder} failed: ${String(error?.message ?? error)
        .split('\n')
        .slice(0, 12)
        .join('\n')}`,
    );
  }
}
if (failed) process.exit(1);
