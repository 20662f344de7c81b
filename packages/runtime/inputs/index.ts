/**
 * Typed input parsing shared by every action. Each parser takes the input's name so that any
 * error it throws names the input the user has to fix.
 */
import { UserError } from '#errors/index';

export interface SourcePosition {
  file: string;
  line: number;
  column: number;
}

/** A bad input: names the input and, for inputs read from files, the line and column. */
export class InputError extends UserError {
  readonly input: string;
  readonly problem: string;
  readonly position?: SourcePosition;

  constructor(input: string, problem: string, position?: SourcePosition) {
    const where = position ? ` (${position.file}:${position.line}:${position.column})` : '';
    super(`Input '${input}'${where}: ${problem}`);
    this.input = input;
    this.problem = problem;
    this.position = position;
  }

  /** The message names the input and says what is wrong with it: nothing to add. */
  override stepSentence(): string {
    return this.message;
  }
}

/** Reads an input value by name exactly as the runner passed it; '' when unset. */
export type RawInputSource = (name: string) => string;

/** The runner's convention: INPUT_<NAME>, upper-cased, spaces to underscores, dashes kept. */
export function inputEnvName(name: string): string {
  return `INPUT_${name.replace(/ /g, '_').toUpperCase()}`;
}

export const envInputSource =
  (env: NodeJS.ProcessEnv = process.env): RawInputSource =>
  (name) =>
    env[inputEnvName(name)] ?? '';

const DURATION = /^(\d+(?:\.\d+)?|\.\d+)\s*(ms|s|m|h)?$/;
const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** Parses `5`, `0.5` (seconds), `500ms`, `5s`, `2m` or `1h` into milliseconds. */
export function parseDuration(input: string, raw: string): number {
  const text = raw.trim().toLowerCase();
  if (text.startsWith('-')) throw new InputError(input, `must not be negative, got '${raw}'`);
  const match = DURATION.exec(text);
  if (!match) {
    throw new InputError(input, `expected a duration such as 5, 0.5, 500ms, 5s or 2m, got '${raw}'`);
  }
  const value = Number(match[1]) * UNIT_MS[match[2] ?? 's']!;
  return Math.round(value);
}

export function parseBoolean(input: string, raw: string): boolean {
  const text = raw.trim().toLowerCase();
  if (['true', 'yes', 'on', '1'].includes(text)) return true;
  if (['false', 'no', 'off', '0'].includes(text)) return false;
  throw new InputError(input, `expected true or false, got '${raw}'`);
}

export function parseInteger(input: string, raw: string, range: { min?: number; max?: number } = {}): number {
  const text = raw.trim();
  if (!/^-?\d+$/.test(text)) throw new InputError(input, `expected a whole number, got '${raw}'`);
  const value = Number(text);
  if (range.min !== undefined && value < range.min) {
    throw new InputError(input, `must be at least ${range.min}, got ${value}`);
  }
  if (range.max !== undefined && value > range.max) {
    throw new InputError(input, `must be at most ${range.max}, got ${value}`);
  }
  return value;
}

/** Items separated by newlines or commas, trimmed, blanks dropped. */
export function parseList(raw: string): string[] {
  return raw
    .split(/[\n,]/)
    .map((item) => item.trim())
    .filter((item) => item !== '');
}

/** Non-blank lines, trimmed; for values that may themselves contain commas. */
export function parseLines(raw: string): string[] {
  return raw
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line !== '');
}

export function parseHttpUrl(input: string, raw: string): URL {
  let url: URL;
  try {
    url = new URL(raw.trim());
  } catch {
    throw new InputError(input, `'${raw}' is not a valid URL`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new InputError(input, `'${raw}' must use http or https, not ${url.protocol.replace(':', '')}`);
  }
  return url;
}

export interface StatusRange {
  from: number;
  to: number;
}

/** Parses `200-299,301` into inclusive ranges of HTTP status codes. */
export function parseStatusRanges(input: string, raw: string): StatusRange[] {
  const items = parseList(raw);
  if (items.length === 0) throw new InputError(input, 'expected at least one status code or range');
  return items.map((item) => {
    const match = /^(\d{3})(?:\s*-\s*(\d{3}))?$/.exec(item);
    if (!match) throw new InputError(input, `'${item}' is not a status code or range such as 200-299`);
    const from = Number(match[1]);
    const to = Number(match[2] ?? match[1]);
    if (from < 100 || to > 599) throw new InputError(input, `'${item}' is outside the HTTP status range 100-599`);
    if (from > to) throw new InputError(input, `'${item}' is an empty range (${from} > ${to})`);
    return { from, to };
  });
}

export function statusMatches(ranges: readonly StatusRange[], status: number): boolean {
  return ranges.some((range) => status >= range.from && status <= range.to);
}

export function formatStatusRanges(ranges: readonly StatusRange[]): string {
  return ranges.map((r) => (r.from === r.to ? `${r.from}` : `${r.from}-${r.to}`)).join(',');
}

/**
 * Typed access to an action's inputs. Each getter returns the default when the input is empty,
 * and throws an InputError naming the input when it is malformed.
 */
export class InputReader {
  private readonly source: RawInputSource;

  constructor(source: RawInputSource = envInputSource()) {
    this.source = source;
  }

  /** Trimmed, as @actions/core's getInput does. */
  private raw(name: string): string {
    return this.source(name).trim();
  }

  /** Exactly as given, surrounding blanks included: for values that must arrive byte for byte. */
  verbatim(name: string): string {
    return this.source(name);
  }

  string(name: string, fallback = ''): string {
    const value = this.raw(name);
    return value === '' ? fallback : value;
  }

  required(name: string): string {
    const value = this.raw(name);
    if (value === '') throw new InputError(name, 'is required');
    return value;
  }

  boolean(name: string, fallback: boolean): boolean {
    const value = this.raw(name);
    return value === '' ? fallback : parseBoolean(name, value);
  }

  integer(name: string, fallback: number, range?: { min?: number; max?: number }): number {
    const value = this.raw(name);
    return value === '' ? fallback : parseInteger(name, value, range);
  }

  /** Milliseconds. */
  duration(name: string, fallbackMs: number, range: { minMs?: number } = {}): number {
    const value = this.raw(name);
    if (value === '') return fallbackMs;
    const ms = parseDuration(name, value);
    if (range.minMs !== undefined && ms < range.minMs) {
      throw new InputError(name, `must be at least ${range.minMs} ms, got '${value}'`);
    }
    return ms;
  }

  list(name: string): string[] {
    return parseList(this.raw(name));
  }

  lines(name: string): string[] {
    return parseLines(this.raw(name));
  }

  /**
   * The whole value with its inner newlines, for certificates, keys and scripts; trimmed at both ends like every
   * other reader (verbatim() keeps the ends too).
   */
  multiline(name: string): string {
    return this.raw(name);
  }

  oneOf<T extends string>(name: string, choices: readonly T[], fallback: T): T {
    const value = this.raw(name).toLowerCase();
    if (value === '') return fallback;
    if (!(choices as readonly string[]).includes(value)) {
      throw new InputError(name, `expected one of ${choices.join(', ')}, got '${this.raw(name)}'`);
    }
    return value as T;
  }
}
