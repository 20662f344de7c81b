/**
 * scripts/verify, the golden-state check: this repository passes it, and a repository that breaks each rule
 * gets one ✖ line per rule with the file and line of every violation, and exit 1.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const verify = (...args: string[]) => spawnSync(process.execPath, ['scripts/verify.ts', ...args], { encoding: 'utf8' });
const scratch = mkdtempSync(join(tmpdir(), 'verify-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe('scripts/verify', () => {
  it('passes this repository, one line per rule', () => {
    const result = verify();
    expect(
      result.stdout
        .trim()
        .split('\n')
        .map((l) => l.split(/\s{2,}/)[0]),
    ).toEqual(['✔ manifest', '✔ migrations', '✔ health checks', '✔ production images', '✔ heredoc-lint']);
    expect(result.status).toBe(0);
  });

  it('names every violation of a repository that breaks each rule', () => {
    const repo = join(scratch, 'bad');
    mkdirSync(join(repo, '.github/workflows'), { recursive: true });
    mkdirSync(join(repo, 'scripts'));
    writeFileSync(
      join(repo, '.github/workflows/deploy.yml'),
      [
        'on: push',
        'jobs:',
        '  migrate:',
        '    runs-on: ubuntu-latest',
        '    steps:',
        '      - run: ssh deploy@db "python manage.py migrate"',
        '  deploy:',
        '    runs-on: ubuntu-latest',
        '    environment: production',
        '    steps:',
        '      - uses: golden-pipeline/actions/actions/deploy-container@v1',
        '        with:',
        '          image: ghcr.io/acme/app',
        '          allow-latest: true',
        '',
      ].join('\n'),
    );
    writeFileSync(join(repo, 'scripts/env.sh'), '#!/bin/bash\ncat <<EOF > .env\nA=1\n  EOF\n');
    const result = verify('--repo', repo);
    expect(result.status).toBe(1);
    const lines = result.stdout.trimEnd().split('\n');
    expect(lines.slice(0, -1)).toEqual([
      '✖ manifest           1 violation(s)',
      '    config/env.manifest.json: the manifest is missing',
      '✖ migrations         1 violation(s)',
      '    .github/workflows/deploy.yml:6: job migrate runs a migration in a run: step (manage.py migrate); migrations go through bastion-migrate',
      '✖ health checks      1 violation(s)',
      '    .github/workflows/deploy.yml:11: job deploy deploys with deploy-container but no health-check follows it',
      '✖ production images  2 violation(s)',
      '    .github/workflows/deploy.yml:11: job deploy sets allow-latest on a deploy that may reach production',
      '    .github/workflows/deploy.yml:11: job deploy deploys ghcr.io/acme/app, which is (or defaults to) latest',
      '✖ heredoc-lint       1 violation(s)',
    ]);
    expect(lines.at(-1)).toMatch(/^ {4}scripts\/env\.sh:4: HD001 the terminator line is indented/);
  });

  it('accepts a health check in a later job, and a non-production latest', () => {
    const repo = join(scratch, 'good');
    mkdirSync(join(repo, '.github/workflows'), { recursive: true });
    mkdirSync(join(repo, 'config'));
    writeFileSync(
      join(repo, 'config/env.manifest.json'),
      JSON.stringify({
        project: 'p',
        version: '3.3',
        environments: { dev: { type: 'backend', prefix: 'DEV' } },
        variables: { app: { HOST: { description: 'h' } } },
      }),
    );
    writeFileSync(
      join(repo, '.github/workflows/deploy.yml'),
      [
        'on: push',
        'jobs:',
        '  deploy:',
        '    runs-on: x',
        '    environment: dev',
        '    steps:',
        '      - uses: ./actions/deploy-container',
        '        with: { image: "registry/app:latest", allow-latest: true }',
        '  check:',
        '    needs: deploy',
        '    runs-on: x',
        '    steps:',
        '      - uses: ./actions/health-check',
        '',
      ].join('\n'),
    );
    const result = verify('--repo', repo);
    expect(result.stdout).not.toContain('✖');
    expect(result.status).toBe(0);
  });
});
