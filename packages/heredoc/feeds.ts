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

/** The simple command an operator belongs to: its line, cut at the command separators before and after it. */
export function commandAround(text: string, opStart: number, delimEnd: number): string[] {
  const lineStart = text.lastIndexOf('\n', opStart - 1) + 1;
  const lineEnd = text.indexOf('\n', delimEnd);
  const before =
    text
      .slice(lineStart, opStart)
      .split(/&&|\|\||[;|&(`{]|\$\(/)
      .pop() ?? '';
  const after = text.slice(delimEnd, lineEnd < 0 ? text.length : lineEnd).split(/&&|\|\||[;|&)`}#]/)[0] ?? '';
  return withoutRedirections(commandWords(`${before} ${after}`));
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

/**
 * What runs the body as a script, e.g. "bash", "ssh deploy@host", "docker exec … sh"; undefined when the
 * reader is not a shell (cat, tee, psql, a shell given -c or a script file). `extra` names more commands
 * whose standard input is a script (configuration).
 */
export function scriptReader(words: readonly string[], extra: ReadonlySet<string> = new Set()): string | undefined {
  let rest = [...words];
  while (rest.length > 0 && (/^[A-Za-z_]\w*=/.test(rest[0]!) || WRAPPERS.has(basename(rest[0]!)))) {
    const wrapper = basename(rest[0]!);
    rest = /=/.test(rest[0]!) && !WRAPPERS.has(wrapper) ? rest.slice(1) : skipOptions(rest.slice(1), WRAPPER_VALUE_OPTIONS);
    if (wrapper === 'timeout' && rest.length > 0) rest = rest.slice(1); // the duration
  }
  const name = rest[0] === undefined ? '' : basename(rest[0]);
  const args = rest.slice(1);
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
  const execAt = args.indexOf('exec');
  if (['docker', 'podman', 'nerdctl', 'kubectl', 'oc', 'docker-compose'].includes(name) && execAt >= 0 && execAt <= 2) {
    const afterExec = skipOptions(args.slice(execAt + 1), EXEC_VALUE_OPTIONS);
    const command = name === 'kubectl' || name === 'oc' ? afterExec.slice(afterExec.indexOf('--') + 1 || 1) : afterExec.slice(1);
    const inner = scriptReader(command, extra);
    return inner ? `${name} exec … ${inner}` : undefined;
  }
  return undefined;
}
