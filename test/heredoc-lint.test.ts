/**
 * heredoc-lint shipped twice: the committed action bundle run the way the runner runs it, and the
 * `heredoc-lint` package bin run as a user runs it (npx / pre-commit), on a workspace of real files.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { runAction } from '#runner/index';
import { realShapedWorkflows } from '../bench/realshaped.ts';

const ACTION = resolve('actions/heredoc-lint');
const BIN = resolve('packages/cli/bin/heredoc-lint.cjs');
const CORPUS = resolve('packages/engines/heredoc/corpus');
const BROKEN_WORKFLOW = [
  'on: push',
  'jobs:',
  '  deploy:',
  '    runs-on: ubuntu-latest',
  '    steps:',
  '      - run: |',
  "          cat <<- 'EOF' > backend.env",
  '          \tKEY=${{ secrets.DJANGO_SECRET_KEY }}',
  '          \tEOF  # Tab-indented, allowed with <<-',
  '          echo deployed',
  '',
].join('\n');
const CLEAN_SCRIPT = "#!/usr/bin/env bash\ncat <<'EOF'\nok\nEOF\n";

let workspace: string;
const roots: string[] = [];
afterAll(() => {
  for (const root of roots) rmSync(root, { recursive: true, force: true });
});
beforeEach(() => {
  workspace = mkdtempSync(join(tmpdir(), 'heredoc-ws-'));
  roots.push(workspace);
  mkdirSync(join(workspace, '.github/workflows'), { recursive: true });
  mkdirSync(join(workspace, 'scripts'));
});

const write = (path: string, content: string) => writeFileSync(join(workspace, path), content);
const cli = (...args: string[]) => spawnSync(process.execPath, [BIN, ...args], { cwd: workspace, encoding: 'utf8' });

describe('heredoc-lint action bundle', () => {
  it('annotates the offending line of a broken workflow, sets the outputs and fails the step', async () => {
    write('.github/workflows/deploy.yml', BROKEN_WORKFLOW);
    write('scripts/ok.sh', CLEAN_SCRIPT);
    const { main } = await runAction(ACTION, { cwd: workspace });
    expect(main.exitCode).toBe(1);
    const annotations = main.commands.filter((c) => (c.command === 'error' || c.command === 'warning') && c.properties.file);
    expect(annotations.map((a) => [a.properties.file, a.properties.line, a.properties.col, a.properties.title])).toEqual([
      ['.github/workflows/deploy.yml', '7', '19', 'heredoc-lint HD021 expression-with-common-delimiter'],
      ['.github/workflows/deploy.yml', '9', '17', 'heredoc-lint HD004 terminator-trailing-comment'],
    ]);
    expect(main.outputs).toEqual({ findings: '2', errors: '1', warnings: '1', files: '2' });
    expect(main.summary).toContain('| `.github/workflows/deploy.yml:9:17` | HD004 | error |');
    expect(main.commands.find((c) => c.command === 'error' && !c.properties.file)?.message).toMatch(
      /heredoc-lint found 2 heredoc problem\(s\) at or above warning; the first: .*deploy\.yml:7:19 HD021/,
    );
  });

  it('passes a clean repository and writes SARIF 2.1.0 when asked', async () => {
    write(
      '.github/workflows/ci.yml',
      'on: push\njobs:\n  a:\n    runs-on: x\n    steps:\n      - run: |\n          cat <<EOF\n          ok\n          EOF\n',
    );
    write('scripts/ok.sh', CLEAN_SCRIPT);
    const { main } = await runAction(ACTION, { cwd: workspace, inputs: { 'sarif-file': 'reports/heredoc.sarif' } });
    expect(main.exitCode).toBe(0);
    expect(main.outputs.findings).toBe('0');
    const sarif = JSON.parse(readFileSync(join(workspace, 'reports/heredoc.sarif'), 'utf8'));
    expect(sarif.version).toBe('2.1.0');
    expect(sarif.runs[0].tool.driver.name).toBe('heredoc-lint');
    expect(sarif.runs[0].results).toEqual([]);
  });

  it('fails only at or above fail-on', async () => {
    write('.github/workflows/deploy.yml', BROKEN_WORKFLOW.replace('  # Tab-indented, allowed with <<-', ''));
    const warningOnly = await runAction(ACTION, { cwd: workspace, inputs: { 'fail-on': 'error' } });
    expect(warningOnly.main.exitCode).toBe(0);
    expect(warningOnly.main.outputs).toMatchObject({ findings: '1', warnings: '1', errors: '0' });
    const strict = await runAction(ACTION, { cwd: workspace, inputs: { 'fail-on': 'warning' } });
    expect(strict.main.exitCode).toBe(1);
  });

  it('names the input when an input is bad, and changes nothing', async () => {
    const badFormat = await runAction(ACTION, { cwd: workspace, inputs: { format: 'xml' } });
    expect(badFormat.main.exitCode).toBe(1);
    expect(badFormat.main.stdout).toMatch(/::error::.*format/);
    const badPath = await runAction(ACTION, { cwd: workspace, inputs: { paths: 'no/such/file.yml' } });
    expect(badPath.main.exitCode).toBe(1);
    expect(badPath.main.stdout).toMatch(/::error::.*paths.*no\/such\/file\.yml: no such file or directory/);
    const typo = await runAction(ACTION, { cwd: workspace, inputs: { paths: '.github/workflow/*.yml' } });
    expect(typo.main.exitCode).toBe(1);
    expect(typo.main.stdout).toContain("::error::Input 'paths': .github/workflow/*.yml matches no file");
    const badFailOn = await runAction(ACTION, { cwd: workspace, inputs: { 'fail-on': 'fatal' } });
    expect(badFailOn.main.stdout).toMatch(/::error::Input 'fail-on': expected one of error, warning, info, got 'fatal'/);
    write('blocker', 'a file where the SARIF folder should be');
    const badSarif = await runAction(ACTION, { cwd: workspace, inputs: { 'sarif-file': 'blocker/heredoc.sarif' } });
    expect(badSarif.main.exitCode).toBe(1);
    expect(badSarif.main.stdout).toMatch(/::error::Input 'sarif-file': cannot write blocker\/heredoc\.sarif: /);
    const badScriptInput = await runAction(ACTION, { cwd: workspace, inputs: { 'script-inputs': 'acme/remote-run' } });
    expect(badScriptInput.main.exitCode).toBe(1);
    expect(badScriptInput.main.stdout).toMatch(/::error::Input 'script-inputs': "acme\/remote-run" is not ACTION:INPUT/);
    const badScriptCommand = await runAction(ACTION, { cwd: workspace, inputs: { 'script-commands': 'rm -rf /' } });
    expect(badScriptCommand.main.exitCode).toBe(1);
    expect(badScriptCommand.main.stdout).toMatch(/::error::Input 'script-commands': "rm -rf \/" is not a command name/);
  });

  it('lints the with: inputs of actions that run shell, ssh-action by default, others when named, at their YAML line:column', async () => {
    write(
      '.github/workflows/remote.yml',
      [
        'on: push',
        'jobs:',
        '  a:',
        '    runs-on: ubuntu-latest',
        '    steps:',
        '      - uses: appleboy/ssh-action@v1',
        '        with:',
        '          script: |',
        '            cat > app.env <<EOF',
        '            A=1',
        '             EOF',
        '      - uses: acme/remote-run@v2',
        '        with:',
        '          command: |',
        '            my-remote-shell prod <<EOF',
        '            cat > x <<EOF',
        '            y',
        '            EOF',
        '            EOF',
        '',
      ].join('\n'),
    );
    const defaults = await runAction(ACTION, { cwd: workspace });
    const annotations = (run: typeof defaults) =>
      run.main.commands
        .filter((c) => c.command === 'error' && c.properties.line)
        .map((c) => `${c.properties.line}:${c.properties.col} ${c.properties.title}`);
    expect(annotations(defaults)).toEqual(['11:13 heredoc-lint HD001 indented-terminator']);
    const named = await runAction(ACTION, {
      cwd: workspace,
      inputs: { 'script-inputs': 'acme/remote-run:command', 'script-commands': 'my-remote-shell' },
    });
    expect(annotations(named)).toEqual([
      '11:13 heredoc-lint HD001 indented-terminator',
      '16:21 heredoc-lint HD015 nested-script-delimiter-reuse',
    ]);
    // The same from the command line, with the flags.
    expect(cli('.github/workflows/remote.yml').stdout).not.toContain('HD015');
    const flagged = cli('--script-input', 'acme/remote-run:command', '--script-command', 'my-remote-shell', '.github/workflows/remote.yml');
    expect(flagged.stdout).toContain(
      '.github/workflows/remote.yml:16:21 HD015 error: the inner <<EOF reuses the delimiter of the outer <<EOF at 15:34',
    );
    expect(flagged.status).toBe(1);
    expect(cli('--script-input', 'nocolon').status).toBe(2);
    const badCommand = cli('--script-command', 'a b');
    expect(badCommand.status).toBe(2);
    expect(badCommand.stderr).toContain('--script-command takes a command name, not "a b"');
  });
});

describe('heredoc-lint command (package bin)', () => {
  it('exits 0 on clean files, 1 on findings, 2 on a usage or I/O error', () => {
    write('scripts/ok.sh', CLEAN_SCRIPT);
    expect(cli('scripts/ok.sh').status).toBe(0);
    write('.github/workflows/deploy.yml', BROKEN_WORKFLOW);
    const findings = cli();
    expect(findings.status).toBe(1);
    expect(findings.stdout).toContain('.github/workflows/deploy.yml:9:17 HD004 error: the terminator line has a comment after EOF');
    expect(findings.stdout).toContain('  fix: move the comment to its own line, or remove it');
    expect(cli('--format', 'yaml').status).toBe(2);
    expect(cli('--bogus').status).toBe(2);
    const missing = cli('missing.sh');
    expect(missing.status).toBe(2);
    expect(missing.stderr).toContain('cannot read missing.sh: no such file or directory');
    // A named glob that matches nothing is a typo, not a clean run; a usage error is its one line.
    const typo = cli('.github/workflow/*.yml');
    expect([typo.status, typo.stderr]).toEqual([2, 'heredoc-lint: .github/workflow/*.yml matches no file\n']);
    expect(cli('--bogus').stderr).toBe('heredoc-lint: unknown option --bogus (heredoc-lint --help for usage)\n');
  });

  it("runs on the machine's own Node 20 as on Node 24: globs, excluded folders, exit codes", () => {
    // A consumer's pre-commit hook runs the bin on whatever Node it has; this machine's system Node is 20.
    const node20 = '/usr/bin/node';
    expect(spawnSync(node20, ['--version'], { encoding: 'utf8' }).stdout).toMatch(/^v20\./);
    write('scripts/ok.sh', CLEAN_SCRIPT);
    mkdirSync(join(workspace, 'node_modules/dep'), { recursive: true });
    write('node_modules/dep/broken.sh', 'cat <<EOF\nnever closed\n');
    write('.github/workflows/deploy.yml', BROKEN_WORKFLOW);
    for (const node of [node20, process.execPath]) {
      const run = (...args: string[]) => spawnSync(node, [BIN, ...args], { cwd: workspace, encoding: 'utf8' });
      expect(run('scripts/*.sh').status, node).toBe(0);
      const all = run('**/*.sh', '.github/workflows/*.yml');
      expect(all.status, `${node}: ${all.stderr}`).toBe(1);
      expect(all.stdout).toContain('.github/workflows/deploy.yml:9:17 HD004');
      expect(all.stdout).not.toContain('node_modules');
      expect(run('--bogus').status).toBe(2);
    }
  });

  it('.pre-commit-hooks.yaml: each hook runs its entry as pre-commit does (language: script, from the repository)', () => {
    const hooks = parseYaml(readFileSync('.pre-commit-hooks.yaml', 'utf8')) as Array<{
      id: string;
      entry: string;
      language: string;
      pass_filenames?: boolean;
    }>;
    expect(hooks.map((hook) => hook.id)).toEqual(['heredoc-lint', 'audit-secrets']);
    write('.github/workflows/deploy.yml', BROKEN_WORKFLOW);
    for (const hook of hooks) {
      expect(hook.language).toBe('script');
      const [file, ...args] = hook.entry.split(' ');
      // pre-commit runs the entry from the hook repository's clone, in the user's repository, with the files after it.
      const run = spawnSync(resolve(file!), [...args, ...(hook.pass_filenames === false ? [] : ['.github/workflows/deploy.yml'])], {
        cwd: workspace,
        encoding: 'utf8',
      });
      if (hook.id === 'heredoc-lint') {
        expect(run.status, run.stderr).toBe(1);
        expect(run.stdout).toContain('deploy.yml:9:17 HD004');
      } else {
        expect(run.status, run.stderr).toBe(2); // no manifest in this workspace: a usage error, said so
        expect(run.stderr).toMatch(/manifest/);
      }
    }
  });

  it('gives an unreadable file a clear error and exit 2', () => {
    if (process.getuid?.() === 0) {
      // root reads any file it can open; /proc/self/mem is a file whose read fails for everyone.
      const result = cli('/proc/self/mem');
      expect(result.status).toBe(2);
      expect(result.stderr).toMatch(/^heredoc-lint: cannot read \/proc\/self\/mem: /);
      return;
    }
    write('scripts/secret.sh', CLEAN_SCRIPT);
    chmodSync(join(workspace, 'scripts/secret.sh'), 0);
    const result = cli('scripts/secret.sh');
    expect(result.status).toBe(2);
    expect(result.stderr).toMatch(/cannot read scripts\/secret\.sh/);
  });

  it('prints JSON and GitHub annotations in the documented shapes', () => {
    write('.github/workflows/deploy.yml', BROKEN_WORKFLOW);
    const json = JSON.parse(cli('--format', 'json').stdout);
    expect(Object.keys(json)).toEqual(['findings']);
    expect(json.findings[1]).toEqual({
      file: '.github/workflows/deploy.yml',
      line: 9,
      column: 17,
      rule: 'HD004',
      severity: 'error',
      message: expect.stringContaining('comment after EOF'),
      fix: 'move the comment to its own line, or remove it',
    });
    const github = cli('--format=github').stdout.trim().split('\n');
    expect(github[1]).toMatch(
      /^::error file=\.github\/workflows\/deploy\.yml,line=9,col=17,title=heredoc-lint HD004 terminator-trailing-comment::/,
    );
  });

  it('--fix repairs what is mechanical, byte for byte elsewhere, and a second lint finds nothing fixable', () => {
    cpSync(join(CORPUS, 'trailing-comment.sh'), join(workspace, 'scripts/a.sh'));
    write('.github/workflows/deploy.yml', BROKEN_WORKFLOW);
    const fixed = cli('--fix', 'scripts/a.sh', '.github/workflows/deploy.yml');
    expect(fixed.stderr).toContain('fixed 2 finding(s) in 2 file(s)');
    expect(readFileSync(join(workspace, 'scripts/a.sh'), 'utf8')).toBe(
      readFileSync(join(CORPUS, 'trailing-comment.sh'), 'utf8').replace('EOF # end', 'EOF'),
    );
    expect(readFileSync(join(workspace, '.github/workflows/deploy.yml'), 'utf8')).toBe(
      BROKEN_WORKFLOW.replace('\tEOF  # Tab-indented, allowed with <<-', '\tEOF'),
    );
    // What is left is the common-delimiter warning, which needs a human to pick a delimiter.
    const again = JSON.parse(cli('--format', 'json', 'scripts/a.sh', '.github/workflows/deploy.yml').stdout);
    expect(again.findings.map((f: { rule: string }) => f.rule)).toEqual(['HD021']);
  });

  it('lints a large tree on several threads (--jobs) with the same findings and fixes as on one', () => {
    // 5.7 MiB of real-shaped workflows (over 2 MiB a thread) and the corpus, with its fixable cases, beside them.
    for (const file of realShapedWorkflows(876)) write(`.github/workflows/${file.name}`, file.content);
    cpSync(CORPUS, join(workspace, 'scripts/corpus'), { recursive: true });
    const twin = `${workspace}-twin`;
    roots.push(twin);
    cpSync(workspace, twin, { recursive: true });
    const lintFix = (cwd: string, jobs: string) =>
      spawnSync(process.execPath, [BIN, '--fix', '--jobs', jobs, '.'], { cwd, encoding: 'utf8', timeout: 60_000 });
    const alone = lintFix(twin, '1');
    const spread = lintFix(workspace, '2');
    expect(spread.stderr).toMatch(/finding\(s\) in \d+ file\(s\) on 2 threads/);
    expect(alone.stderr).not.toContain('threads');
    expect(spread.status).toBe(alone.status);
    expect(spread.stdout).toBe(alone.stdout);
    expect(spread.stderr.replace(' on 2 threads', '')).toBe(alone.stderr);
    expect(alone.stderr).toMatch(/fixed [1-9]\d* finding\(s\)/);
    const tree = (root: string) =>
      readdirSync(root, { recursive: true, withFileTypes: true })
        .filter((entry) => entry.isFile())
        .map((entry) => join(relative(root, entry.parentPath), entry.name))
        .sort()
        .map((path) => [path, readFileSync(join(root, path), 'utf8')]);
    expect(tree(workspace)).toEqual(tree(twin));
    expect(cli('--jobs', '0').stderr).toContain('--jobs takes a number of threads from 1 to 9999, not "0"');
    expect(cli('--jobs', 'two').status).toBe(2);
  });

  it('leaves out what .heredoc-lintignore names, unless a file is named on the command line', () => {
    mkdirSync(join(workspace, 'fixtures'));
    cpSync(join(CORPUS, 'trailing-comment.sh'), join(workspace, 'fixtures/broken.sh'));
    write('scripts/ok.sh', CLEAN_SCRIPT);
    expect(cli('.').status).toBe(1);
    write('.heredoc-lintignore', '# broken on purpose\nfixtures/**\n');
    const ignored = cli('.');
    expect(ignored.stderr).toContain('0 finding(s) in 1 file(s)');
    expect(ignored.status).toBe(0);
    expect(cli('fixtures/broken.sh').status).toBe(1);
  });

  it('lints this repository’s own workflows, actions and scripts clean (dogfooding)', () => {
    const result = spawnSync(process.execPath, [BIN, '.github/workflows', 'actions', 'scripts', '.ci'], { encoding: 'utf8' });
    expect(result.stdout).toBe('');
    expect(result.status).toBe(0);
  });
});
