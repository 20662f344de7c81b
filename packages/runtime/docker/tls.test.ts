/** The edge's certificate checks, against certificates openssl makes here (test/support's). */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { selfSignedCertificate } from '../../../test/support/servers.ts';
import { checkCertificate, edgePem } from './tls.ts';

const dir = mkdtempSync(join(tmpdir(), 'gp-tls-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const selfSigned = (name: string, days: number) => selfSignedCertificate(dir, name, name, days);

describe('checkCertificate', () => {
  const good = selfSigned('web.example', 90);
  const short = selfSigned('soon.example', 5);
  const other = selfSigned('other.example', 90);

  it('accepts a matching certificate with the days left, and warns within 14 days', () => {
    const check = checkCertificate(good.cert, good.key);
    expect(check.subject).toBe('CN=web.example');
    expect(check.daysLeft).toBeGreaterThanOrEqual(89);
    expect(check.warning).toBeUndefined();
    const soon = checkCertificate(short.cert, short.key);
    expect(soon.daysLeft).toBeLessThanOrEqual(5);
    expect(soon.warning).toMatch(/^tls-certificate \(CN=soon\.example\) expires in [45] day\(s\), on \d{4}-/);
  });

  it('refuses an expired certificate, one not yet valid, a key that does not match, and text that is not PEM', () => {
    const later = new Date(Date.now() + 100 * 86_400_000);
    expect(() => checkCertificate(good.cert, good.key, later)).toThrow(/^Input 'tls-certificate': \(CN=web\.example\) expired on \d{4}-/);
    const earlier = new Date(Date.now() - 86_400_000);
    expect(() => checkCertificate(good.cert, good.key, earlier)).toThrow(
      /^Input 'tls-certificate': \(CN=web\.example\) is not valid before/,
    );
    expect(() => checkCertificate(good.cert, other.key)).toThrow("Input 'tls-key': does not match tls-certificate (CN=web.example)");
    expect(() => checkCertificate('not a certificate', good.key)).toThrow(/^Input 'tls-certificate': holds no PEM certificate/);
    expect(() => checkCertificate(good.cert, 'SECRET-NOT-A-KEY')).toThrow("Input 'tls-key': is not an unencrypted PEM private key");
    expect(() => checkCertificate(good.cert, 'SECRET-NOT-A-KEY')).not.toThrow(/SECRET/);
  });

  it('puts the chain before the key in the one file the edge reads', () => {
    const pem = edgePem(`${good.cert}\n\n`, good.key);
    expect(pem.indexOf('BEGIN CERTIFICATE')).toBeLessThan(pem.indexOf('PRIVATE KEY'));
    expect(pem.endsWith('-----\n')).toBe(true);
  });
});
