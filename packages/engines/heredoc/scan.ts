// Finds heredocs in a shell script the way bash's parser does: operators outside quotes, comments,
// arithmetic and here-strings; bodies read line by line after the next unquoted newline, in order.

export type Shell = 'bash' | 'sh';

export interface ScanOptions {
  shell: Shell;
  /** GitHub `${{ }}` expressions are substituted as text before the shell runs; treat them as opaque words. */
  expressions: boolean;
}

/** One logical body line: physical lines joined by backslash-newline in an unquoted body. */
export interface BodyLine {
  start: number;
  /** Offset of the last physical line's end (its newline, or the end of the script). */
  end: number;
  text: string;
  /** Offsets of the backslashes whose newline joined the next physical line into this one. */
  joins: number[];
}

export interface Heredoc {
  /** Offset of `<<`. */
  opStart: number;
  delimStart: number;
  delimEnd: number;
  /** The delimiter after quote removal: what the terminator line must equal. */
  delimiter: string;
  quoted: boolean;
  /** `<<-`: leading tabs are stripped from body and terminator lines. */
  stripTabs: boolean;
  /** Inside `$( )` or backticks when the operator was read. */
  inCommandSubstitution: boolean;
  /** Closing words (`fi`, `done`, `esac`, `}`, `)`) still owed when the operator was read. */
  openCompounds: string[];
  /** Heredocs whose operators share a line are read as one batch, in order. */
  batch: number;
  bodyStart: number;
  lines: BodyLine[];
  /** The terminator line; absent when the heredoc runs to the end of the script. */
  terminator?: { start: number; end: number };
  /** bash ≥ 5.2 ends a heredoc in `$( )` at `DELIM)` (with a warning); dash does not. */
  closedByParen?: number;
}

type FrameKind = 'command' | 'substitution' | 'subshell' | 'backtick' | 'dquote' | 'param' | 'arith';

interface Frame {
  kind: FrameKind;
  depth: number;
  caseDepth: number;
}

const METACHARS = new Set([' ', '\t', '\n', ';', '&', '|', '<', '>', '(', ')']);
const OPENERS: Record<string, string> = { if: 'fi', do: 'done', case: 'esac', '{': '}' };
const CLOSERS = new Set(['fi', 'done', 'esac', '}']);
/** Words after which the next word is again in command position. */
const LEADING_KEYWORDS = new Set(['if', 'then', 'else', 'elif', 'do', 'while', 'until', '!', '{', 'time']);

/** A word alone on its line where bash expects a command: it runs as one. */
export interface LoneCommandWord {
  word: string;
  start: number;
}

export function scanScript(text: string, options: ScanOptions): Heredoc[] {
  return scanScriptDetailed(text, options).heredocs;
}

