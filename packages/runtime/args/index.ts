// Every command line here is parsed by node:util parseArgs, through this one function, so that the
// commands agree on syntax (--flag value, --flag=value, --, repeated flags) and on what a mistake says.
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { UserError } from '#errors/index';

/** A command line the command cannot run: it prints the message and its usage, and exits 2. */
export class UsageError extends UserError {}

type Options = NonNullable<ParseArgsConfig['options']>;

/** parseArgs in strict mode; its errors become UsageErrors in the commands' own words. */
export function parseCommandLine<const T extends Options>(argv: readonly string[], options: T, allowPositionals = false) {
  try {
    return parseArgs({ args: [...argv], options, strict: true, allowPositionals });
  } catch (error) {
    throw new UsageError(usageMessage(error as Error & { code?: string }));
  }
}

function usageMessage(error: Error & { code?: string }): string {
  const flag = /'(?:-\w, )?(--?[^' ,]+)/.exec(error.message)?.[1]; // "Option '-q, --quiet' …" names --quiet
  switch (error.code) {
    case 'ERR_PARSE_ARGS_UNKNOWN_OPTION':
      return `unknown option ${flag}`;
    case 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL':
      return `unexpected argument "${/'([^']*)'/.exec(error.message)?.[1]}"`;
    case 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE':
      if (/does not take an argument/.test(error.message)) return `${flag} takes no value`;
      if (/ambiguous/.test(error.message)) return `${flag} needs a value (write ${flag}=-… for one that starts with a dash)`;
      return `${flag} needs a value`;
    default:
      return error.message;
  }
}

/** The numeric flags of a bench or script: each `--name N` must be a positive whole number; absent ones keep their default. */
export function countFlags<const T extends Record<string, number>>(argv: readonly string[], defaults: T): { [K in keyof T]: number } {
  const options = Object.fromEntries(Object.keys(defaults).map((name) => [name, { type: 'string' as const }]));
  const { values } = parseCommandLine(argv, options);
  const counts: Record<string, number> = { ...defaults };
  for (const [name, given] of Object.entries(values)) {
    if (typeof given !== 'string' || !/^[1-9]\d*$/.test(given))
      throw new UsageError(`--${name} must be a positive whole number, not "${given}"`);
    counts[name] = Number(given);
  }
  return counts as { [K in keyof T]: number };
}
