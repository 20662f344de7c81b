// Lints a long list of files on several threads. Each file is linted on its own (the YAML parse, most of the
// time, included), so the work spreads over the cores. Threads claim files one at a time from a shared counter,
// so a thread on a busy core simply takes fewer; the calling thread lints too, and afterwards lints itself any
// file a thread that died left undone. Results keep the order the files were named in.
import { statSync } from 'node:fs';
import { resolve } from 'node:path';
import { parentPort, Worker, workerData } from 'node:worker_threads';
import type { LintOptions } from './lint.ts';
import { collectRun, type FileAccess, type FileOutcome, lintFile, lintFiles, type LintRun, nodeFileAccess, ReadError } from './run.ts';

/**
 * Input each thread must have to be worth starting. A thread loads the bundle and warms up its own JIT, so on two
 * busy cores a second one broke even at about 2.8 MB of real-shaped workflows and was 1.1–1.2× faster at 5.7 MB
 * (the heredoc-lint command, `--jobs 1` against `--jobs 2`).
 */
export const MIN_BYTES_PER_THREAD = 2 * 1024 * 1024;

type Options = LintOptions & { fix: boolean };

interface Job {
  files: readonly string[];
  cwd: string;
  options: Options;
  /** One Int32 on a SharedArrayBuffer: the index of the next file to claim. */
  next: Int32Array;
}

interface Share {
  outcomes: [index: number, outcome: FileOutcome][];
  readError?: { index: number; message: string };
}

/** How many threads to use for these files, at most `jobs`: one per MIN_BYTES_PER_THREAD of input. */
export function threadsFor(files: readonly string[], cwd: string, jobs: number): number {
  if (jobs <= 1 || files.length < 2) return 1;
  let bytes = 0;
  for (const file of files) bytes += statSync(resolve(cwd, file), { throwIfNoEntry: false })?.size ?? 0;
  return Math.max(1, Math.min(jobs, files.length, Math.floor(bytes / MIN_BYTES_PER_THREAD)));
}

function lintClaimed(job: Job, access: FileAccess, share: Share): void {
  for (let index = Atomics.add(job.next, 0, 1); index < job.files.length; index = Atomics.add(job.next, 0, 1)) {
    try {
      share.outcomes.push([index, lintFile(job.files[index]!, access, job.options)]);
    } catch (error) {
      if (!(error instanceof ReadError)) throw error;
      share.readError = { index, message: error.message };
      // The run fails on this file anyway: no thread claims another.
      Atomics.store(job.next, 0, job.files.length);
      return;
    }
  }
}

/**
 * Lints `files` (paths relative to `cwd`, read and written with node:fs) on `threads` threads. Each extra thread
 * loads `entry`, a script that calls serveLintWorker() when it is not the main thread. An unreadable file fails
 * the run with the ReadError of the first such file in the list, as lintFiles does. `threadsUsed` counts the
 * threads that linted a file.
 */
export async function lintFilesInThreads(
  files: readonly string[],
  cwd: string,
  options: Options,
  { entry, threads }: { entry: string; threads: number },
): Promise<LintRun & { threadsUsed: number }> {
  const access = nodeFileAccess(cwd);
  if (threads <= 1) return { ...lintFiles(files, access, options), threadsUsed: 1 };
  const job: Job = { files, cwd, options, next: new Int32Array(new SharedArrayBuffer(Int32Array.BYTES_PER_ELEMENT)) };
  const workers = Array.from({ length: threads - 1 }, () => new Worker(entry, { workerData: job }));
  const shares = workers.map(
    (worker) =>
      new Promise<Share | undefined>((settle) => {
        let share: Share | undefined;
        worker.on('message', (message: Share) => (share = message));
        // A thread that failed is covered below; its error is the main thread's to meet again, with a stack.
        worker.on('error', () => undefined);
        worker.on('exit', () => settle(share));
      }),
  );
  const own: Share = { outcomes: [] };
  try {
    lintClaimed(job, access, own);
  } catch (error) {
    await Promise.all(workers.map((worker) => worker.terminate()));
    throw error;
  }
  const outcomes: (FileOutcome | undefined)[] = new Array(files.length);
  const readErrors: NonNullable<Share['readError']>[] = [];
  let threadsUsed = 0;
  for (const share of [own, ...(await Promise.all(shares))]) {
    for (const [index, outcome] of share?.outcomes ?? []) outcomes[index] = outcome;
    if (share?.readError) readErrors.push(share.readError);
    if (share && share.outcomes.length > 0) threadsUsed++;
  }
  if (readErrors.length > 0) throw new ReadError(readErrors.sort((a, b) => a.index - b.index)[0]!.message);
  const run = collectRun(files.map((file, index) => outcomes[index] ?? lintFile(file, access, options)));
  return { ...run, threadsUsed: Math.max(threadsUsed, 1) };
}

/** A worker thread's part: lint files from the shared counter until none is left, then send the outcomes. */
export function serveLintWorker(): void {
  const job = workerData as Job;
  const share: Share = { outcomes: [] };
  try {
    lintClaimed(job, nodeFileAccess(job.cwd), share);
  } finally {
    parentPort!.postMessage(share);
  }
}
