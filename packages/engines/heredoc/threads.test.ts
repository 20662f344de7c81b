import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { lintFiles, nodeFileAccess } from './run.ts';
import { lintFilesInThreads, MIN_BYTES_PER_THREAD, threadsFor } from './threads.ts';

const CORPUS = join(import.meta.dirname, 'corpus');
const WORKER = join(import.meta.dirname, 'testing/lint-worker.ts');
const DYING_WORKER = join(import.meta.dirname, 'testing/dying-lint-worker.ts');
// Each test starts worker threads that load the lint from source: about a second each on a busy machine.
const TIMEOUT = 30_000;

const scratch = mkdtempSync(join(tmpdir(), 'heredoc-threads-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** A folder of the corpus, three times over (with findings to report and to fix), and its file names. */
function corpusCopy(name: string): { dir: string; files: string[] } {
  const dir = join(scratch, name);
  const corpusFiles = readdirSync(CORPUS, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => relative(CORPUS, join(entry.parentPath, entry.name)))
    .sort();
  const files: string[] = [];
  for (let round = 0; round < 3; round++) {
    cpSync(CORPUS, join(dir, `r${round}`), { recursive: true });
    files.push(...corpusFiles.map((file) => join(`r${round}`, file)));
  }
  return { dir, files };
}

const contents = (dir: string, files: readonly string[]) => files.map((file) => readFileSync(join(dir, file), 'utf8'));

describe('lintFilesInThreads', () => {
  it('reports, in the order named, exactly what one thread does', { timeout: TIMEOUT }, async () => {
    const { dir, files } = corpusCopy('report');
    const alone = lintFiles(files, nodeFileAccess(dir), { fix: false });
    const spread = await lintFilesInThreads(files, dir, { fix: false }, { entry: WORKER, threads: 3 });
    expect(spread).toEqual({ ...alone, threadsUsed: spread.threadsUsed });
    expect(alone.findings.length).toBeGreaterThan(50);
  });

  it('fixes files to the same bytes, with the same counts', { timeout: TIMEOUT }, async () => {
    const one = corpusCopy('fix-one');
    const three = corpusCopy('fix-three');
    const alone = lintFiles(one.files, nodeFileAccess(one.dir), { fix: true });
    const spread = await lintFilesInThreads(three.files, three.dir, { fix: true }, { entry: WORKER, threads: 3 });
    expect(alone.fixed).toBeGreaterThan(0);
    expect(spread).toEqual({ ...alone, threadsUsed: spread.threadsUsed });
    expect(contents(three.dir, three.files)).toEqual(contents(one.dir, one.files));
  });

  it('lints itself the files a thread that died left undone', { timeout: TIMEOUT }, async () => {
    const { dir, files } = corpusCopy('dying');
    const alone = lintFiles(files, nodeFileAccess(dir), { fix: false });
    const spread = await lintFilesInThreads(files, dir, { fix: false }, { entry: DYING_WORKER, threads: 3 });
    expect(spread).toEqual({ ...alone, threadsUsed: 1 });
  });

  it('fails with the first unreadable file in the order named', { timeout: TIMEOUT }, async () => {
    const { dir, files } = corpusCopy('unreadable');
    const named = [...files];
    named.splice(40, 0, 'missing-b.yml');
    named.splice(5, 0, 'missing-a.yml');
    const expected = /cannot read missing-a\.yml: ENOENT/;
    expect(() => lintFiles(named, nodeFileAccess(dir), { fix: false })).toThrow(expected);
    await expect(lintFilesInThreads(named, dir, { fix: false }, { entry: WORKER, threads: 3 })).rejects.toThrow(expected);
  });
});

describe('threadsFor', () => {
  const dir = join(scratch, 'sizes');
  mkdirSync(dir);
  const files = Array.from({ length: 8 }, (_, i) => `f${i}.yml`);
  files.forEach((file) => writeFileSync(join(dir, file), 'x'.repeat(MIN_BYTES_PER_THREAD / 2)));

  it('starts a thread only for each MIN_BYTES_PER_THREAD of input, and never more than jobs', () => {
    expect(threadsFor(files.slice(0, 1), dir, 4)).toBe(1);
    expect(threadsFor(files.slice(0, 3), dir, 4)).toBe(1);
    expect(threadsFor(files.slice(0, 4), dir, 4)).toBe(2);
    expect(threadsFor(files, dir, 4)).toBe(4);
    expect(threadsFor(files, dir, 3)).toBe(3);
    expect(threadsFor(files, dir, 1)).toBe(1);
  });

  it('counts a file it cannot stat as empty, and leaves the error to the lint', () => {
    expect(threadsFor([...files.slice(0, 4), 'missing.yml'], dir, 8)).toBe(2);
  });
});
