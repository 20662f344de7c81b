// Scripts inside quoted command strings: `bash -c '…'`, `ssh host "…"`, `docker exec web sh -c '…'`. The outer
// shell sees only a quoted word; the shell that runs the string sees its heredocs, so they are linted too.
import { commandStringReader, commandWords } from './feeds.ts';
import { type Shell, skipSingleQuoted } from './scan.ts';

export interface QuotedScript {
  /** The script the string holds, as the reading shell gets it (quotes removed, backslash escapes undone). */
  text: string;
  /** The offset in the outer script of each character of `text`, and of its end. */
  offsets: number[];
  /** Single-quoted: every character stands as written; in double quotes \\ " $ and ` are special. */
  verbatim: boolean;
  reader: string;
  shell: Shell;
}

/** Where the outer scan must not look for quotes: heredoc bodies (an apostrophe there is text). */
export interface SkipRange {
  start: number;
  end: number;
}

/** Escapes a double-quoted string undoes: \$ \` \" \\ and backslash-newline. */
function unescapeDoubleQuoted(raw: string, from: number): { text: string; offsets: number[] } {
  let text = '';
  const offsets: number[] = [];
  for (let i = 0; i < raw.length; i++) {
    if (raw[i] === '\\' && i + 1 < raw.length && '$`"\\\n'.includes(raw[i + 1]!)) {
      i++;
      if (raw[i] === '\n') continue;
    }
    text += raw[i];
    offsets.push(from + i);
  }
  offsets.push(from + raw.length);
  return { text, offsets };
}

/** The quoted strings of `text` that a shell or ssh runs as a script and that hold a heredoc operator. */
export function quotedScripts(text: string, skip: readonly SkipRange[], expressions: boolean): QuotedScript[] {
  if (!/['"][^'"]*<</.test(text)) return [];
  const found: QuotedScript[] = [];
  const skipAt = new Map(skip.map((range) => [range.start, range.end]));
  let commandStart = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    const skipTo = skipAt.get(i);
    if (skipTo !== undefined) {
      i = skipTo - 1;
      commandStart = skipTo;
      continue;
    }
    if (expressions && text.startsWith('${{', i)) {
      const close = text.indexOf('}}', i + 3);
      i = close < 0 ? text.length : close + 1;
      continue;
    }
    if (c === '\\') {
      i++;
      continue;
    }
    if (c === '$' && text[i + 1] === '{') {
      const close = text.indexOf('}', i + 2);
      i = close < 0 ? text.length : close;
      continue;
    }
    if (c === '#' && (i === 0 || /\s/.test(text[i - 1]!))) {
      const eol = text.indexOf('\n', i);
      i = eol < 0 ? text.length : eol - 1;
      continue;
    }
    if (c === "'" || c === '"') {
      // The scanner's reading of a single-quoted string (a ${{ }} in it is opaque); a double-quoted one ends at
      // the first unescaped ".
      const end = c === "'" ? skipSingleQuoted(text, i + 1, expressions) : 0;
      let close = c === '"' ? i + 1 : text[end - 1] === "'" && end - 1 > i ? end - 1 : text.length;
      while (c === '"' && close < text.length && text[close] !== '"') close += text[close] === '\\' ? 2 : 1;
      const raw = text.slice(i + 1, close);
      const reading = raw.includes('<<') ? commandStringReader(commandWords(text.slice(commandStart, i))) : undefined;
      if (reading) {
        const inner =
          c === "'"
            ? { text: raw, offsets: Array.from({ length: raw.length + 1 }, (_, k) => i + 1 + k) }
            : unescapeDoubleQuoted(raw, i + 1);
        found.push({ ...inner, verbatim: c === "'", ...reading });
      }
      i = close;
      continue;
    }
    if ('\n;&|()`{}'.includes(c)) commandStart = i + 1;
  }
  return found;
}
