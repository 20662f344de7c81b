// The rule catalogue: stable ids, names, default severities and what each rule means.

export type Severity = 'error' | 'warning' | 'info';

export const SEVERITY_RANK: Record<Severity, number> = { info: 0, warning: 1, error: 2 };

export interface Rule {
  id: string;
  name: string;
  severity: Severity;
  summary: string;
}

const catalogue = [
  { id: 'HD001', name: 'indented-terminator', severity: 'error', summary: 'The terminator is indented under <<, so bash does not see it.' },
  {
    id: 'HD002',
    name: 'dash-terminator-spaces',
    severity: 'error',
    summary: 'A <<- terminator is indented with spaces; <<- strips only tabs.',
  },
  {
    id: 'HD003',
    name: 'terminator-trailing-blanks',
    severity: 'error',
    summary: 'Trailing blanks after the terminator make it an ordinary body line.',
  },
  {
    id: 'HD004',
    name: 'terminator-trailing-comment',
    severity: 'error',
    summary: 'A comment after the terminator makes it an ordinary body line.',
  },
  {
    id: 'HD005',
    name: 'terminator-trailing-text',
    severity: 'error',
    summary: 'Text such as ; or | after the terminator makes it an ordinary body line.',
  },
  {
    id: 'HD006',
    name: 'quoted-terminator',
    severity: 'error',
    summary: 'The terminator line is quoted; quotes belong only on the operator.',
  },
  {
    id: 'HD007',
    name: 'crlf-terminator',
    severity: 'error',
    summary: 'The terminator line ends in CR LF; the carriage return is part of the line.',
  },
  { id: 'HD008', name: 'terminator-case', severity: 'error', summary: 'The terminator differs from the delimiter in letter case.' },
  { id: 'HD009', name: 'unterminated', severity: 'error', summary: 'The heredoc is never terminated and swallows the rest of the script.' },
  {
    id: 'HD010',
    name: 'heredoc-order',
    severity: 'error',
    summary: 'Heredocs on one line are read in order; this body is in the wrong place.',
  },
  {
    id: 'HD011',
    name: 'folded-scalar',
    severity: 'error',
    summary: 'The script is a folded or flow YAML scalar; its lines are joined, so the heredoc can never end.',
  },
  {
    id: 'HD012',
    name: 'continuation-eats-terminator',
    severity: 'error',
    summary: 'A backslash-newline in an unquoted body joins the terminator onto the line before.',
  },
  {
    id: 'HD013',
    name: 'nested-delimiter-reuse',
    severity: 'error',
    summary: 'A nested heredoc reuses the outer delimiter; bash ends the outer heredoc at the inner terminator.',
  },
  {
    id: 'HD015',
    name: 'nested-script-delimiter-reuse',
    severity: 'error',
    summary:
      'A heredoc whose body is a script (for a shell, ssh, docker exec) holds a heredoc with the same delimiter; the outer one ends at the inner terminator.',
  },
  {
    id: 'HD016',
    name: 'delimiter-run-as-command',
    severity: 'error',
    summary: 'A line equal to an already closed heredoc\'s delimiter stands where bash runs commands: it fails as "command not found".',
  },
  {
    id: 'HD014',
    name: 'substitution-paren-terminator',
    severity: 'warning',
    summary: 'A heredoc in $( ) ends with DELIM); bash 5.2 accepts it with a warning, dash fails.',
  },
  {
    id: 'HD017',
    name: 'terminator-supplied-by-later-heredoc',
    severity: 'error',
    summary: 'A missing or mangled terminator is supplied by a later heredoc with the same delimiter: the lines between never run.',
  },
  {
    id: 'HD018',
    name: 'ssh-action-script-stop',
    severity: 'error',
    summary: 'appleboy/ssh-action before v1.2.0 with script_stop: true writes an exit-code check into every heredoc body.',
  },
  {
    id: 'HD019',
    name: 'markdown-backticks-run',
    severity: 'warning',
    summary: 'A Markdown code span in an unquoted body written to the job summary, a .md file or a comment runs as a command.',
  },
  {
    id: 'HD020',
    name: 'expression-in-unquoted-body',
    severity: 'warning',
    summary: 'A secret or input is substituted into an unquoted body, where $ and backticks in its value run.',
  },
  {
    id: 'HD021',
    name: 'expression-with-common-delimiter',
    severity: 'warning',
    summary: 'A body expands a secret or input under a common delimiter; a value line equal to it ends the heredoc early.',
  },
  {
    id: 'HD022',
    name: 'untrusted-value-in-heredoc',
    severity: 'warning',
    summary: 'Event data anyone can write is pasted into a body: a line equal to the (public) delimiter ends it, and the rest runs.',
  },
  { id: 'HD100', name: 'yaml-syntax', severity: 'error', summary: 'The YAML file does not parse, so no script can be rebuilt from it.' },
] as const satisfies readonly Rule[];

export type RuleId = (typeof catalogue)[number]['id'];

export const RULES: readonly Rule[] = catalogue;

export function ruleById(id: RuleId): Rule {
  return RULES.find((rule) => rule.id === id)!;
}
