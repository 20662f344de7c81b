import ssh2 from 'ssh2';
import { describe, expect, it } from 'vitest';
import { checkPrivateKey } from './keys.ts';

describe('checkPrivateKey', () => {
  // patches/ssh2+*.patch: ssh2's key generator stripped every leading zero byte of an ed25519 public key,
  // so one generated key in 256 came out 31 bytes long and could not be read back (a flaky test fixture).
  it('reads back generated ed25519 keys whose public key begins with a zero byte', () => {
    const zeroLed: string[] = [];
    for (let tries = 0; zeroLed.length < 3 && tries < 20_000; tries++) {
      const pair = ssh2.utils.generateKeyPairSync('ed25519');
      const publicBlob = Buffer.from(pair.public.split(' ')[1]!, 'base64');
      // string "ssh-ed25519" (4 + 11 bytes), then the key's length (4 bytes), then the key.
      if (publicBlob.length !== 4 + 11 + 4 + 32 || publicBlob[19] === 0) zeroLed.push(pair.private);
    }
    expect(zeroLed).toHaveLength(3);
    for (const key of zeroLed) expect(() => checkPrivateKey('private-key', 'passphrase', key, undefined)).not.toThrow();
  });

  it('names the input when a key cannot be read', () => {
    expect(() => checkPrivateKey('private-key', 'passphrase', 'not a key', undefined)).toThrow(/Input 'private-key': cannot be read/);
  });
});
