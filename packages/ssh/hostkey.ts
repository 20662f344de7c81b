import { createHash, createHmac } from 'node:crypto';
import { InputError } from '../inputs/index.ts';

/** One acceptable host key: a whole key (from a known_hosts line) or its SHA256 fingerprint. */
export interface HostKeyPin {
  fingerprint: string;
  /** The host patterns of the known_hosts line; undefined for a bare fingerprint. */
  hosts?: string[];
  source: string;
}

/** OpenSSH's fingerprint form: `SHA256:` + unpadded base64 of the key blob's SHA-256. */
export function fingerprintOfKey(keyBlob: Buffer): string {
  return `SHA256:${createHash('sha256').update(keyBlob).digest('base64').replace(/=+$/, '')}`;
}

const KEY_TYPE = /^(ssh-(rsa|dss|ed25519)|ecdsa-sha2-nistp(256|384|521)|sk-(ssh-ed25519|ecdsa-sha2-nistp256)@openssh\.com)$/;

/**
 * Parses `host-key`-style input: known_hosts lines (`host[,host] type base64`, markers and comments
 * allowed) and `SHA256:…` fingerprints, several allowed (a host may offer RSA, ECDSA and ED25519 keys).
 */
export function parseHostKeyPins(input: string, raw: string): HostKeyPin[] {
  const pins: HostKeyPin[] = [];
  raw.split(/\r?\n/).forEach((rawLine, index) => {
    const line = rawLine.trim();
    if (line === '' || line.startsWith('#')) return;
    if (/^SHA256:[A-Za-z0-9+/]{43}=?$/.test(line)) {
      pins.push({ fingerprint: line.replace(/=$/, ''), source: line });
      return;
    }
    const fields = line.split(/\s+/);
    if (fields[0]?.startsWith('@')) {
      if (fields[0] === '@revoked') return;
      fields.shift();
    }
    // `host type key` or just `type key`.
    const typeAt = KEY_TYPE.test(fields[0] ?? '') ? 0 : 1;
    const type = fields[typeAt];
    const blob = fields[typeAt + 1];
    if (!type || !KEY_TYPE.test(type) || !blob || !/^[A-Za-z0-9+/]+={0,2}$/.test(blob)) {
      throw new InputError(input, `line ${index + 1} is neither a known_hosts line nor a SHA256:… fingerprint`);
    }
    const keyBlob = Buffer.from(blob, 'base64');
    const declaredType = keyBlob.subarray(4, 4 + keyBlob.readUInt32BE(0)).toString();
    if (declaredType !== type) throw new InputError(input, `line ${index + 1}: the key is ${declaredType}, not ${type}`);
    pins.push({ fingerprint: fingerprintOfKey(keyBlob), hosts: typeAt === 1 ? fields[0]!.split(',') : undefined, source: line });
  });
  return pins;
}

/** Whether a known_hosts host pattern names this host and port (plain, `[host]:port`, or `|1|` hashed). */
export function hostPatternMatches(pattern: string, host: string, port: number): boolean {
  const name = port === 22 ? host : `[${host}]:${port}`;
  if (pattern.startsWith('|1|')) {
    const [, , salt, hash] = pattern.split('|');
    if (!salt || !hash) return false;
    return createHmac('sha1', Buffer.from(salt, 'base64')).update(name).digest('base64') === hash;
  }
  const regex = new RegExp(
    `^${pattern
      .replace(/[.+^${}()|[\]\\]/g, '\\$&')
      .replace(/\*/g, '.*')
      .replace(/\?/g, '.')}$`,
  );
  return regex.test(name);
}

/** The pins that apply to this host: fingerprints always; known_hosts lines when their hosts match. */
export function pinsForHost(pins: readonly HostKeyPin[], host: string, port: number): HostKeyPin[] {
  return pins.filter((pin) => !pin.hosts || pin.hosts.some((pattern) => hostPatternMatches(pattern, host, port)));
}
