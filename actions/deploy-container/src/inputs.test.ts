import { mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { utils } from 'ssh2';
import { afterAll, describe, expect, it } from 'vitest';
import { InputReader } from '#inputs/index';
import { isServiceStep, readCommand, readDeployInputs, readServiceStepInputs } from './inputs.ts';
import { selfSignedCertificate } from '../../../test/support/servers.ts';

const KEY = utils.generateKeyPairSync('ed25519').private.trim();
const ENCRYPTED = utils.generateKeyPairSync('ed25519', { passphrase: 'pp', cipher: 'aes256-ctr', rounds: 4 }).private.trim();
const HOST_KEY = 'SHA256:47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU';
const base: Record<string, string> = {
  host: 'deploy.example.com',
  username: 'deploy',
  'private-key': KEY,
  'host-key': HOST_KEY,
  image: 'registry.example.com/team/app:dev-abc123',
  name: 'backend',
};
const read = (values: Record<string, string>) => readDeployInputs(new InputReader((name) => ({ ...base, ...values })[name] ?? ''));

describe('deploy-container files input', () => {
  // A real workspace folder, with a file inside, one outside, and links across the boundary.
  const root = mkdtempSync(join(tmpdir(), 'gp-files-'));
  const workspace = join(root, 'workspace');
  mkdirSync(join(workspace, 'frontend'), { recursive: true });
  writeFileSync(join(workspace, 'frontend/env-config.js'), 'window.ENV = {};\n');
  writeFileSync(join(root, 'outside.txt'), 'not for upload\n');
  symlinkSync(join(root, 'outside.txt'), join(workspace, 'link-out'));
  symlinkSync('frontend/env-config.js', join(workspace, 'link-in'));
  afterAll(() => rmSync(root, { recursive: true, force: true }));
  const localFiles = { workspace, realPath: (path: string) => realpathSync(path), read: (path: string) => readFileSync(path) };
  const readWith = (value: string) => readDeployInputs(new InputReader((name) => ({ ...base, files: value })[name] ?? ''), localFiles);

  it('reads workspace files to upload, with their remote paths, links inside the workspace included', () => {
    expect(readWith('frontend/env-config.js = /srv/web/env-config.js\nlink-in=/srv/web/again.js').files).toEqual([
      { local: 'frontend/env-config.js', remote: '/srv/web/env-config.js', content: Buffer.from('window.ENV = {};\n') },
      { local: 'link-in', remote: '/srv/web/again.js', content: Buffer.from('window.ENV = {};\n') },
    ]);
    expect(readWith('').files).toEqual([]);
  });

  it.each([
    ['frontend/env-config.js', /not a file upload/],
    ['frontend/env-config.js=relative/path', /not a file upload/],
    ['frontend/env-config.js=/srv/web/', /not a file upload/],
    ['=/srv/web/env-config.js', /not a file upload/],
    ['missing.js=/srv/web/missing.js', /^Input 'files': cannot read missing\.js: no such file/],
    ['../outside.txt=/srv/web/x', /^Input 'files': \.\.\/outside\.txt resolves outside the workspace/],
    ['/etc/passwd=/srv/web/x', /^Input 'files': \/etc\/passwd resolves outside the workspace/],
    ['../../../../../../no-such-folder/x=/srv/web/x', /^Input 'files': (\.\.\/){6}no-such-folder\/x resolves outside the workspace/],
    ['link-out=/srv/web/x', /^Input 'files': link-out resolves outside the workspace/],
    ['.=/srv/web/x', /^Input 'files': \. resolves outside the workspace/],
  ])('names the files input for %j', (value, message) => {
    expect(() => readWith(value)).toThrow(message);
  });
});

const SWITCH = { strategy: 'switch', 'proxy-image': 'registry.example.com/nginx:1.27', ports: '127.0.0.1:8000:8000' };

describe('deploy-container inputs', () => {
  it('reads strategy switch with its proxy image and drain timeout; replace is the default', () => {
    expect(read({}).strategy).toBe('replace');
    expect(read({ ...SWITCH, 'drain-timeout': '5s', 'health-url': 'http://127.0.0.1:8000/health/' })).toMatchObject({
      strategy: 'switch',
      proxyImage: 'registry.example.com/nginx:1.27',
      drainTimeoutMs: 5000,
    });
    expect(read(SWITCH).drainTimeoutMs).toBe(30_000);
    // A host side on every address matches any host in health-url.
    expect(read({ ...SWITCH, ports: '8000:8000', 'health-url': 'http://localhost:8000/h' }).strategy).toBe('switch');
  });

  it('accepts guarded host mounts with allow-host-mounts, and an env line at the limit', () => {
    expect(read({ volumes: '/etc/ssl/certs:/certs:ro', 'allow-host-mounts': 'true' }).volumes).toEqual(['/etc/ssl/certs:/certs:ro']);
    expect(read({ volumes: '/srv/etc:/x\n/etcetera:/y' }).volumes).toHaveLength(2);
    expect(read({ env: `BIG=${'x'.repeat(64 * 1024 - 5)}` }).env[0]!.value).toHaveLength(64 * 1024 - 5);
  });

  it('never puts an over-long env value into its error', () => {
    const value = `secret-${'y'.repeat(70_000)}`;
    expect(() => read({ env: `TOKEN=${value}` })).toThrow(/^Input 'env': the line of TOKEN is \d+ bytes/);
    try {
      read({ env: `TOKEN=${value}` });
    } catch (error) {
      expect((error as Error).message).not.toContain('secret-');
    }
  });

  it('reads a minimal deploy with safe defaults', () => {
    const inputs = read({});
    expect(inputs.targets).toEqual([
      expect.objectContaining({ host: 'deploy.example.com', port: 22, username: 'deploy', insecureIgnoreHostKey: false }),
    ]);
    expect(inputs).toMatchObject({
      restart: 'unless-stopped',
      rollback: true,
      keepImages: 3,
      maxParallel: 1,
      lockTimeoutMs: 120_000,
      registry: undefined,
    });
    expect(inputs.health).toMatchObject({ container: false, intervalMs: 5000, timeoutMs: 5000, attempts: 5 });
    expect(inputs.secrets).toEqual([KEY]);
  });

  it('reads every container, registry, gate and rollout input', () => {
    const inputs = read({
      hosts: 'a.example\nb.example:2200',
      host: '',
      port: '2222',
      ports: '127.0.0.1:8000:8000\n9000/udp',
      volumes: '/srv/s:/app/s:ro\ndata:/data',
      env: 'A=1\nB= two ',
      'env-file-path': '/etc/app/backend.env',
      restart: 'on-failure:3',
      labels: 'tier=web',
      command: '["gunicorn", "-b", "0.0.0.0:8000"]',
      network: 'app-net',
      'docker-args': '--memory=512m\n--init',
      'registry-username': 'ci',
      'registry-password': 'token',
      'prepare-dirs': '/srv/s:1000:1000:0755\n/srv/t',
      'health-url': 'http://127.0.0.1:8000/health/',
      'health-interval': '2s',
      'health-timeout': '1s',
      'health-attempts': '9',
      'health-expected-status': '200',
      'health-body-contains': 'ok',
      rollback: 'false',
      'post-deploy': 'python manage.py collectstatic --noinput',
      'lock-timeout': '30s',
      'keep-images': '5',
      'allow-latest': 'true',
      'max-parallel': '2',
      'private-key': ENCRYPTED,
      passphrase: 'pp',
      'jump-host': 'bastion.example:2022',
      'jump-username': 'jump',
      'jump-host-key': HOST_KEY,
      'connect-timeout': '5s',
    });
    expect(inputs.targets.map((t) => [t.host, t.port])).toEqual([
      ['a.example', 2222],
      ['b.example', 2200],
    ]);
    expect(inputs.jump).toMatchObject({
      host: 'bastion.example',
      port: 2022,
      username: 'jump',
      privateKey: ENCRYPTED,
      passphrase: 'pp',
      connectTimeoutMs: 5000,
    });
    expect(inputs.env).toEqual([
      { key: 'A', value: '1' },
      { key: 'B', value: ' two ' },
    ]);
    expect(inputs.registry).toEqual({ server: 'registry.example.com', username: 'ci', password: 'token' });
    expect(inputs.prepareDirs).toEqual([
      { path: '/srv/s', owner: '1000:1000', mode: '0755' },
      { path: '/srv/t', owner: undefined, mode: undefined },
    ]);
    expect(inputs.command).toEqual(['gunicorn', '-b', '0.0.0.0:8000']);
    expect(inputs).toMatchObject({
      restart: 'on-failure:3',
      network: 'app-net',
      rollback: false,
      keepImages: 5,
      maxParallel: 2,
      lockTimeoutMs: 30_000,
    });
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
    [{ host: 'bad host' }, "Input 'host': 'bad host' is not a host name"],
    [{ port: '70000' }, "Input 'port': must be at most 65535"],
    [{ username: '' }, "Input 'username': is required"],
    [{ username: 'root;id' }, "Input 'username': 'root;id' is not a user name"],
    [{ 'private-key': '' }, "Input 'private-key': is required (or password)"],
    [
      { 'private-key': '-----BEGIN OPENSSH PRIVATE KEY-----\nAAAA\n-----END OPENSSH PRIVATE KEY-----' },
      "Input 'private-key': cannot be read",
    ],
    [{ 'private-key': ENCRYPTED }, "Input 'passphrase': is required: private-key is encrypted"],
    [{ 'private-key': ENCRYPTED, passphrase: 'wrong' }, "Input 'passphrase': does not decrypt private-key"],
    [{ 'host-key': '' }, "Input 'host-key': is required: pin the host key"],
    [
      { 'host-key': 'other.example ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIKJZTpw//4sZs8bVBBPw2/dwlbJKwmSMMu4vjfVE/JLV' },
      "Input 'host-key': has no key for deploy.example.com:22",
    ],
    [{ 'insecure-ignore-host-key': 'perhaps' }, "Input 'insecure-ignore-host-key': expected true or false"],
    [{ 'jump-host': 'bastion.example' }, "Input 'jump-host-key': is required"],
    [{ 'jump-host': 'bad host', 'jump-host-key': HOST_KEY }, "Input 'jump-host': 'bad host' is not a host name"],
    [{ 'jump-host': 'bastion.example', 'jump-host-key': HOST_KEY, 'jump-port': '0' }, "Input 'jump-port': must be at least 1"],
    [
      {
        'jump-host': 'bastion.example',
        'jump-host-key': HOST_KEY,
        'jump-private-key': '-----BEGIN OPENSSH PRIVATE KEY-----\nAAAA\n-----END OPENSSH PRIVATE KEY-----',
      },
      "Input 'jump-private-key': cannot be read",
    ],
    [
      { 'jump-host': 'bastion.example', 'jump-host-key': HOST_KEY, 'jump-private-key': ENCRYPTED, 'jump-passphrase': 'wrong' },
      "Input 'jump-passphrase': does not decrypt jump-private-key",
    ],
    // The jump host's key goes through the same checks as the hosts' key, and errors name where it came from.
    [
      { 'jump-host': 'bastion.example', 'jump-host-key': HOST_KEY, 'jump-private-key': 'not a key' },
      "Input 'jump-private-key': is not a PEM or OpenSSH private key",
    ],
    [
      { 'jump-host': 'bastion.example', 'jump-host-key': HOST_KEY, 'private-key': ENCRYPTED, passphrase: 'wrong' },
      "Input 'passphrase': does not decrypt private-key",
    ],
    [
      { 'jump-host': 'bastion.example', 'jump-host-key': HOST_KEY, 'jump-private-key': ENCRYPTED, passphrase: 'wrong' },
      "Input 'passphrase': does not decrypt jump-private-key",
    ],
    [
      {
        'jump-host': 'bastion.example:2022',
        'jump-host-key': 'other.example ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIKJZTpw//4sZs8bVBBPw2/dwlbJKwmSMMu4vjfVE/JLV',
      },
      "Input 'jump-host-key': has no key for bastion.example:2022",
    ],
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
    [
      { 'registry-password': 'x', 'registry-username': 'u', image: 'team/app:v1' },
      "Input 'registry': is required: the image 'team/app:v1' names no registry",
    ],
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
    [{ strategy: 'blue-green' }, "Input 'strategy': 'blue-green' is not a strategy (replace, switch, swarm)"],
    [{ ...SWITCH, 'proxy-image': '' }, "Input 'proxy-image': is required"],
    [{ ...SWITCH, 'proxy-image': 'nginx:latest' }, "Input 'proxy-image': 'nginx:latest' uses the latest tag"],
    [{ ...SWITCH, 'proxy-image': 'Not An Image' }, "Input 'proxy-image': 'Not An Image' is not a valid image reference"],
    [{ ...SWITCH, ports: '' }, "Input 'ports': is required with strategy switch"],
    [{ ...SWITCH, ports: '8000' }, "Input 'ports': '8000' is not a single TCP host:container port"],
    [{ ...SWITCH, ports: '127.0.0.1:8000-8001:8000-8001' }, "Input 'ports': '127.0.0.1:8000-8001:8000-8001' is not a single TCP"],
    [{ ...SWITCH, ports: '127.0.0.1:5353:53/udp' }, "Input 'ports': '127.0.0.1:5353:53/udp' is not a single TCP"],
    [
      { ...SWITCH, 'health-url': 'http://127.0.0.1:9999/health' },
      "Input 'health-url': 127.0.0.1:9999 is not the host side of any of ports",
    ],
    [{ ...SWITCH, 'drain-timeout': 'soon' }, "Input 'drain-timeout': expected a duration"],
    [{ ...SWITCH, 'drain-timeout': '-5s' }, "Input 'drain-timeout': must not be negative"],
    [{ 'allow-host-mounts': 'sure' }, "Input 'allow-host-mounts': expected true or false"],
    [{ volumes: '/:/host' }, "Input 'volumes': '/:/host' mounts the host's root (/); set allow-host-mounts: true"],
    [{ volumes: '/etc:/host-etc:ro' }, "Input 'volumes': '/etc:/host-etc:ro' mounts the host's /etc"],
    [{ volumes: '/proc/1:/p' }, "Input 'volumes': '/proc/1:/p' mounts the host's /proc"],
    [{ volumes: '/sys/fs/cgroup:/c:ro' }, "Input 'volumes': '/sys/fs/cgroup:/c:ro' mounts the host's /sys"],
    [{ volumes: '/srv/../etc/ssl:/c' }, "Input 'volumes': '/srv/../etc/ssl:/c' mounts the host's /etc"],
    [{ volumes: '//:/c' }, "Input 'volumes': '//:/c' mounts the host's root (/)"],
    [{ env: `BIG=${'x'.repeat(64 * 1024)}` }, "Input 'env': the line of BIG is 65540 bytes; docker's env file reader takes at most 65535"],
    [
      { image: `registry.example.com/${'a'.repeat(240)}:v1` },
      "Input 'image': 'registry.example.com/aaaaaaaaaaaaaaaaaaa…' has a name of 261 characters; image names are at most 255",
    ],
    [{ host: `${'a'.repeat(64)}.example.com` }, "Input 'host': '" + 'a'.repeat(40) + "…' is longer than a host name may be"],
    [{ host: Array(60).fill('abcd').join('.') }, 'is longer than a host name may be (253 characters, 63 per label)'],
    [
      { 'jump-host': `${'b'.repeat(70)}.example`, 'jump-host-key': HOST_KEY },
      "Input 'jump-host': '" + 'b'.repeat(40) + "…' is longer than a host name may be",
    ],
  ])('%j is refused, naming the input', (values, message) => {
    expect(() => read(values)).toThrow(message);
  });

  it('reads a blank-separated command', () => {
    expect(readCommand('gunicorn app.wsgi --workers 3')).toEqual(['gunicorn', 'app.wsgi', '--workers', '3']);
  });
});

describe('deploy-container edge inputs', () => {
  const dir = mkdtempSync(join(tmpdir(), 'gp-edge-inputs-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const cert = selfSignedCertificate(dir, 'web', 'web.example', 90);
  const other = selfSignedCertificate(dir, 'other', 'other.example', 90);
  const soon = selfSignedCertificate(dir, 'soon', 'soon.example', 5);
  const edge = { strategy: 'switch', 'proxy-image': 'haproxy:2.6', ports: '127.0.0.1:8443:8000' };

  it('reads TLS (the key kept secret, the certificate checked) and the PROXY protocol with strategy switch', () => {
    const inputs = read({ ...edge, 'tls-certificate': cert.cert, 'tls-key': cert.key, 'proxy-protocol': 'true' });
    expect([inputs.tls!.certificate, inputs.tls!.key]).toEqual([cert.cert.trim(), cert.key.trim()]);
    expect(inputs.tls!.check.subject).toBe('CN=web.example');
    expect(inputs.tls!.digest).toMatch(/^[0-9a-f]{64}$/);
    expect(inputs.tls!.check.daysLeft).toBeGreaterThanOrEqual(89);
    expect(inputs.secrets).toContain(cert.key.trim());
    expect(inputs.proxyProtocol).toBe(true);
    expect([inputs.forwardHeaders, read({ ...edge, 'forward-headers': 'true' }).forwardHeaders]).toEqual([false, true]);
    expect(read(edge).health.ca).toBeUndefined();
    expect(
      read({ ...edge, 'tls-certificate': cert.cert, 'tls-key': cert.key, 'health-url': 'https://127.0.0.1:8443/' }).health.ca,
    ).toContain(cert.cert.trim());
    expect(read({ ...edge, 'tls-certificate': soon.cert, 'tls-key': soon.key }).tls!.check.warning).toMatch(/expires in [45] day/);
  });

  it.each([
    [{ 'tls-certificate': 'x' }, /^Input 'tls-certificate': needs strategy switch/],
    [{ 'proxy-protocol': 'true' }, /^Input 'proxy-protocol': needs strategy switch/],
    [{ ...edge, 'tls-certificate': cert.cert }, /^Input 'tls-key': tls-certificate and tls-key go together/],
    [
      { ...edge, 'tls-certificate': cert.cert, 'tls-key': other.key },
      /^Input 'tls-key': does not match tls-certificate \(CN=web\.example\)/,
    ],
    [{ ...edge, 'tls-certificate': 'not a pem', 'tls-key': cert.key }, /^Input 'tls-certificate': holds no PEM certificate/],
    [{ maintenance: 'on' }, /^Input 'maintenance': changes only what the edge answers/],
  ])('refuses %j before connecting', (values, message) => {
    expect(() => read(values as Record<string, string>)).toThrow(message);
  });

  it('reads a service step: no image, and maintenance (the flag, a workspace page or the default one) or remove', () => {
    const workspace = realpathSync(dir);
    writeFileSync(join(workspace, 'down.html'), '<h1>Back at five</h1>\n');
    writeFileSync(join(workspace, 'huge.html'), 'x'.repeat(9000));
    const localFiles = { workspace, realPath: (path: string) => realpathSync(path), read: (path: string) => readFileSync(path) };
    const step = (values: Record<string, string>) => {
      const reader = new InputReader((name) => ({ ...base, image: '', ...values })[name] ?? '');
      expect(isServiceStep(reader)).toBe(true);
      return readServiceStepInputs(reader, localFiles).step;
    };
    expect(step({ maintenance: 'on', 'maintenance-page': 'down.html' })).toEqual({
      kind: 'maintenance',
      maintenance: { on: true, page: '<h1>Back at five</h1>\n' },
    });
    expect(step({ maintenance: 'OFF' })).toMatchObject({ maintenance: { on: false } });
    expect(step({ maintenance: 'off' })).toMatchObject({ maintenance: { page: expect.stringContaining('Down for maintenance') } });
    expect(step({ remove: 'true' })).toEqual({ kind: 'remove' });
    expect(() => step({ remove: 'true', maintenance: 'on' })).toThrow(/^Input 'remove': and maintenance are two steps; give one/);
    expect(() => step({ maintenance: 'later' })).toThrow(/^Input 'maintenance': 'later' is neither on nor off/);
    expect(() => step({ maintenance: 'on', 'maintenance-page': 'huge.html' })).toThrow(
      /^Input 'maintenance-page': huge\.html is 9000 bytes; the edge serves at most 8192/,
    );
    expect(() => step({ maintenance: 'on', 'maintenance-page': '../x.html' })).toThrow(
      /^Input 'maintenance-page': \.\.\/x\.html resolves outside the workspace/,
    );
    expect(isServiceStep(new InputReader((name) => ({ ...base, maintenance: 'on' })[name] ?? ''))).toBe(false);
    expect(() => read({ remove: 'true' })).toThrow(/^Input 'remove': removes the service: run it as a step of its own, without image/);
  });
});

describe('strategy swarm inputs', () => {
  const SWARM = {
    strategy: 'swarm',
    'proxy-image': 'haproxy:2.8',
    ports: '8300:9000',
    'health-url': 'http://127.0.0.1:8300/cgi-bin/status?x=1',
  };

  it('reads the replicas, the published and container ports, and the health path the tasks are checked on', () => {
    expect(read({ ...SWARM, replicas: '3', 'converge-timeout': '90s' }).swarm).toEqual({
      replicas: 3,
      convergeTimeoutMs: 90_000,
      publishedPort: 8300,
      containerPort: 9000,
      healthPath: '/cgi-bin/status?x=1',
    });
    expect(read(SWARM).swarm!.replicas).toBe(2);
  });

  it.each([
    [{ replicas: '0' }, /^Input 'replicas'/],
    [{ replicas: '33' }, /^Input 'replicas'/],
    [{ ports: '127.0.0.1:8300:9000' }, /^Input 'ports': with strategy swarm, give one published:container port/],
    [{ ports: '8300:9000\n8301:9001' }, /^Input 'ports': with strategy swarm, give one/],
    [{ 'health-url': '' }, /^Input 'health-url': is required with strategy swarm/],
    [{ 'health-url': 'http://127.0.0.1:9000/x' }, /^Input 'health-url': 127\.0\.0\.1:9000 is not the published port/],
    [{ volumes: '/srv:/srv' }, /^Input 'volumes': is not available with strategy swarm/],
    [{ 'post-deploy': 'true' }, /^Input 'post-deploy': is not available with strategy swarm/],
    [{ rollback: 'false' }, /^Input 'rollback': with strategy swarm the engine always rolls/],
    [{ 'proxy-image': '' }, /^Input 'proxy-image'/],
    [{ 'converge-timeout': 'soon' }, /^Input 'converge-timeout'/],
    [{ hosts: 'a.example\nb.example', host: '' }, /^Input 'hosts': with strategy swarm, give one manager/],
  ])('refuses %j, naming the input', (values, message) => {
    expect(() => read({ ...SWARM, ...values })).toThrow(message);
  });
});
