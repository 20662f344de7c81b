/**
 * scripts/release in a clone of this repository, whose origin is a bare copy standing in for GitHub: a dry run
 * changes nothing and says which tags it would make; a dirty tree, a stale dist, a side branch and a version that
 * is not newer are refused before anything changes; a release commits the changelog, versions and rebuilt
 * bundles, tags vX.Y.Z and moves vX; --push (the release workflow's write job, from a git bundle in a second
 * clone) lands it atomically, completes a half-done push, and changes nothing when run again; --verify-tag (the
 * check of a pushed tag) accepts it; a backport never moves vX back. The unit tests are skipped inside (they
 * run on their own).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { appendFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join, resolve } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';

const root = resolve('.');
const work = mkdtempSync(join(tmpdir(), 'release-'));
const origin = join(work, 'origin.git');
const clone = join(work, 'repo');
/** The release workflow's second job: a fresh checkout that gets the release only from the bundle. */
const pusher = join(work, 'pusher');
const bundle = join(work, 'release.bundle');
const gitIn = (cwd: string, ...args: string[]) => execFileSync('git', args, { cwd, encoding: 'utf8' }).trim();
const git = (...args: string[]) => gitIn(clone, ...args);
/** origin's branches into the clone's origin/*, as checkout's fetch-depth 0 gives them (tags stay as cut here). */
const fetchBranches = () => git('fetch', '--quiet', '--no-tags', 'origin', '+refs/heads/*:refs/remotes/origin/*');
/** The commit a ref of origin points at, or '' if origin has no such ref. */
const onOrigin = (ref: string) =>
  spawnSync('git', ['rev-parse', '--verify', '--quiet', `${ref}^{commit}`], { cwd: origin, encoding: 'utf8' }).stdout.trim();

beforeAll(() => {
  execFileSync('git', ['clone', '--quiet', '--bare', root, origin]);
  execFileSync('git', ['clone', '--quiet', origin, clone]);
  execFileSync('git', ['clone', '--quiet', origin, pusher]);
  // A real folder, not a symlink: the bundles name modules by path. Hard links cost nothing; copy across devices.
  const linked = spawnSync('cp', ['-al', join(root, 'node_modules'), join(clone, 'node_modules')]);
  if (linked.status !== 0) execFileSync('cp', ['-a', join(root, 'node_modules'), join(clone, 'node_modules')]);
  git('config', 'user.name', 'Release Test');
  git('config', 'user.email', 'release-test@example.invalid');
}, 120_000);

function release(...args: string[]) {
  return releaseIn(clone, '--skip-tests', ...args);
}

