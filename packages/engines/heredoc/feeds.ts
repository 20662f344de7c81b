// Whether a heredoc's body is itself a script: judged by the command that reads it, the way a reader of a
// deploy script would (a shell, ssh with no remote command or a remote shell, docker/kubectl exec of a shell).

const SHELLS = new Set(['bash', 'sh', 'dash', 'zsh', 'ksh', 'mksh', 'ash', 'busybox']);
/** Commands that run the rest of their words as a command; their own options are skipped. */
const WRAPPERS = new Set(['sudo', 'doas', 'env', 'nohup', 'exec', 'command', 'time', 'nice', 'stdbuf', 'setsid', 'timeout', 'xargs']);
/** Options of the wrappers and of ssh, docker and kubectl exec that take a value in the next word. */
const WRAPPER_VALUE_OPTIONS = new Set(['-u', '-g', '-h', '-p', '-C', '-n', '-s', '-k', '--signal', '--kill-after', '--user', '--group']);
const SSH_VALUE_OPTIONS = new Set([
  '-b',
  '-c',
  '-D',
  '-E',
  '-e',
  '-F',
  '-I',
  '-i',
  '-J',
  '-L',
  '-l',
  '-m',
  '-O',
  '-o',
  '-p',
  '-Q',
  '-R',
  '-S',
  '-W',
  '-w',
  '-B',
  '-P',
]);
const EXEC_VALUE_OPTIONS = new Set([
  '-u',
  '--user',
  '-e',
  '--env',
  '-w',
  '--workdir',
  '--env-file',
  '--detach-keys',
  '-c',
  '--container',
  '-n',
  '--namespace',
  '--context',
  '--index',
  '--pod-running-timeout',
]);

/** The words of a command line, quotes removed (a simple reading: enough to find command names). */
export function commandWords(line: string): string[] {
  return [...line.matchAll(/'[^']*'|"(?:\\.|[^"\\])*"|[^\s'"]+/g)].map((m) => m[0].replace(/^(['"])([\s\S]*)\1$/, '$2'));
}

