import { describe, expect, it } from 'vitest';
import { shellJoin } from '#ssh/quote';
import * as docker from './commands.ts';
import * as hostCommands from './host.ts';
import { servingUpstream } from './proxy.ts';
import {
  adminFailure,
  edgePorts,
  edgeRecord,
  edgeSettingsDiffer,
  maintenanceCommands,
  parseEdgeMap,
  renderEdgeConfig,
  renderEdgeMap,
  routeCommands,
  routesTo,
  sessionsOn,
} from './haproxy.ts';
import { parseEnvLines, renderEnvFile } from './envfile.ts';
import { parseImageRef } from './image.ts';
import {
  containerPortFor,
  formatPortMapping,
  hostAddressOf,
  isSingleTcpPort,
  onEveryAddress,
  parsePortMapping,
  publishesExactly,
} from './ports.ts';

const text = (argv: string[]) => shellJoin(argv);

describe('docker command catalogue', () => {
  it('runs a container with every option in a fixed order', () => {
    expect(
      text(
        docker.run({
          name: 'backend',
          image: 'reg.example:5000/app:dev-abc',
          envFile: '/home/deploy/.golden-deploy/env/backend.env',
          ports: [parsePortMapping('127.0.0.1:8000:8000')!],
          volumes: ['/srv/static:/app/static'],
          labels: ['tier=web'],
          restart: 'unless-stopped',
          network: 'app-net',
          command: ['gunicorn', 'app.wsgi'],
          extraArgs: ['--memory=512m'],
        }),
      ),
    ).toBe(
      'docker container run --detach --name backend --restart unless-stopped --label golden.deploy.managed=true ' +
        '--env-file /home/deploy/.golden-deploy/env/backend.env --publish 127.0.0.1:8000:8000 --volume /srv/static:/app/static ' +
        '--label tier=web --network app-net --memory=512m reg.example:5000/app:dev-abc gunicorn app.wsgi',
    );
  });
  it('keeps registry credentials out of argv and out of ~/.docker: login and pull in one unit, data as arguments', () => {
    const unit = hostCommands.loginAndPull('reg.example:5000', "ci'user", 'reg.example:5000/app:1');
    expect(unit.slice(3)).toEqual([
      'with-registry-login',
      hostCommands.CREDENTIALS_PREFIX,
      "ci'user",
      'reg.example:5000',
      'pull',
      '--quiet',
      'reg.example:5000/app:1',
    ]);
    // No `docker login`: config.json is a named pipe the unit writes from memory; nothing reaches the disk.
    expect(unit[2]).toContain('mkfifo -m 600 "$dir/config.json"');
    expect(unit[2]).toContain('docker --config "$dir" "$@"');
    // The same unit deploys a stack, which hands the credentials to the swarm; the stack file follows the password on stdin.
    expect(hostCommands.loginAndStackDeploy('reg.example:5000', 'u', 'shop').slice(7)).toEqual([
      'stack',
      'deploy',
      '--resolve-image',
      'changed',
      '--compose-file',
      '-',
      '--with-registry-auth',
      'shop',
    ]);
    expect(unit[2]).not.toContain('login --');
    expect(hostCommands.loginAndPull('docker.io', 'u', 'acme/app:1')[6]).toBe('https://index.docker.io/v1/');
    expect(unit[2]).not.toMatch(/reg\.example|ci'user/);
    expect(text(docker.pull('reg.example:5000/app:1'))).toBe('docker pull --quiet reg.example:5000/app:1');
  });
  it('builds the guarded replace and the proxy switch as fixed scripts with their data as arguments', () => {
    const replace = hostCommands.guardedReplace(
      'web',
      'web.previous',
      '/home/deploy/.golden-deploy/locks/web.lock.unit',
      docker.run({ name: 'web', image: 'app:2', ports: [], volumes: [], labels: [], restart: 'no', command: [], extraArgs: [] }),
    );
    expect(replace.slice(3, 7)).toEqual(['guarded-replace', 'web', 'web.previous', '/home/deploy/.golden-deploy/locks/web.lock.unit']);
    expect(replace[2]).not.toContain('app:2');
    const route = hostCommands.proxyAdmin('web-proxy', 'set server port-80/green state ready');
    const switched = hostCommands.switchConfig('/p/haproxy.cfg.next', '/p/haproxy.cfg', route);
    expect(switched.slice(3)).toEqual(['switch-config', '/p/haproxy.cfg.next', '/p/haproxy.cfg', ...route]);
    expect(switched[2]).toContain('mv -f "$next" "$live" && exec "$@"');
    expect(switched[2]).not.toContain('web-proxy');
    const takeOver = hostCommands.takeOverPorts('web-proxy', 'web-proxy-nginx', 'web-proxy', ['docker', 'container', 'run']);
    expect(takeOver.slice(3)).toEqual(['take-over-ports', 'web-proxy', '10', 'web-proxy-nginx', 'web-proxy', 'docker', 'container', 'run']);
    expect(takeOver[2]).not.toContain('web-proxy');
  });
  it("reads the nginx proxy's record of earlier versions, and nothing else", () => {
    expect(servingUpstream('# golden-deploy serving: r20261130t101010-ab12\n# Written by deploy-container\n')).toBe(
      'r20261130t101010-ab12',
    );
    expect(servingUpstream('worker_processes 1;\n')).toBeUndefined();
    expect(servingUpstream('# golden-deploy serving: \n')).toBeUndefined();
  });
  it('passes a post-deploy command to the container shell as one word', () => {
    expect(text(docker.execInContainer('backend', 'python manage.py collectstatic --noinput'))).toBe(
      "docker container exec backend sh -c 'python manage.py collectstatic --noinput'",
    );
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
    [
      'registry.example.com/team/app:1.2.3',
      { registry: 'registry.example.com', repository: 'registry.example.com/team/app', tag: '1.2.3' },
    ],
    ['team/app:v1', { registry: undefined, repository: 'team/app', tag: 'v1' }],
    ['localhost/app:v1', { registry: 'localhost', repository: 'localhost/app' }],
    [`app@sha256:${'a'.repeat(64)}`, { repository: 'app', tag: undefined, digest: `sha256:${'a'.repeat(64)}` }],
  ])('reads %s', (raw, expected) => {
    expect(parseImageRef('image', raw, false)).toMatchObject(expected);
  });
  it('refuses latest and untagged images unless allow-latest', () => {
    expect(() => parseImageRef('image', 'reg.example/app:latest', false)).toThrow(
      "Input 'image': 'reg.example/app:latest' uses the latest tag",
    );
    expect(() => parseImageRef('image', 'reg.example/app', false)).toThrow("'reg.example/app' has no tag");
    expect(parseImageRef('image', 'reg.example/app:latest', true).tag).toBe('latest');
  });
  it.each(['App:1', 'app:1;rm -rf /', 'app:$(id)', 'app: 1', '-app:1', 'app:1 --privileged'])('rejects %j', (raw) => {
    expect(() => parseImageRef('image', raw, false)).toThrow(/^Input 'image': .* is not a valid image reference/);
  });
});

describe('env file', () => {
  const tricky = [
    'DOLLAR=$HOME and ${PATH}',
    'QUOTES="double" \'single\'',
    'BACKTICK=`id`',
    'HASH=#not a comment',
    'SPACES=  padded  ',
    'UNICODE=héllo 🚀 ünïcødé',
    'EQUALS=a=b=c',
    'EMPTY=',
  ];
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
    try {
      parseEnvLines('env', raw);
    } catch (error) {
      expect((error as Error).message).not.toContain('line one');
    }
  });
});

