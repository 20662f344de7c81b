// Judges each heredoc the scanner found and explains, in bash's terms, what goes wrong.
import { type BodyLine, type Heredoc, type LoneCommandWord, scanScript, scanScriptDetailed, type Shell } from './scan.ts';
import { commandAround, markdownSink, scriptReader } from './feeds.ts';
import { LineIndex } from '#text/lines';
import { type TaintedOutputs, untrustedExpressions } from './outputs.ts';
import { quotedScripts } from './strings.ts';
import { type RuleId, ruleById, type Severity } from './rules.ts';

/** A replacement in script offsets that fixes a finding mechanically. */
export interface Edit {
  start: number;
  end: number;
  text: string;
}

export interface ScriptFinding {
  rule: RuleId;
  severity: Severity;
  /** Offset in the script of the offending character. */
  offset: number;
  message: string;
  fix: string;
  /** Applied together or not at all. */
  edits?: Edit[];
  /** Variables the fix passes through the step's `env:`; without a way to add them, the fix is not made. */
  env?: Array<{ name: string; value: string }>;
}

export interface AnalyzeOptions {
  shell: Shell;
  /** The script came from a workflow or action, so `${{ }}` expressions are substituted into it. */
  expressions: boolean;
  /** The script came from a folded, plain or quoted YAML scalar whose lines were joined. */
  folded: boolean;
  /** Maps a script offset to the line number the user sees (in the file). */
  lineOf: (offset: number) => number;
  /** Maps a script offset to its line and column in the file, where a message names a second place exactly. */
  positionOf?: (offset: number) => { line: number; column: number };
  /** More commands whose standard input is a script, beside shells, ssh and docker/kubectl exec. */
  scriptCommands?: ReadonlySet<string>;
  /** Names the step's `env:` sets already, when a fix may add to it (a `run:` script); undefined where it cannot. */
  envNames?: ReadonlySet<string>;
  /** A shell script file, not a step's `run:` (which GitHub runs with bash -e): messages speak of the script. */
  file?: boolean;
  /** The action (its `uses:`) that inserts an exit-code check after every line of the script, if it does. */
  checkedLineByLine?: string;
  /** Outputs of earlier steps that carry event data (`steps.ID.outputs.NAME`), as the workflow shows them. */
  untrustedOutputs?: TaintedOutputs;
}

/** Reserved words: alone on a line they are syntax, not a command that could fail. */
const RESERVED = new Set([
  'if',
  'then',
  'else',
  'elif',
  'fi',
  'case',
  'esac',
  'for',
  'select',
  'while',
  'until',
  'do',
  'done',
  'in',
  'function',
  'time',
  '{',
  '}',
  '!',
  '[[',
  ']]',
]);

/** Delimiters common enough that a value line may equal them. */
const COMMON_DELIMITERS = new Set([
  'EOF',
  'EOL',
  'END',
  'EOT',
  'EOM',
  'EOS',
  'HEREDOC',
  'DELIM',
  'DONE',
  'STOP',
  'TEXT',
  'DATA',
  'ENV',
  'EOFF',
  '_EOF_',
  'END_OF_FILE',
]);
/** Secrets and inputs: written by the repository's own people, but holding any character. */
const HAZARDOUS_EXPRESSION = /\$\{\{\s*[^}]*?\b(secrets\.[\w-]+|inputs\.[\w-]+)[^}]*\}\}/g;
const SUPPRESSION = /#[ \t]*heredoc-lint[ \t]+disable(?:=([\w \t,-]+))?/g;

