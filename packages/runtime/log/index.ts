import { type Annotation, annotationCommand } from './annotation.ts';

/**
 * The Logger every action and package writes through, so logic never imports @actions/core
 * directly and tests can capture what a user would see.
 */
export interface Logger {
  debug(message: string): void;
  info(message: string): void;
  warning(message: string): void;
  error(message: string): void;
  startGroup(title: string): void;
  endGroup(): void;
  /** Registers a secret so the runner masks it everywhere, including each line of a multi-line value. */
  mask(secret: string): void;
  /** An annotation on a file and line (error, warning or notice), shown on the run and the pull request. */
  annotate(annotation: Annotation): void;
}

/*
 * The masking policy, for every action and the local pipeline:
 * - a secret (a key, a password, a token, a database URL) is masked whatever its length: the whole value
 *   and, for a multi-line value, each non-blank line (maskablePieces);
 * - a value that may or may not be secret (an env entry of deploy-container) is masked when it is at least
 *   MIN_MASKED_VALUE characters long (worthMasking): a mask of `1` or `on` would blank every such run of
 *   characters in the whole job log, and the value is never printed anyway.
 */
export const MIN_MASKED_VALUE = 4;

/** Whether a value that may be secret is long enough to register as a mask (see the policy above). */
export function worthMasking(value: string): boolean {
  return value.trim().length >= MIN_MASKED_VALUE;
}

/** Every piece of a secret the runner must mask: the whole value and, for multi-line values, each line. */
export function maskablePieces(secret: string): string[] {
  if (secret.trim() === '') return [];
  const pieces = new Set<string>([secret]);
  for (const line of secret.split(/\r?\n/)) {
    if (line.trim() !== '') pieces.add(line.replace(/\r$/, ''));
  }
  return [...pieces];
}

/**
 * Text with every piece of each secret replaced by `***`, as the runner masks its log: for text that goes
 * where the runner's masking may not reach, such as a job summary built from a command's output.
 */
export function redact(text: string, secrets: readonly string[]): string {
  // Longest first, so a secret that contains another is masked whole.
  const pieces = [...new Set(secrets.flatMap(maskablePieces))].sort((a, b) => b.length - a.length);
  return pieces.reduce((masked, piece) => masked.split(piece).join('***'), text);
}

/**
 * Runs `work` inside a log group and reports how long it took, so long phases never look silent;
 * `onDone` also receives the milliseconds, e.g. for a summary of phases.
 */
export async function inGroup<T>(logger: Logger, title: string, work: () => Promise<T>, onDone?: (ms: number) => void): Promise<T> {
  const started = performance.now();
  logger.startGroup(title);
  try {
    return await work();
  } finally {
    const ms = Math.round(performance.now() - started);
    onDone?.(ms);
    logger.info(`${title}: ${ms} ms`);
    logger.endGroup();
  }
}

/** A Logger that records lines instead of printing them; for tests. */
export class MemoryLogger implements Logger {
  readonly lines: string[] = [];
  readonly masked: string[] = [];
  debug(message: string): void {
    this.lines.push(`debug: ${message}`);
  }
  info(message: string): void {
    this.lines.push(message);
  }
  warning(message: string): void {
    this.lines.push(`warning: ${message}`);
  }
  error(message: string): void {
    this.lines.push(`error: ${message}`);
  }
  startGroup(title: string): void {
    this.lines.push(`group: ${title}`);
  }
  endGroup(): void {
    this.lines.push('endgroup');
  }
  mask(secret: string): void {
    this.masked.push(...maskablePieces(secret));
  }
  annotate(annotation: Annotation): void {
    this.lines.push(annotationCommand(annotation));
  }
  text(): string {
    return this.lines.join('\n');
  }
}
