/** Reading SSH inputs the same way in every action: targets, pinned host keys and credentials. */
import { isIPv6 } from 'node:net';
import { InputError, type InputReader } from '#inputs/index';
import { type HostKeyPin, parseHostKeyPins, pinsForHost } from './hostkey.ts';
import { checkPrivateKey } from './keys.ts';
import { type SshTarget } from './connection.ts';

/** Host-key pins from `input`; required unless host-key checking is explicitly off. */
function readHostKeyPins(inputs: InputReader, input: string, insecure: boolean): HostKeyPin[] {
  const pins = parseHostKeyPins(input, inputs.string(input));
  if (pins.length === 0 && !insecure) {
    throw new InputError(
      input,
      'is required: pin the host key with known_hosts lines or SHA256 fingerprints ' +
        '(get them with `ssh-keyscan -p PORT HOST`), or set insecure-ignore-host-key: true to skip verification',
    );
  }
  return pins;
}

/** Refuses pins that cannot verify `host:port` (known_hosts lines for other hosts only), naming the input. */
function requirePinFor(pins: readonly HostKeyPin[], input: string, host: string, port: number, insecure: boolean): void {
  if (!insecure && pinsForHost(pins, host, port).length === 0) {
    throw new InputError(input, `has no key for ${host}:${port}; add its known_hosts line or fingerprint`);
  }
}

export interface SshCredentials {
  privateKey?: string;
  passphrase?: string;
  password?: string;
}

/**
 * Key, passphrase and password from the named inputs. The key must be readable and decryptable
 * before any connection; every value is handed to `keep` to be masked.
 */
function readSshCredentials(
  inputs: InputReader,
  names: { key: string; passphrase: string; password: string },
  keep: (secret: string) => void,
): SshCredentials {
  const privateKey = inputs.multiline(names.key) || undefined;
  const passphrase = inputs.string(names.passphrase) || undefined;
  const password = inputs.string(names.password) || undefined;
  for (const secret of [privateKey, passphrase, password]) if (secret) keep(secret);
  if (!privateKey && !password) throw new InputError(names.key, `is required (or ${names.password})`);
  if (privateKey) {
    if (!/-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(privateKey)) {
      throw new InputError(names.key, 'is not a PEM or OpenSSH private key (-----BEGIN … PRIVATE KEY-----)');
    }
    checkPrivateKey(names.key, names.passphrase, privateKey, passphrase);
  }
  return { privateKey, passphrase, password };
}

// One host grammar for every SSH target: a DNS name, an IPv4 address, `[v6]`, or a bare IPv6 address
// (which cannot take a port), each optionally followed by `:port`.
const HOST_NAME = /^[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)*$/;
const USER = /^[a-z_][a-z0-9_.-]*\$?$/i;
// DNS limits (RFC 1035): a host name is at most 253 characters, each label at most 63.
const HOST_NAME_MAX = 253;
const HOST_LABEL_MAX = 63;

/** `host`, `host:port`, `[v6]:port` or a bare v6 address, from `input`; the port defaults to `defaultPort`. */
export function parseHostEntry(input: string, entry: string, defaultPort: number): { host: string; port: number } {
  const text = entry.trim();
  const bareV6 = (text.match(/:/g)?.length ?? 0) >= 2 && !text.startsWith('[');
  const match = bareV6 ? [text, text, undefined] : /^(?:\[([0-9a-fA-F:]+)\]|([^:\s[\]]+))(?::(\d{1,5}))?$/.exec(text);
  const host = match?.[1] ?? match?.[2];
  const v6 = bareV6 || text.startsWith('[');
  if (!match || !host || !(v6 ? isIPv6(host) : HOST_NAME.test(host))) {
    throw new InputError(input, `'${entry}' is not a host name or address (optionally :port)`);
  }
  if (host.length > HOST_NAME_MAX || host.split('.').some((label) => label.length > HOST_LABEL_MAX)) {
    throw new InputError(
      input,
      `'${entry.slice(0, 40)}…' is longer than a host name may be (${HOST_NAME_MAX} characters, ${HOST_LABEL_MAX} per label)`,
    );
  }
  const port = match[3] ? Number(match[3]) : defaultPort;
  if (port < 1 || port > 65535) throw new InputError(input, `'${entry}' has a port outside 1-65535`);
  return { host, port };
}

/** The inputs an SSH target is read from. Every name is the action's own, so that errors name what to fix. */
export interface SshTargetNames {
  /** `host[:port]`; with `hosts`, either this one entry or the `hosts` list. */
  host: string;
  /** One `host[:port]` per line; several targets that share everything else. */
  hosts?: string;
  /** The port for entries that name none. */
  port: string;
  /** The user; `usernameFallback` is read when this one is empty. */
  username: string;
  usernameFallback?: string;
  key: string;
  passphrase: string;
  password: string;
  hostKey: string;
}

/** Inputs every target shares, under the same names in every action. */
const INSECURE = 'insecure-ignore-host-key';
const CONNECT_TIMEOUT = 'connect-timeout';
const CONNECT_RETRIES = 'connect-retries';
/** With the 30 s ceiling of the backoff, 10 retries wait about three and a half minutes in all. */
const MAX_CONNECT_RETRIES = 10;

/**
 * Every SSH target is read here: deploy hosts, the deploy jump host and the bastion. One host grammar,
 * the user name, the PEM and passphrase checks, host-key pins that must cover each host, and errors
 * that name the input the value came from. Secrets are handed to `keep` to be masked.
 */
export function readSshTargets(inputs: InputReader, names: SshTargetNames, keep: (secret: string) => void): SshTarget[] {
  const single = inputs.string(names.host);
  const many = names.hosts ? inputs.lines(names.hosts) : [];
  if (single && many.length > 0) throw new InputError(names.hosts!, `cannot be combined with ${names.host}; use one of them`);
  if (!single && many.length === 0) {
    throw new InputError(names.host, names.hosts ? `is required (or ${names.hosts}, one per line)` : 'is required');
  }
  const entries = single ? [{ input: names.host, entry: single }] : many.map((entry) => ({ input: names.hosts!, entry }));
  const defaultPort = inputs.integer(names.port, 22, { min: 1, max: 65535 });
  const insecure = inputs.boolean(INSECURE, false);
  const hostKeys = readHostKeyPins(inputs, names.hostKey, insecure);
  const usernameInput = names.usernameFallback && !inputs.string(names.username) ? names.usernameFallback : names.username;
  const username = inputs.required(usernameInput);
  if (!USER.test(username)) throw new InputError(usernameInput, `'${username}' is not a user name`);
  const credentials = readSshCredentials(inputs, names, keep);
  const connectTimeoutMs = inputs.duration(CONNECT_TIMEOUT, 20_000, { minMs: 1 });
  const connectRetries = inputs.integer(CONNECT_RETRIES, 0, { min: 0, max: MAX_CONNECT_RETRIES });
  return entries.map(({ input, entry }) => {
    const { host, port } = parseHostEntry(input, entry, defaultPort);
    requirePinFor(hostKeys, names.hostKey, host, port, insecure);
    return { host, port, username, ...credentials, hostKeys, insecureIgnoreHostKey: insecure, connectTimeoutMs, connectRetries };
  });
}

/** One SSH target (a jump host, a bastion): `readSshTargets` without a `hosts` list. */
export function readSshTarget(inputs: InputReader, names: Omit<SshTargetNames, 'hosts'>, keep: (secret: string) => void): SshTarget {
  return readSshTargets(inputs, names, keep)[0]!;
}
