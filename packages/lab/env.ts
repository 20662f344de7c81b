// The running lab's description, as `scripts/lab env` prints it: for the tests, the benchmarks and the local pipeline.
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';

export type LabEnv = Record<string, string>;

/** Parses `scripts/lab env` output: KEY=VALUE lines, values optionally double-quoted. */
export function parseLabEnv(text: string): LabEnv {
  const env: LabEnv = {};
  for (const line of text.split('\n')) {
    const match = /^([A-Z0-9_]+)=(.*)$/.exec(line);
    if (!match) continue;
    const raw = match[2]!;
    env[match[1]!] = raw.startsWith('"') && raw.endsWith('"') ? raw.slice(1, -1) : raw;
  }
  return env;
}

/** The running lab's description; the lab must have been up once (`scripts/lab up`). */
export function labEnv(root = join(import.meta.dirname, '../..')): LabEnv {
  return parseLabEnv(execFileSync('bash', [join(root, 'scripts/lab'), 'env'], { encoding: 'utf8' }));
}
