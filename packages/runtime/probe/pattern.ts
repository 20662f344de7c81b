/**
 * `body-regex` as a linear-time pattern: RE2 syntax, matched by re2js (the pure-JavaScript port of RE2), so a
 * server's answer can never make a check backtrack for seconds (`^(a+)+$` against 28 `a` and a `!` took 14.5 s
 * with RegExp). Bodies are read up to 1 MiB, which re2js scans in about a quarter of a second.
 */
import { RE2JS } from 're2js';

export interface BodyPattern {
  /** The pattern as written, for messages. */
  readonly source: string;
  /** Whether the pattern matches anywhere in `body` (as RegExp.test does). */
  test(body: string): boolean;
}

/** Compiles `source`; throws an Error naming what RE2 does not accept (lookaround, backreferences, bad syntax). */
export function compileBodyPattern(source: string): BodyPattern {
  const compiled = RE2JS.compile(source);
  return { source, test: (body) => compiled.matcher(body).find() };
}