describe('published ports: one grammar, parsed once', () => {
  it('parses every form docker takes into a type, and writes it back as docker reads it', () => {
    expect(parsePortMapping('127.0.0.1:8000:80')).toEqual({
      address: '127.0.0.1',
      hostPort: 8000,
      hostPortLast: undefined,
      containerPort: 80,
      containerPortLast: undefined,
      protocol: 'tcp',
    });
    expect(parsePortMapping('[::1]:8000-8001:80-81/udp')).toMatchObject({
      address: '::1',
      hostPort: 8000,
      hostPortLast: 8001,
      containerPort: 80,
      containerPortLast: 81,
      protocol: 'udp',
    });
    for (const text of ['8000', '9000/udp', '8000:80', '127.0.0.1:8000:80', '[::1]:8000-8001:80-81/sctp', '0.0.0.0:53:53/udp'])
      expect(formatPortMapping(parsePortMapping(text)!)).toBe(text);
    expect(formatPortMapping(parsePortMapping('8000/tcp')!)).toBe('8000');
    for (const bad of ['127.0.0.1:80:80:80', 'http', '80/icmp', '1.2.3:80:80', ':80']) expect(parsePortMapping(bad), bad).toBeUndefined();
  });

  it('knows which ports listen everywhere, how the host itself reaches them, and which container port a URL lands on', () => {
    const ports = ['127.0.0.1:8000:8000', '9000:90', '[::]:9100:91', '9200-9201:92-93'].map((p) => parsePortMapping(p)!);
    expect(ports.map(onEveryAddress)).toEqual([false, true, true, true]);
    expect(ports.map(hostAddressOf)).toEqual(['127.0.0.1', '127.0.0.1', '::1', '127.0.0.1']);
    expect(ports.map(isSingleTcpPort)).toEqual([true, true, true, false]);
    expect(containerPortFor(ports, new URL('http://127.0.0.1:8000/h'))).toBe(8000);
    expect(containerPortFor(ports, new URL('http://localhost:8000/h'))).toBeUndefined();
    expect(containerPortFor(ports, new URL('http://app.example:9000/'))).toBe(90);
    expect(containerPortFor(ports, new URL('http://[::1]:9100/'))).toBe(91);
    expect(containerPortFor(ports, new URL('http://127.0.0.1:9200/'))).toBeUndefined();
  });
});

