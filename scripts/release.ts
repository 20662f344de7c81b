/**
 * Cuts a release, locally or in .github/workflows/release.yml; `scripts/release --help` says how.
 * Every check runs before anything changes, and --dry-run stops there, saying what it would do.
 */
import { parseCommandLine, UsageError } from '../packages/args/index.ts';
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import {
  ChangelogError,
  compareVersions,
  cutRelease,
  formatVersion,
  newerInMajor,
  newestReleaseTag,
  parseVersion,
  releaseNotes,
  type Version,
} from '../packages/release/changelog.ts';

const USAGE = `usage: scripts/release [--dry-run] [--skip-tests] [--notes FILE] VERSION
       scripts/release --verify-tag vX.Y.Z [--skip-tests] [--notes FILE]

VERSION (X.Y.Z): from a clean tree whose bundles match the source and whose unit tests pass, turns the
CHANGELOG's Unreleased section into X.Y.Z, sets the version in package.json, package-lock.json and
packages/cli/package.json, rebuilds the bundles, commits "Release vX.Y.Z", tags vX.Y.Z and moves the major
tag vX to it. Nothing is pushed; the last line says how.
--verify-tag: the release workflow's check of a pushed tag (versions, changelog section, bundles, tests), then
moves the major tag locally.
--dry-run checks everything and prints the tags it would make, changing nothing. --notes writes the release
notes (the version's CHANGELOG section). --skip-tests leaves out the unit tests (the release workflow's own
tests cover them).
`;

const VERSION_FILES = ['package.json', 'packages/cli/package.json'];

class ReleaseError extends Error {}

