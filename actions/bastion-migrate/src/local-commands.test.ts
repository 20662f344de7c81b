import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { MemoryLogger } from '#log/index';
import { readStat } from '#process/index';
import { runCommand } from './local-commands.ts';

// Each case spawns bash twice (watchdog and command); about 20 ms idle.
const TIMEOUT_MS = 20_000;
// A killed process may stay a zombie for a moment until whoever adopted it reaps it: it has exited.
const gone = (pid: number) => readStat(pid) === undefined;

describe('runCommand under its watchdog', () => {
  it(
    'streams output, keeps stderr, and exits with the command status',
    async () => {
      const logger = new MemoryLogger();
      const result = await runCommand('echo out; echo err >&2; exit 3', {}, logger);
      expect(result).toEqual({ code: 3, timedOut: false, stopped: false });
      expect(logger.lines.sort()).toEqual(['err', 'out']);
    },
    TIMEOUT_MS,
  );

  it(
    'on abort kills the whole process group, background children included',
    async () => {
      const dir = mkdtempSync(join(tmpdir(), 'gp-watchdog-'));
      try {
        const controller = new AbortController();
        const logger = new MemoryLogger();
        const running = runCommand(`sleep 60 & echo $! > ${dir}/child; echo $$ > ${dir}/self; wait`, {}, logger, {
          signal: controller.signal,
        });
        while (!existsSync(`${dir}/child`) || !existsSync(`${dir}/self`)) await new Promise((resolve) => setTimeout(resolve, 20));
        controller.abort();
        const result = await running;
        expect(result.stopped).toBe(true);
        expect(result.code).toBe(137);
        for (const file of ['child', 'self']) {
          const pid = Number(readFileSync(`${dir}/${file}`, 'utf8'));
          for (let i = 0; i < 100 && !gone(pid); i += 1) await new Promise((resolve) => setTimeout(resolve, 20));
          expect(gone(pid), file).toBe(true);
        }
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
    TIMEOUT_MS,
  );

  it(
    'times out by the same path',
    async () => {
      const result = await runCommand('sleep 30', {}, new MemoryLogger(), { timeoutMs: 200 });
      expect(result).toEqual({ code: 137, timedOut: true, stopped: false });
    },
    TIMEOUT_MS,
  );
});