export function analyzeScript(text: string, options: AnalyzeOptions): ScriptFinding[] {
  const { heredocs, loneCommandWords } = scanScriptDetailed(text, { shell: options.shell, expressions: options.expressions });
  const findings: ScriptFinding[] = [];
  /** Heredocs whose early end a finding already explains; the stray terminator after them is not reported again. */
  const explained = new Set<Heredoc>();
  const loneByWord = new Map<string, LoneCommandWord[]>();
  for (const lone of loneCommandWords) loneByWord.set(lone.word, [...(loneByWord.get(lone.word) ?? []), lone]);
  const suppressed = suppressionsOf(text);
  const misplaced = wrongOrderLines(heredocs);
  const tainted: TaintedOutputs = options.untrustedOutputs ?? new Map();
  /** Names a fix has given to env: variables so far: each finding's fix stands alone, so none may share one. */
  const envNamesTaken = new Set(options.envNames ?? []);
  const add = (
    heredoc: Heredoc,
    rule: RuleId,
    offset: number,
    message: string,
    fix: string,
    edit?: Edit | Edit[],
    env?: ScriptFinding['env'],
  ) => {
    const severity: Severity = rule === 'HD014' && options.shell === 'sh' ? 'error' : ruleById(rule).severity;
    const edits = edit === undefined ? undefined : Array.isArray(edit) ? edit : [edit];
    if (!isSuppressed(suppressed, rule, [heredoc.opStart, offset])) findings.push({ rule, severity, offset, message, fix, edits, env });
  };

  for (const heredoc of heredocs) {
    const op = operatorText(text, heredoc);
    if (heredoc.closedByParen !== undefined) {
      add(
        heredoc,
        'HD014',
        heredoc.closedByParen,
        `${op} ends at "${heredoc.delimiter})": bash 5.2 accepts this with a "delimited by end-of-file" warning; dash and older bash fail with a syntax error`,
        `put ${heredoc.delimiter} alone on its line and the ) on the next`,
      );
    }
    const reorderedAt = misplaced.get(heredoc);
    if (reorderedAt) {
      const first = heredocs.find((h) => h.batch === heredoc.batch && h.lines.includes(reorderedAt))!;
      add(
        heredoc,
        'HD010',
        reorderedAt.start,
        `heredocs on one line are read in order: this ${heredoc.delimiter} line is read as part of ${operatorText(text, first)}'s body (line ${options.lineOf(first.opStart)}), not as the end of ${op}`,
        `put the body of ${operatorText(text, first)} first, then the body of ${op}`,
      );
      continue;
    }
    if (!heredoc.terminator) {
      reportUnterminated(heredoc, op);
    } else if (
      !reportEatenTerminator(
        heredoc,
        op,
        `the heredoc runs on to line ${options.lineOf(heredoc.terminator.start)} and silently swallows the lines between`,
      )
    ) {
      reportSwallowedNeighbour(heredoc, op);
    }
    if (!explained.has(heredoc)) reportNestedScriptReuse(heredoc, op);
    if (!explained.has(heredoc)) reportSuppliedTerminator(heredoc, op);
    if (!explained.has(heredoc)) reportNestedReuse(heredoc, op);
    if (options.expressions) {
      reportUntrusted(heredoc, op);
      reportExpressions(heredoc, op);
    }
    reportMarkdownBackticks(heredoc, op);
  }
  reportStrayTerminators();
  reportLineChecks();
  reportQuotedScripts();
  return findings;

  /**
   * The heredocs of a script in a quoted string (`bash -c '…'`, `ssh host "…"`), which the shell running that
   * string reads: linted as that script, with positions in this one, and fixes where each edit maps exactly into
   * the string (no escape replaced, nothing added that its quotes treat specially).
   */
  function reportQuotedScripts(): void {
    const skip = heredocs.map((h) => ({ start: h.bodyStart, end: h.terminator?.end ?? text.length }));
    for (const inner of quotedScripts(text, skip, options.expressions)) {
      const outer = (offset: number) => inner.offsets[Math.min(offset, inner.offsets.length - 1)]!;
      const innerFindings = analyzeScript(inner.text, {
        ...options,
        shell: inner.shell,
        folded: false,
        lineOf: (offset) => options.lineOf(outer(offset)),
        positionOf: options.positionOf && ((offset) => options.positionOf!(outer(offset))),
        envNames: undefined,
        checkedLineByLine: undefined,
      });
      // An edit stands as written where it adds no character the quotes treat specially and replaces no escape.
      const special = inner.verbatim ? /'/ : /["\\$`]/;
      const exact = (edit: Edit) => !special.test(edit.text) && outer(edit.end) - outer(edit.start) === edit.end - edit.start;
      for (const finding of innerFindings) {
        const inPlace = !finding.env && finding.edits?.every(exact);
        findings.push({
          ...finding,
          offset: outer(finding.offset),
          message: `in the script that ${inner.reader} runs: ${finding.message}`,
          edits: inPlace ? finding.edits!.map((edit) => ({ start: outer(edit.start), end: outer(edit.end), text: edit.text })) : undefined,
          env: undefined,
        });
      }
    }
  }

  /**
   * A Markdown code span in an unquoted body is a command substitution: `npm test` written for the job summary
   * runs npm test and writes its output instead (HD019). Deliberate substitutions are written $( ) and stay silent.
   */
  function reportMarkdownBackticks(heredoc: Heredoc, op: string): void {
    if (heredoc.quoted) return;
    const body = text.slice(heredoc.bodyStart, heredoc.terminator?.start ?? text.length);
    const ticks = unescapedBackticks(body);
    if (ticks.length === 0) return;
    const sink = markdownSink(text, heredoc.opStart, heredoc.delimEnd);
    if (!sink) return;
    const span = body.slice(ticks[0]! + 1, ticks[1] ?? body.length).split('\n')[0]!;
    // Quoting the delimiter writes the text as it is, when nothing else in the body expands; else escape each backtick.
    const quote = !/[$\\]/.test(body) && /^[\w.-]+$/.test(heredoc.delimiter);
    const edits = quote
      ? [{ start: heredoc.delimStart, end: heredoc.delimEnd, text: `'${heredoc.delimiter}'` }]
      : ticks.map((at) => ({ start: heredoc.bodyStart + at, end: heredoc.bodyStart + at, text: '\\' }));
    add(
      heredoc,
      'HD019',
      heredoc.bodyStart + ticks[0]!,
      `\`${span}\` in the unquoted body of ${op}, which writes Markdown to ${sink}, is a command substitution: ` +
        `bash runs "${span}" and writes its output, not the code span`,
      quote
        ? `quote the delimiter (<<'${heredoc.delimiter}') so the text is written as it is`
        : 'escape the backticks (\\`), or quote the delimiter',
      edits,
    );
  }

  /** An action that appends a command after every line writes it into every heredoc body too (HD018). */
  function reportLineChecks(): void {
    const first = heredocs[0];
    if (!options.checkedLineByLine || !first) return;
    add(
      first,
      'HD018',
      first.opStart,
      `${options.checkedLineByLine} with script_stop: true appends an exit-code check after every line of the script, so each heredoc body ` +
        'gets those lines written into it and loses its blank lines (ssh-action issue 335, fixed in v1.2.0)',
      'use appleboy/ssh-action v1.2.0 or later and start the script with set -e instead of script_stop',
    );
  }

  /**
   * A heredoc whose body is a script (fed to a shell, ssh, docker exec …) holding a heredoc with the same
   * delimiter: the outer one ends at the inner terminator, the rest of the inner script runs in the outer shell,
   * and the real outer terminator runs as a command.
   */
  function reportNestedScriptReuse(heredoc: Heredoc, op: string): void {
    if (!heredoc.terminator) return;
    const reader = scriptReader(commandAround(text, heredoc.opStart, heredoc.delimEnd), options.scriptCommands);
    if (!reader) return;
    const body = text.slice(heredoc.bodyStart, heredoc.terminator.start);
    // Most bodies open no heredoc of this delimiter: look before reading the body as a script.
    if (!reopener(heredoc.delimiter).test(body)) return;
    const inner = scanScript(body, { shell: 'bash', expressions: options.expressions }).find(
      (h) => h.delimiter === heredoc.delimiter && !h.terminator,
    );
    if (!inner) return;
    explained.add(heredoc);
    const innerOp = operatorText(body, inner);
    const endLine = options.lineOf(heredoc.terminator.start);
    const stray = strayAfter(heredoc);
    const strayLine = stray && options.lineOf(stray.start);
    const between =
      stray && strayLine! - 1 > endLine
        ? strayLine! - 1 === endLine + 1
          ? `line ${endLine + 1} runs`
          : `lines ${endLine + 1}–${strayLine! - 1} run`
        : undefined;
    const runs = stray
      ? `${between ? `${between} in this shell instead of ${reader}, and ` : ''}line ${strayLine}'s "${heredoc.delimiter}" runs as a command (command not found)`
      : `the lines after it run in this shell instead of ${reader}`;
    const outerAt = options.positionOf
      ? `${options.positionOf(heredoc.opStart).line}:${options.positionOf(heredoc.opStart).column}`
      : String(options.lineOf(heredoc.opStart));
    const renamed = freshDelimiter(text, heredoc.delimiter);
    const innerDelimStart = heredoc.bodyStart + inner.delimStart;
    const rawInner = text.slice(innerDelimStart, heredoc.bodyStart + inner.delimEnd);
    const at = rawInner.indexOf(heredoc.delimiter);
    const terminatorLine = text.slice(heredoc.terminator.start, heredoc.terminator.end);
    const tabs = terminatorLine.length - terminatorLine.replace(/^\t+/, '').length;
    const edits: Edit[] | undefined =
      at < 0
        ? undefined
        : [
            { start: innerDelimStart + at, end: innerDelimStart + at + heredoc.delimiter.length, text: renamed },
            { start: heredoc.terminator.start + tabs, end: heredoc.terminator.start + tabs + heredoc.delimiter.length, text: renamed },
          ];
    add(
      heredoc,
      'HD015',
      heredoc.bodyStart + inner.opStart,
      `the inner ${innerOp} reuses the delimiter of the outer ${op} at ${outerAt}, whose body is a script for ${reader}: ` +
        `the outer heredoc ends at line ${endLine}, the line meant to end the inner one, so ${runs}`,
      `give the inner heredoc its own delimiter: ${innerOp.replace(heredoc.delimiter, renamed)} here and ${renamed} on line ${endLine}`,
      edits,
    );
  }

  /** The first lone word after a heredoc's end that repeats its delimiter (a binary search: scripts can be huge). */
  function strayAfter(heredoc: Heredoc): LoneCommandWord | undefined {
    const candidates = loneByWord.get(heredoc.delimiter);
    if (!candidates || !heredoc.terminator) return undefined;
    let low = 0;
    let high = candidates.length;
    while (low < high) {
      const middle = (low + high) >> 1;
      if (candidates[middle]!.start < heredoc.terminator.end) low = middle + 1;
      else high = middle;
    }
    return candidates[low];
  }

  /**
   * A line that is exactly a closed heredoc's delimiter, in command position: it runs as a command. Judged for the
   * last heredoc with that delimiter closed before the line.
   */
  function reportStrayTerminators(): void {
    const closed = heredocs.filter((h) => h.terminator && !RESERVED.has(h.delimiter) && loneByWord.has(h.delimiter));
    const next = new Map<Heredoc, Heredoc>();
    const lastOf = new Map<string, Heredoc>();
    for (const heredoc of closed) {
      const previous = lastOf.get(heredoc.delimiter);
      if (previous) next.set(previous, heredoc);
      lastOf.set(heredoc.delimiter, heredoc);
    }
    closed.forEach((heredoc) => {
      const stray = strayAfter(heredoc);
      if (!stray || explained.has(heredoc)) return;
      const later = next.get(heredoc);
      if (later && later.terminator!.end <= stray.start) return;
      const op = operatorText(text, heredoc);
      add(
        heredoc,
        'HD016',
        stray.start,
        `this line "${stray.word}" runs as a command ("${stray.word}: command not found", ${options.file ? 'exit 127, which stops a script run with set -e' : 'which fails the step'}): it looks like the end of ${op} (line ${options.lineOf(heredoc.opStart)}), ` +
          `but that heredoc already ended at line ${options.lineOf(heredoc.terminator!.start)}, so the lines between ran as commands too`,
        `if the body of ${op} holds a heredoc with the same delimiter, give that inner heredoc its own delimiter; otherwise remove this line`,
      );
    });
  }

  function reportUnterminated(heredoc: Heredoc, op: string): void {
    if (reportMistakenOperator(heredoc, op)) return;
    const consequence = swallowed(text, heredoc, options);
    if (options.folded) {
      add(
        heredoc,
        'HD011',
        heredoc.opStart,
        `${op} is in a folded or flow YAML scalar, which joins its lines, so the heredoc can never end; ${consequence}`,
        'use a literal block scalar (run: |)',
      );
      return;
    }
    if (reportEatenTerminator(heredoc, op, consequence)) return;
    for (const line of heredoc.lines) {
      const defects = nearMiss(text, line, heredoc);
      if (defects.length === 0) continue;
      for (const defect of defects) {
        add(heredoc, defect.rule, defect.offset, `${defect.problem}, so it does not end ${op}; ${consequence}`, defect.fix, defect.edit);
      }
      return;
    }
    const last = heredoc.lines.at(-1);
    add(
      heredoc,
      'HD009',
      heredoc.opStart,
      `${op} is never terminated: no line is exactly "${heredoc.delimiter}"; ${consequence}`,
      `add a line "${heredoc.delimiter}" where the body should end${last ? ` (after line ${options.lineOf(last.start)} if all of it is the body)` : ''}`,
    );
  }

  /**
   * Two operators that were never meant as heredocs: CircleCI's `<< parameters.name >>` (bash: a heredoc, then a
   * `>>` without a file, a syntax error) and `<< $GITHUB_OUTPUT` (meant `>>`: the delimiter is that literal text).
   */
  function reportMistakenOperator(heredoc: Heredoc, op: string): boolean {
    // Only the few characters after the delimiter matter; a bounded window keeps a one-line megabyte script linear.
    const window = text.slice(heredoc.delimEnd, heredoc.delimEnd + 16);
    const restOfLine = window.split('\n')[0]!;
    const lineEnds = window.includes('\n') || heredoc.delimEnd + window.length >= text.length;
    if (lineEnds && /^[ \t]*(>>?|<)[ \t]*\r?$/.test(restOfLine)) {
      const template = /^(parameters|pipeline)\./.test(heredoc.delimiter);
      add(
        heredoc,
        'HD009',
        heredoc.opStart,
        `${op}${restOfLine.trimEnd()} is a heredoc followed by a redirection without a file name, so bash stops there with a syntax error and the ${options.file ? 'script' : 'step'} fails` +
          (template ? ` (this is CircleCI's << ${heredoc.delimiter} >> parameter syntax, which GitHub Actions does not expand)` : ''),
        template
          ? `write the value itself, or \${{ inputs.${heredoc.delimiter.split('.').pop()} }} in a workflow`
          : `give the ${restOfLine.trim()} a file name, or remove it`,
      );
      return true;
    }
    const raw = text.slice(heredoc.delimStart, heredoc.delimEnd);
    if (!heredoc.stripTabs && /^"?\$(\{\w+\}|\w+)"?$/.test(raw)) {
      add(
        heredoc,
        'HD009',
        heredoc.opStart,
        `${op} opens a heredoc ended by a line that is literally "${heredoc.delimiter}" (a delimiter is never expanded), so nothing is written to ${raw} and ` +
          swallowed(text, heredoc, options),
        `append to the file with >>: >> ${raw.startsWith('"') ? raw : `"${raw}"`}`,
        { start: heredoc.opStart, end: heredoc.opStart + 2, text: '>>' },
      );
      return true;
    }
    return false;
  }

  function reportEatenTerminator(heredoc: Heredoc, op: string, consequence: string): boolean {
    const eaten = heredoc.lines.find((line) => eatenTerminator(line, heredoc, text) !== undefined);
    if (!eaten) return false;
    add(
      heredoc,
      'HD012',
      eatenTerminator(eaten, heredoc, text)!,
      `this backslash-newline joins the ${heredoc.delimiter} line onto it (the body of ${op} is unquoted), so that line does not end the heredoc; ${consequence}`,
      `remove the trailing backslash, or quote the delimiter (<<'${heredoc.delimiter}') so the body is taken literally`,
    );
    return true;
  }

  /** A near-miss terminator inside a body that does end later, swallowing another heredoc's opening. */
  function reportSwallowedNeighbour(heredoc: Heredoc, op: string): void {
    const opener = reopener(heredoc.delimiter);
    // Only near misses before the last re-opening matter; finding that bound first keeps this linear.
    const lastReopen = heredoc.lines.findLastIndex((line) => opener.test(line.text));
    for (let index = 0; index < lastReopen; index++) {
      const line = heredoc.lines[index]!;
      const defects = nearMiss(text, line, heredoc);
      if (defects.length === 0) continue;
      const reopened = heredoc.lines.slice(index + 1).find((later) => opener.test(later.text))!;
      const end = options.lineOf(heredoc.terminator!.start);
      for (const defect of defects) {
        add(
          heredoc,
          defect.rule,
          defect.offset,
          `${defect.problem}, so it does not end ${op}: the heredoc runs on to line ${end} and silently swallows the commands between, ` +
            `including the heredoc opened on line ${options.lineOf(reopened.start)}`,
          defect.fix,
          defect.edit,
        );
      }
      return;
    }
  }

  /**
   * A heredoc whose own terminator is missing or mangled, ended by the terminator of a later heredoc with the
   * same delimiter: bash -n is content, and every line between, the later opener included, is body and never
   * runs. Told from a nested reuse (HD013, HD015, HD016) by what follows: no line repeats the delimiter after it.
   */
  function reportSuppliedTerminator(heredoc: Heredoc, op: string): void {
    if (!heredoc.terminator) return;
    // The later heredoc, read as bash reads the body: it has lines of its own and no end before the outer one's
    // (an inner heredoc closed inside the body, or a last line that only mentions <<EOF, is no such case).
    const body = text.slice(heredoc.bodyStart, heredoc.terminator.start);
    // Most bodies open no heredoc of this delimiter: look before reading the body as a script.
    if (!reopener(heredoc.delimiter).test(body)) return;
    const inner = scanScript(body, { shell: 'bash', expressions: options.expressions }).find(
      (h) => h.delimiter === heredoc.delimiter && !h.terminator && h.lines.length > 0,
    );
    if (!inner) return;
    const stray = strayAfter(heredoc);
    const strayIsLaters = (h: Heredoc) =>
      h.delimiter === heredoc.delimiter &&
      h.opStart > heredoc.terminator!.end &&
      h.terminator !== undefined &&
      h.terminator.end <= stray!.start;
    if (stray && !heredocs.some(strayIsLaters)) return;
    const reopenedAt = heredoc.lines.findIndex((line) => line.end > heredoc.bodyStart + inner.opStart);
    explained.add(heredoc);
    const reopened = heredoc.lines[reopenedAt]!;
    const end = options.lineOf(heredoc.terminator.start);
    const reopenLine = options.lineOf(reopened.start);
    const firstBody = options.lineOf(heredoc.bodyStart);
    const mangled = heredoc.lines.slice(0, reopenedAt).find((line) => isMangledTerminator(line.text, heredoc));
    const never = `lines ${firstBody}–${end - 1} are its body and never run as commands`;
    if (mangled) {
      add(
        heredoc,
        'HD017',
        mangled.start + (mangled.text.length - mangled.text.trimStart().length),
        `this line "${mangled.text.trim()}" is not "${heredoc.delimiter}", so it does not end ${op} (line ${options.lineOf(heredoc.opStart)}): ` +
          `the heredoc runs on to line ${end}, the end of the ${heredoc.delimiter} heredoc opened on line ${reopenLine}, and ${never}`,
        `make this line exactly "${heredoc.delimiter}"`,
      );
      return;
    }
    add(
      heredoc,
      'HD017',
      heredoc.opStart,
      `${op} has no "${heredoc.delimiter}" line before the heredoc opened on line ${reopenLine} with the same delimiter, so it ends at that heredoc's end ` +
        `(line ${end}): ${never}`,
      `add a line "${heredoc.delimiter}" where the body of ${op} should end, before line ${reopenLine}; if its body is a script that holds a heredoc, give that one its own delimiter`,
    );
  }

  function reportNestedReuse(heredoc: Heredoc, op: string): void {
    // An unterminated heredoc is HD009's: what it swallows is not a nesting.
    if (heredoc.quoted || options.shell !== 'bash' || !heredoc.terminator) return;
    const body = text.slice(heredoc.bodyStart, heredoc.terminator.start);
    const substitution = body.indexOf('$(');
    if (substitution < 0) return;
    const inner = reopener(heredoc.delimiter, 'g');
    inner.lastIndex = substitution;
    const match = inner.exec(body);
    if (!match) return;
    explained.add(heredoc);
    add(
      heredoc,
      'HD013',
      heredoc.bodyStart + match.index,
      `this nested heredoc reuses the delimiter of ${op} (line ${options.lineOf(heredoc.opStart)}); bash ends the outer heredoc at the first ${heredoc.delimiter} line, ` +
        'leaving the $( ) unclosed (dash reads it as intended)',
      'give the nested heredoc its own delimiter',
    );
  }

  /**
   * Event data (an issue's title, a pull request's body, a branch name) in a heredoc body: its author can write
   * a line equal to the delimiter, which ends the heredoc early, and the lines after it run. Quoting the
   * delimiter or choosing a rarer one does not help: the workflow file, and so the delimiter, is public. The
   * one safe fix passes the value through env: and expands it (${NAME}) in an unquoted body, where bash
   * inserts it as text; a body fed to a shell, ssh or docker exec runs it as code however it gets there.
   */
  function reportUntrusted(heredoc: Heredoc, op: string): void {
    const body = text.slice(heredoc.bodyStart, heredoc.terminator?.start ?? text.length);
    const values = untrustedExpressions(body, tainted);
    if (values.length === 0) return;
    const [first] = values as [(typeof values)[0]];
    // Through a step output: say where the workflow shows the event data entering it, or that it cannot know.
    const through = first.origin
      ? ` (${first.origin.certain ? 'it carries event data: ' : 'it may carry event data: '}${first.origin.from})`
      : '';
    const value = `\${{ ${first.path} }}${through}`;
    const reader = scriptReader(commandAround(text, heredoc.opStart, heredoc.delimEnd), options.scriptCommands);
    if (reader) {
      add(
        heredoc,
        'HD022',
        heredoc.bodyStart + first.index,
        `${value} is pasted into the body of ${op}, a script that ${reader} runs: whoever can write that value writes commands for it`,
        `keep the value out of the script: pass it as data (an env: variable on the runner, then a file or an argument the remote side reads)`,
      );
      return;
    }
    const rest = values.reduceRight((kept, v) => kept.slice(0, v.index) + kept.slice(v.index + v.expression.length), body);
    const unquoteSafely = !heredoc.quoted || (!/[$`\\]/.test(rest) && /^[\w.-]+$/.test(heredoc.delimiter));
    const names = new Map<string, string>();
    for (const v of values) if (!names.has(v.expression)) names.set(v.expression, envNameFor(v.path, envNamesTaken, text));
    const edits: Edit[] = values.map((v) => ({
      start: heredoc.bodyStart + v.index,
      end: heredoc.bodyStart + v.index + v.expression.length,
      text: `\${${names.get(v.expression)!}}`,
    }));
    if (heredoc.quoted) edits.push({ start: heredoc.delimStart, end: heredoc.delimEnd, text: heredoc.delimiter });
    const env = [...names].map(([expression, name]) => ({ name, value: expression }));
    const suggested = env[0]!;
    add(
      heredoc,
      'HD022',
      heredoc.bodyStart + first.index,
      `${value} is pasted into the body of ${op} before bash runs: whoever can write that value can put a line "${heredoc.delimiter}" in it, ` +
        `which ends the heredoc early, and the lines after it run as commands${heredoc.quoted ? '' : ' (a $( or backtick in it runs too)'}; ` +
        'quoting or renaming the delimiter does not help, as the workflow file is public',
      `pass it through env: (${suggested.name}: ${suggested.value}) and write \${${suggested.name}} in the body${heredoc.quoted ? `, with the delimiter unquoted (<<${heredoc.delimiter})` : ''}`,
      options.envNames && unquoteSafely ? edits : undefined,
      options.envNames && unquoteSafely ? env : undefined,
    );
  }

  function reportExpressions(heredoc: Heredoc, op: string): void {
    const bodyEnd = heredoc.terminator?.start ?? text.length;
    // Event data is HD022's; a secret or an input beside it is still judged here.
    const raw = text.slice(heredoc.bodyStart, bodyEnd);
    const untrusted = untrustedExpressions(raw, tainted);
    const body = untrusted.reduce(
      (kept, v) => kept.slice(0, v.index) + ' '.repeat(v.expression.length) + kept.slice(v.index + v.expression.length),
      raw,
    );
    const hazards = [...body.matchAll(HAZARDOUS_EXPRESSION)];
    if (hazards.length === 0) return;
    const first = hazards[0]!;
    const what = first[1]!;
    if (!heredoc.quoted) {
      // Quoting the delimiter is a safe mechanical fix only when nothing else in the body relies on expansion
      // (HD022's fix for event data beside it needs the body unquoted).
      const rest = body.replace(HAZARDOUS_EXPRESSION, '');
      const safeToQuote = !/[$`\\]/.test(rest) && /^[\w.-]+$/.test(heredoc.delimiter) && untrusted.length === 0;
      add(
        heredoc,
        'HD020',
        heredoc.bodyStart + first.index!,
        `\${{ ${what} }} is pasted into the unquoted body of ${op} before bash runs; a $, backtick or $( in the value is expanded or executed`,
        `quote the delimiter (<<'${heredoc.delimiter}'), or pass the value through env: and use "$NAME"`,
        safeToQuote ? { start: heredoc.delimStart, end: heredoc.delimEnd, text: `'${heredoc.delimiter}'` } : undefined,
      );
    }
    if (COMMON_DELIMITERS.has(heredoc.delimiter.toUpperCase())) {
      add(
        heredoc,
        'HD021',
        heredoc.delimStart,
        `the body of ${op} expands \${{ ${what} }} under the common delimiter ${heredoc.delimiter}; a value with a line "${heredoc.delimiter}" ends the heredoc early and the rest runs as commands`,
        `use a delimiter the value cannot contain, e.g. ${heredoc.delimiter}_${randomSuffix(heredoc)}`,
      );
    }
  }
}

