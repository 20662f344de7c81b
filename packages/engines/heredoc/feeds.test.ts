import { describe, expect, it } from 'vitest';
import { commandStringReader, commandAround, commandWords, scriptReader } from './feeds.ts';

const reader = (line: string, extra?: string[]) => scriptReader(commandWords(line), new Set(extra));

describe('scriptReader: what runs a heredoc body as a script', () => {
  it.each([
    ['bash', 'bash'],
    ['sh', 'sh'],
    ['bash -s', 'bash -s'],
    ['bash -s -- a b', 'bash -s'],
    ['/bin/sh -e', '/bin/sh -e'],
    ['sudo -u app bash', 'bash'],
    ['env A=1 sh', 'sh'],
    ['A=1 B=2 bash', 'bash'],
    ['timeout 60 bash', 'bash'],
    ['busybox sh', 'busybox sh'],
    ['ssh deploy@host', 'ssh deploy@host'],
    ['ssh -i key -p 2222 -o StrictHostKeyChecking=yes deploy@host', 'ssh deploy@host'],
    ['ssh host bash -s', 'bash -s over ssh host'],
    ['ssh host "sudo bash"', 'bash over ssh host'],
    ['ssh -T host sh', 'sh over ssh host'],
    ['docker exec -i web sh', 'docker exec … sh'],
    ['docker compose exec -T web bash', 'docker exec … bash'],
    ['kubectl exec -i -n prod deploy/web -- sh', 'kubectl exec … sh'],
    ['podman exec -i -u root db bash -s', 'podman exec … bash -s'],
  ])('%s → %s', (line, expected) => {
    expect(reader(line)).toBe(expected);
  });

  it.each([
    'cat',
    'tee app.env',
    'psql -v ON_ERROR_STOP=1',
    'bash -c "echo hi"',
    'bash -ec "echo hi"',
    'bash deploy.sh',
    'sh ./x.sh arg',
    'ssh host "cat > /etc/app.env"',
    'ssh host tee /tmp/x',
    'docker exec -i db psql',
    'kubectl exec -i web -- cat',
    'python3',
    'docker run -i x',
  ])('%s is not a script reader', (line) => {
    expect(reader(line)).toBeUndefined();
  });

  it('takes more readers from configuration', () => {
    expect(reader('my-remote-shell prod')).toBeUndefined();
    expect(reader('my-remote-shell prod', ['my-remote-shell'])).toBe('my-remote-shell');
  });
});

describe('commandAround: the simple command a heredoc operator belongs to', () => {
  const around = (line: string) => {
    const op = line.indexOf('<<');
    const delimEnd = op + /^<<-?\s*\S+/.exec(line.slice(op))![0].length;
    return commandAround(line, op, delimEnd);
  };
  it('cuts at separators and drops redirections', () => {
    expect(around('cd /srv && ssh host bash <<EOF')).toEqual(['ssh', 'host', 'bash']);
    expect(around("echo start; sudo bash -s <<'EOF' 2>&1 | tee log")).toEqual(['sudo', 'bash', '-s']);
    expect(around('cat > /tmp/x <<EOF')).toEqual(['cat']);
    expect(around('x=$(ssh host <<EOF')).toEqual(['ssh', 'host']);
  });
});

describe('commandStringReader: the quoted word a command runs as a script', () => {
  it.each([
    ['bash -c', 'bash -c'],
    ['sudo -u app bash -ec', 'bash -ec'],
    ['sh -c', 'sh -c'],
    ['ssh -p 2222 -i key deploy@app1', 'ssh deploy@app1'],
    ['docker exec -i web sh -c', 'docker exec … sh -c'],
    ['kubectl exec -n prod pod/web -- bash -c', 'kubectl exec … bash -c'],
  ])('%s runs its next word', (command, reader) => {
    expect(commandStringReader(commandWords(command))?.reader).toBe(reader);
  });

  it.each([['echo'], ['bash script.sh'], ['ssh deploy@app1 ls'], ['bash -c "true" arg0'], ['grep -c']])('%s does not', (command) => {
    expect(commandStringReader(commandWords(command))).toBeUndefined();
  });
});