/** The words of the simple command an operator belongs to, redirections included: its line, cut at separators. */
function simpleCommandAt(text: string, opStart: number, delimEnd: number): string[] {
  const lineStart = text.lastIndexOf('\n', opStart - 1) + 1;
  const lineEnd = text.indexOf('\n', delimEnd);
  const before =
    text
      .slice(lineStart, opStart)
      // A { opens a group, but not in ${VAR}.
      .split(/&&|\|\||[;|&(`]|(?<!\$)\{|\$\(/)
      .pop() ?? '';
  const after = text.slice(delimEnd, lineEnd < 0 ? text.length : lineEnd).split(/&&|\|\||[;|&)`}#]/)[0] ?? '';
  return commandWords(`${before} ${after}`);
}

/** The simple command an operator belongs to, without its redirections. */
export function commandAround(text: string, opStart: number, delimEnd: number): string[] {
  return withoutRedirections(simpleCommandAt(text, opStart, delimEnd));
}

/** A file whose text GitHub or an editor renders as Markdown: the job summary, or a .md file. */
function markdownFile(word: string): string | undefined {
  if (/^\$\{?GITHUB_STEP_SUMMARY\}?$/.test(word)) return 'the job summary';
  return /\.(md|markdown)$/i.test(word) ? word : undefined;
}

/**
 * Where a heredoc's body goes when that place renders Markdown: a redirection or `tee` to the job summary or
 * a .md file, or `gh pr|issue comment|create|edit|review` reading its body from standard input.
 */
export function markdownSink(text: string, opStart: number, delimEnd: number): string | undefined {
  const words = simpleCommandAt(text, opStart, delimEnd);
  const sink = sinkOf(words);
  if (sink || basename(withoutRedirections(words)[0] ?? 'cat') !== 'cat') return sink;
  // cat <<EOF | gh pr comment 1 --body-file -, | tee -a "$GITHUB_STEP_SUMMARY": the next stage of the pipeline.
  const lineEnd = text.indexOf('\n', delimEnd);
  const next = /^[^|]*?(?<!\|)\|(?!\|)([^|;&]*)/.exec(text.slice(delimEnd, lineEnd < 0 ? text.length : lineEnd))?.[1];
  return next === undefined ? undefined : sinkOf(commandWords(next));
}

function sinkOf(words: string[]): string | undefined {
  for (let i = 0; i < words.length; i++) {
    const redirect = /^\d*(>>?|&>>?)(.*)$/.exec(words[i]!);
    const target = redirect && (redirect[2] || words[i + 1]);
    const file = target ? markdownFile(target) : undefined;
    if (file) return file;
  }
  const command = withoutRedirections(words);
  const name = command[0] === undefined ? '' : basename(command[0]);
  if (name === 'tee') return command.slice(1).map(markdownFile).find(Boolean);
  if (name === 'gh' && /^(pr|issue)$/.test(command[1] ?? '') && /^(comment|create|edit|review)$/.test(command[2] ?? '')) {
    const fromStdin =
      command.some((word, i) => (word === '--body-file' || word === '-F') && command[i + 1] === '-') || command.includes('--body-file=-');
    return fromStdin ? `a ${command[1] === 'pr' ? 'pull request' : 'issue'} ${command[2] === 'comment' ? 'comment' : 'body'}` : undefined;
  }
  return undefined;
}

function withoutRedirections(words: string[]): string[] {
  const kept: string[] = [];
  for (let i = 0; i < words.length; i++) {
    const word = words[i]!;
    if (/^\d*(>>?|<|>&|<&|&>>?)$/.test(word)) {
      i++;
      continue;
    }
    if (/^\d*(>>?|<|>&|<&|&>>?)\S/.test(word)) continue;
    kept.push(word);
  }
  return kept;
}

const basename = (word: string) => word.slice(word.lastIndexOf('/') + 1);

function skipOptions(words: string[], valued: ReadonlySet<string>): string[] {
  let i = 0;
  while (i < words.length && words[i]!.startsWith('-') && words[i] !== '--') i += valued.has(words[i]!) ? 2 : 1;
  if (words[i] === '--') i++;
  return words.slice(i);
}

/** A command without its leading assignments and wrappers (sudo, env, timeout 60 …): its words, name and arguments. */
function unwrapped(words: readonly string[]): { rest: string[]; name: string; args: string[] } {
  let rest = [...words];
  while (rest.length > 0 && (/^[A-Za-z_]\w*=/.test(rest[0]!) || WRAPPERS.has(basename(rest[0]!)))) {
    const wrapper = basename(rest[0]!);
    rest = /=/.test(rest[0]!) && !WRAPPERS.has(wrapper) ? rest.slice(1) : skipOptions(rest.slice(1), WRAPPER_VALUE_OPTIONS);
    if (wrapper === 'timeout' && rest.length > 0) rest = rest.slice(1); // the duration
  }
  return { rest, name: rest[0] === undefined ? '' : basename(rest[0]), args: rest.slice(1) };
}

/** The command a `docker|podman|kubectl|oc … exec` runs in the container, or undefined for another command. */
function execedCommand(name: string, args: readonly string[]): string[] | undefined {
  const execAt = args.indexOf('exec');
  if (!['docker', 'podman', 'nerdctl', 'kubectl', 'oc', 'docker-compose'].includes(name) || execAt < 0 || execAt > 2) return undefined;
  const afterExec = skipOptions(args.slice(execAt + 1), EXEC_VALUE_OPTIONS);
  return name === 'kubectl' || name === 'oc' ? afterExec.slice(afterExec.indexOf('--') + 1 || 1) : afterExec.slice(1);
}

/**
 * What runs a quoted string as a script when the string is the next word after `words`: the string of a shell's
 * -c (`bash -c`, `sudo -u app sh -ec`, `docker exec web sh -c`), or the remote command of `ssh host`.
 */
export function commandStringReader(words: readonly string[]): { reader: string; shell: 'bash' | 'sh' } | undefined {
  const { name, args } = unwrapped(words);
  if (SHELLS.has(name) && name !== 'busybox') {
    // The string must be the word right after the -c option (bash -c 'script', bash -ec 'script').
    const last = args.at(-1);
    return last && /^-[a-z]*c[a-z]*$/.test(last)
      ? { reader: `${name} ${last}`, shell: name === 'bash' || name === 'zsh' ? 'bash' : 'sh' }
      : undefined;
  }
  if (name === 'ssh') {
    const remote = skipOptions(args, SSH_VALUE_OPTIONS);
    return remote.length === 1 ? { reader: `ssh ${remote[0]}`, shell: 'bash' } : undefined;
  }
  const command = execedCommand(name, args);
  const inner = command && commandStringReader(command);
  return inner ? { ...inner, reader: `${name} exec … ${inner.reader}` } : undefined;
}

/**
 * What runs the body as a script, e.g. "bash", "ssh deploy@host", "docker exec … sh"; undefined when the
 * reader is not a shell (cat, tee, psql, a shell given -c or a script file). `extra` names more commands
 * whose standard input is a script (configuration).
 */
export function scriptReader(words: readonly string[], extra: ReadonlySet<string> = new Set()): string | undefined {
  const { rest, name, args } = unwrapped(words);
  if (extra.has(name)) return name;
  if (SHELLS.has(name)) {
    const shellArgs = name === 'busybox' ? args.slice(1) : args;
    if (name === 'busybox' && !SHELLS.has(args[0] ?? '')) return undefined;
    const options = shellArgs.filter((a) => a.startsWith('-') && a !== '-' && a !== '--');
    if (options.some((o) => /^-[a-z]*c/.test(o))) return undefined; // -c: the script is the next word
    const operands = shellArgs.filter((a) => !a.startsWith('-'));
    return operands.length === 0 || options.some((o) => /^-[a-z]*s/.test(o)) || shellArgs.includes('-')
      ? rest.slice(0, 2).join(' ').replace(/ -$/, '')
      : undefined;
  }
  if (name === 'ssh') {
    const [destination, ...remote] = skipOptions(args, SSH_VALUE_OPTIONS);
    if (destination === undefined) return undefined;
    if (remote.length === 0) return `ssh ${destination}`;
    const inner = scriptReader(commandWords(remote.join(' ')), extra);
    return inner ? `${inner} over ssh ${destination}` : undefined;
  }
  const command = execedCommand(name, args);
  const inner = command && scriptReader(command, extra);
  return inner ? `${name} exec … ${inner}` : undefined;
}
