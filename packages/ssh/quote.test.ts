import { execFileSync } from 'node:child_process';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { shellJoin, shellQuote } from './quote.ts';

/** What a real shell makes of the text: each argument on its own NUL-terminated record. */
const wordsPerShell = (shell: string, text: string) =>
  execFileSync(shell, ['-c', `printf '%s\\0' ${text}`]).toString().split('\0').slice(0, -1);

describe('shellQuote', () => {
  it('leaves plain words alone and quotes everything else', () => {
    expect(shellJoin(['docker', 'run', '--name', 'web-1', '-p', '127.0.0.1:8000:80'])).toBe('docker run --name web-1 -p 127.0.0.1:8000:80');
    expect(shellQuote('')).toBe("''");
    expect(shellQuote("it's $HOME; rm -rf /")).toBe(`'it'\\''s $HOME; rm -rf /'`);
  });

  it.each(['bash', 'sh'])('round-trips any argument through %s unchanged, as one word', (shell) => {
    fc.assert(fc.property(fc.array(fc.string({ unit: 'binary', minLength: 0, maxLength: 40 }).map((s) => s.replace(/\0/g, '')), { minLength: 1, maxLength: 5 }),
      (args) => { expect(wordsPerShell(shell, shellJoin(args))).toEqual(args); }), { numRuns: 150 });
  });

  it('refuses an empty argv rather than running nothing', () => {
    expect(() => shellJoin([])).toThrow('empty argv');
  });
});