interface Defect {
  rule: RuleId;
  offset: number;
  problem: string;
  fix: string;
  edit?: Edit;
}

/** Why a body line that looks like the terminator is not one, defect by defect. */
function nearMiss(text: string, line: BodyLine, heredoc: Heredoc): Defect[] {
  if (line.joins.length > 0) return [];
  const raw = text.slice(line.start, line.end);
  const delimiter = heredoc.delimiter;
  if (delimiter === '') return [];
  const indentLength = raw.length - raw.replace(/^[ \t]+/, '').length;
  const indent = raw.slice(0, indentLength);
  let rest = raw.slice(indentLength);
  let at = line.start + indentLength;
  const defects: Defect[] = [];
  const lineDelimiter = 'the terminator line';

  let core: string | undefined;
  const quote = rest[0];
  if ((quote === "'" || quote === '"') && rest.startsWith(`${quote}${delimiter}${quote}`)) {
    core = rest.slice(0, delimiter.length + 2);
    defects.push({
      rule: 'HD006',
      offset: at,
      problem: `${lineDelimiter} is quoted (${core})`,
      fix: `write the terminator bare: ${delimiter}`,
      edit: { start: at, end: at + core.length, text: delimiter },
    });
  } else if (rest.startsWith(delimiter)) {
    core = delimiter;
  } else if (rest.slice(0, delimiter.length).toLowerCase() === delimiter.toLowerCase() && /^[^\w]?$/.test(rest[delimiter.length] ?? '')) {
    core = rest.slice(0, delimiter.length);
    defects.push({
      rule: 'HD008',
      offset: at,
      problem: `${lineDelimiter} "${core}" differs from the delimiter "${delimiter}" in case`,
      fix: `write the terminator exactly as ${delimiter}`,
    });
  } else {
    return [];
  }
  at += core.length;
  rest = rest.slice(core.length);

  if (rest.length > 0) {
    const trailing = classifyTrailing(rest, heredoc);
    if (!trailing) return [];
    defects.push({
      ...trailing,
      offset: at + trailing.offset,
      edit: trailing.edit && { start: at + trailing.edit.start, end: at + trailing.edit.end, text: '' },
    });
  }
  if (indentLength > 0) {
    const onlyTabs = /^\t+$/.test(indent);
    if (heredoc.stripTabs && !onlyTabs) {
      defects.push({
        rule: 'HD002',
        offset: line.start,
        problem: `${lineDelimiter} is indented with spaces, but <<- strips only leading tabs`,
        fix: 'indent the terminator with tabs only, or not at all',
        edit: { start: line.start, end: line.start + indentLength, text: '' },
      });
    } else if (!heredoc.stripTabs) {
      defects.push({
        rule: 'HD001',
        offset: line.start,
        problem: `${lineDelimiter} is indented, and << (without -) requires it at the start of the line`,
        fix: `remove the indentation before ${delimiter}`,
        edit: { start: line.start, end: line.start + indentLength, text: '' },
      });
    }
  }
  // Only one line ending can be wrong at a time; report CR last so it reads as the line's end.
  return defects.sort((a, b) => a.offset - b.offset);
}

