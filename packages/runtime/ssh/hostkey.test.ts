import { createHash, createHmac } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { fingerprintOfKey, hostListMatches, hostPatternMatches, isRevoked, parseHostKeyPins, pinsForHost } from './hostkey.ts';

// A real ed25519 public key blob (ssh-keygen output).
const ED25519 = 'AAAAC3NzaC1lZDI1NTE5AAAAIKJZTpw//4sZs8bVBBPw2/dwlbJKwmSMMu4vjfVE/JLV';
const fingerprint = `SHA256:${createHash('sha256').update(Buffer.from(ED25519, 'base64')).digest('base64').replace(/=+$/, '')}`;

describe('parseHostKeyPins', () => {
  it('reads known_hosts lines, bare key lines and SHA256 fingerprints', () => {
    const pins = parseHostKeyPins(
      'host-key',
      `# lab\n[127.0.0.1]:2222 ssh-ed25519 ${ED25519} comment\nssh-ed25519 ${ED25519}\n${fingerprint}`,
    );
    expect(pins.map((p) => p.fingerprint)).toEqual([fingerprint, fingerprint, fingerprint]);
    expect(pins[0]!.hosts).toEqual(['[127.0.0.1]:2222']);
    expect(pins[1]!.hosts).toBeUndefined();
    expect(fingerprintOfKey(Buffer.from(ED25519, 'base64'))).toBe(fingerprint);
  });
  it('reads @revoked lines as refusals, and refuses an @cert-authority line it cannot honour', () => {
    expect(parseHostKeyPins('host-key', `@revoked * ssh-ed25519 ${ED25519}`)).toEqual([
      { fingerprint, hosts: ['*'], revoked: true, source: `@revoked * ssh-ed25519 ${ED25519}` },
    ]);
    expect(() => parseHostKeyPins('host-key', `@cert-authority *.example ssh-ed25519 ${ED25519}`)).toThrow(
      "Input 'host-key': line 1 is an @cert-authority line: host certificates cannot be verified here; pin the host's own key instead",
    );
    expect(() => parseHostKeyPins('host-key', `@trusted * ssh-ed25519 ${ED25519}`)).toThrow(
      "Input 'host-key': line 1: unknown marker @trusted",
    );
  });
  it.each([
    ['not a key', "Input 'host-key': line 1 is neither a known_hosts line nor a SHA256:… fingerprint"],
    ['SHA256:short', "Input 'host-key': line 1 is neither"],
    [`host ssh-rsa ${ED25519}`, "Input 'host-key': line 1: the key is ssh-ed25519, not ssh-rsa"],
  ])('rejects %j naming the input', (raw, message) => {
    expect(() => parseHostKeyPins('host-key', raw)).toThrow(message);
  });
});

describe('host patterns', () => {
  it('matches plain names, [host]:port, wildcards and hashed hosts', () => {
    expect(hostPatternMatches('example.com', 'example.com', 22)).toBe(true);
    expect(hostPatternMatches('example.com', 'example.com', 2222)).toBe(false);
    expect(hostPatternMatches('[127.0.0.1]:2222', '127.0.0.1', 2222)).toBe(true);
    expect(hostPatternMatches('*.example.com', 'web.example.com', 22)).toBe(true);
    const salt = Buffer.from('0123456789abcdefghij');
    const hashed = `|1|${salt.toString('base64')}|${createHmac('sha1', salt).update('[10.0.0.5]:2200').digest('base64')}`;
    expect(hostPatternMatches(hashed, '10.0.0.5', 2200)).toBe(true);
    expect(hostPatternMatches(hashed, '10.0.0.6', 2200)).toBe(false);
  });
  it('reads a host list as OpenSSH does: a !pattern that matches takes the line away', () => {
    const pins = parseHostKeyPins('host-key', `*.example.com,!bad.example.com ssh-ed25519 ${ED25519}`);
    expect(pinsForHost(pins, 'good.example.com', 22)).toHaveLength(1);
    expect(pinsForHost(pins, 'bad.example.com', 22)).toHaveLength(0);
    expect(pinsForHost(pins, 'BAD.Example.com', 22)).toHaveLength(0);
  });
  it('refuses a key an @revoked line names for the host, wherever else it is listed', () => {
    const pins = parseHostKeyPins(
      'host-key',
      `web.example ssh-ed25519 ${ED25519}\n${fingerprint}\n@revoked *.example ssh-ed25519 ${ED25519}`,
    );
    expect(pinsForHost(pins, 'web.example', 22)).toEqual([]);
    expect(isRevoked(pins, fingerprint, 'web.example', 22)).toBe(true);
    // The revocation names *.example only: elsewhere the bare fingerprint still pins the key.
    expect(pinsForHost(pins, 'web.other', 22).map((p) => p.source)).toEqual([fingerprint]);
  });
  it('keeps only the pins that apply to the host being connected', () => {
    const pins = parseHostKeyPins('host-key', `other.example ssh-ed25519 ${ED25519}\n${fingerprint}`);
    expect(pinsForHost(pins, 'web.example', 22)).toHaveLength(1);
  });
});

describe('host lists against OpenSSH (ssh-keygen -F)', () => {
  // Generated lines over a small pool, so that names, wildcards, ports and negations meet often.
  const POOL = [
    'a.example',
    'b.example',
    '*.example',
    '!b.example',
    '!*.internal.example',
    'c.internal.example',
    '[a.example]:2222',
    '10.0.0.?',
    '!10.0.0.9',
    '*',
  ];
  const HOSTS: Array<[string, number]> = [
    ['a.example', 22],
    ['b.example', 22],
    ['c.internal.example', 22],
    ['a.example', 2222],
    ['10.0.0.5', 22],
    ['10.0.0.9', 22],
    ['z.other', 22],
  ];
  it('match the same lines as ssh-keygen -F for every host', () => {
    let seed = 7;
    const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    const lines = Array.from({ length: 120 }, () => {
      const count = 1 + Math.floor(random() * 3);
      return [...new Set(Array.from({ length: count }, () => POOL[Math.floor(random() * POOL.length)]!))];
    });
    const dir = mkdtempSync(join(tmpdir(), 'known-hosts-'));
    const file = join(dir, 'known_hosts');
    // Each line's comment is its index, so ssh-keygen's output says which lines it found.
    writeFileSync(file, lines.map((hosts, i) => `${hosts.join(',')} ssh-ed25519 ${ED25519} line${i}`).join('\n') + '\n');
    let compared = 0;
    let matchedLines = 0;
    let negated = 0;
    for (const [host, port] of HOSTS) {
      const name = port === 22 ? host : `[${host}]:${port}`;
      const found = spawnSync('ssh-keygen', ['-F', name, '-f', file], { encoding: 'utf8' }).stdout;
      const theirs = [...found.matchAll(/ line(\d+)$/gm)].map((m) => Number(m[1])).sort((x, y) => x - y);
      const ours = lines.flatMap((hosts, i) => (hostListMatches(hosts, host, port) ? [i] : []));
      expect(ours, `${name}`).toEqual(theirs);
      compared += lines.length;
      matchedLines += theirs.length;
      // Lines a positive pattern matches that a negation takes away: the case the old reading got wrong.
      negated += lines.filter(
        (hosts) => hosts.some((p) => !p.startsWith('!') && hostPatternMatches(p, host, port)) && !hostListMatches(hosts, host, port),
      ).length;
    }
    expect(compared).toBe(lines.length * HOSTS.length);
    expect(matchedLines).toBeGreaterThan(0);
    expect(matchedLines).toBeLessThan(compared);
    expect(negated).toBeGreaterThan(0);
  });
});
