import { describe, expect, it } from 'vitest';
import { InputReader } from '#inputs/index';
import { TEST_PRIVATE_KEY } from './testing.ts';
import { parseHostEntry, readSshTarget, readSshTargets, type SshTargetNames } from './inputs.ts';

const PIN = 'SHA256:' + 'A'.repeat(43);
const KEY = TEST_PRIVATE_KEY;
const NAMES: SshTargetNames = {
  host: 'host',
  hosts: 'hosts',
  port: 'port',
  username: 'user',
  key: 'key',
  passphrase: 'passphrase',
  password: 'password',
  hostKey: 'host-key',
};
const reader = (values: Record<string, string>) =>
  new InputReader((name) => ({ user: 'deploy', key: KEY, 'host-key': PIN, ...values })[name] ?? '');

describe('parseHostEntry: one host grammar for every SSH target', () => {
  it.each([
    ['web.example', { host: 'web.example', port: 2222 }],
    ['web.example:2200', { host: 'web.example', port: 2200 }],
    ['10.0.0.7', { host: '10.0.0.7', port: 2222 }],
    ['10.0.0.7:22', { host: '10.0.0.7', port: 22 }],
    ['[::1]:2200', { host: '::1', port: 2200 }],
    ['[fd00::7]', { host: 'fd00::7', port: 2222 }],
    ['fd00::7', { host: 'fd00::7', port: 2222 }],
    [' web.example ', { host: 'web.example', port: 2222 }],
  ])('%s', (entry, expected) => {
    expect(parseHostEntry('jump-host', entry, 2222)).toEqual(expected);
  });

  it.each([
    ['bad host', "Input 'jump-host': 'bad host' is not a host name or address"],
    ['web;id', "Input 'jump-host': 'web;id' is not a host name or address"],
    ['-oProxyCommand=id', "Input 'jump-host': '-oProxyCommand=id' is not a host name or address"],
    ['[web.example]:22', "Input 'jump-host': '[web.example]:22' is not a host name or address"],
    [':::', "Input 'jump-host': ':::' is not a host name or address"],
    ['[fd00::7::1]:22', "Input 'jump-host': '[fd00::7::1]:22' is not a host name or address"],
    ['web.example:0', "Input 'jump-host': 'web.example:0' has a port outside 1-65535"],
    ['web.example:70000', "Input 'jump-host': 'web.example:70000' has a port outside 1-65535"],
    [`${'a'.repeat(64)}.example`, "Input 'jump-host': '" + 'a'.repeat(40) + "…' is longer than a host name may be"],
  ])('%s is refused, naming the input', (entry, message) => {
    expect(() => parseHostEntry('jump-host', entry, 22)).toThrow(message);
  });
});

describe('readSshTargets', () => {
  it('reads one target per hosts line, sharing credentials and pins', () => {
    const targets = readSshTargets(reader({ hosts: 'a.example\nb.example:2200', port: '2022' }), NAMES, () => undefined);
    expect(targets.map((t) => `${t.username}@${t.host}:${t.port}`)).toEqual(['deploy@a.example:2022', 'deploy@b.example:2200']);
    expect(targets[1]!.privateKey).toBe(KEY);
  });

  it('names the input a bad entry came from: host, or hosts', () => {
    expect(() => readSshTargets(reader({ host: 'bad host' }), NAMES, () => undefined)).toThrow("Input 'host': 'bad host'");
    expect(() => readSshTargets(reader({ hosts: 'ok.example\nbad host' }), NAMES, () => undefined)).toThrow("Input 'hosts': 'bad host'");
  });

  it('hands every secret to keep', () => {
    const kept: string[] = [];
    readSshTarget(reader({ host: 'a.example', password: 'hunter22' }), NAMES, (secret) => kept.push(secret));
    expect(kept).toEqual([KEY, 'hunter22']);
  });

  it('falls back to usernameFallback, and names whichever input the user came from', () => {
    const names = { ...NAMES, username: 'jump-user', usernameFallback: 'user' };
    expect(readSshTarget(reader({ host: 'a.example' }), names, () => undefined).username).toBe('deploy');
    expect(readSshTarget(reader({ host: 'a.example', 'jump-user': 'hop' }), names, () => undefined).username).toBe('hop');
    expect(() => readSshTarget(reader({ host: 'a.example', 'jump-user': 'x y' }), names, () => undefined)).toThrow(
      "Input 'jump-user': 'x y' is not a user name",
    );
    expect(() => readSshTarget(reader({ host: 'a.example', user: 'x;y' }), names, () => undefined)).toThrow(
      "Input 'user': 'x;y' is not a user name",
    );
  });

  it.each([
    [{}, "Input 'host': is required (or hosts, one per line)"],
    [{ host: 'a.example', hosts: 'b.example' }, "Input 'hosts': cannot be combined with host"],
    [{ host: 'a.example', 'host-key': '' }, "Input 'host-key': is required"],
    [
      { host: 'a.example', 'host-key': 'other.example ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIKJZTpw//4sZs8bVBBPw2/dwlbJKwmSMMu4vjfVE/JLV' },
      "Input 'host-key': has no key for a.example:22",
    ],
    [{ host: 'a.example', key: '' }, "Input 'key': is required (or password)"],
    [{ host: 'a.example', key: 'not a key' }, "Input 'key': is not a PEM or OpenSSH private key"],
  ])('%j is refused, naming the input', (values, message) => {
    expect(() => readSshTargets(reader(values), NAMES, () => undefined)).toThrow(message);
  });
});

describe('connect-retries', () => {
  const host = { host: 'web.example' };
  it('defaults to 0 and takes 0–10', () => {
    expect(readSshTarget(reader(host), NAMES, () => {}).connectRetries).toBe(0);
    expect(readSshTarget(reader({ ...host, 'connect-retries': '10' }), NAMES, () => {}).connectRetries).toBe(10);
  });
  it.each([
    ['11', "Input 'connect-retries': must be at most 10"],
    ['-1', "Input 'connect-retries': must be at least 0"],
    ['often', "Input 'connect-retries': expected a whole number"],
  ])('refuses %s', (value, message) => {
    expect(() => readSshTarget(reader({ ...host, 'connect-retries': value }), NAMES, () => {})).toThrow(message);
  });
});
