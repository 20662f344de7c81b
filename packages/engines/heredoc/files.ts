// Turns paths, directories and globs into the list of files to lint.
// Globs use tinyglobby and picomatch (bundled), not node:fs globSync and path.matchesGlob, which need Node 22:
// the command runs on whatever Node a consumer's pre-commit hook has, from 20 on.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import picomatch from 'picomatch';
import { globSync } from 'tinyglobby';
import { UserError } from '#errors/index';

export const DEFAULT_PATTERNS = ['.github/workflows/*.yml', '.github/workflows/*.yaml', '**/action.yml', '**/action.yaml', '**/*.sh'];
const EXCLUDED_DIRECTORIES = new Set(['node_modules', '.git']);
const GLOB_CHARS = /[*?[\]{}]/;

export class PathError extends UserError {}

/** The ignore file: one glob per line (relative to where the linter runs), # comments; e.g. test fixtures that are broken on purpose. */
export const IGNORE_FILE = '.heredoc-lintignore';

export function readIgnoreFile(cwd: string): string[] {
  const path = join(cwd, IGNORE_FILE);
  if (!existsSync(path)) return [];
  return readFileSync(path, 'utf8')
    .split('\n')
    .map((line) => line.replace(/#.*/, '').trim())
    .filter(Boolean);
}

/**
 * Files in the order named, without duplicates; a named path that does not exist is a PathError, and so is a
 * glob a user named (`named: true`) that matches no file: a typo would otherwise pass in CI. Default globs may match nothing.
 * Files that match an ignore glob (by default those of .heredoc-lintignore) are left out, unless named one by one.
 */
export function expandPaths(
  patterns: readonly string[],
  cwd: string,
  ignore: readonly string[] = readIgnoreFile(cwd),
  { named = false }: { named?: boolean } = {},
): string[] {
  const files = new Set<string>();
  const ignoreMatchers = ignore.map((glob) => picomatch(glob, { dot: true }));
  const ignored = (file: string) => ignoreMatchers.some((matches) => matches(relative(cwd, resolve(cwd, file))));
  for (const pattern of patterns) {
    if (GLOB_CHARS.test(pattern)) {
      const matches = globSync(pattern, {
        cwd,
        dot: true,
        onlyFiles: true,
        expandDirectories: false,
        ignore: [...EXCLUDED_DIRECTORIES].map((name) => `**/${name}/**`),
      });
      const found = matches.sort().filter((match) => statSync(join(cwd, match), { throwIfNoEntry: false })?.isFile());
      if (named && found.length === 0) throw new PathError(`${pattern} matches no file`);
      for (const match of found) if (!ignored(match)) files.add(match);
      continue;
    }
    let stats;
    try {
      stats = statSync(resolve(cwd, pattern));
    } catch (error) {
      throw new PathError(
        `cannot read ${pattern}: ${(error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file or directory' : (error as Error).message}`,
      );
    }
    if (stats.isDirectory())
      for (const file of walk(resolve(cwd, pattern))) {
        if (!ignored(file)) files.add(relative(cwd, file) || file);
      }
    else files.add(pattern);
  }
  return [...files];
}

/** A directory's candidates: workflow and action YAML, and shell scripts. */
function walk(directory: string): string[] {
  const found: string[] = [];
  const entries = readdirSync(directory, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name));
  for (const entry of entries) {
    const path = join(directory, entry.name);
    if (entry.isDirectory()) {
      if (!EXCLUDED_DIRECTORIES.has(entry.name)) found.push(...walk(path));
    } else if (entry.isFile() && isCandidate(path)) {
      found.push(path);
    }
  }
  return found;
}

function isCandidate(path: string): boolean {
  const normalised = path.split('\\').join('/');
  if (/(^|\/)\.github\/workflows\/[^/]+\.ya?ml$/i.test(normalised)) return true;
  if (/(^|\/)action\.ya?ml$/i.test(normalised)) return true;
  return /\.(sh|bash)$/i.test(normalised);
}