/** The heredocs, and every word that stands alone on its line in command position (a stray terminator runs as a command). */
export function scanScriptDetailed(text: string, options: ScanOptions): { heredocs: Heredoc[]; loneCommandWords: LoneCommandWord[] } {
  const heredocs: Heredoc[] = [];
  const loneCommandWords: LoneCommandWord[] = [];
  let pending: Heredoc[] = [];
  let batch = 0;
  const stack: Frame[] = [{ kind: 'command', depth: 0, caseDepth: 0 }];
  const compounds: string[] = [];
  const n = text.length;
  let i = 0;
  let commandStart = true;

  const top = () => stack[stack.length - 1]!;
  const push = (kind: FrameKind, depth = 0) => stack.push({ kind, depth, caseDepth: 0 });
  const pop = () => {
    if (stack.length > 1) stack.pop();
  };
  const inSubstitution = () => stack.some((f) => f.kind === 'substitution' || f.kind === 'backtick');
  const skipExpression = (at: number): number => {
    const close = text.indexOf('}}', at + 3);
    return close < 0 ? n : close + 2;
  };
  const wordStart = (at: number) => at === 0 || METACHARS.has(text[at - 1]!);

  const readBodies = (from: number): number => {
    let pos = from;
    for (const heredoc of pending) pos = readBody(text, heredoc, pos, options);
    pending = [];
    batch++;
    return pos;
  };

  while (i < n) {
    const frame = top();
    const c = text[i]!;

    if (frame.kind === 'dquote') {
      if (c === '\\') i += 2;
      else if (c === '"') {
        pop();
        i++;
      } else if (c === '`') {
        push('backtick');
        i++;
      } else if (c === '$') i = openDollar(i);
      else i++;
      continue;
    }
    if (frame.kind === 'param') {
      if (c === '\\') i += 2;
      else if (c === '}') {
        pop();
        i++;
      } else if (c === '"') {
        push('dquote');
        i++;
      } else if (c === '$') i = openDollar(i);
      else i++;
      continue;
    }
    if (frame.kind === 'arith') {
      if (c === '(') frame.depth++;
      else if (c === ')' && --frame.depth === 0) pop();
      i++;
      continue;
    }

    // Command context: top level, $( ), ( ), backticks.
    if (c === '\n') {
      commandStart = true;
      i = pending.length > 0 ? readBodies(i + 1) : i + 1;
      continue;
    }
    if (c === ' ' || c === '\t') {
      i++;
      continue;
    }
    if (c === '#' && wordStart(i)) {
      const nl = text.indexOf('\n', i);
      i = nl < 0 ? n : nl;
      continue;
    }
    if (c === '\\') {
      i += 2;
      commandStart = false;
      continue;
    }
    if (c === "'") {
      i = skipSingleQuoted(text, i + 1, options.expressions);
      commandStart = false;
      continue;
    }
    if (c === '"') {
      push('dquote');
      i++;
      commandStart = false;
      continue;
    }
    if (c === '`') {
      if (frame.kind === 'backtick') pop();
      else push('backtick');
      i++;
      continue;
    }
    if (c === '$') {
      i = openDollar(i);
      commandStart = false;
      continue;
    }
    if (c === '(') {
      if (text[i + 1] === '(' && commandStart) {
        push('arith', 2);
        i += 2;
        continue;
      }
      push('subshell');
      i++;
      commandStart = true;
      continue;
    }
    if (c === ')') {
      if (frame.caseDepth === 0 && (frame.kind === 'substitution' || frame.kind === 'subshell')) pop();
      i++;
      commandStart = frame.caseDepth > 0;
      continue;
    }
    if (c === ';' || c === '&' || c === '|') {
      i++;
      commandStart = true;
      continue;
    }
    if (c === '<' && text.startsWith('<<', i)) {
      if (text[i + 2] === '<') {
        i += 3;
        continue;
      }
      const heredoc = readOperator(i);
      heredocs.push(heredoc);
      pending.push(heredoc);
      i = heredoc.delimEnd;
      commandStart = false;
      continue;
    }
    if (c === '<' || c === '>') {
      i++;
      continue;
    }

    // A plain word (up to the next quote, dollar, metacharacter).
    const start = i;
    while (i < n && !METACHARS.has(text[i]!) && !'\'"`$\\'.includes(text[i]!)) i++;
    const word = text.slice(start, i);
    if (commandStart && i < n && !METACHARS.has(text[i]!)) {
      commandStart = false;
      continue;
    }
    if (commandStart) {
      trackKeyword(word, frame);
      if (word !== '' && aloneOnItsLine(start, i)) loneCommandWords.push({ word, start });
    }
    commandStart = commandStart && LEADING_KEYWORDS.has(word);
  }
  if (pending.length > 0) readBodies(n);
  return { heredocs, loneCommandWords };

  function aloneOnItsLine(start: number, end: number): boolean {
    const lineStart = text.lastIndexOf('\n', start - 1) + 1;
    const lineEnd = text.indexOf('\n', end);
    return /^[ \t]*$/.test(text.slice(lineStart, start)) && /^[ \t\r]*$/.test(text.slice(end, lineEnd < 0 ? n : lineEnd));
  }

  function trackKeyword(word: string, frame: Frame): void {
    const closer = OPENERS[word];
    if (closer) {
      compounds.push(closer);
      if (word === 'case') frame.caseDepth++;
    } else if (CLOSERS.has(word) && compounds[compounds.length - 1] === word) {
      compounds.pop();
      if (word === 'esac' && frame.caseDepth > 0) frame.caseDepth--;
    }
  }

  function openDollar(at: number): number {
    if (options.expressions && text.startsWith('${{', at)) return skipExpression(at);
    const next = text[at + 1];
    if (next === '(' && text[at + 2] === '(') {
      push('arith', 2);
      return at + 3;
    }
    if (next === '(') {
      push('substitution');
      commandStart = true;
      return at + 2;
    }
    if (next === '{') {
      push('param');
      return at + 2;
    }
    if (next === "'" && top().kind !== 'dquote') return skipAnsiQuoted(text, at + 2);
    return at + 1;
  }

  function readOperator(at: number): Heredoc {
    let pos = at + 2;
    const stripTabs = text[pos] === '-';
    if (stripTabs) pos++;
    while (text[pos] === ' ' || text[pos] === '\t') pos++;
    const delimStart = pos;
    let delimiter = '';
    let quoted = false;
    while (pos < n && !METACHARS.has(text[pos]!)) {
      const c = text[pos]!;
      if (c === "'") {
        const close = skipSingleQuoted(text, pos + 1);
        delimiter += text.slice(pos + 1, close - 1);
        quoted = true;
        pos = close;
      } else if (c === '"') {
        quoted = true;
        pos++;
        while (pos < n && text[pos] !== '"') {
          if (text[pos] === '\\' && '"\\$`'.includes(text[pos + 1] ?? '')) pos++;
          delimiter += text[pos];
          pos++;
        }
        pos++;
      } else if (c === '\\') {
        quoted = true;
        if (pos + 1 < n) delimiter += text[pos + 1];
        pos += 2;
      } else if (c === '$' && text[pos + 1] === "'") {
        quoted = true;
        const close = skipAnsiQuoted(text, pos + 2);
        delimiter += text.slice(pos + 2, close - 1);
        pos = close;
      } else if (options.expressions && text.startsWith('${{', pos)) {
        const close = skipExpression(pos);
        delimiter += text.slice(pos, close);
        pos = close;
      } else {
        delimiter += c;
        pos++;
      }
    }
    return {
      opStart: at,
      delimStart,
      delimEnd: Math.min(pos, n),
      delimiter,
      quoted,
      stripTabs,
      inCommandSubstitution: inSubstitution(),
      openCompounds: [...compounds, ...stack.filter((f) => f.kind === 'subshell' || f.kind === 'substitution').map(() => ')')],
      batch,
      bodyStart: n,
      lines: [],
    };
  }
}

