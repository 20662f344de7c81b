import { describe, expect, it } from 'vitest';
import { shellJoin } from '../ssh/quote.ts';
import * as docker from './commands.ts';
import { parseEnvLines, renderEnvFile } from './envfile.ts';
import { parseImageRef } from './image.ts';

const text = (argv: string[]) => shellJoin(argv);

describe('docker command catalogue', () => {
  it('runs a container with every option in a fixed order', () => {
    expect(text(docker.run({
      name: 'backend', image: 'reg.example:5000/app:dev-abc', envFile: '/home/deploy/.golden-deploy/env/backend.env',
      ports: ['127.0.0.1:8000:8000'], volumes: ['/srv/static:/app/static'], labels: ['tier=web'], restart: 'unless-stopped',
      network: 'app-net', command: ['gunicorn', 'app.wsgi'], extraArgs: ['--memory=512m'],
    }))).toBe('docker container run --detach --name backend --restart unless-stopped --label golden.deploy.managed=true ' +
      '--env-file /home/deploy/.golden-deploy/env/backend.env --publish 127.0.0.1:8000:8000 --volume /srv/static:/app/static ' +
      '--label tier=web --network app-net --memory=512m reg.example:5000/app:dev-abc gunicorn app.wsgi');
  });
  it('keeps registry credentials out of argv and out of ~/.docker', () => {
    expect(text(docker.login('reg.example:5000', 'ci', '/tmp/gd.x'))).toBe('docker --config /tmp/gd.x login --username ci --password-stdin reg.example:5000');
    expect(text(docker.pull('reg.example:5000/app:1', '/tmp/gd.x'))).toBe('docker --config /tmp/gd.x pull --quiet reg.example:5000/app:1');
  });
  it('passes a post-deploy command to the container shell as one word', () => {
    expect(text(docker.execInContainer('backend', 'python manage.py collectstatic --noinput')))
      .toBe("docker container exec backend sh -c 'python manage.py collectstatic --noinput'");
  });
  it('prepares a directory through a root helper container, with the path and owner as data', () => {
    expect(docker.prepareDir('app:1', '/srv/static', '1000:1000', '0755').slice(-3)).toEqual(['prepare-dir', '1000:1000', '0755']);
    expect(text(docker.prepareDir('app:1', '/srv/st atic', undefined, undefined))).toContain("--volume '/srv/st atic:/prepare'");
  });
  it('inspects, stops, renames and prunes by name', () => {
    expect(text(docker.stop('backend'))).toBe('docker container stop --time 10 backend');
    expect(text(docker.rename('backend', 'backend.previous'))).toBe('docker container rename backend backend.previous');
    expect(text(docker.listImages('reg/app'))).toBe("docker image ls --no-trunc --format '{{.ID}} {{.Repository}}:{{.Tag}}' reg/app");
    expect(text(docker.removeImages(['sha256:a', 'sha256:b']))).toBe('docker image rm sha256:a sha256:b');
  });
});

describe('parseImageRef', () => {
  it.each([
    ['127.0.0.1:5000/golden/app:dev-abc123', { registry: '127.0.0.1:5000', repository: '127.0.0.1:5000/golden/app', tag: 'dev-abc123' }],
    ['registry.example.com/team/app:1.2.3', { registry: 'registry.example.com', repository: 'registry.example.com/team/app', tag: '1.2.3' }],
    ['team/app:v1', { registry: undefined, repository: 'team/app', tag: 'v1' }],
    ['localhost/app:v1', { registry: 'localhost', repository: 'localhost/app' }],
    [`app@sha256:${'a'.repeat(64)}`, { repository: 'app', tag: undefined, digest: `sha256:${'a'.repeat(64)}` }],
  ])('reads %s', (raw, expected) => {
    expect(parseImageRef('image', raw, false)).toMatchObject(expected);
  });
  it('refuses latest and untagged images unless allow-latest', () => {
    expect(() => parseImageRef('image', 'reg.example/app:latest', false)).toThrow("Input 'image': 'reg.example/app:latest' uses the latest tag");
    expect(() => parseImageRef('image', 'reg.example/app', false)).toThrow("'reg.example/app' has no tag");
    expect(parseImageRef('image', 'reg.example/app:latest', true).tag).toBe('latest');
  });
  it.each(['App:1', 'app:1;rm -rf /', 'app:$(id)', 'app: 1', '-app:1', 'app:1 --privileged'])('rejects %j', (raw) => {
    expect(() => parseImageRef('image', raw, false)).toThrow(/^Input 'image': .* is not a valid image reference/);
  });
});

describe('env file', () => {
  const tricky = ['DOLLAR=$HOME and ${PATH}', 'QUOTES="double" \'single\'', 'BACKTICK=`id`', 'HASH=#not a comment',
    'SPACES=  padded  ', 'UNICODE=héllo 🚀 ünïcødé', 'EQUALS=a=b=c', 'EMPTY='];
  it('keeps every value byte for byte and renders one KEY=VALUE line each', () => {
    const { entries, warnings } = parseEnvLines('env', `${tricky.join('\n')}\n`);
    expect(warnings).toEqual([]);
    expect(renderEnvFile(entries)).toBe(`${tricky.join('\n')}\n`);
    expect(entries.find((e) => e.key === 'SPACES')!.value).toBe('  padded  ');
  });
  it('skips comments and blank lines and warns on duplicates', () => {
    expect(parseEnvLines('env', '# c\n\n  A=1\nA=2').warnings).toEqual(['A is set more than once; the last value wins']);
  });
  it.each([
    ['SECRET=line one\nline two', "Input 'env': the value of SECRET continues onto line 2; env files cannot hold multi-line values"],
    ['=value', "Input 'env': line 1 has an empty KEY"],
    ['MY KEY=v', `Input 'env': the key "MY KEY" on line 1 contains whitespace`],
    ['JUSTAKEY', "Input 'env': line 1 is not KEY=VALUE"],
    ['CR=value\r', "Input 'env': the value of CR contains a carriage return"],
  ])('rejects %j naming the key, never the value', (raw, message) => {
    expect(() => parseEnvLines('env', raw)).toThrow(message);
    try { parseEnvLines('env', raw); } catch (error) { expect((error as Error).message).not.toContain('line one'); }
  });
});
