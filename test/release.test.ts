/**
 * scripts/release in a clone of this repository: a dry run changes nothing and says which tags it would make;
 * a dirty tree, a stale dist, and a version that is not newer are refused before anything changes; a release
 * commits the changelog, versions and rebuilt bundles, tags vX.Y.Z and moves vX; --verify-tag (the release
 * workflow's check of a pushed tag) accepts it. The unit tests are skipped inside (they run on their own).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { appendFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join, resolve } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';

const root = resolve('.');
const clone = join(mkdtempSync(join(tmpdir(), 'release-')), 'repo');
const git = (...args: string[]) => execFileSync('git', args, { cwd: clone, encoding: 'utf8' }).trim();

beforeAll(() => {
  execFileSync('git', ['clone', '--quiet', root, clone]);
  // A real folder, not a symlink: the bundles name modules by path. Hard links cost nothing; copy across devices.
  const linked = spawnSync('cp', ['-al', join(root, 'node_modules'), join(clone, 'node_modules')]);
  if (linked.status !== 0) execFileSync('cp', ['-a', join(root, 'node_modules'), join(clone, 'node_modules')]);
  git('config', 'user.name', 'Release Test');
  git('config', 'user.email', 'release-test@example.invalid');
}, 120_000);

function release(...args: string[]) {
  const result = spawnSync(process.execPath, ['scripts/release.ts', '--skip-tests', ...args], {
    cwd: clone,
    encoding: 'utf8',
    timeout: 420_000,
    env: { ...process.env, PATH: `${join(clone, 'node_modules/.bin')}${delimiter}${process.env.PATH}` },
  });
  return { status: result.status, out: result.stdout + result.stderr };
}

const unreleased = () => {
  const text = readFileSync(join(clone, 'CHANGELOG.md'), 'utf8');
  return text
    .slice(
      text.indexOf('## [Unreleased]\n') + '## [Unreleased]\n'.length,
      text.search(/^## \[\d/m) === -1 ? undefined : text.search(/^## \[\d/m),
    )
    .trim();
};

describe('scripts/release', () => {
  it('--dry-run checks everything, says which tags it would make, writes the notes, and changes nothing', () => {
    const head = git('rev-parse', 'HEAD');
    const notes = join(clone, '..', 'notes.md');
    const dry = release('--dry-run', '--notes', notes, '1.1.0');
    expect(dry.out).toContain('check-dist: every committed bundle matches a fresh build');
    expect(dry.out).toMatch(/v1\.1\.0: new, on the commit "Release v1\.1\.0" after [0-9a-f]{7}/);
    expect(dry.out).toContain('v1: none → that commit');
    expect(dry.out).toContain('dry run: nothing was changed');
    expect(dry.status).toBe(0);
    expect(readFileSync(notes, 'utf8').trim()).toBe(unreleased());
    expect(git('status', '--porcelain')).toBe('');
    expect(git('rev-parse', 'HEAD')).toBe(head);
    expect(git('tag', '--list')).toBe('');
  }, 480_000);

  it('refuses a bad version, a dirty tree and a stale dist, before changing anything', () => {
    expect(release('v1.1.0')).toMatchObject({ status: 2, out: expect.stringContaining('VERSION must be X.Y.Z') });
    expect(release('0.9.0')).toMatchObject({ status: 2, out: expect.stringContaining("older than package.json's version 1.0.0") });

    writeFileSync(join(clone, 'stray.txt'), 'x');
    expect(release('--dry-run', '1.1.0')).toMatchObject({ status: 2, out: expect.stringContaining('the working tree has changes') });
    rmSync(join(clone, 'stray.txt'));

    // A source change committed without rebuilding dist.
    appendFileSync(join(clone, 'packages/cli/src/heredoc-lint.ts'), "process.title = 'heredoc-lint';\n");
    git('commit', '--quiet', '--all', '-m', 'a change without its bundle');
    const stale = release('1.1.0');
    expect(stale.out).toContain('packages/cli/dist/heredoc-lint.cjs differs from a fresh build');
    expect(stale.out).toContain('the bundles match the source failed; nothing was changed');
    expect(stale.status).toBe(2);
    expect(git('tag', '--list')).toBe('');
    git('reset', '--quiet', '--hard', 'HEAD~1');
  }, 480_000);

  it('cuts the release: changelog, versions and bundles in one commit, tagged vX.Y.Z, with vX moved to it', () => {
    const notes = unreleased();
    const cut = release('1.1.0');
    expect(cut.out).toContain('push with: git push --atomic origin HEAD v1.1.0 && git push --force origin refs/tags/v1');
    expect(cut.status).toBe(0);
    expect(git('status', '--porcelain')).toBe('');
    expect(git('log', '-1', '--format=%s')).toBe('Release v1.1.0');
    const head = git('rev-parse', 'HEAD');
    expect(git('rev-parse', 'v1.1.0^{commit}')).toBe(head);
    expect(git('rev-parse', 'v1^{commit}')).toBe(head);
    const changelog = readFileSync(join(clone, 'CHANGELOG.md'), 'utf8');
    expect(changelog).toMatch(/^## \[Unreleased\]\n\n## \[1\.1\.0\] - \d{4}-\d{2}-\d{2}\n/m);
    expect(unreleased()).toBe('');
    for (const file of ['package.json', 'packages/cli/package.json'])
      expect(JSON.parse(readFileSync(join(clone, file), 'utf8')).version, file).toBe('1.1.0');
    const lock = JSON.parse(readFileSync(join(clone, 'package-lock.json'), 'utf8'));
    expect([lock.version, lock.packages[''].version]).toEqual(['1.1.0', '1.1.0']);
    expect(execFileSync(process.execPath, ['packages/cli/bin/heredoc-lint.cjs', '--version'], { cwd: clone, encoding: 'utf8' })).toBe(
      'heredoc-lint 1.1.0\n',
    );
    expect(git('tag', '-l', '--format=%(contents)', 'v1.1.0')).toContain(notes.split('\n')[0]);

    expect(release('1.1.0')).toMatchObject({
      status: 2,
      out: expect.stringContaining('1.1.0 is not newer than the newest release, v1.1.0'),
    });
  }, 480_000);

  it('--verify-tag accepts the tag it cut and refuses one that does not exist', () => {
    expect(release('--verify-tag', 'v1.0.0')).toMatchObject({ status: 2, out: expect.stringContaining('there is no tag v1.0.0') });
    const verified = release('--verify-tag', 'v1.1.0');
    expect(verified.out).toMatch(/v1\.1\.0 checks out; v1: [0-9a-f]{7} → [0-9a-f]{7}/);
    expect(verified.status).toBe(0);
  }, 480_000);

  it('--verify-tag of a backport tagged after a newer release leaves the major tag where it is', () => {
    const v1 = git('rev-parse', 'v1^{commit}');
    // v1.0.5, cut by hand on the commit before v1.1.0 as a maintenance branch would: versions, changelog, bundles.
    git('checkout', '--quiet', '-b', 'release-1.0', 'v1.1.0~1');
    for (const file of ['package.json', 'packages/cli/package.json']) {
      const json = JSON.parse(readFileSync(join(clone, file), 'utf8'));
      writeFileSync(join(clone, file), `${JSON.stringify({ ...json, version: '1.0.5' }, null, 2)}\n`);
    }
    const changelog = readFileSync(join(clone, 'CHANGELOG.md'), 'utf8');
    writeFileSync(
      join(clone, 'CHANGELOG.md'),
      changelog.replace('## [Unreleased]\n', '## [Unreleased]\n\n## [1.0.5] - 2026-12-04\n\n### Fixed\n- a backported fix\n'),
    );
    execFileSync(process.execPath, ['scripts/build.mjs'], { cwd: clone, stdio: 'ignore' });
    git('commit', '--quiet', '--all', '-m', 'Release v1.0.5');
    git('tag', '--annotate', 'v1.0.5', '-m', 'Release v1.0.5');
    const backport = release('--verify-tag', 'v1.0.5');
    expect(backport.out).toContain('v1.0.5 checks out; v1 stays on v1.1.0, which is newer (v1.0.5 is a backport; v1 never moves back)');
    expect(backport.status).toBe(0);
    expect(git('rev-parse', 'v1^{commit}')).toBe(v1);
  }, 480_000);
});
