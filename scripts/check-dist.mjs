#!/usr/bin/env node
// Rebuilds every bundle into a scratch folder and fails if any committed dist differs.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const scratch = mkdtempSync(join(tmpdir(), 'check-dist-'));

function files(dir) {
  try {
    return readdirSync(dir).flatMap((name) => {
      const path = join(dir, name);
      return statSync(path).isDirectory() ? files(path) : [path];
    });
  } catch {
    return [];
  }
}

try {
  execFileSync(process.execPath, [join(root, 'scripts/build.mjs'), '--out-root', scratch], { stdio: 'inherit' });
  const problems = [];
  // Every folder the build wrote: actions/<name>/dist and packages/cli/dist.
  const built = files(scratch)
    .map((file) => relative(scratch, file))
    .map((file) => file.slice(0, file.indexOf('/dist/') + '/dist'.length));
  for (const folder of new Set(built)) {
    const fresh = join(scratch, folder);
    const committed = join(root, folder);
    const freshFiles = files(fresh).map((f) => relative(fresh, f));
    const committedFiles = new Set(files(committed).map((f) => relative(committed, f)));
    for (const file of freshFiles) {
      if (!committedFiles.has(file)) problems.push(`${folder}/${file} is missing`);
      else if (!readFileSync(join(fresh, file)).equals(readFileSync(join(committed, file)))) {
        problems.push(`${folder}/${file} differs from a fresh build`);
      }
      committedFiles.delete(file);
    }
    for (const file of committedFiles) problems.push(`${folder}/${file} is stale (no longer built)`);
  }
  if (problems.length > 0) {
    console.error(problems.join('\n'));
    console.error('\ncheck-dist: the committed bundles do not match the source. Run `npm run build` and commit dist/.');
    process.exit(1);
  }
  console.log('check-dist: every committed bundle matches a fresh build');
} finally {
  rmSync(scratch, { recursive: true, force: true });
}
