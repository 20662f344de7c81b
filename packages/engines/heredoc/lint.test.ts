import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { applyEdits, type Finding, lintText } from './lint.ts';
import { LineIndex } from '#text/lines';
import { lintFiles, type FileAccess } from './run.ts';

const CORPUS = join(import.meta.dirname, 'corpus');
const corpus = (function list(directory: string): string[] {
  return readdirSync(directory, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? list(join(directory, e.name)) : [join(directory, e.name)],
  );
})(CORPUS)
  .sort()
  .map((path) => ({ name: relative(CORPUS, path), content: readFileSync(path, 'utf8') }));

function charAt(content: string, finding: Finding): string {
  return content.split('\n')[finding.line - 1]!.slice(finding.column - 1);
}

/** What each rule's position must point at, read from the file at line:column. */
const POINTS_AT: Record<string, RegExp> = {
  HD001: /^[ \t]+\S/,
  HD002: /^[ \t]+\S/,
  HD003: /^[ \t]+\r?$/,
  HD004: /^#/,
  HD005: /^[;|&)a-z]/i,
  HD006: /^['"]/,
  HD007: /^\r$/,
  HD008: /^[a-z]/i,
  HD009: /^<</,
  HD010: /^\S/,
  HD011: /^<</,
  HD012: /^\\$/,
  HD013: /^<</,
  HD014: /^\)/,
  HD015: /^<</,
  HD016: /^\S/,
  HD020: /^\$\{\{/,
  HD021: /^['"\\]?[A-Za-z_]/,
  HD022: /^\$\{\{/,
};

describe('positions', () => {
  const all = corpus.flatMap(({ name, content }) => lintText(name, content).findings.map((finding) => ({ finding, content })));

  it('cover every rule the corpus triggers', () => {
    expect(new Set(all.map((a) => a.finding.rule)).size).toBeGreaterThanOrEqual(15);
  });

  it.each(all.map((a) => [`${a.finding.file}:${a.finding.line}:${a.finding.column} ${a.finding.rule}`, a] as const))(
    '%s points at the offending character in the file',
    (_, { finding, content }) => {
      expect(charAt(content, finding)).toMatch(POINTS_AT[finding.rule]!);
    },
  );

  it('maps a workflow finding to the YAML line and column, not the run: key', () => {
    const workflow = [
      'on: push',
      'jobs:',
      '  deploy:',
      '    runs-on: ubuntu-latest',
      '    steps:',
      '      - name: write env',
      '        run: |',
      '          cat <<EOF > app.env',
      '          A=1',
      '          EOF # done',
      '          echo ok',
      '',
    ].join('\n');
    const [finding] = lintText('deploy.yml', workflow).findings;
    expect(finding).toMatchObject({ rule: 'HD004', line: 10, column: 15 });
  });

  it('maps findings in a |2 block, where the block indentation is given, not guessed', () => {
    const [finding] = lintText(
      'w.yml',
      'jobs:\n  a:\n    steps:\n      - run: |2\n            cat <<EOF\n            x\n            EOF\n',
    ).findings;
    expect(finding).toMatchObject({ rule: 'HD001', line: 7, column: 11 });
  });
});

describe('--fix', () => {
  const memory = (files: Record<string, string>): FileAccess & { files: Record<string, string> } => ({
    files,
    read: (path) => {
      if (!(path in files)) throw new Error('ENOENT');
      return files[path]!;
    },
    write: (path, content) => {
      files[path] = content;
    },
  });

  it.each(corpus.map((c) => [c.name, c] as const))(
    '%s: after a fix nothing fixable is left, and unfixed lines are unchanged',
    (_, { name, content }) => {
      const before = lintText(name, content);
      const access = memory({ [name]: content });
      lintFiles([name], access, { fix: true });
      const fixed = access.files[name]!;
      expect(lintText(name, fixed).edits.filter(Boolean)).toEqual([]);
      const lines = new LineIndex(content);
      const edits = before.edits.flatMap((group) => group ?? []);
      const touched = new Set(edits.map((e) => lines.position(e.start).line));
      // A fix may add lines (an env: entry): every other line keeps its text, shifted by the lines added above it.
      const addedBy = edits.map((e) => ({
        line: lines.position(e.start).line,
        added: e.text.split('\n').length - content.slice(e.start, e.end).split('\n').length,
      }));
      const oldLines = content.split('\n');
      const newLines = fixed.split('\n');
      expect(newLines.length).toBe(oldLines.length + addedBy.reduce((sum, e) => sum + e.added, 0));
      oldLines.forEach((line, i) => {
        const shift = addedBy.filter((e) => e.line < i + 1).reduce((sum, e) => sum + e.added, 0);
        if (!touched.has(i + 1)) expect(newLines[i + shift], `line ${i + 1}`).toBe(line);
      });
    },
  );

  it('fixes what a fix uncovers in the same run, and counts every fix', () => {
    // The indented terminator swallows the second heredoc; only once it is fixed does that one's comment show.
    const broken = 'cat <<EOF > a\nx\n  EOF\ncat <<EOF > b\ny\nEOF # end\necho done\n';
    expect(lintText('s.sh', broken).findings.map((f) => f.rule)).toEqual(['HD001']);
    const access = memory({ 's.sh': broken });
    const run = lintFiles(['s.sh'], access, { fix: true });
    expect(access.files['s.sh']).toBe('cat <<EOF > a\nx\nEOF\ncat <<EOF > b\ny\nEOF\necho done\n');
    expect(run.fixed).toBe(2);
    expect(run.findings).toEqual([]);
    expect(lintFiles(['s.sh'], access, { fix: true }).fixed).toBe(0);
  });

  it('rewrites exactly the mechanical cases', () => {
    const cases: [string, string, string][] = [
      ['indent.sh', 'cat <<EOF\nx\n  EOF\n', 'cat <<EOF\nx\nEOF\n'],
      ['spaces.sh', 'cat <<-EOF\n\tx\n    EOF\n', 'cat <<-EOF\n\tx\nEOF\n'],
      ['blanks.sh', 'cat <<EOF\nx\nEOF \t\n', 'cat <<EOF\nx\nEOF\n'],
      ['comment.sh', 'cat <<EOF\nx\nEOF  # end\n', 'cat <<EOF\nx\nEOF\n'],
      ['quoted.sh', "cat <<'EOF'\nx\n'EOF'\n", "cat <<'EOF'\nx\nEOF\n"],
      [
        'nested.sh',
        "ssh deploy@host bash <<EOF\ncat > app.env <<'EOF'\nA=1\nEOF\nsystemctl restart app\nEOF\n",
        "ssh deploy@host bash <<EOF\ncat > app.env <<'EOF_INNER'\nA=1\nEOF_INNER\nsystemctl restart app\nEOF\n",
      ],
      [
        'nested.yml',
        'jobs:\n  a:\n    steps:\n      - run: |\n          docker exec -i web sh <<EOF\n          cat > /x <<EOF\n          y\n          EOF\n          EOF\n',
        'jobs:\n  a:\n    steps:\n      - run: |\n          docker exec -i web sh <<EOF\n          cat > /x <<EOF_INNER\n          y\n          EOF_INNER\n          EOF\n',
      ],
      [
        'w.yml',
        'jobs:\n  a:\n    steps:\n      - run: |\n          cat <<ENV_Q > a\n          T=${{ secrets.T }}\n          ENV_Q\n',
        "jobs:\n  a:\n    steps:\n      - run: |\n          cat <<'ENV_Q' > a\n          T=${{ secrets.T }}\n          ENV_Q\n",
      ],
    ];
    for (const [name, input, expected] of cases) {
      const access = memory({ [name]: input });
      const run = lintFiles([name], access, { fix: true });
      expect(access.files[name], name).toBe(expected);
      expect(run.fixed, name).toBeGreaterThan(0);
    }
  });

  describe('event data (HD022): the value moves to env:, or the finding stays without a fix', () => {
    const fixed = (input: string, name = 'w.yml') => {
      const access = memory({ [name]: input });
      lintFiles([name], access, { fix: true });
      return access.files[name]!;
    };
    const step = (lines: string) => `on: issues\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n${lines}`;

    it('makes an env: before run:, unquotes the delimiter, and expands the variable', () => {
      const input = step("      - run: |\n          cat <<'NOTE' > n.md\n          ${{ github.event.issue.title }}\n          NOTE\n");
      expect(fixed(input)).toBe(
        step(
          '      - env:\n          ISSUE_TITLE: ${{ github.event.issue.title }}\n        run: |\n          cat <<NOTE > n.md\n          ${ISSUE_TITLE}\n          NOTE\n',
        ),
      );
    });

    it("adds to the step's own env:, keeps a CRLF file CRLF, and quotes a value YAML would misread", () => {
      const input = step(
        "      - name: x\n        env:\n          A: 1\n        run: |\n          cat <<EOF > n\n          ${{ github.event.issue.body || 'none: given' }} $A\n          EOF\n",
      ).replace(/\n/g, '\r\n');
      expect(fixed(input)).toBe(
        step(
          "      - name: x\n        env:\n          ISSUE_BODY: '${{ github.event.issue.body || ''none: given'' }}'\n          A: 1\n        run: |\n          cat <<EOF > n\n          ${ISSUE_BODY} $A\n          EOF\n",
        ).replace(/\n/g, '\r\n'),
      );
    });

    it('numbers a name the script or the step uses already', () => {
      const input = step(
        '      - env:\n          HEAD_REF: main\n        run: |\n          cat <<EOF > n\n          ${{ github.head_ref }} $HEAD_REF\n          EOF\n',
      );
      expect(fixed(input)).toContain('HEAD_REF_2: ${{ github.head_ref }}\n          HEAD_REF: main');
      expect(fixed(input)).toContain('${HEAD_REF_2} $HEAD_REF');
    });

    it.each([
      [
        'a flow-style env:',
        '      - env: { A: 1 }\n        run: |\n          cat <<EOF > n\n          ${{ github.event.issue.title }}\n          EOF\n',
      ],
      [
        'an env: from one expression',
        '      - env: ${{ fromJSON(vars.E) }}\n        run: |\n          cat <<EOF > n\n          ${{ github.event.issue.title }}\n          EOF\n',
      ],
      [
        'a body that needs its $ literal',
        "      - run: |\n          cat <<'EOF' > n\n          $5 ${{ github.event.issue.title }}\n          EOF\n",
      ],
      [
        'a body that ssh runs as a script',
        '      - run: |\n          ssh deploy@host bash <<EOF\n          echo ${{ github.event.issue.title }}\n          EOF\n',
      ],
      [
        "ssh-action's script, which runs on the remote host",
        "      - uses: appleboy/ssh-action@v1.2.0\n        with:\n          script: |\n            cat <<'EOF' > n\n            ${{ github.event.issue.title }}\n            EOF\n",
      ],
    ])('keeps the finding and makes no fix for %s', (_, lines) => {
      const result = lintText('w.yml', step(lines));
      expect(result.findings.map((f) => f.rule)).toEqual(['HD022']);
      expect(result.edits).toEqual([undefined]);
    });

    it('says that a script for ssh runs the value as code, and that the delimiter is public', () => {
      const [remote] = lintText(
        'w.yml',
        step('      - run: |\n          ssh deploy@host bash <<EOF\n          echo ${{ github.event.issue.title }}\n          EOF\n'),
      ).findings;
      expect(remote!.message).toContain(
        'a script that bash over ssh deploy@host runs: whoever can write that value writes commands for it',
      );
      const [local] = lintText(
        'w.yml',
        step("      - run: |\n          cat <<'X_9' > n\n          ${{ github.event.issue.title }}\n          X_9\n"),
      ).findings;
      expect(local!.message).toContain('can put a line "X_9" in it, which ends the heredoc early');
      expect(local!.message).toContain('the workflow file is public');
    });

    it('makes one env: for two fixes in a step that had none, in one run, so the key is never written twice', () => {
      const input = step(
        "      - run: |\n          cat <<EOF > a\n          ${{ github.event.issue.title }}\n          EOF\n          cat <<'B' > b\n          ${{ github.event.issue.body }}\n          B\n",
      );
      const output = fixed(input);
      expect(output.match(/env:/g)).toHaveLength(1);
      expect(output).toContain(
        '      - env:\n          ISSUE_BODY: ${{ github.event.issue.body }}\n          ISSUE_TITLE: ${{ github.event.issue.title }}\n        run: |',
      );
      expect(lintText('w.yml', output).findings).toEqual([]);
    });

    it("leaves a secret beside event data to HD020, without HD020's quoting fix, which would undo HD022's", () => {
      const input = step(
        '      - run: |\n          cat <<ENV_Q > n\n          T=${{ secrets.T }} ${{ github.event.issue.title }}\n          ENV_Q\n',
      );
      const result = lintText('w.yml', input);
      expect(result.findings.map((f) => f.rule).sort()).toEqual(['HD020', 'HD022']);
      expect(result.edits.filter(Boolean)).toHaveLength(1);
      expect(fixed(input)).toContain('cat <<ENV_Q > n\n          T=${{ secrets.T }} ${ISSUE_TITLE}\n');
    });
  });

  it('does not quote a delimiter when the body relies on expansion', () => {
    const input =
      'jobs:\n  a:\n    steps:\n      - run: |\n          cat <<ENV_Q > a\n          T=${{ secrets.T }} HOME=$HOME\n          ENV_Q\n';
    const result = lintText('w.yml', input);
    expect(result.findings.map((f) => f.rule)).toEqual(['HD020']);
    expect(result.edits).toEqual([undefined]);
  });

  it('leaves a folded scalar alone: its positions are approximate', () => {
    const input = 'jobs:\n  a:\n    steps:\n      - run: >\n          cat <<EOF\n          x\n          EOF # y\n';
    expect(applyEdits(input, lintText('w.yml', input).edits).applied).toBe(0);
  });
});

describe('suppression', () => {
  it('silences the named rule on the operator line, and only that rule', () => {
    expect(lintText('s.sh', 'cat <<EOF # heredoc-lint disable=HD004\nx\nEOF # end\n').findings).toEqual([]);
    expect(lintText('s.sh', 'cat <<EOF # heredoc-lint disable=HD001\nx\nEOF # end\n').findings.map((f) => [f.rule, f.line])).toEqual([
      ['HD004', 3],
    ]);
  });

  it('accepts rule names, and a bare disable silences every rule for that line', () => {
    expect(lintText('s.sh', 'cat <<EOF\nx\nEOF # heredoc-lint disable=terminator-trailing-comment\n').findings).toEqual([]);
    expect(lintText('s.sh', 'cat <<EOF\nx\nEOF # heredoc-lint disable\n').findings).toEqual([]);
    expect(lintText('s.sh', 'cat <<EOF\nx\nEOF # heredoc-lint disable=HD001\n').findings.map((f) => f.rule)).toEqual(['HD004']);
  });
});

describe('what is read', () => {
  it('classifies by content: jobs: is a workflow, runs: an action, a shebang a script', () => {
    expect(lintText('notes.txt', 'jobs:\n  a:\n    steps:\n      - run: echo\n').kind).toBe('workflow');
    expect(lintText('notes.txt', 'just some text\n').kind).toBe('skipped');
    expect(lintText('ci.yaml', 'jobs:\n  a:\n    steps:\n      - run: echo\n').kind).toBe('workflow');
    expect(lintText('x.yml', 'runs:\n  using: composite\n  steps: []\n').kind).toBe('action');
    expect(lintText('deploy', '#!/usr/bin/env bash\ncat <<EOF\nx\n EOF\n').findings.map((f) => f.rule)).toEqual(['HD001']);
    expect(lintText('deploy', '#!/bin/sh\necho\n').kind).toBe('script');
    expect(lintText('config.yml', 'key: value\n').kind).toBe('skipped');
  });

  it('takes the shell from the step, then the job defaults, then the workflow defaults; others are not judged', () => {
    const workflow = (jobDefaults: string, stepShell: string) =>
      `defaults:\n  run:\n    shell: sh\njobs:\n  a:\n${jobDefaults}    steps:\n      - ${stepShell}run: |\n          x=$(cat <<EOF\n          y\n          EOF)\n`;
    const severity = (text: string) => lintText('w.yml', text).findings.map((f) => f.severity);
    expect(severity(workflow('', ''))).toEqual(['error']);
    expect(severity(workflow('    defaults:\n      run:\n        shell: bash\n', ''))).toEqual(['warning']);
    expect(severity(workflow('', 'shell: bash\n        '))).toEqual(['warning']);
    expect(severity(workflow('', 'shell: pwsh\n        '))).toEqual([]);
  });

  it('reports invalid YAML as a finding at its position, not a crash', () => {
    const result = lintText('.github/workflows/bad.yml', 'jobs:\n  a:\n    steps:\n      - run: "unclosed\n');
    expect(result.kind).toBe('yaml-error');
    expect(result.findings).toHaveLength(1);
    expect(result.findings[0]).toMatchObject({ rule: 'HD100', severity: 'error', line: expect.any(Number), column: expect.any(Number) });
    expect(result.findings[0]!.message).toMatch(/^invalid YAML/);
  });

  it('skips binary files', () => {
    expect(lintText('blob.sh', 'cat <<EOF\n\0\u0001').kind).toBe('skipped');
  });

  it('finishes a 10 MB script and a 10 MB workflow with the right findings', () => {
    const script = 'cat <<EOF\nbody $HOME\nEOF\n'.repeat(420_000);
    expect(script.length).toBeGreaterThan(10e6);
    expect(lintText('big.sh', script).findings).toEqual([]);
    const body = '          cat <<EOF # x\n          y\n          EOF # y\n'.repeat(250_000);
    const workflow = `jobs:\n  a:\n    steps:\n      - run: |\n${body}`;
    expect(workflow.length).toBeGreaterThan(10e6);
    const rules = lintText('big.yml', workflow).findings.map((f) => f.rule);
    expect(rules).toEqual(['HD004']);
    const oneLine = 'cat <<A <<B '.repeat(900_000);
    expect(lintText('line.sh', oneLine).findings.length).toBe(1_800_000);
  }, 60_000);
});

describe('findings that say what really happens', () => {
  const rules = (name: string, text: string) => lintText(name, text).findings.map((f) => f.rule);

  it('speaks of the step in a workflow and of the script in a .sh file', () => {
    const [step] = lintText('w.yml', 'jobs:\n  a:\n    steps:\n      - run: |\n          cat <<EOF\n          x\n').findings;
    expect(step!.message).toContain('the step still succeeds');
    const [file] = lintText('s.sh', 'cat <<EOF\nx\n').findings;
    expect(file!.message).toContain('the script goes on');
    expect(file!.message).not.toContain('step');
  });

  it('reads a ${{ }} inside shell single quotes as GitHub does: replaced before bash sees its quotes or <<', () => {
    expect(
      rules('w.yml', "jobs:\n  a:\n    steps:\n      - run: |\n          echo '${{ contains(github.ref, '<<x') }}'\n          echo ok\n"),
    ).toEqual([]);
    // Outside an expression, the same text is a real heredoc.
    expect(rules('s.sh', "echo 'a' <<x\necho ok\n")).toEqual(['HD009']);
  });

  it('blames an unterminated heredoc, not the nesting it swallowed (no HD013)', () => {
    expect(rules('s.sh', 'cat <<EOF > a\nx\ny=$(cat <<EOF\nz\n)\necho done\n')).toEqual(['HD009']);
  });

  it('names a mangled terminator that a later heredoc with the same delimiter makes look harmless', () => {
    const [finding] = lintText('s.sh', 'cat <<EOF > a\nx\nEOF_\ny=$(cat <<EOF\nz\nEOF\n)\necho done\n').findings;
    expect(finding).toMatchObject({ rule: 'HD017', line: 3, column: 1 });
    expect(finding!.message).toBe(
      'this line "EOF_" is not "EOF", so it does not end <<EOF (line 1): the heredoc runs on to line 6, the end of the EOF heredoc opened on line 4, ' +
        'and lines 2–5 are its body and never run as commands',
    );
  });

  it("reads a quoted script's ${{ }} as GitHub does, whatever quotes its string literals hold", () => {
    const script = "bash -c 'echo ${{ format('{0}', 'x') }}\ncat <<EOF > a\nx\nEOF # end\n'\necho done\n";
    expect(
      lintText('w.yml', `jobs:\n  a:\n    steps:\n      - run: |\n${script.replace(/^/gm, '          ')}`).findings.map((f) => f.rule),
    ).toEqual(['HD004']);
  });

  it('reads a ${VAR} before the operator as a word, not the start of a { } group', () => {
    expect(rules('s.sh', 'ssh ${HOST} bash <<EOF\ncat > a <<EOF\nx\nEOF\necho hi\nEOF\necho done\n')).toEqual(['HD015']);
  });

  it('keeps a true nesting (a stray terminator after it) to HD013, HD015 and HD016', () => {
    expect(rules('s.sh', 'cat <<EOF\nouter $(cat <<EOF\ninner\nEOF\n)\nEOF\necho done\n')).toEqual(['HD013']);
    expect(rules('s.sh', 'cat > d.sh <<EOF\ncat > a <<EOF\nA=1\nEOF\nchmod +x d.sh\nEOF\necho done\n')).toEqual(['HD016']);
  });
});

describe('Markdown code spans in an unquoted body (HD019)', () => {
  const rules = (script: string) => lintText('s.sh', script).findings.map((f) => f.rule);
  const body = '<<EOF\nrun `make check`\nEOF\n';

  it.each([
    ['the job summary', `cat >> "$GITHUB_STEP_SUMMARY" ${body}`],
    ['the job summary through tee', `tee -a \${GITHUB_STEP_SUMMARY} ${body}`],
    ['a .md file', `cat > docs/NOTES.md ${body}`],
    ['a pull request comment read from standard input', `gh pr comment 7 --body-file - ${body}`],
    ['an issue body through a pipe', `cat ${body.replace('\n', ' | gh issue create -t x -F -\n')}`],
  ])('is reported for %s', (_, script) => {
    expect(rules(script)).toEqual(['HD019']);
  });

  it.each([
    ['a plain text file', `cat > notes.txt ${body}`],
    ['a quoted delimiter', `cat >> "$GITHUB_STEP_SUMMARY" <<'EOF'\nrun \`make check\`\nEOF\n`],
    ['escaped backticks', 'cat >> "$GITHUB_STEP_SUMMARY" <<EOF\nrun \\`make check\\`\nEOF\n'],
    ['a $( ) written on purpose', 'cat >> "$GITHUB_STEP_SUMMARY" <<EOF\nbuilt $(date)\nEOF\n'],
  ])('is silent for %s', (_, script) => {
    expect(rules(script)).toEqual([]);
  });
});

describe('appleboy/ssh-action with script_stop (HD018)', () => {
  const step = (uses: string, stop: string) =>
    `      - uses: ${uses}\n        with:\n${stop}          script: |\n            cat <<'EOF' > app.json\n            {"a": 1}\n\n            EOF\n`;
  const workflow = (...steps: string[]) => `on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n${steps.join('')}`;

  it('is reported where the pinned version is known to be older than v1.2.0, and only with script_stop: true', () => {
    const result = lintText(
      'w.yml',
      workflow(
        step('appleboy/ssh-action@v1.0.3', '          script_stop: true\n'),
        step('appleboy/ssh-action@2451745138b602d3e100a6def50c8e4e39591d4c # v1.1.0', "          SCRIPT_STOP: 'true'\n"),
        step('appleboy/ssh-action@v1.2.0', '          script_stop: true\n'),
        step('appleboy/ssh-action@v1', '          script_stop: true\n'),
        step('appleboy/ssh-action@master', '          script_stop: true\n'),
        step('appleboy/ssh-action@v0.1.10', ''),
      ),
    );
    expect(result.findings.map((f) => [f.rule, f.line])).toEqual([
      ['HD018', 10],
      ['HD018', 18],
    ]);
    expect(result.findings[1]!.message).toMatch(
      /^appleboy\/ssh-action@2451745138b602d3e100a6def50c8e4e39591d4c \(v1\.1\.0\) with script_stop: true/,
    );
  });

  it('says what bash then writes: the check lines inside the body, the blank line gone', () => {
    const script = `cat <<'EOF' > app.json\n{"a": 1}\n\nEOF\ncat app.json\n`;
    // What ssh-action before v1.2.0 sends with script_stop: true (its issue 335): a check after every non-blank line.
    const check =
      'DRONE_SSH_PREV_COMMAND_EXIT_CODE=$? ; if [ $DRONE_SSH_PREV_COMMAND_EXIT_CODE -ne 0 ]; then exit $DRONE_SSH_PREV_COMMAND_EXIT_CODE; fi;';
    const sent = script
      .split('\n')
      .filter((line) => line !== '')
      .map((line) => `${line}\n${check}`)
      .join('\n');
    const written = spawnSync('bash', ['--noprofile', '--norc'], {
      input: sent,
      cwd: mkdtempSync(join(tmpdir(), 'hd018-')),
      encoding: 'utf8',
    });
    // The line after the operator is the body's first: the check goes in before the content, and after it.
    expect(written.stdout).toBe(`${check}\n{"a": 1}\n${check}\n`);
    expect(
      spawnSync('bash', ['--noprofile', '--norc'], { input: script, cwd: mkdtempSync(join(tmpdir(), 'hd018-')), encoding: 'utf8' }).stdout,
    ).toBe('{"a": 1}\n\n');
  });
});

describe('advice that bash agrees with', () => {
  const work = mkdtempSync(join(tmpdir(), 'heredoc-advice-'));
  const bash = (script: string, env: Record<string, string> = {}) => {
    writeFileSync(join(work, 'step.sh'), script);
    return spawnSync('bash', ['--noprofile', '--norc', '-eo', 'pipefail', 'step.sh'], {
      cwd: work,
      encoding: 'utf8',
      env: { PATH: process.env.PATH, ...env },
      timeout: 10_000,
    });
  };

  it("CircleCI's << parameters.x >>: a syntax error that fails the step, not a warning; the value itself works", () => {
    const script = 'cat << parameters.filename >>\necho DONE\n';
    const [finding] = lintText('step.sh', script).findings;
    // A .sh file: the script fails (in a workflow step it is the step).
    expect(finding!.message).toMatch(/syntax error and the script fails .*CircleCI/);
    expect(finding!.message).not.toMatch(/only warns|still succeeds/);
    expect(bash(script).status).toBe(2);
    writeFileSync(join(work, 'app.env'), 'A=1\n');
    // GitHub substitutes ${{ inputs.filename }} before bash runs; here, its value.
    const advised = bash(script.replace('<< parameters.filename >>', finding!.fix.includes('inputs.filename') ? 'app.env' : 'MISSING'));
    expect([advised.status, advised.stdout]).toEqual([0, 'A=1\nDONE\n']);
  });

  it('<< $GITHUB_OUTPUT: the advice is >>, and its edit writes the output', () => {
    const script = 'echo "x=1" << $GITHUB_OUTPUT\necho DONE\n';
    const result = lintText('step.sh', script);
    expect(result.findings[0]!.fix).toContain('>> "$GITHUB_OUTPUT"');
    expect(result.findings[0]!.message).not.toMatch(/add a line/);
    const fixed = applyEdits(script, result.edits).content;
    expect(fixed).toBe('echo "x=1" >> $GITHUB_OUTPUT\necho DONE\n');
    const output = join(work, 'output');
    writeFileSync(output, '');
    expect(bash(fixed, { GITHUB_OUTPUT: output })).toMatchObject({ status: 0, stdout: 'DONE\n', stderr: '' });
    expect(readFileSync(output, 'utf8')).toBe('x=1\n');
  });

  it('a heredoc that lacks only its last line: its lines are the body, and the advice names where the terminator goes', () => {
    const script = 'cat <<EOF > app.env\nA=1\nB=2\n';
    const [finding] = lintText('step.sh', script).findings;
    expect(finding!.message).toContain('reads lines 2–3, to the end of the script, as its body');
    expect(finding!.message).not.toMatch(/those commands never run/);
    expect(finding!.fix).toContain('after line 3');
    expect(bash(script).stderr).toMatch(/here-document at line 1 delimited by end-of-file/);
    const advised = bash(`${script}EOF\necho DONE\n`);
    expect([advised.status, advised.stdout, advised.stderr]).toEqual([0, 'DONE\n', '']);
    expect(readFileSync(join(work, 'app.env'), 'utf8')).toBe('A=1\nB=2\n');
  });
});
