/**
 * The one place where an argv becomes shell text. Every remote command is built as an array and
 * joined here; no other code pastes input into a command line.
 */

const SAFE = /^[A-Za-z0-9_@%+=:,./-]+$/;

/** POSIX single-quoting: the result is exactly one word, whatever the argument holds. */
export function shellQuote(arg: string): string {
  if (arg === '') return "''";
  if (SAFE.test(arg)) return arg;
  return `'${arg.replace(/'/g, `'\\''`)}'`;
}

export function shellJoin(argv: readonly string[]): string {
  if (argv.length === 0) throw new Error('shellJoin: empty argv');
  return argv.map(shellQuote).join(' ');
}
