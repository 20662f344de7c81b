/**
 * Cuts a release, locally or in .github/workflows/release.yml; `scripts/release --help` says how.
 * Every check runs before anything changes, and --dry-run stops there, saying what it would do.
 */
import { parseCommandLine, UsageError } from '#args/index';
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
} from '#release/changelog';

const USAGE = `usage: scripts/release [--dry-run] [--skip-tests] [--resume] [--notes FILE] [--default-branch NAME] VERSION
       scripts/release --verify-tag vX.Y.Z [--skip-tests] [--notes FILE] [--default-branch NAME]
       scripts/release --push vX.Y.Z [--bundle FILE] [--branch NAME] [--default-branch NAME]

VERSION (X.Y.Z): from a clean tree whose bundles match the source and whose unit tests pass, turns the
CHANGELOG's Unreleased section into X.Y.Z, sets the version in package.json, package-lock.json and
packages/cli/package.json, rebuilds the bundles, commits "Release vX.Y.Z", tags vX.Y.Z and moves the major
tag vX to it. Nothing is pushed; the last line says how. The branch checked out must be the default branch
(--default-branch, main unless given) or releases/vX. --resume: if vX.Y.Z already tags HEAD (a re-run after
the push), verify it as --verify-tag does instead of cutting again.
--verify-tag: the release workflow's check of a pushed tag (versions, changelog section, bundles, tests, and its
commit on origin's default branch or releases/vX), then moves the major tag locally.
--push: the release workflow's write step, safe to re-run. Fetches the tag from --bundle (a git bundle from the
job that cut or verified it), pushes it with its commit to --branch in one atomic push unless origin has it
already, then moves vX on origin unless origin has a newer release of major X. GITHUB_TOKEN, if set, is the
credential (given to git in its environment, never in argv or .git/config).
--dry-run checks everything and prints the tags it would make, changing nothing. --notes writes the release
notes (the version's CHANGELOG section). --skip-tests leaves out the unit tests (the release workflow's own
tests cover them).
`;

const VERSION_FILES = ['package.json', 'packages/cli/package.json'];

class ReleaseError extends Error {}

/** GITHUB_TOKEN as checkout gives it to git: an HTTP header for github.com, here through git's environment. */
function gitEnvironment(): NodeJS.ProcessEnv {
  const token = process.env.GITHUB_TOKEN;
  if (!token) return process.env;
  const basic = Buffer.from(`x-access-token:${token}`).toString('base64');
  return {
    ...process.env,
    GIT_CONFIG_COUNT: '1',
    GIT_CONFIG_KEY_0: 'http.https://github.com/.extraheader',
    GIT_CONFIG_VALUE_0: `AUTHORIZATION: basic ${basic}`,
  };
}

function git(...args: string[]): string {
  try {
    return execFileSync('git', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], env: gitEnvironment() }).trim();
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

/** The branches a release may come from: the default branch, and releases/vX for maintenance of major X. */
const releaseBranches = (version: Version, defaultBranch: string) => [defaultBranch, `releases/v${version.major}`];

function checkReleaseBranch(branch: string, version: Version, defaultBranch: string): void {
  const allowed = releaseBranches(version, defaultBranch);
  if (!allowed.includes(branch))
    throw new ReleaseError(`releases of v${version.major} come from ${allowed.join(' or ')}, not from "${branch || 'a detached HEAD'}"`);
}

interface CutOptions {
  dryRun: boolean;
  skipTests: boolean;
  resume: boolean;
  notes?: string;
  defaultBranch: string;
}

