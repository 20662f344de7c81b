/**
 * Zero false positives on the real-world patterns: every block parses in bash without a here-document
 * warning, and heredoc-lint reports nothing on any of them.
 */
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { lintText } from './lint.ts';

const DIRECTORY = join(import.meta.dirname, 'realworld/.github/workflows');
const files = readdirSync(DIRECTORY)
  .filter((name) => name.endsWith('.yml'))
  .sort();
const blocks = files.flatMap((name) => {
  const workflow = parse(readFileSync(join(DIRECTORY, name), 'utf8')) as {
    jobs: Record<string, { steps: { name: string; run: string }[] }>;
  };
  return Object.values(workflow.jobs).flatMap((job) => job.steps.map((step) => ({ where: `${name} ${step.name}`, run: step.run })));
});

describe('real-world heredoc patterns', () => {
  it('hold at least 50 run: blocks with heredocs or heredoc look-alikes', () => {
    expect(blocks.length).toBeGreaterThanOrEqual(50);
    expect(blocks.filter((b) => /<<-?\s*['"\\]?[A-Za-z_]/.test(b.run)).length).toBeGreaterThanOrEqual(45);
  });

  it.each(blocks.map((b) => [b.where, b.run] as const))('%s parses in bash without a here-document warning', (_, run) => {
    const script = run.replace(/\$\{\{[^}]*\}\}/g, 'v1');
    const result = spawnSync('bash', ['--noprofile', '--norc', '-n'], { input: script, encoding: 'utf8' });
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
  });

  it.each(files)('%s: heredoc-lint reports nothing', (name) => {
    const result = lintText(name, readFileSync(join(DIRECTORY, name), 'utf8'));
    expect(result.kind).toBe('workflow');
    expect(result.findings).toEqual([]);
  });
});
