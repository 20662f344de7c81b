import { utils } from 'ssh2';
import { describe, expect, it } from 'vitest';
import { InputReader } from '../../../packages/inputs/index.ts';
import { readCommand, readDeployInputs, splitHostPort } from './inputs.ts';

const KEY = utils.generateKeyPairSync('ed25519').private.trim();
const ENCRYPTED = utils.generateKeyPairSync('ed25519', { passphrase: 'pp', cipher: 'aes256-ctr', rounds: 4 }).private.trim();
const HOST_KEY = 'SHA256:47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU';
const base: Record<string, string> = {
  host: 'deploy.example.com', username: 'deploy', 'private-key': KEY, 'host-key': HOST_KEY,
  image: 'registry.example.com/team/app:dev-abc123', name: 'backend',
};
const read = (values: Record<string, string>) => readDeployInputs(new InputReader((name) => ({ ...base, ...values })[name] ?? ''));

describe('deploy-container files input', () => {
  const files: Record<string, string> = { 'frontend/env-config.js': 'window.ENV = {};\n' };
  const readWith = (value: string) => readDeployInputs(new InputReader((name) => ({ ...base, files: value })[name] ?? ''), (path) => {
    if (!(path in files)) throw Object.assign(new Error(`ENOENT: ${path}`), { code: 'ENOENT' });
    return Buffer.from(files[path]!);
  });

  it('reads workspace files to upload, with their remote paths', () => {
    expect(readWith('frontend/env-config.js = /srv/web/env-config.js').files).toEqual([
      { local: 'frontend/env-config.js', remote: '/srv/web/env-config.js', content: Buffer.from('window.ENV = {};\n') },
    ]);
    expect(readWith('').files).toEqual([]);
  });

  it.each([
    ['frontend/env-config.js', /not a file upload/],
    ['frontend/env-config.js=relative/path', /not a file upload/],
    ['frontend/env-config.js=/srv/web/', /not a file upload/],
    ['=/srv/web/env-config.js', /not a file upload/],
    ['missing.js=/srv/web/missing.js', /^Input 'files': cannot read missing\.js: no such file/],
  ])('names the files input for %j', (value, message) => {
    expect(() => readWith(value)).toThrow(message);
  });
});