function classifyTrailing(rest: string, heredoc: Heredoc): (Omit<Defect, 'edit'> & { edit?: { start: number; end: number } }) | undefined {
  const blanks = rest.length - rest.replace(/^[ \t]+/, '').length;
  const after = rest.slice(blanks);
  if (rest === '\r') {
    return {
      rule: 'HD007',
      offset: 0,
      problem: 'the terminator line ends in CR LF, and bash keeps the CR as part of the line',
      fix: 'save the script with LF line endings',
    };
  }
  if (after === '' || after === '\r') {
    return {
      rule: 'HD003',
      offset: 0,
      problem: `the terminator line has trailing blanks after ${heredoc.delimiter}`,
      fix: 'remove the trailing blanks',
      edit: { start: 0, end: rest.length },
    };
  }
  if (after.startsWith('#')) {
    return {
      rule: 'HD004',
      offset: blanks,
      problem: `the terminator line has a comment after ${heredoc.delimiter}`,
      fix: 'move the comment to its own line, or remove it',
      edit: { start: 0, end: rest.length },
    };
  }
  if (after.startsWith(')') && heredoc.inCommandSubstitution) {
    return {
      rule: 'HD014',
      offset: blanks,
      problem: `the terminator line continues with ")" after ${heredoc.delimiter}, which dash and bash before 5.2 do not accept`,
      fix: `put ${heredoc.delimiter} alone on its line and the ) on the next`,
    };
  }
  if (blanks === 0 && /^[\w-]/.test(after)) return undefined; // A different word, e.g. EOFX: not a near miss.
  return {
    rule: 'HD005',
    offset: blanks,
    problem: `the terminator line continues with "${after.trim().slice(0, 20)}" after ${heredoc.delimiter}`,
    fix: `put ${heredoc.delimiter} alone on its line and move the rest to the command line (cmd <<${heredoc.delimiter} ${after.trim()})`,
  };
}