function cut(versionText: string, options: CutOptions): void {
  const version = parseVersion(versionText);
  if (!version || versionText.startsWith('v')) throw new ReleaseError(`VERSION must be X.Y.Z, e.g. 1.1.0, not "${versionText}"`);
  const name = formatVersion(version);
  const tag = `v${name}`;
  const major = `v${version.major}`;
  if (options.resume && git('tag', '--list', tag) !== '') {
    if (git('rev-parse', `${tag}^{commit}`) !== git('rev-parse', 'HEAD'))
      throw new ReleaseError(`${tag} exists on another commit than HEAD; a re-run resumes only the release it cut`);
    step(`${tag} already tags HEAD (a re-run): verifying it instead of cutting again`);
    verifyTag(tag, options);
    return;
  }
  checkReleaseBranch(git('branch', '--show-current'), version, options.defaultBranch);
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

function parseTag(tag: string, flag: string): Version {
  const version = parseVersion(tag);
  if (!version || !tag.startsWith('v')) throw new ReleaseError(`${flag} needs a tag vX.Y.Z, not "${tag}"`);
  return version;
}

/** The tagged commit must be on origin's default branch or releases/vX: a tag pushed from a side branch is refused. */
function checkOnReleaseBranch(tag: string, version: Version, defaultBranch: string): void {
  const branches = releaseBranches(version, defaultBranch);
  const on = branches.some((branch) => {
    const ref = `refs/remotes/origin/${branch}`;
    if (git('for-each-ref', '--format=%(refname)', ref) === '') return false;
    try {
      git('merge-base', '--is-ancestor', `${tag}^{commit}`, ref);
      return true;
    } catch {
      return false;
    }
  });
  if (!on) throw new ReleaseError(`${tag} is on neither ${branches.map((b) => `origin/${b}`).join(' nor ')}`);
}

function verifyTag(tag: string, options: { skipTests: boolean; notes?: string; defaultBranch: string }): void {
  const version = parseTag(tag, '--verify-tag');
  const name = formatVersion(version);
  if (git('tag', '--list', tag) === '') throw new ReleaseError(`there is no tag ${tag}`);
  if (git('rev-parse', `${tag}^{commit}`) !== git('rev-parse', 'HEAD')) throw new ReleaseError(`${tag} is not the commit checked out`);
  checkOnReleaseBranch(tag, version, options.defaultBranch);
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

/** origin's release tags: name → the tag object and the commit it points at. */
function originTags(): Map<string, { object: string; commit: string }> {
  const tags = new Map<string, { object: string; commit: string }>();
  for (const line of git('ls-remote', '--tags', 'origin').split('\n').filter(Boolean)) {
    const [object, ref] = line.split('\t') as [string, string];
    const peeled = ref.endsWith('^{}');
    const name = ref.replace(/^refs\/tags\//, '').replace(/\^\{\}$/, '');
    const entry = tags.get(name) ?? { object, commit: object };
    if (peeled) entry.commit = object;
    else entry.object = object;
    tags.set(name, entry);
  }
  return tags;
}

/**
 * The write half of a release, and safe to run again: each of its two pushes is skipped when origin already has
 * it, so a re-run after any failed step completes the release.
 */
function pushRelease(tag: string, options: { bundle?: string; branch?: string; defaultBranch: string }): void {
  const version = parseTag(tag, '--push');
  const major = `v${version.major}`;
  if (options.bundle) git('fetch', '--quiet', '--force', options.bundle, `refs/tags/${tag}:refs/tags/${tag}`);
  if (git('tag', '--list', tag) === '') throw new ReleaseError(`there is no tag ${tag}${options.bundle ? ` in ${options.bundle}` : ''}`);
  const object = git('rev-parse', `refs/tags/${tag}`);
  const commit = git('rev-parse', `${tag}^{commit}`);

  const onOrigin = originTags().get(tag);
  if (onOrigin && onOrigin.object !== object)
    throw new ReleaseError(`origin has a different ${tag} (${onOrigin.commit.slice(0, 7)}); a release tag is never replaced`);
  if (onOrigin) {
    step(`${tag} is on origin already`);
  } else {
    if (!options.branch) throw new ReleaseError(`origin has no ${tag}, and no --branch was given to push its commit to`);
    checkReleaseBranch(options.branch, version, options.defaultBranch);
    // Atomic: the branch and the tag land together or not at all, so a rejected branch push leaves no tag behind.
    git('push', '--atomic', 'origin', `${commit}:refs/heads/${options.branch}`, `refs/tags/${tag}`);
    step(`pushed ${tag} and ${options.branch} (${commit.slice(0, 7)}) in one atomic push`);
  }

  // Decided against origin's tags at push time, so a late re-run of an older release cannot move vX back.
  const tags = originTags();
  const newer = newerInMajor([...tags.keys()], version);
  if (newer) {
    step(`${major} stays on v${formatVersion(newer)}, which is newer (${tag} is a backport; ${major} never moves back)`);
  } else if (tags.get(major)?.commit === commit) {
    step(`${major} is on ${tag} on origin already`);
  } else {
    git('tag', '--force', '--annotate', major, '-m', `${major} is ${tag}`, commit);
    git('push', '--force', 'origin', `refs/tags/${major}`);
    step(`moved ${major} to ${tag} (${commit.slice(0, 7)}) on origin`);
  }
}

try {
  const { values, positionals } = parseCommandLine(
    process.argv.slice(2),
    {
      'dry-run': { type: 'boolean', default: false },
      'skip-tests': { type: 'boolean', default: false },
      'verify-tag': { type: 'string' },
      resume: { type: 'boolean', default: false },
      push: { type: 'string' },
      bundle: { type: 'string' },
      branch: { type: 'string' },
      'default-branch': { type: 'string', default: 'main' },
      notes: { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
    true,
  );
  const defaultBranch = values['default-branch'];
  if (values.help) {
    process.stdout.write(USAGE);
  } else if (values.push !== undefined) {
    if (positionals.length > 0 || values['dry-run'] || values['verify-tag'] !== undefined || values.notes !== undefined)
      throw new ReleaseError('--push takes only --bundle, --branch and --default-branch');
    pushRelease(values.push, { bundle: values.bundle, branch: values.branch, defaultBranch });
  } else if (values['verify-tag'] !== undefined) {
    if (positionals.length > 0 || values['dry-run']) throw new ReleaseError('--verify-tag takes no VERSION and no --dry-run');
    verifyTag(values['verify-tag'], { skipTests: values['skip-tests'], notes: values.notes, defaultBranch });
  } else {
    if (positionals.length !== 1) throw new ReleaseError('give exactly one VERSION (scripts/release --help says more)');
    cut(positionals[0]!, {
      dryRun: values['dry-run'],
      skipTests: values['skip-tests'],
      resume: values.resume,
      notes: values.notes,
      defaultBranch,
    });
  }
} catch (error) {
  const known = error instanceof ReleaseError || error instanceof ChangelogError || error instanceof UsageError;
  if (!known) throw error;
  process.stderr.write(`release: ${(error as Error).message}\n`);
  process.exitCode = 2;
}
