#!/usr/bin/env node
/**
 * The golden-state check for a repository that uses these actions: one line per rule, exit 1 on any violation.
 *
 *   npm run verify -- [--repo DIR] [--manifest config/env.manifest.json]
 *
 * Rules: the manifest is present and valid; migrations go only through bastion-migrate; a health check follows
 * every deploy; nothing that may reach production deploys latest; heredoc-lint is clean on the workflows,
 * action.yml files and the scripts under scripts/ and .github/.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { parseCommandLine } from '#args/index';
import { expandPaths } from '#heredoc/files';
import { lintFiles, nodeFileAccess } from '#heredoc/run';
import { ManifestError, parseManifest } from '#audit/load';
import {
  healthCheckAfterEveryDeploy,
  type Job,
  migrationsOnlyThroughBastion,
  noLatestInProduction,
  readJobs,
  type Violation,
} from '#verify/rules';

let values: { repo?: string; manifest?: string };
try {
  ({ values } = parseCommandLine(process.argv.slice(2), { repo: { type: 'string' }, manifest: { type: 'string' } }));
} catch (error) {
  console.error(`verify: ${(error as Error).message}\nusage: node scripts/verify.ts [--repo DIR] [--manifest FILE]`);
  process.exit(2);
}
const repo = resolve(values.repo || process.cwd());
const manifestPath = values.manifest || 'config/env.manifest.json';
if (!existsSync(repo)) {
  console.error(`verify: no such directory ${repo}`);
  process.exit(2);
}

interface Outcome {
  rule: string;
  ok: string;
  violations: Violation[];
}
const outcomes: Outcome[] = [];

// The manifest.
const manifestFile = join(repo, manifestPath);
if (!existsSync(manifestFile)) {
  outcomes.push({ rule: 'manifest', ok: '', violations: [{ file: manifestPath, line: 0, message: 'the manifest is missing' }] });
} else {
  try {
    const manifest = parseManifest(manifestPath, readFileSync(manifestFile, 'utf8'));
    const variables = Object.values(manifest.data.variables).reduce((n, group) => n + Object.keys(group).length, 0);
    outcomes.push({
      rule: 'manifest',
      ok: `${manifestPath} is valid (${Object.keys(manifest.data.environments).length} environments, ${variables} variables)`,
      violations: [],
    });
  } catch (error) {
    if (!(error instanceof ManifestError)) throw error;
    outcomes.push({
      rule: 'manifest',
      ok: '',
      violations: error.problems.map((p) => ({
        file: manifestPath,
        line: p.position.line,
        message: `${p.path || '(root)'}: ${p.message}`,
      })),
    });
  }
}

// The workflows.
const workflowDir = join(repo, '.github/workflows');
const workflowFiles = existsSync(workflowDir)
  ? readdirSync(workflowDir)
      .filter((f) => /\.ya?ml$/.test(f))
      .sort()
      .map((f) => join('.github/workflows', f))
  : [];
const jobs: Job[] = [];
const parseErrors: Violation[] = [];
for (const file of workflowFiles) {
  const read = readJobs(file, readFileSync(join(repo, file), 'utf8'));
  if (Array.isArray(read)) jobs.push(...read);
  else parseErrors.push(read);
}
const deploys = jobs.flatMap((j) => j.steps).filter((s) => /(^|\/)deploy-container(@|$)/.test(s.uses ?? '')).length;
outcomes.push({
  rule: 'migrations',
  ok: `only through bastion-migrate (${workflowFiles.length} workflow files)`,
  violations: [...parseErrors, ...migrationsOnlyThroughBastion(jobs)],
});
outcomes.push({
  rule: 'health checks',
  ok: `every deploy is followed by one (${deploys} deploys)`,
  violations: healthCheckAfterEveryDeploy(jobs),
});
outcomes.push({
  rule: 'production images',
  ok: 'nothing that may reach production deploys latest',
  violations: noLatestInProduction(jobs),
});

// heredoc-lint on the deploy surface.
const lintTargets = [
  '.github/workflows/*.yml',
  '.github/workflows/*.yaml',
  '**/action.yml',
  '**/action.yaml',
  'scripts/**/*.sh',
  '.github/**/*.sh',
];
const files = expandPaths(lintTargets, repo);
const lint = lintFiles(files, nodeFileAccess(repo), { fix: false });
outcomes.push({
  rule: 'heredoc-lint',
  ok: `clean (${lint.results.filter((r) => r.kind !== 'skipped').length} files)`,
  violations: lint.findings.map((f) => ({ file: f.file, line: f.line, message: `${f.rule} ${f.message}` })),
});

const width = Math.max(...outcomes.map((o) => o.rule.length));
for (const outcome of outcomes) {
  if (outcome.violations.length === 0) {
    console.log(`✔ ${outcome.rule.padEnd(width)}  ${outcome.ok}`);
    continue;
  }
  console.log(`✖ ${outcome.rule.padEnd(width)}  ${outcome.violations.length} violation(s)`);
  for (const v of outcome.violations) console.log(`    ${relative(repo, join(repo, v.file))}${v.line ? `:${v.line}` : ''}: ${v.message}`);
}
process.exitCode = outcomes.some((o) => o.violations.length > 0) ? 1 : 0;