function eatenTerminator(line: BodyLine, heredoc: Heredoc, text: string): number | undefined {
  // Each join's backslash is followed by a newline; the physical line after it runs to the next join or the line's end.
  for (const [index, backslash] of line.joins.entries()) {
    const nextEnd = index + 1 < line.joins.length ? line.joins[index + 1]! : line.end;
    const physical = text.slice(backslash + 2, nextEnd);
    if ((heredoc.stripTabs ? physical.replace(/^\t+/, '') : physical) === heredoc.delimiter) return backslash;
  }
  return undefined;
}

/**
 * For each heredoc, the first line of an earlier body in its batch that equals its delimiter: bash read that
 * line as part of the earlier body. One pass per batch, with the earlier bodies' lines kept in maps.
 */
function wrongOrderLines(heredocs: readonly Heredoc[]): Map<Heredoc, BodyLine> {
  const misplaced = new Map<Heredoc, BodyLine>();
  let batch = -1;
  const exact = new Map<string, BodyLine>();
  const tabStripped = new Map<string, BodyLine>();
  for (const heredoc of heredocs) {
    if (heredoc.batch !== batch) {
      batch = heredoc.batch;
      exact.clear();
      tabStripped.clear();
    }
    const line = (heredoc.stripTabs ? tabStripped : exact).get(heredoc.delimiter);
    if (line) misplaced.set(heredoc, line);
    for (const bodyLine of heredoc.lines) {
      if (!exact.has(bodyLine.text)) exact.set(bodyLine.text, bodyLine);
      const stripped = bodyLine.text.replace(/^\t+/, '');
      if (!tabStripped.has(stripped)) tabStripped.set(stripped, bodyLine);
    }
  }
  return misplaced;
}