function releaseIn(cwd: string, ...args: string[]) {
  const result = spawnSync(process.execPath, ['scripts/release.ts', ...args], {
    cwd,
    encoding: 'utf8',
    timeout: 420_000,
    env: { ...process.env, PATH: `${join(clone, 'node_modules/.bin')}${delimiter}${process.env.PATH}`, GITHUB_TOKEN: '' },
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

    git('checkout', '--quiet', '-b', 'feature');
    expect(release('--dry-run', '1.1.0')).toMatchObject({
      status: 2,
      out: expect.stringContaining('releases of v1 come from main or releases/v1, not from "feature"'),
    });
    git('checkout', '--quiet', 'main');

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

  it('--push lands the bundled release in one atomic push, completes a half-done one, and changes nothing when run again', () => {
    git('bundle', 'create', bundle, 'refs/tags/v1.1.0');
    const release = git('rev-parse', 'v1.1.0^{commit}');
    expect(onOrigin('refs/tags/v1.1.0')).toBe('');

    // Without --branch there is nowhere to push the commit; a side branch is refused. Neither changes origin.
    expect(releaseIn(pusher, '--push', 'v1.1.0', '--bundle', bundle)).toMatchObject({
      status: 2,
      out: expect.stringContaining('origin has no v1.1.0, and no --branch was given'),
    });
    expect(releaseIn(pusher, '--push', 'v1.1.0', '--bundle', bundle, '--branch', 'feature')).toMatchObject({
      status: 2,
      out: expect.stringContaining('releases of v1 come from main or releases/v1, not from "feature"'),
    });
    expect(onOrigin('refs/tags/v1.1.0')).toBe('');

    const first = releaseIn(pusher, '--push', 'v1.1.0', '--bundle', bundle, '--branch', 'main');
    expect(first.out).toMatch(/pushed v1\.1\.0 and main \([0-9a-f]{7}\) in one atomic push/);
    expect(first.out).toMatch(/moved v1 to v1\.1\.0/);
    expect(first.status).toBe(0);
    expect([onOrigin('refs/heads/main'), onOrigin('refs/tags/v1.1.0'), onOrigin('refs/tags/v1')]).toEqual([release, release, release]);

    // Half done: the tag landed, the major tag did not. A re-run pushes only what is missing.
    gitIn(origin, 'tag', '--delete', 'v1');
    const resumed = releaseIn(pusher, '--push', 'v1.1.0', '--bundle', bundle, '--branch', 'main');
    expect(resumed.out).toContain('v1.1.0 is on origin already');
    expect(resumed.out).toMatch(/moved v1 to v1\.1\.0/);
    expect(resumed.status).toBe(0);
    expect(onOrigin('refs/tags/v1')).toBe(release);

    const again = releaseIn(pusher, '--push', 'v1.1.0', '--bundle', bundle, '--branch', 'main');
    expect(again.out).toContain('v1.1.0 is on origin already');
    expect(again.out).toContain('v1 is on v1.1.0 on origin already');
    expect(again.status).toBe(0);

    // A release tag on origin is never replaced, even by a force-fetched bundle with another tag of that name.
    const other = join(work, 'other.bundle');
    gitIn(pusher, 'tag', '--force', '--annotate', 'v1.1.0', '-m', 'not the release', 'HEAD~1');
    gitIn(pusher, 'bundle', 'create', other, 'refs/tags/v1.1.0');
    expect(releaseIn(pusher, '--push', 'v1.1.0', '--bundle', other, '--branch', 'main')).toMatchObject({
      status: 2,
      out: expect.stringContaining('origin has a different v1.1.0'),
    });
    expect(onOrigin('refs/tags/v1.1.0')).toBe(release);
    fetchBranches();
  }, 120_000);

  it('--resume, when the version already tags HEAD (a re-run of the workflow after the push), verifies instead of cutting', () => {
    const resumed = release('--resume', '1.1.0');
    expect(resumed.out).toContain('v1.1.0 already tags HEAD (a re-run): verifying it instead of cutting again');
    expect(resumed.out).toMatch(/v1\.1\.0 checks out/);
    expect(resumed.status).toBe(0);
    expect(git('log', '-1', '--format=%s')).toBe('Release v1.1.0');
  }, 480_000);

  it('--verify-tag accepts the tag it cut and refuses one that does not exist', () => {
    expect(release('--verify-tag', 'v1.0.0')).toMatchObject({ status: 2, out: expect.stringContaining('there is no tag v1.0.0') });
    const verified = release('--verify-tag', 'v1.1.0');
    expect(verified.out).toMatch(/v1\.1\.0 checks out; v1: [0-9a-f]{7} → [0-9a-f]{7}/);
    expect(verified.status).toBe(0);
  }, 480_000);

  it('a backport tagged after a newer release is verified and pushed, and leaves the major tag where it is', () => {
    const v1 = onOrigin('refs/tags/v1');
    // v1.0.5, cut by hand on the commit before v1.1.0 as a maintenance branch would: versions, changelog, bundles.
    git('checkout', '--quiet', '-b', 'releases/v1', 'v1.1.0~1');
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
    // A tag whose commit is on no release branch of origin is refused.
    expect(release('--verify-tag', 'v1.0.5')).toMatchObject({
      status: 2,
      out: expect.stringContaining('v1.0.5 is on neither origin/main nor origin/releases/v1'),
    });

    git('bundle', 'create', bundle, 'refs/tags/v1.0.5');
    const pushed = releaseIn(pusher, '--push', 'v1.0.5', '--bundle', bundle, '--branch', 'releases/v1');
    expect(pushed.out).toContain('v1 stays on v1.1.0, which is newer (v1.0.5 is a backport; v1 never moves back)');
    expect(pushed.status).toBe(0);
    expect(onOrigin('refs/tags/v1')).toBe(v1);
    expect(onOrigin('refs/heads/releases/v1')).toBe(git('rev-parse', 'v1.0.5^{commit}'));

    fetchBranches();
    const backport = release('--verify-tag', 'v1.0.5');
    expect(backport.out).toContain('v1.0.5 checks out; v1 stays on v1.1.0, which is newer (v1.0.5 is a backport; v1 never moves back)');
    expect(backport.status).toBe(0);
  }, 480_000);
});
