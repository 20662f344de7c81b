/** Reading SSH inputs the same way in every action: pinned host keys and credentials. */
import { InputError, type InputReader } from '../inputs/index.ts';
import { type HostKeyPin, parseHostKeyPins, pinsForHost } from './hostkey.ts';
import { checkPrivateKey } from './keys.ts';

/** Host-key pins from `input`; required unless host-key checking is explicitly off. */
export function readHostKeyPins(inputs: InputReader, input: string, insecure: boolean): HostKeyPin[] {
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
export function requirePinFor(pins: readonly HostKeyPin[], input: string, host: string, port: number, insecure: boolean): void {
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
export function readSshCredentials(
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