describe('deploy-container inputs', () => {
  it('reads a minimal deploy with safe defaults', () => {
    const inputs = read({});
    expect(inputs.targets).toEqual([expect.objectContaining({ host: 'deploy.example.com', port: 22, username: 'deploy', insecureIgnoreHostKey: false })]);
    expect(inputs).toMatchObject({ restart: 'unless-stopped', rollback: true, keepImages: 3, maxParallel: 1, lockTimeoutMs: 120_000, registry: undefined });
    expect(inputs.health).toMatchObject({ container: false, intervalMs: 5000, timeoutMs: 5000, attempts: 5 });
    expect(inputs.secrets).toEqual([KEY]);
  });

  it('reads every container, registry, gate and rollout input', () => {
    const inputs = read({
      hosts: 'a.example\nb.example:2200', host: '', port: '2222', ports: '127.0.0.1:8000:8000\n9000/udp', volumes: '/srv/s:/app/s:ro\ndata:/data',
      env: 'A=1\nB= two ', 'env-file-path': '/etc/app/backend.env', restart: 'on-failure:3', labels: 'tier=web', command: '["gunicorn", "-b", "0.0.0.0:8000"]',
      network: 'app-net', 'docker-args': '--memory=512m\n--init', 'registry-username': 'ci', 'registry-password': 'token',
      'prepare-dirs': '/srv/s:1000:1000:0755\n/srv/t', 'health-url': 'http://127.0.0.1:8000/health/', 'health-interval': '2s',
      'health-timeout': '1s', 'health-attempts': '9', 'health-expected-status': '200', 'health-body-contains': 'ok', rollback: 'false',
      'post-deploy': 'python manage.py collectstatic --noinput', 'lock-timeout': '30s', 'keep-images': '5', 'allow-latest': 'true', 'max-parallel': '2',
      'private-key': ENCRYPTED, passphrase: 'pp', 'jump-host': 'bastion.example:2022', 'jump-username': 'jump', 'jump-host-key': HOST_KEY, 'connect-timeout': '5s',
    });
    expect(inputs.targets.map((t) => [t.host, t.port])).toEqual([['a.example', 2222], ['b.example', 2200]]);
    expect(inputs.jump).toMatchObject({ host: 'bastion.example', port: 2022, username: 'jump', privateKey: ENCRYPTED, passphrase: 'pp', connectTimeoutMs: 5000 });
    expect(inputs.env).toEqual([{ key: 'A', value: '1' }, { key: 'B', value: ' two ' }]);
    expect(inputs.registry).toEqual({ server: 'registry.example.com', username: 'ci', password: 'token' });
    expect(inputs.prepareDirs).toEqual([{ path: '/srv/s', owner: '1000:1000', mode: '0755' }, { path: '/srv/t', owner: undefined, mode: undefined }]);
    expect(inputs.command).toEqual(['gunicorn', '-b', '0.0.0.0:8000']);
    expect(inputs).toMatchObject({ restart: 'on-failure:3', network: 'app-net', rollback: false, keepImages: 5, maxParallel: 2, lockTimeoutMs: 30_000 });
    expect(inputs.health).toMatchObject({ intervalMs: 2000, timeoutMs: 1000, attempts: 9, bodyContains: 'ok' });
    expect(inputs.secrets).toEqual(expect.arrayContaining(['token', ENCRYPTED, 'pp']));
    // `1` and ` two ` (trimmed to 3 characters) would blank every such run in the job log.
    expect(inputs.secrets).not.toContain('1');
    expect(read({ env: 'TOKEN=s3cr3t-value' }).secrets).toContain('s3cr3t-value');
  });

  it.each([
    [{ image: '' }, "Input 'image': is required"],
    [{ image: 'app:latest' }, "Input 'image': 'app:latest' uses the latest tag"],
    [{ name: '-x' }, "Input 'name': '-x' is not a container name"],
    [{ host: '', hosts: '' }, "Input 'host': is required (or hosts, one per line)"],
    [{ hosts: 'b.example' }, "Input 'hosts': cannot be combined with host"],
    [{ host: 'bad host' }, "Input 'hosts': 'bad host' is not a host name"],
    [{ port: '70000' }, "Input 'port': must be at most 65535"],
    [{ username: '' }, "Input 'username': is required"],
    [{ username: 'root;id' }, "Input 'username': 'root;id' is not a user name"],
    [{ 'private-key': '' }, "Input 'private-key': is required (or password)"],
    [{ 'private-key': '-----BEGIN OPENSSH PRIVATE KEY-----\nAAAA\n-----END OPENSSH PRIVATE KEY-----' }, "Input 'private-key': cannot be read"],
    [{ 'private-key': ENCRYPTED }, "Input 'passphrase': is required: private-key is encrypted"],
    [{ 'private-key': ENCRYPTED, passphrase: 'wrong' }, "Input 'passphrase': does not decrypt private-key"],
    [{ 'host-key': '' }, "Input 'host-key': is required: pin the host key"],
    [{ 'host-key': 'other.example ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIKJZTpw//4sZs8bVBBPw2/dwlbJKwmSMMu4vjfVE/JLV' }, "Input 'host-key': has no key for deploy.example.com:22"],
    [{ 'insecure-ignore-host-key': 'perhaps' }, "Input 'insecure-ignore-host-key': expected true or false"],
    [{ 'jump-host': 'bastion.example' }, "Input 'jump-host-key': is required"],
    [{ 'jump-host': 'bad host', 'jump-host-key': HOST_KEY }, "Input 'jump-host': 'bad host' is not a host name"],
    [{ 'jump-host': 'bastion.example', 'jump-host-key': HOST_KEY, 'jump-port': '0' }, "Input 'jump-port': must be at least 1"],
    [{ 'jump-host': 'bastion.example', 'jump-host-key': HOST_KEY, 'jump-private-key': '-----BEGIN OPENSSH PRIVATE KEY-----\nAAAA\n-----END OPENSSH PRIVATE KEY-----' },
      "Input 'jump-private-key': cannot be read"],
    [{ 'jump-host': 'bastion.example', 'jump-host-key': HOST_KEY, 'jump-private-key': ENCRYPTED, 'jump-passphrase': 'wrong' },
      "Input 'jump-passphrase': does not decrypt jump-private-key"],
    [{ 'connect-timeout': '0' }, "Input 'connect-timeout': must be at least 1 ms"],
    [{ ports: '127.0.0.1:80:80:80' }, "Input 'ports': '127.0.0.1:80:80:80' is not a port mapping"],
    [{ volumes: '/a:/b:ro:x' }, "Input 'volumes': '/a:/b:ro:x' is not a volume"],
    [{ env: 'A B=1' }, `Input 'env': the key "A B" on line 1 contains whitespace`],
    [{ 'env-file-path': '/etc/app/' }, "Input 'env-file-path': must be a file path"],
    [{ restart: 'forever' }, "Input 'restart': 'forever' is not a restart policy"],
    [{ labels: 'no-equals' }, "Input 'labels': 'no-equals' is not key=value"],
    [{ command: '["a", 1]' }, "Input 'command': must be a JSON array of strings"],
    [{ command: 'sh -c "echo hi"' }, "Input 'command': has quotes or backslashes; use the JSON array form"],
    [{ network: 'bad net' }, "Input 'network': 'bad net' is not a network name"],
    [{ 'docker-args': 'privileged' }, "Input 'docker-args': 'privileged' is not an option"],
    [{ 'registry-password': 'x' }, "Input 'registry-username': registry-username and registry-password go together"],
    [{ 'registry-password': 'x', 'registry-username': 'u', image: 'team/app:v1' }, "Input 'registry': is required: the image 'team/app:v1' names no registry"],
    [{ 'prepare-dirs': 'relative/path' }, "Input 'prepare-dirs': 'relative/path' is not path[:uid:gid[:mode]]"],
    [{ 'prepare-dirs': '/srv/x:1000:1000:999' }, "Input 'prepare-dirs': '/srv/x:1000:1000:999' is not path"],
    [{ 'health-url': 'ftp://x/' }, "Input 'health-url': 'ftp://x/' must use http or https"],
    [{ 'health-url': 'http://x/', 'health-container': 'true' }, "Input 'health-container': cannot be combined with health-url"],
    [{ 'health-interval': 'often' }, "Input 'health-interval': expected a duration"],
    [{ 'health-timeout': '0' }, "Input 'health-timeout': must be at least 1 ms"],
    [{ 'health-attempts': '0' }, "Input 'health-attempts': must be at least 1, got 0"],
    [{ 'health-expected-status': '2xx' }, "Input 'health-expected-status': '2xx' is not a status code"],
    [{ rollback: 'maybe' }, "Input 'rollback': expected true or false"],
    [{ 'lock-timeout': 'forever' }, "Input 'lock-timeout': expected a duration"],
    [{ 'keep-images': '0' }, "Input 'keep-images': must be at least 1, got 0"],
    [{ 'allow-latest': 'y' }, "Input 'allow-latest': expected true or false"],
    [{ 'max-parallel': '0' }, "Input 'max-parallel': must be at least 1, got 0"],
  ])('%j is refused, naming the input', (values, message) => {
    expect(() => read(values)).toThrow(message);
  });

  it('splits host:port and [v6]:port', () => {
    expect(splitHostPort('[::1]:2200', 22)).toEqual({ host: '::1', port: 2200 });
    expect(splitHostPort('web.example', 2222)).toEqual({ host: 'web.example', port: 2222 });
  });
  it('reads a blank-separated command', () => {
    expect(readCommand('gunicorn app.wsgi --workers 3')).toEqual(['gunicorn', 'app.wsgi', '--workers', '3']);
  });
});
