#!/usr/bin/env node
// Bundles every action's entry points with the @vercel/ncc API into CommonJS dist/*.cjs.
// esm: false because ssh2 reads __dirname, which an ESM bundle does not have.
//
//   node scripts/build.mjs [--out-root DIR] [action ...]
// --out-root writes bundles under DIR/actions/<name>/dist instead of in place (used by check-dist).
import ncc from '@vercel/ncc';
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { bundledPackages, licenseBlockFromPackage, mergeLicenses } from './licenses.mjs';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const outRootIndex = args.indexOf('--out-root');
const outRoot = outRootIndex >= 0 ? resolve(args.splice(outRootIndex, 2)[1]) : root;
const wanted = new Set(args);

// src/index.ts → dist/index.cjs, src/post.ts → dist/post.cjs, src/tunnel.ts → dist/tunnel.cjs (a helper process),
// src/cli.ts → dist/cli.cjs (a command-line tool, linked from bin/)
const ENTRIES = [['index.ts', 'index.cjs'], ['post.ts', 'post.cjs'], ['tunnel.ts', 'tunnel.cjs'], ['cli.ts', 'cli.cjs']];

const actions = readdirSync(join(root, 'actions'), { withFileTypes: true })
  .filter((entry) => entry.isDirectory() && existsSync(join(root, 'actions', entry.name, 'action.yml')))
  .map((entry) => entry.name)
  .filter((name) => wanted.size === 0 || wanted.has(name))
  .sort();

const isPackage = (name) => /^(@[\w.-]+\/)?[\w.-]+$/.test(name) && existsSync(join(root, 'node_modules', name, 'package.json'));

/** Bundles one action's entry points into `outDir`, with one licenses.txt for all of them. */
async function bundleAction(action, outDir) {
  const licenses = [];
  const packages = new Map();
  for (const [source, bundle] of ENTRIES) {
    const entry = join(root, 'actions', action, 'src', source);
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
      if (name === 'licenses.txt') { licenses.push(String(asset.source)); continue; }
      const target = join(outDir, name);
      mkdirSync(dirname(target), { recursive: true });
      writeFileSync(target, asset.source);
    }
    const kb = Math.round(Buffer.byteLength(code) / 1024);
    console.log(`built actions/${action}/dist/${bundle} (${kb} KiB) in ${Math.round(performance.now() - started)} ms`);
  }
  const listed = new Set(licenses.flatMap((text) => text.split('\n')).filter(isPackage));
  const missing = new Map([...packages].filter(([name]) => !listed.has(name)).map(([name, folder]) => [name, licenseBlockFromPackage(name, folder)]));
  if (licenses.length > 0 || missing.size > 0) writeFileSync(join(outDir, 'licenses.txt'), mergeLicenses(licenses, isPackage, missing));
}

let failed = false;
for (const action of actions) {
  const dist = join(outRoot, 'actions', action, 'dist');
  // Build beside dist and swap only on success, so a failed build never leaves an action without a bundle.
  const staging = `${dist}.building`;
  rmSync(staging, { recursive: true, force: true });
  mkdirSync(staging, { recursive: true });
  try {
    await bundleAction(action, staging);
    rmSync(dist, { recursive: true, force: true });
    renameSync(staging, dist);
  } catch (error) {
    failed = true;
    rmSync(staging, { recursive: true, force: true });
    // ncc's own stack is one minified line of megabytes; the message is what matters.
    console.error(`build of actions/${action} failed: ${String(error?.message ?? error).split('\n').slice(0, 12).join('\n')}`);
  }
}
if (failed) process.exit(1);
