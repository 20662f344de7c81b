import { createServer, connect } from 'node:net';
import { describe, expect, it } from 'vitest';
import { descendsFrom, identify, isAlive, loopbackPeer, loopbackSocketInode, parseStat, type ProcessStat } from './index.ts';

describe('parseStat', () => {
  it('reads the parent and start time after a command name with spaces and parentheses', () => {
    const fields = ['S', '42', ...Array(17).fill('0'), '987654', '0'];
    expect(parseStat(7, `7 (we ird) (name) ${fields.join(' ')}`)).toEqual({ pid: 7, ppid: 42, start: 987654 });
  });
  it('treats a zombie as gone', () => {
    expect(parseStat(7, `7 (sh) Z 1 ${Array(18).fill('0').join(' ')}`)).toBeUndefined();
  });
  it('identifies this process, alive, and not a later one with another start time', () => {
    const me = identify(process.pid)!;
    expect(isAlive(me)).toBe(true);
    expect(isAlive({ ...me, start: me.start + 1 })).toBe(false);
  });
});

describe('descendsFrom', () => {
  const table = new Map<number, ProcessStat>([
    [30, { pid: 30, ppid: 20, start: 3 }],
    [20, { pid: 20, ppid: 10, start: 2 }],
    [10, { pid: 10, ppid: 1, start: 1 }],
  ]);
  const stat = (pid: number) => table.get(pid);
  it('follows parents up to the ancestor', () => {
    expect(descendsFrom(30, 10, stat)).toBe(true);
    expect(descendsFrom(30, 30, stat)).toBe(true);
    expect(descendsFrom(10, 30, stat)).toBe(false);
    expect(descendsFrom(99, 10, stat)).toBe(false);
  });
});

describe('loopback peers', () => {
  it('finds the socket inode of a connection in /proc/net/tcp text', () => {
    const text = [
      '  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode',
      '   0: 0100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1111 1 0 100 0 0 10 0',
      '   1: 0100007F:D431 0100007F:1F90 01 00000000:00000000 00:00000000 00000000     0        0 2222 1 0 20 4 30 10 -1',
    ].join('\n');
    expect(loopbackSocketInode(text, 0xd431, 8080)).toBe(2222);
    expect(loopbackSocketInode(text, 0xd432, 8080)).toBeUndefined();
  });
  it('names this process as the peer of its own connection', async () => {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const listenPort = (server.address() as { port: number }).port;
    const accepted = new Promise<number>((resolve) => server.once('connection', (socket) => resolve(socket.remotePort!)));
    const client = connect(listenPort, '127.0.0.1');
    try {
      expect(loopbackPeer(await accepted, listenPort)).toBe(process.pid);
    } finally {
      client.destroy();
      server.close();
    }
  });
});
