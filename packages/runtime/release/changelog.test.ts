import { describe, expect, it } from 'vitest';
import { ChangelogError, compareVersions, cutRelease, newerInMajor, newestReleaseTag, parseVersion, releaseNotes } from './changelog.ts';

const CHANGELOG = `# Changelog

Intro.

## [Unreleased]

### Added
- a thing

### Fixed
- a bug

## [1.0.0] - 2026-01-02

### Added
- everything
`;

describe('versions', () => {
  it('reads X.Y.Z with or without v, and nothing else', () => {
    expect(parseVersion('1.2.3')).toEqual({ major: 1, minor: 2, patch: 3 });
    expect(parseVersion('v10.0.12')).toEqual({ major: 10, minor: 0, patch: 12 });
    for (const bad of ['1.2', '1.2.3-rc.1', '01.2.3', 'v1', '1.2.3 ', 'x1.2.3', '']) expect(parseVersion(bad), bad).toBeUndefined();
  });

  it('orders numerically, and finds the newest release tag among other tags', () => {
    expect(compareVersions(parseVersion('1.10.0')!, parseVersion('1.9.9')!)).toBeGreaterThan(0);
    expect(compareVersions(parseVersion('2.0.0')!, parseVersion('2.0.0')!)).toBe(0);
    expect(newestReleaseTag(['v1', 'v1.9.0', 'v1.10.0', 'nightly', '2.0.0', 'v1.2'])).toEqual({ major: 1, minor: 10, patch: 0 });
    expect(newestReleaseTag(['v1'])).toBeUndefined();
  });
  it("keeps a major tag from moving back: a backport older than its major's newest release does not move it", () => {
    const tags = ['v1', 'v1.0.4', 'v1.1.0', 'v2', 'v2.0.0'];
    expect(newerInMajor(tags, parseVersion('1.0.5')!)).toEqual({ major: 1, minor: 1, patch: 0 });
    expect(newerInMajor(tags, parseVersion('1.1.1')!)).toBeUndefined();
    expect(newerInMajor(tags, parseVersion('1.1.0')!)).toBeUndefined();
    expect(newerInMajor(tags, parseVersion('3.0.0')!)).toBeUndefined();
  });
});

describe('the changelog', () => {
  it('cuts Unreleased into the version’s section, with a new empty Unreleased above it', () => {
    const cut = cutRelease(CHANGELOG, '1.1.0', '2026-12-01');
    expect(cut).toContain('## [Unreleased]\n\n## [1.1.0] - 2026-12-01\n\n### Added\n- a thing\n');
    expect(cut).toContain('## [1.0.0] - 2026-01-02');
    expect(releaseNotes(cut, '1.1.0')).toBe('### Added\n- a thing\n\n### Fixed\n- a bug\n');
    expect(releaseNotes(cut, 'Unreleased')).toBeUndefined();
    expect(releaseNotes(cut, '1.0.0')).toBe('### Added\n- everything\n');
  });

  it('refuses a version it already has, a missing or an empty Unreleased section', () => {
    expect(() => cutRelease(CHANGELOG, '1.0.0', '2026-12-01')).toThrow(ChangelogError);
    expect(() => cutRelease(CHANGELOG.replace('[Unreleased]', '[0.9.0]'), '1.1.0', 'd')).toThrow('no "## [Unreleased]" section');
    expect(() => cutRelease(cutRelease(CHANGELOG, '1.1.0', 'd'), '1.2.0', 'd')).toThrow('is empty');
  });
});