function git(...args: string[]): string {
  try {
    return execFileSync('git', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();
  } catch (error) {
    throw new ReleaseError(
      `git ${args.join(' ')} failed: ${String((error as { stderr?: string }).stderr ?? '').trim() || (error as Error).message}`,
    );
  }
}
const step = (message: string) => process.stdout.write(`release: ${message}\n`);
const readJson = (file: string) => JSON.parse(readFileSync(file, 'utf8'));

function run(command: string, args: string[], what: string): void {
  step(`${what}: ${[command, ...args].join(' ')}`);
  try {
    execFileSync(command, args, { stdio: ['ignore', 'inherit', 'inherit'] });
  } catch {
    throw new ReleaseError(`${what} failed; nothing was changed`);
  }
}

function checkTree(skipTests: boolean): void {
  const dirty = git('status', '--porcelain');
  if (dirty !== '') throw new ReleaseError(`the working tree has changes; commit or stash them first:\n${dirty}`);
  run(process.execPath, ['scripts/check-dist.mjs'], 'the bundles match the source');
  if (skipTests) step('unit tests: skipped (--skip-tests)');
  else run('vitest', ['run', '--project', 'unit'], 'unit tests');
}

function majorTagMove(major: string): string {
  const before = git('tag', '--list', major) === '' ? 'none' : git('rev-parse', '--short', `${major}^{commit}`);
  return `${major}: ${before} →`;
}

/** Moves vX to the tag, unless a newer release of major X exists (a backport): vX never moves back. Says what it did. */
function moveMajorTag(tag: string, version: Version): string {
  const major = `v${version.major}`;
  const newer = newerInMajor(git('tag', '--list').split('\n'), version);
  if (newer) return `${major} stays on v${formatVersion(newer)}, which is newer (${tag} is a backport; ${major} never moves back)`;
  const movedFrom = majorTagMove(major);
  git('tag', '--force', '--annotate', major, '-m', `${major} is ${tag}`, `${tag}^{commit}`);
  return `${movedFrom} ${git('rev-parse', '--short', `${tag}^{commit}`)}`;
}

function writeNotes(file: string | undefined, notes: string): void {
  if (file) {
    writeFileSync(file, notes);
    step(`release notes written to ${file}`);
  }
}

function cut(versionText: string, options: { dryRun: boolean; skipTests: boolean; notes?: string }): void {
  const version = parseVersion(versionText);
  if (!version || versionText.startsWith('v')) throw new ReleaseError(`VERSION must be X.Y.Z, e.g. 1.1.0, not "${versionText}"`);
  const name = formatVersion(version);
  const tag = `v${name}`;
  const major = `v${version.major}`;
  const newest = newestReleaseTag(git('tag', '--list').split('\n'));
  if (newest && compareVersions(version, newest) <= 0)
    throw new ReleaseError(`${name} is not newer than the newest release, v${formatVersion(newest)}`);
  for (const file of VERSION_FILES) {
    const current = parseVersion(readJson(file).version);
    if (current && compareVersions(version, current) < 0)
      throw new ReleaseError(`${name} is older than ${file}'s version ${formatVersion(current)}`);
  }
  const changelog = cutRelease(readFileSync('CHANGELOG.md', 'utf8'), name, new Date().toISOString().slice(0, 10));
  const notes = releaseNotes(changelog, name)!;
  checkTree(options.skipTests);

  const plan = [
    `${tag}: new, on the commit "Release ${tag}" after ${git('rev-parse', '--short', 'HEAD')}`,
    `${majorTagMove(major)} that commit`,
  ];
  if (options.dryRun) {
    step(
      `dry run: every check passed. It would change CHANGELOG.md, ${VERSION_FILES.join(', ')}, package-lock.json and the bundles, commit, and make these tags:`,
    );
    for (const line of plan) process.stdout.write(`  ${line}\n`);
    writeNotes(options.notes, notes);
    step('dry run: nothing was changed');
    return;
  }

  writeFileSync('CHANGELOG.md', changelog);
  for (const file of VERSION_FILES) writeFileSync(file, `${JSON.stringify({ ...readJson(file), version: name }, null, 2)}\n`);
  const lock = readJson('package-lock.json');
  lock.version = name;
  lock.packages[''].version = name;
  writeFileSync('package-lock.json', `${JSON.stringify(lock, null, 2)}\n`);
  // The bundles carry the version (heredoc-lint --version, SARIF), so they are rebuilt.
  run(process.execPath, ['scripts/build.mjs'], 'rebuild the bundles with the new version');
  git('add', '--all');
  git('commit', '--quiet', '--cleanup=verbatim', '-m', `Release ${tag}`, '-m', notes);
  git('tag', '--annotate', '--cleanup=verbatim', tag, '-m', `Release ${tag}\n\n${notes}`);
  step(`tagged ${tag} and ${moveMajorTag(tag, version)}`);
  writeNotes(options.notes, notes);
  // Atomic: the branch and the tag land together or not at all, so a rejected branch push leaves no tag behind.
  step(`push with: git push --atomic origin HEAD ${tag} && git push --force origin refs/tags/${major}`);
}

function verifyTag(tag: string, options: { skipTests: boolean; notes?: string }): void {
  const version = parseVersion(tag);
  if (!version || !tag.startsWith('v')) throw new ReleaseError(`--verify-tag needs a tag vX.Y.Z, not "${tag}"`);
  const name = formatVersion(version);
  if (git('tag', '--list', tag) === '') throw new ReleaseError(`there is no tag ${tag}`);
  if (git('rev-parse', `${tag}^{commit}`) !== git('rev-parse', 'HEAD')) throw new ReleaseError(`${tag} is not the commit checked out`);
  for (const file of VERSION_FILES) {
    if (readJson(file).version !== name)
      throw new ReleaseError(`${file} says version ${readJson(file).version}, but the tag is ${tag}; cut releases with scripts/release`);
  }
  const notes = releaseNotes(readFileSync('CHANGELOG.md', 'utf8'), name);
  if (!notes) throw new ReleaseError(`CHANGELOG.md has no section "## [${name}]" with notes`);
  checkTree(options.skipTests);
  step(`${tag} checks out; ${moveMajorTag(tag, version)}`);
  writeNotes(options.notes, notes);
}

try {
  const { values, positionals } = parseCommandLine(
    process.argv.slice(2),
    {
      'dry-run': { type: 'boolean', default: false },
      'skip-tests': { type: 'boolean', default: false },
      'verify-tag': { type: 'string' },
      notes: { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
    true,
  );
  if (values.help) {
    process.stdout.write(USAGE);
  } else if (values['verify-tag'] !== undefined) {
    if (positionals.length > 0 || values['dry-run']) throw new ReleaseError(`--verify-tag takes no VERSION and no --dry-run\n\n${USAGE}`);
    verifyTag(values['verify-tag'], { skipTests: values['skip-tests'], notes: values.notes });
  } else {
    if (positionals.length !== 1) throw new ReleaseError(`give exactly one VERSION\n\n${USAGE}`);
    cut(positionals[0]!, { dryRun: values['dry-run'], skipTests: values['skip-tests'], notes: values.notes });
  }
} catch (error) {
  const known = error instanceof ReleaseError || error instanceof ChangelogError || error instanceof UsageError;
  if (!known) throw error;
  process.stderr.write(`release: ${(error as Error).message}\n`);
  process.exitCode = 2;
}