/** What an unterminated heredoc swallows, and what bash then does. */
function swallowed(text: string, heredoc: Heredoc, options: AnalyzeOptions): string {
  const shell = options.shell === 'bash' ? 'bash' : 'dash';
  if (heredoc.bodyStart >= text.length || heredoc.lines.length === 0) {
    return `the script ends before the heredoc does, so ${shell} ${options.shell === 'bash' ? 'only warns' : 'says nothing'}`;
  }
  const from = options.lineOf(heredoc.bodyStart);
  const to = options.lineOf(Math.max(heredoc.bodyStart, text.length - 1));
  const range = from === to ? `line ${from}` : `lines ${from}–${to}`;
  if (heredoc.openCompounds.length > 0) {
    const owed = new Set(heredoc.openCompounds);
    const closer = heredoc.lines.find((line) => owed.has(line.text.trim().split(/[\s;]/)[0] ?? ''));
    const word = closer ? closer.text.trim().split(/[\s;]/)[0] : heredoc.openCompounds[heredoc.openCompounds.length - 1];
    const where = closer ? `, including the "${word}" on line ${options.lineOf(closer.start)}` : '';
    return `it swallows ${range} to the end of the script${where}, so ${shell} stops with a syntax error`;
  }
  // The lines may be the body the author meant (only the terminator is missing) or commands it swallowed.
  return (
    `it reads ${range}, to the end of the script, as its body; ${shell} ${options.shell === 'bash' ? 'only warns ("delimited by end-of-file")' : 'does not even warn'} and the ${options.file ? 'script goes on' : 'step still succeeds'}, ` +
    'so any of those lines meant as commands never run'
  );
}

