// The running lab's description, as `scripts/lab env` prints it: for the tests, the benchmarks and the local pipeline.
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';

export type LabEnv = Record<string, string>;

/**
 * Parses `scripts/lab env` output: KEY=VALUE lines, values optionally double-quoted. A quoted value may
 * span lines (LAB_APP_HOSTS holds one host per line), as it does when the output is sourced by bash.
 */
export function parseLabEnv(text: string): LabEnv {
  const env: LabEnv = {};
  const pattern = /^([A-Z0-9_]+)=(?:"([^"]*)"|(.*))$/gm;
  for (const match of text.matchAll(pattern)) env[match[1]!] = match[2] ?? match[3]!;
  return env;
}

/** The running lab's description; the lab must have been up once (`scripts/lab up`). */
export function labEnv(root = join(import.meta.dirname, '../..')): LabEnv {
  return parseLabEnv(execFileSync('bash', [join(root, 'scripts/lab'), 'env'], { encoding: 'utf8' }));
}
