import { describe, expect, it } from 'vitest';
import { failureSummary, MAX_PLAN_CHARS, type MigrationReport, planBlock, successSummary } from './summary.ts';

const report: MigrationReport = {
  bastion: 'bastion.example',
  database: { host: '10.0.0.5', port: 5432, database: 'shop', user: 'app', password: 'pw' },
  lockWaitMs: 12,
  attempts: 1,
};
const blocked = {
  pid: 77,
  lock: 'AccessExclusiveLock on public.orders',
  since: 't',
  waitedMs: 1980,
  queuedBehind: 31,
  blockers: [
    {
      pid: 4242,
      user: 'app',
      applicationName: 'report|daily',
      state: 'idle in transaction',
      transactionMs: 25_000,
      query: 'SELECT `a` | b',
    },
    { pid: 5, user: 'etl', applicationName: 'nightly' },
  ],
};

describe('the plan block', () => {
  it("is a collapsed block of check-command's lines in a fence no line can close", () => {
    expect(planBlock(['Operations to perform:', '  Apply all migrations: core', '```'])).toBe(
      '<details><summary>Plan: what check-command printed (3 lines)</summary>\n\n' +
        '````text\nOperations to perform:\n  Apply all migrations: core\n```\n````\n\n</details>\n\n',
    );
  });
  it('keeps a long plan within the summary, saying how many lines the log has beyond it', () => {
    const lines = Array.from({ length: 5000 }, (_, i) => `${String(i).padStart(5, '0')} ${'x'.repeat(40)}`);
    const block = planBlock(lines);
    expect(block.length).toBeLessThan(MAX_PLAN_CHARS + 300);
    const shown = block.split('\n').filter((line) => /^\d{5} x+$/.test(line)).length;
    expect(block).toContain(`\n… ${5000 - shown} more line(s) in the step's log\n`);
    expect(block).toContain('(5000 lines)');
  });
});

describe('the run in the summary', () => {
  it('says where it migrated, and how often the command ran', () => {
    expect(successSummary(report)).toBe(
      '## ✅ Migration through bastion.example done\n\nDatabase shop on 10.0.0.5:5432 as the bastion sees it; the migration lock waited 12 ms.\n',
    );
    expect(successSummary({ ...report, attempts: 3 })).toContain('the command ran 3 times (lock retries)');
  });
  it('gives a failure its sentence, and a lock failure a table of the blocking sessions', () => {
    expect(failureSummary(report, 'check-command failed; nothing was migrated (exit 4)')).toBe(
      '## ❌ Migration through bastion.example failed\n\nCheck-command failed; nothing was migrated (exit 4).\n\n' +
        'Database shop on 10.0.0.5:5432 as the bastion sees it.\n',
    );
    const text = failureSummary({ ...report, blocked }, 'the migration command could not get a lock');
    expect(text).toContain(
      'Session 77 waited 2.0 s for AccessExclusiveLock on public.orders, with 31 other session(s) queued behind it. Blocking sessions:\n\n' +
        '| pid | user | application_name | state | transaction open | query |\n| --- | --- | --- | --- | --- | --- |\n' +
        "| 4242 | app | report\\|daily | idle in transaction | 25.0 s | `SELECT 'a' \\| b` |\n" +
        '| 5 | etl | nightly | (hidden) | – | – |\n',
    );
    expect(failureSummary({ ...report, blocked: { ...blocked, blockers: [] } }, 'x')).toContain(
      'queued behind it. The blocking session had gone before it could be seen.\n',
    );
  });
});
