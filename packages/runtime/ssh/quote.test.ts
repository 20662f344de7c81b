import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { shellJoin, shellQuote } from './quote.ts';

/**
 * What a real shell makes of many texts, in one process: each text's words go, NUL-terminated, to a file of
 * their own (a quoting fault that swallowed the lines after it shows as missing files). One spawn per shell
 * keeps the property's cost independent of how busy the machine is.
 */
function wordsPerShell(shell: string, texts: readonly string[]): string[][] {
  const dir = mkdtempSync(join(tmpdir(), 'gp-quote-'));
  try {
    const script = texts.map((text, i) => `printf '%s\\0' ${text} > ${dir}/${i}`).join('\n');
    execFileSync(shell, ['-c', script], { timeout: 20_000 });
    return texts.map((_, i) =>
      existsSync(join(dir, String(i)))
        ? readFileSync(join(dir, String(i)))
            .toString()
            .split('\0')
            .slice(0, -1)
        : ['(not run)'],
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('shellQuote', () => {
  it('leaves plain words alone and quotes everything else', () => {
    expect(shellJoin(['docker', 'run', '--name', 'web-1', '-p', '127.0.0.1:8000:80'])).toBe('docker run --name web-1 -p 127.0.0.1:8000:80');
    expect(shellQuote('')).toBe("''");
    expect(shellQuote("it's $HOME; rm -rf /")).toBe(`'it'\\''s $HOME; rm -rf /'`);
  });

  it.each(['bash', 'sh'])(
    'round-trips any argument through %s unchanged, as one word',
    (shell) => {
      // Arguments mix what the shell treats specially with arbitrary text, so that every sample tests quoting.
      const special = fc.constantFrom(
        "'",
        '"',
        '$',
        '`',
        '\\',
        ' ',
        '\n',
        '\t',
        '*',
        '?',
        '[',
        '~',
        '#',
        ';',
        '&',
        '|',
        '<',
        '>',
        '(',
        ')',
        '{',
        '}',
        '!',
        '$(',
        '${',
      );
      const piece = fc.oneof(
        special,
        fc.string({ unit: 'binary', maxLength: 6 }).map((s) => s.replace(/\0/g, '')),
      );
      const argument = fc.array(piece, { maxLength: 12 }).map((pieces) => pieces.join(''));
      const argvs = fc.sample(fc.array(argument, { minLength: 1, maxLength: 5 }), 150);
      const words = wordsPerShell(
        shell,
        argvs.map((args) => shellJoin(args)),
      );
      argvs.forEach((args, i) => expect(words[i], JSON.stringify(args)).toEqual(args));
      // About 0.7 s here with a full CI run beside it; two CPU hogs once took it past the default 5 s.
    },
    30_000,
  );

  it('refuses an empty argv rather than running nothing', () => {
    expect(() => shellJoin([])).toThrow('empty argv');
  });
});