/**
 * The end of a single-quoted string. With expressions, a `${{ }}` inside it is opaque: GitHub replaces it before
 * the shell starts, so a quote in its string literals (`'${{ contains(x, '<<') }}'`) never reaches the shell.
 */
export function skipSingleQuoted(text: string, from: number, expressions = false): number {
  for (let pos = from; ;) {
    const close = text.indexOf("'", pos);
    if (close < 0) return text.length;
    const expression = expressions ? text.indexOf('${{', pos) : -1;
    if (expression < 0 || expression > close) return close + 1;
    const end = text.indexOf('}}', expression + 3);
    if (end < 0) return text.length;
    pos = end + 2;
  }
}

function skipAnsiQuoted(text: string, from: number): number {
  let pos = from;
  while (pos < text.length && text[pos] !== "'") pos += text[pos] === '\\' ? 2 : 1;
  return Math.min(pos + 1, text.length);
}

function endsWithOddBackslashes(line: string): boolean {
  let count = 0;
  for (let k = line.length - 1; k >= 0 && line[k] === '\\'; k--) count++;
  return count % 2 === 1;
}

/** Reads one heredoc body from `from`; returns where scanning resumes. */
function readBody(text: string, heredoc: Heredoc, from: number, options: ScanOptions): number {
  const n = text.length;
  heredoc.bodyStart = from;
  let pos = from;
  while (pos < n) {
    const start = pos;
    let joined = '';
    const joins: number[] = [];
    let end: number;
    for (;;) {
      const nl = text.indexOf('\n', pos);
      end = nl < 0 ? n : nl;
      const segment = text.slice(pos, end);
      // In an unquoted body bash removes backslash-newline before it compares the line with the delimiter.
      if (!heredoc.quoted && end < n && endsWithOddBackslashes(segment)) {
        joins.push(end - 1);
        joined += segment.slice(0, -1);
        pos = end + 1;
        continue;
      }
      joined += segment;
      pos = end < n ? end + 1 : n;
      break;
    }
    const compared = heredoc.stripTabs ? joined.replace(/^\t+/, '') : joined;
    if (compared === heredoc.delimiter) {
      heredoc.terminator = { start, end };
      return pos;
    }
    if (options.shell === 'bash' && heredoc.inCommandSubstitution && compared.startsWith(`${heredoc.delimiter})`) && joins.length === 0) {
      const paren = start + (joined.length - compared.length) + heredoc.delimiter.length;
      heredoc.terminator = { start, end: paren };
      heredoc.closedByParen = paren;
      return paren;
    }
    heredoc.lines.push({ start, end, text: joined, joins });
  }
  return n;
}
