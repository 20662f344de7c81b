import { createHash, createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { fingerprintOfKey, hostPatternMatches, parseHostKeyPins, pinsForHost } from './hostkey.ts';

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
  it('skips @revoked lines and accepts @cert-authority markers', () => {
    expect(parseHostKeyPins('host-key', `@revoked * ssh-ed25519 ${ED25519}`)).toEqual([]);
    expect(parseHostKeyPins('host-key', `@cert-authority * ssh-ed25519 ${ED25519}`)).toHaveLength(1);
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
  it('keeps only the pins that apply to the host being connected', () => {
    const pins = parseHostKeyPins('host-key', `other.example ssh-ed25519 ${ED25519}\n${fingerprint}`);
    expect(pinsForHost(pins, 'web.example', 22)).toHaveLength(1);
  });
});
