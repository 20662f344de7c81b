/**
 * patches/ssh2+*.patch (applied by scripts/bootstrap with patch-package) makes ssh2 import each cipher key
 * once as a KeyObject, fill packet padding from a random pool, and write each SSH packet to the socket in
 * one call. These tests fail without it: in the committed bundles, and on the wire against the lab's
 * bastion, for every cipher family ssh2 uses.
 */
// First, so that ssh2 takes the counted randomFillSync when it loads.
import { randomFillCalls } from './support/count-rng.ts';
import { readFileSync } from 'node:fs';
import * as net from 'node:net';
import { type Algorithms, Client } from 'ssh2';
import { beforeAll, describe, expect, it } from 'vitest';
import { labEnv, type LabEnv } from './support/lab.ts';
import { committedBundles } from './support/bundles.ts';

let lab: LabEnv;
beforeAll(() => {
  lab = labEnv();
});

describe('the ssh2 patch', () => {
  it('is in every committed bundle that carries ssh2', () => {
    const withSsh2 = committedBundles().filter((file) => readFileSync(file, 'utf8').includes('SSH-2.0-ssh2js'));
    expect(withSsh2.length).toBeGreaterThanOrEqual(3);
    // The bundles are minified; what survives of the patch: ssh2's import of createSecretKey, and the padding pool.
    for (const file of withSsh2) {
      const text = readFileSync(file, 'utf8');
      expect(text, file).toContain('createSecretKey');
      expect(text, file).toContain('.allocUnsafe(16384)');
    }
  });

  for (const algorithms of [
    { cipher: ['aes128-gcm@openssh.com'] },
    { cipher: ['chacha20-poly1305@openssh.com'] },
    { cipher: ['aes128-ctr'], hmac: ['hmac-sha2-256-etm@openssh.com'] },
    { cipher: ['aes128-ctr'], hmac: ['hmac-sha2-256'] },
  ] as Array<Algorithms & { cipher: string[]; hmac?: string[] }>) {
    it(`writes each packet in one call, and data still flows both ways (${algorithms.cipher[0]}${algorithms.hmac ? `, ${algorithms.hmac[0]}` : ''})`, async () => {
      const sock = net.connect(Number(lab.LAB_BASTION_PORT), lab.LAB_BASTION_HOST!);
      sock.setNoDelay(true);
      let writes = 0;
      const write = sock.write.bind(sock) as (...args: unknown[]) => boolean;
      (sock as unknown as { write: (...args: unknown[]) => boolean }).write = (...args) => {
        writes += 1;
        return write(...args);
      };
      const client = new Client();
      await new Promise<void>((resolve, reject) => {
        client
          .on('ready', resolve)
          .on('error', reject)
          .connect({
            sock,
            username: lab.LAB_BASTION_USER!,
            privateKey: readFileSync(lab.LAB_BASTION_KEY_FILE!),
            algorithms,
            readyTimeout: 20_000,
          });
      });
      try {
        const echoed = await new Promise<{ text: string; packets: number; writes: number; rngCalls: number }>((resolve, reject) => {
          client.exec('cat', (error, stream) => {
            if (error) return reject(error);
            let text = '';
            stream.on('data', (chunk: Buffer) => {
              text += chunk;
            });
            const before = writes;
            const rngBefore = randomFillCalls.count;
            let sent = 0;
            // 50 small writes, each its own CHANNEL_DATA packet, spaced so that none coalesce.
            const next = () => {
              if (sent === 50) {
                const counted = writes - before;
                const rngCalls = randomFillCalls.count - rngBefore;
                stream.end();
                stream.on('close', () => resolve({ text, packets: 50, writes: counted, rngCalls }));
                return;
              }
              stream.write(`line ${sent}\n`);
              sent += 1;
              setTimeout(next, 2);
            };
            next();
          });
        });
        expect(echoed.text.split('\n').filter(Boolean)).toHaveLength(50);
        // One socket write per packet (window adjustments may add a few); unpatched it is three or four each.
        expect(echoed.writes).toBeGreaterThanOrEqual(50);
        expect(echoed.writes).toBeLessThanOrEqual(60);
        // Padding comes from a 16 KiB random pool: at most one refill for 50 packets; unpatched, one call each.
        expect(echoed.rngCalls).toBeLessThanOrEqual(1);
      } finally {
        client.end();
      }
    });
  }
});
