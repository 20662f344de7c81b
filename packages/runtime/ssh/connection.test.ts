/**
 * connectSsh's retries against real sockets on loopback: a port nothing listens on (refused), and one that
 * accepts and closes before any SSH is spoken (dropped). The waits go through an injected sleep.
 */
import { createServer, type Server } from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectSsh, SshConnectError, type SshTarget } from './connection.ts';

let closer: Server;
let closedPort: number;
const target = (port: number, connectRetries: number): SshTarget => ({
  host: '127.0.0.1',
  port,
  username: 'deploy',
  password: 'pw',
  hostKeys: [],
  insecureIgnoreHostKey: true,
  connectTimeoutMs: 2000,
  connectRetries,
});

beforeAll(async () => {
  // Accepts and closes at once: sshd dropping a connection over MaxStartups looks the same.
  closer = createServer((socket) => socket.destroy());
  await new Promise<void>((resolve) => closer.listen(0, '127.0.0.1', resolve));
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  closedPort = (probe.address() as AddressInfo).port;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
});
afterAll(() => new Promise<void>((resolve) => closer.close(() => resolve())));

async function failure(port: number, retries: number) {
  const waits: number[] = [];
  const retried: string[] = [];
  const error = await connectSsh(target(port, retries), undefined, {
    sleep: async (ms) => void waits.push(ms),
    onRetry: (message) => retried.push(message),
  }).catch((e: unknown) => e);
  expect(error).toBeInstanceOf(SshConnectError);
  return { error: error as SshConnectError, waits, retried };
}

describe('connectSsh retries', () => {
  it('tries a refused port again with backoff, then says how many attempts it made', async () => {
    const { error, waits, retried } = await failure(closedPort, 3);
    expect(error.failure).toBe('refused');
    expect(waits).toEqual([1000, 2000, 4000]);
    expect(retried).toHaveLength(3);
    expect(retried[0]).toMatch(/connection was refused .*; trying again in 1 s \(retry 1 of 3\)$/);
    expect(error.message).toMatch(/^could not connect to deploy@127\.0\.0\.1:\d+: the connection was refused .* \(after 4 attempts\)$/);
  });

  it('does not retry without connect-retries', async () => {
    const { error, waits } = await failure(closedPort, 0);
    expect(error.failure).toBe('refused');
    expect(waits).toEqual([]);
    expect(error.message).not.toMatch(/after \d+ attempts/);
  }, 10_000);

  it('retries a connection dropped before the SSH handshake', async () => {
    const { error, waits } = await failure((closer.address() as AddressInfo).port, 1);
    expect(error.failure).toBe('dropped');
    expect(waits).toEqual([1000]);
    expect(error.message).toMatch(/before the SSH handshake/);
  }, 10_000);
});