function operatorText(text: string, heredoc: Heredoc): string {
  return text.slice(heredoc.opStart, heredoc.delimEnd).replace(/\s+/g, ' ');
}

interface Suppressions {
  lines?: LineIndex;
  /** Line index → the rules disabled there (lower case ids or names), or 'all'. */
  byLine: Map<number, Set<string> | 'all'>;
}

/** Reads every `# heredoc-lint disable[=RULES]` comment once. */
function suppressionsOf(text: string): Suppressions {
  const byLine = new Map<number, Set<string> | 'all'>();
  if (!text.includes('heredoc-lint')) return { byLine };
  const lines = new LineIndex(text);
  for (const match of text.matchAll(SUPPRESSION)) {
    const rules = match[1]
      ? new Set(
          match[1]
            .split(/[\s,]+/)
            .filter(Boolean)
            .map((r) => r.toLowerCase()),
        )
      : 'all';
    byLine.set(lines.position(match.index).line, rules);
  }
  return { lines, byLine };
}

function isSuppressed(suppressions: Suppressions, rule: RuleId, offsets: readonly number[]): boolean {
  if (suppressions.byLine.size === 0) return false;
  const { id, name } = ruleById(rule);
  return offsets.some((offset) => {
    const rules = suppressions.byLine.get(suppressions.lines!.position(offset).line);
    return rules === 'all' || (rules !== undefined && (rules.has(id.toLowerCase()) || rules.has(name)));
  });
}

