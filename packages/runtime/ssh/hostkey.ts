import { createHash, createHmac } from 'node:crypto';
import { InputError } from '#inputs/index';

/** One acceptable host key: a whole key (from a known_hosts line) or its SHA256 fingerprint. */
export interface HostKeyPin {
  fingerprint: string;
  /** The host patterns of the known_hosts line; undefined for a bare fingerprint. */
  hosts?: string[];
  /** An `@revoked` line: this key is refused for its hosts, wherever else it is listed. */
  revoked?: boolean;
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
    const marker = fields[0]?.startsWith('@') ? fields.shift() : undefined;
    if (marker === '@cert-authority')
      throw new InputError(
        input,
        `line ${index + 1} is an @cert-authority line: host certificates cannot be verified here; pin the host's own key instead`,
      );
    if (marker !== undefined && marker !== '@revoked') throw new InputError(input, `line ${index + 1}: unknown marker ${marker}`);
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
    const hosts = typeAt === 1 ? fields[0]!.split(',') : undefined;
    if (marker === '@revoked' && !hosts) throw new InputError(input, `line ${index + 1}: an @revoked line names its hosts (or *)`);
    pins.push({ fingerprint: fingerprintOfKey(keyBlob), hosts, ...(marker === '@revoked' ? { revoked: true } : {}), source: line });
  });
  return pins;
}

/**
 * Whether a known_hosts host pattern names this host and port (plain, `[host]:port`, or `|1|` hashed). Names
 * compare without case, as OpenSSH lowercases the host it looks up.
 */
export function hostPatternMatches(pattern: string, host: string, port: number): boolean {
  const name = port === 22 ? host.toLowerCase() : `[${host.toLowerCase()}]:${port}`;
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

/** A known_hosts line's host list as OpenSSH reads it: some pattern matches and no `!pattern` does. */
export function hostListMatches(patterns: readonly string[], host: string, port: number): boolean {
  let matched = false;
  for (const pattern of patterns) {
    if (pattern.startsWith('!')) {
      if (hostPatternMatches(pattern.slice(1), host, port)) return false;
    } else if (hostPatternMatches(pattern, host, port)) matched = true;
  }
  return matched;
}

const appliesTo = (pin: HostKeyPin, host: string, port: number) => !pin.hosts || hostListMatches(pin.hosts, host, port);

/**
 * The pins that accept this host's key: fingerprints always, known_hosts lines when their hosts match; never a
 * key an `@revoked` line for this host names, wherever else it is listed.
 */
export function pinsForHost(pins: readonly HostKeyPin[], host: string, port: number): HostKeyPin[] {
  const revoked = new Set(pins.filter((pin) => pin.revoked && appliesTo(pin, host, port)).map((pin) => pin.fingerprint));
  return pins.filter((pin) => !pin.revoked && !revoked.has(pin.fingerprint) && appliesTo(pin, host, port));
}

/** Whether an `@revoked` line for this host names the key with this fingerprint. */
export function isRevoked(pins: readonly HostKeyPin[], fingerprint: string, host: string, port: number): boolean {
  return pins.some((pin) => pin.revoked && pin.fingerprint === fingerprint && appliesTo(pin, host, port));
}
