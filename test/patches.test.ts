/**
 * scripts/apply-patches (run by scripts/bootstrap) after a dependency update, as a Dependabot bump of a patched
 * dependency would leave node_modules: in a scratch project holding a pristine copy of the package with a newer
 * version, each patch in patches/ either still applies (and says it was made for another version), or fails the
 * install with a message that names the patch file and what to redo.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const root = resolve('.');
const patches = readdirSync(join(root, 'patches')).filter((f) => f.endsWith('.patch'));
const scratch: string[] = [];
afterAll(() => scratch.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

/** The package a patch file fixes, "ssh2+1.17.0.patch" → ["ssh2", "1.17.0"]. */
const packageOf = (patch: string) => /^(.+)\+(\d+\.\d+\.\d+)\.patch$/.exec(patch)!.slice(1) as [string, string];

/**
 * A project with only this package, unpatched (a fresh copy of the exact published version from the npm cache),
 * its version in package.json moved to `bumpedTo`, and `edit` applied to its files, as an update would change them.
 */
function bumpedProject(patch: string, bumpedTo: string, edit: (dir: string) => void = () => {}): string {
  const [name, version] = packageOf(patch);
  const dir = mkdtempSync(join(tmpdir(), 'patches-'));
  scratch.push(dir);
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'scratch', version: '1.0.0', private: true }));
  const tarball = execFileSync('npm', ['pack', `${name}@${version}`, '--silent', '--prefer-offline', '--pack-destination', dir], {
    cwd: dir,
    encoding: 'utf8',
    timeout: 60_000,
  }).trim();
  const packageDir = join(dir, 'node_modules', name);
  mkdirSync(packageDir, { recursive: true });
  execFileSync('tar', ['-xzf', join(dir, tarball), '-C', packageDir, '--strip-components=1']);
  const manifest = JSON.parse(readFileSync(join(packageDir, 'package.json'), 'utf8'));
  writeFileSync(join(packageDir, 'package.json'), JSON.stringify({ ...manifest, version: bumpedTo }, null, 2));
  edit(packageDir);
  cpSync(join(root, 'patches'), join(dir, 'patches'), {
    recursive: true,
    filter: (source) => !source.endsWith('.patch') || source.endsWith(patch),
  });
  mkdirSync(join(dir, 'node_modules/.bin'), { recursive: true });
  symlinkSync(join(root, 'node_modules/.bin/patch-package'), join(dir, 'node_modules/.bin/patch-package'));
  return dir;
}

const applyPatches = (dir: string) => {
  const run = spawnSync('bash', [join(root, 'scripts/apply-patches')], { cwd: dir, encoding: 'utf8', timeout: 60_000 });
  return { status: run.status, stderr: run.stderr, stdout: run.stdout };
};

/** The files a patch changes, inside the package, each with the lines it adds. */
function patchedFiles(patch: string): Map<string, string[]> {
  const files = new Map<string, string[]>();
  let added: string[] = [];
  for (const line of readFileSync(join(root, 'patches', patch), 'utf8').split('\n')) {
    const file = /^\+\+\+ b\/node_modules\/(?:@[^/]+\/)?[^/]+\/(.+)$/.exec(line)?.[1];
    if (file) files.set(file, (added = []));
    else if (line.startsWith('+') && line.slice(1).trim() !== '') added.push(line.slice(1));
  }
  return files;
}

describe.each(patches)('scripts/apply-patches with %s after an update', (patch) => {
  it('keeps working when the patched code did not change: the patch applies, with a note that it was made for another version', () => {
    const dir = bumpedProject(patch, '99.0.0');
    const run = applyPatches(dir);
    expect(run.stderr).toContain('a patch was made for another version than the one installed');
    expect(run.status).toBe(0);
    // Every line the patch adds is in the files, as after a normal install.
    const [name] = packageOf(patch);
    for (const [file, added] of patchedFiles(patch)) {
      const text = readFileSync(join(dir, 'node_modules', name, file), 'utf8');
      for (const line of added) expect(text, `${file}: ${line.trim()}`).toContain(line);
    }
  }, 120_000);

  it('fails the install naming the patch file and what to redo when the patched code changed', () => {
    const dir = bumpedProject(patch, '99.0.0', (packageDir) => {
      // What an update does to the lines a patch expects: they are gone or rewritten.
      for (const file of patchedFiles(patch).keys()) writeFileSync(join(packageDir, file), '// rewritten upstream\n');
    });
    const run = applyPatches(dir);
    expect(run.status).toBe(1);
    expect(run.stderr).toContain(`[patches] patches/${patch} no longer applies`);
    expect(run.stderr).toContain('npx patch-package NAME');
    expect(run.stderr).toContain('Patch was made for version');
  }, 120_000);
});

describe('the patches', () => {
  it('are the ones this test covers: one per patched dependency, each named NAME+X.Y.Z.patch', () => {
    expect(patches.length).toBeGreaterThan(0);
    for (const patch of patches) expect(packageOf(patch), patch).toHaveLength(2);
  });
});
