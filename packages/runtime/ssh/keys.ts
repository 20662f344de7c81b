import ssh2 from 'ssh2';
import { InputError } from '#inputs/index';

/** Fails before any connection when a private key cannot be read or decrypted with the passphrase given. */
export function checkPrivateKey(keyInput: string, passphraseInput: string, key: string, passphrase: string | undefined): void {
  // Default import: Node's own ESM loader cannot see ssh2's `utils` as a named export.
  const parsed = ssh2.utils.parseKey(key, passphrase);
  const error = Array.isArray(parsed) ? undefined : parsed instanceof Error ? parsed : undefined;
  if (!error) return;
  if (/passphrase|decrypt|bad decrypt/i.test(error.message)) {
    throw new InputError(passphraseInput, passphrase ? `does not decrypt ${keyInput}` : `is required: ${keyInput} is encrypted`);
  }
  throw new InputError(keyInput, `cannot be read: ${error.message}`);
}
