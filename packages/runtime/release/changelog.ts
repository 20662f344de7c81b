// What a release needs from its version number and CHANGELOG.md (Keep a Changelog): pure functions, used by
// scripts/release locally and in the release workflow.
import { UserError } from '#errors/index';

export interface Version {
  major: number;
  minor: number;
  patch: number;
}

/** `1.2.3` (or `v1.2.3`) as numbers; undefined for anything else, pre-releases included (the suite makes none). */
export function parseVersion(text: string): Version | undefined {
  const match = /^v?(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)$/.exec(text);
  return match ? { major: Number(match[1]), minor: Number(match[2]), patch: Number(match[3]) } : undefined;
}

export function compareVersions(a: Version, b: Version): number {
  return a.major - b.major || a.minor - b.minor || a.patch - b.patch;
}

export const formatVersion = (v: Version): string => `${v.major}.${v.minor}.${v.patch}`;

/** The newest of the `vX.Y.Z` tags; other tags (the moving `v1`, anything else) are ignored. */
export function newestReleaseTag(tags: readonly string[]): Version | undefined {
  return tags
    .map((tag) => (tag.startsWith('v') ? parseVersion(tag) : undefined))
    .filter((v) => v !== undefined)
    .sort(compareVersions)
    .at(-1);
}

/**
 * The newer release of the same major that keeps vX where it is, if there is one: vX never moves back, so a
 * backport (v1.0.5 tagged after v1.1.0) leaves v1 on v1.1.0.
 */
export function newerInMajor(tags: readonly string[], version: Version): Version | undefined {
  const newest = newestReleaseTag(tags.filter((tag) => parseVersion(tag)?.major === version.major));
  return newest && compareVersions(version, newest) < 0 ? newest : undefined;
}

const HEADING = /^## \[([^\]]+)\](.*)$/gm;

interface Section {
  title: string;
  /** Where the heading line starts, where the body starts, and where the section ends. */
  start: number;
  bodyStart: number;
  end: number;
}

function sections(changelog: string): Section[] {
  const found = [...changelog.matchAll(HEADING)].map((m) => ({ title: m[1]!, start: m.index, bodyStart: m.index + m[0].length + 1 }));
  return found.map((s, i) => ({ ...s, end: found[i + 1]?.start ?? changelog.length }));
}

/** The body of `## [version]`, trimmed; undefined when there is no such section or it is empty. */
export function releaseNotes(changelog: string, version: string): string | undefined {
  const section = sections(changelog).find((s) => s.title === version);
  const body = section ? changelog.slice(section.bodyStart, section.end).trim() : '';
  return body === '' ? undefined : `${body}\n`;
}

export class ChangelogError extends UserError {}

/**
 * The changelog with `## [Unreleased]` renamed to `## [version] - date` and a new, empty Unreleased section above
 * it. Refuses an empty Unreleased section: a release says what changed.
 */
export function cutRelease(changelog: string, version: string, date: string): string {
  if (sections(changelog).some((s) => s.title === version)) throw new ChangelogError(`CHANGELOG.md already has a section for ${version}`);
  const unreleased = sections(changelog).find((s) => s.title === 'Unreleased');
  if (!unreleased) throw new ChangelogError('CHANGELOG.md has no "## [Unreleased]" section to release');
  if (changelog.slice(unreleased.bodyStart, unreleased.end).trim() === '')
    throw new ChangelogError('the "## [Unreleased]" section of CHANGELOG.md is empty: say what this release changes');
  return `${changelog.slice(0, unreleased.start)}## [Unreleased]\n\n## [${version}] - ${date}\n${changelog.slice(unreleased.bodyStart)}`;
}