/** A body line that looks like the delimiter with a character or two more or less: `EOF_`, `EOFF`, `_EOF`, `EO`. */
function isMangledTerminator(line: string, heredoc: Heredoc): boolean {
  const word = line.trim();
  const delimiter = heredoc.delimiter;
  if (word === '' || /\s/.test(word) || word === delimiter || delimiter.length < 2) return false;
  const close = word.startsWith(delimiter) || word.endsWith(delimiter) || delimiter.startsWith(word);
  return close && Math.abs(word.length - delimiter.length) <= 2;
}

/** Offsets of the backticks an unquoted body expands (a backslash makes the next character literal). */
function unescapedBackticks(body: string): number[] {
  const ticks: number[] = [];
  for (let i = body.indexOf('`'); i >= 0; i = body.indexOf('`', i + 1)) {
    let backslashes = 0;
    while (body[i - 1 - backslashes] === '\\') backslashes++;
    if (backslashes % 2 === 0) ticks.push(i);
  }
  return ticks;
}

/** A line that opens another heredoc with this delimiter (`<<EOF`, `<<-'EOF'`, `<<\\EOF`). */
function reopener(delimiter: string, flags = ''): RegExp {
  return new RegExp(`<<-?[ \\t]*(['"]?)\\\\?${escapeRegExp(delimiter)}\\1(?![\\w-])`, flags);
}

function escapeRegExp(value: string): string {
  return value.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** DELIM_INNER, or DELIM_INNER2… when the script already uses that word. */
function freshDelimiter(text: string, delimiter: string): string {
  for (let n = 1; ; n++) {
    const candidate = `${delimiter}_INNER${n === 1 ? '' : n}`;
    if (!text.includes(candidate)) return candidate;
  }
}

/**
 * An env: name for an event value, from the last two parts of its path (ISSUE_BODY, PULL_REQUEST_TITLE,
 * HEAD_REF), numbered when the step or the script already uses it or another fix took it.
 */
function envNameFor(path: string, taken: Set<string>, script: string): string {
  const parts = path
    .replace(/^github\.(event\.)?/, '')
    .replace(/^steps\.([\w-]+)\.outputs\./, '$1.')
    .split(/[^A-Za-z0-9]+/)
    .filter(Boolean);
  const base = parts.slice(-2).join('_').toUpperCase() || 'EVENT_VALUE';
  for (let n = 1; ; n++) {
    const name = n === 1 ? base : `${base}_${n}`;
    if (!taken.has(name) && !new RegExp(`\\b${name}\\b`).test(script)) {
      taken.add(name);
      return name;
    }
  }
}

/** A stable suggestion, so that the same finding prints the same fix on every run. */
function randomSuffix(heredoc: Heredoc): string {
  let hash = 2166136261;
  for (const char of `${heredoc.delimiter}:${heredoc.opStart}`) hash = Math.imul(hash ^ char.charCodeAt(0), 16777619);
  return (hash >>> 0).toString(36).toUpperCase();
}
