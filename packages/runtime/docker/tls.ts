/**
 * The edge's TLS certificate and key (`tls-certificate`, `tls-key`), checked before anything changes: a
 * certificate that does not parse, has expired or is not yet valid, or does not match its key is an input
 * error; one that expires within WARN_DAYS is a warning. The edge reads them as one PEM file.
 */
import { createPrivateKey, type KeyObject, X509Certificate } from 'node:crypto';
import { InputError } from '#inputs/index';

export const CERTIFICATE_INPUT = 'tls-certificate';
export const KEY_INPUT = 'tls-key';
export const WARN_DAYS = 14;
const DAY_MS = 86_400_000;
const PEM_CERTIFICATE = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;

export interface CertificateCheck {
  subject: string;
  notAfter: Date;
  /** Whole days until it expires, rounded down. */
  daysLeft: number;
  /** Set when it expires within WARN_DAYS. */
  warning?: string;
}

function certificates(pem: string): X509Certificate[] {
  const blocks = pem.match(PEM_CERTIFICATE) ?? [];
  if (blocks.length === 0) throw new InputError(CERTIFICATE_INPUT, 'holds no PEM certificate (-----BEGIN CERTIFICATE-----)');
  return blocks.map((block, index) => {
    try {
      return new X509Certificate(block);
    } catch (error) {
      throw new InputError(CERTIFICATE_INPUT, `certificate ${index + 1} does not parse: ${(error as Error).message}`);
    }
  });
}

function privateKey(pem: string): KeyObject {
  try {
    return createPrivateKey(pem);
  } catch {
    // The key's text is never repeated: it is a secret.
    throw new InputError(KEY_INPUT, 'is not an unencrypted PEM private key');
  }
}

/** Checks the leaf (the first certificate) against the key and the clock. */
export function checkCertificate(certificatePem: string, keyPem: string, now = new Date()): CertificateCheck {
  const [leaf] = certificates(certificatePem);
  const key = privateKey(keyPem);
  const subject = leaf!.subject.replace(/\n/g, ', ');
  if (!leaf!.checkPrivateKey(key)) throw new InputError(KEY_INPUT, `does not match ${CERTIFICATE_INPUT} (${subject})`);
  const notBefore = new Date(leaf!.validFrom);
  const notAfter = new Date(leaf!.validTo);
  if (notBefore.getTime() > now.getTime())
    throw new InputError(CERTIFICATE_INPUT, `(${subject}) is not valid before ${notBefore.toISOString()}`);
  if (notAfter.getTime() <= now.getTime()) throw new InputError(CERTIFICATE_INPUT, `(${subject}) expired on ${notAfter.toISOString()}`);
  const daysLeft = Math.floor((notAfter.getTime() - now.getTime()) / DAY_MS);
  const warning =
    daysLeft < WARN_DAYS ? `${CERTIFICATE_INPUT} (${subject}) expires in ${daysLeft} day(s), on ${notAfter.toISOString()}` : undefined;
  return { subject, notAfter, daysLeft, warning };
}

/** The one file HAProxy's `crt` reads: the certificate chain, then the key. */
export const edgePem = (certificatePem: string, keyPem: string): string => `${certificatePem.trim()}\n${keyPem.trim()}\n`;
