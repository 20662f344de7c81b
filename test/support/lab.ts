import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

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

/** The running lab's description; the lab must be up (`npm test` brings it up first). */
export function labEnv(): LabEnv {
  return parseLabEnv(execFileSync('bash', ['scripts/lab', 'env'], { encoding: 'utf8' }));
}

export const readKey = (file: string) => readFileSync(file, 'utf8');