describe('the HAProxy edge', () => {
  it('records the serving release and slot in the config it renders, and reads them back', () => {
    const config = renderEdgeConfig({
      upstream: 'r20261205t050000-ab12',
      slot: 'green',
      ports: [8000, 9000],
      proxyProtocol: true,
      tls: false,
    });
    expect(edgeRecord(config)).toEqual({ upstream: 'r20261205t050000-ab12', slot: 'green' });
    expect(config).toContain('  bind :8000 accept-proxy\n');
    expect(config).toContain('  server green r20261205t050000-ab12:9000 init-addr libc,none\n');
    expect(config).toContain('  server blue r20261205t050000-ab12:9000 init-addr libc,none disabled\n');
    expect(renderEdgeConfig({ upstream: 'r1', slot: 'blue', ports: [80], proxyProtocol: false, tls: false })).toContain('  bind :80\n');
    expect(edgeRecord('# golden-deploy serving: r1\nglobal\n')).toBeUndefined();
    expect(edgeRecord('# golden-deploy serving: r1\n# golden-deploy slot: purple\n')).toBeUndefined();
  });

  it("drops a client's own X-Forwarded-* unless forward-headers trusts a proxy in front", () => {
    const spec = { upstream: 'r1', slot: 'blue' as const, ports: [80], proxyProtocol: false, tls: true };
    const strict = renderEdgeConfig(spec);
    expect(strict).toContain('  http-request set-header X-Forwarded-For %[src]\n  http-request set-header X-Forwarded-Proto https\n');
    const trusting = renderEdgeConfig({ ...spec, forwardHeaders: true });
    expect(trusting).toContain(
      'set-header X-Forwarded-For "%[req.fhdr(X-Forwarded-For)], %[src]" if { req.fhdr(X-Forwarded-For) -m found }',
    );
    expect(trusting).toContain('  http-request set-header X-Forwarded-Proto https unless { req.hdr(X-Forwarded-Proto) -m found }\n');
    expect(edgeSettingsDiffer(strict, { ...spec, forwardHeaders: true })).toBe(true);
  });

  it('readies the new slot before the old one stops taking requests, on every port', () => {
    expect(routeCommands([8000, 9000], 'green', '172.20.0.7').split('; ')).toEqual([
      'set server port-8000/green addr 172.20.0.7 port 8000',
      'set server port-8000/green state ready',
      'set server port-8000/blue state maint',
      'set server port-9000/green addr 172.20.0.7 port 9000',
      'set server port-9000/green state ready',
      'set server port-9000/blue state maint',
    ]);
  });

  it("counts a slot's sessions from show stat, and tells a refused command from a note", () => {
    const stat = [
      '# pxname,svname,qcur,qmax,scur,smax',
      'port-8000,FRONTEND,,,3,9',
      'port-8000,blue,0,0,2,5',
      'port-8000,green,0,0,1,1',
      'port-9000,blue,0,0,1,1',
      'port-8000,BACKEND,0,0,3,9',
    ].join('\n');
    expect(sessionsOn(stat, 'blue')).toBe(3);
    expect(sessionsOn(stat, 'green')).toBe(1);
    expect(adminFailure("\nIP changed from '172.20.0.2' to '172.20.0.7' by 'stats socket command'\n\n")).toBeUndefined();
    expect(adminFailure('No such server.\n\n')).toBe('No such server.');
    expect(adminFailure('Unknown command: set servr\n')).toMatch(/^Unknown command/);
  });

  it('runs the runtime API client inside the proxy container, with the commands as one argument', () => {
    const argv = hostCommands.proxyAdmin('web-proxy', 'set server port-80/blue state ready');
    expect(argv.slice(0, 6)).toEqual(['docker', 'container', 'exec', 'web-proxy', 'sh', '-c']);
    expect(argv.slice(7)).toEqual(['proxy-admin', '9999', 'set server port-80/blue state ready']);
  });

  it('keeps the maintenance page in base64 on one line, its line breaks made spaces, and sets the page before the flag', () => {
    const page = '<p>a b;c</p>\n<p>\td</p>';
    const encoded = Buffer.from('<p>a b;c</p> <p> d</p>').toString('base64');
    expect(renderEdgeMap({ on: true, page })).toBe(`maintenance on\npage ${encoded}\n`);
    expect(maintenanceCommands({ on: false, page }).split('; ')).toEqual([
      `set map /golden/edge.map page ${encoded}`,
      'set map /golden/edge.map maintenance off',
    ]);
  });

  it('reads back the ports a config listens on, and reloads only for changed settings, not a moved record', () => {
    const spec = { upstream: 'r1', slot: 'blue' as const, ports: [8000, 9000], proxyProtocol: false, tls: false };
    const live = renderEdgeConfig(spec);
    expect(edgePorts(live)).toEqual([8000, 9000]);
    expect(edgeSettingsDiffer(live, { ...spec, upstream: 'r2', slot: 'green' })).toBe(false);
    expect(edgeSettingsDiffer(live, { ...spec, upstream: 'r2', slot: 'green', proxyProtocol: true })).toBe(true);
    expect(edgeSettingsDiffer(live, { ...spec, ports: [8000] })).toBe(true);
    const tls = { ...spec, tls: true, certificateDigest: 'a'.repeat(64) };
    expect(edgeSettingsDiffer(live, tls)).toBe(true);
    expect(edgeSettingsDiffer(renderEdgeConfig(tls), { ...tls, slot: 'green' })).toBe(false);
    expect(edgeSettingsDiffer(renderEdgeConfig(tls), { ...tls, certificateDigest: 'b'.repeat(64) })).toBe(true);
    expect(edgeSettingsDiffer('worker_processes 1;\n', spec)).toBe(true);
  });

  it('confirms a route from show servers state: the slot at the address and running, the other in maintenance', () => {
    const state = (blue: string, green: string) =>
      [
        '1',
        '# be_id be_name srv_id srv_name srv_addr srv_op_state srv_admin_state srv_uweight',
        `3 port-8000 1 blue ${blue}`,
        `3 port-8000 2 green ${green}`,
        '',
      ].join('\n');
    // As HAProxy 2.6 shows them: a slot readied after starting `disabled` keeps the config's flag (4).
    expect(routesTo(state('172.18.0.2 0 1 1', '172.18.0.4 2 4 1'), [8000], 'green', '172.18.0.4')).toBe(true);
    expect(routesTo(state('172.18.0.2 2 0 1', '172.18.0.4 0 5 1'), [8000], 'blue', '172.18.0.2')).toBe(true);
    expect(routesTo(state('172.18.0.2 2 0 1', '172.18.0.4 2 4 1'), [8000], 'green', '172.18.0.4')).toBe(false);
    expect(routesTo(state('172.18.0.2 0 1 1', '172.18.0.9 2 4 1'), [8000], 'green', '172.18.0.4')).toBe(false);
    expect(routesTo(state('172.18.0.2 0 1 1', '172.18.0.4 2 4 1'), [8000, 9000], 'green', '172.18.0.4')).toBe(false);
  });

  it('reads the map file back as it was written', () => {
    const page = '<h1>Back soon</h1>';
    expect(parseEdgeMap(renderEdgeMap({ on: true, page }))).toEqual({ on: true, page });
    expect(parseEdgeMap('maintenance maybe\npage x\n')).toBeUndefined();
  });

  it("tells whether a container publishes exactly the ports asked for, from docker's port bindings", () => {
    const ports = ['127.0.0.1:8000:80', '9000:90', '[::1]:9100:91'].map((p) => parsePortMapping(p)!);
    const bindings = JSON.stringify({
      '80/tcp': [{ HostIp: '127.0.0.1', HostPort: '8000' }],
      '90/tcp': [{ HostIp: '', HostPort: '9000' }],
      '91/tcp': [{ HostIp: '::1', HostPort: '9100' }],
    });
    expect(publishesExactly(bindings, ports)).toBe(true);
    expect(publishesExactly(bindings, ports.slice(0, 2))).toBe(false);
    expect(publishesExactly(bindings.replace('8000', '8001'), ports)).toBe(false);
    expect(publishesExactly('null', [])).toBe(true);
    expect(publishesExactly('not json', ports)).toBe(false);
  });
});
