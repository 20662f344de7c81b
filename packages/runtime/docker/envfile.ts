import { InputError } from '#inputs/index';

/** bufio.MaxScanTokenSize: the buffer docker's env file scanner reads a line into, newline included. */
export const ENV_FILE_LINE_MAX = 64 * 1024;

export interface EnvEntry {
  key: string;
  value: string;
}

/**
 * Parses `KEY=VALUE` lines into what docker's `--env-file` will read back byte for byte. Docker does no
 * quote processing and has no multi-line values, and it reads a line without `=` from its own
 * environment; anything it would mangle is rejected here, naming the KEY (never the value).
 */
export function parseEnvLines(input: string, raw: string): { entries: EnvEntry[]; warnings: string[] } {
  const entries: EnvEntry[] = [];
  const warnings: string[] = [];
  const seen = new Set<string>();
  const lines = raw.split('\n');
  if (lines.at(-1) === '') lines.pop();
  lines.forEach((line, index) => {
    const trimmedStart = line.replace(/^[ \t]+/, '');
    if (trimmedStart === '' || trimmedStart.startsWith('#')) return;
    const equals = trimmedStart.indexOf('=');
    if (equals < 0) {
      const previous = entries.at(-1);
      throw new InputError(
        input,
        previous
          ? `the value of ${previous.key} continues onto line ${index + 1}; env files cannot hold multi-line values`
          : `line ${index + 1} is not KEY=VALUE`,
      );
    }
    const key = trimmedStart.slice(0, equals);
    const value = trimmedStart.slice(equals + 1);
    if (key === '') throw new InputError(input, `line ${index + 1} has an empty KEY`);
    if (/\s/.test(key)) throw new InputError(input, `the key ${JSON.stringify(key)} on line ${index + 1} contains whitespace`);
    if (/[\r\0]/.test(value)) {
      throw new InputError(input, `the value of ${key} contains a carriage return or NUL byte, which docker would drop or cut`);
    }
    // docker reads env files with Go's bufio.Scanner, whose longest line is 64 KiB with its newline.
    if (Buffer.byteLength(trimmedStart) + 1 > ENV_FILE_LINE_MAX) {
      throw new InputError(
        input,
        `the line of ${key} is ${Buffer.byteLength(trimmedStart)} bytes; docker's env file reader takes at most ${ENV_FILE_LINE_MAX - 1}`,
      );
    }
    if (seen.has(key)) warnings.push(`${key} is set more than once; the last value wins`);
    seen.add(key);
    entries.push({ key, value });
  });
  return { entries, warnings };
}

export function renderEnvFile(entries: readonly EnvEntry[]): string {
  return entries.map(({ key, value }) => `${key}=${value}\n`).join('');
}
