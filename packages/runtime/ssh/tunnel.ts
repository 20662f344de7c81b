import * as net from 'node:net';
import type { RemoteHost } from './connection.ts';
import { UserError } from '#errors/index';

export interface Tunnel {
  /** The local port the listener got (the requested one, or a free one for 0). */
  readonly port: number;
  /** Why the far side refused the last forward, e.g. the database is down; undefined while all went well. */
  lastForwardError(): string | undefined;
  /** How many local connections it forwards now. */
  openConnections(): number;
  /** Stops listening and drops every forwarded connection. Safe to call twice. */
  close(): Promise<void>;
}

export interface TunnelOptions {
  /** The input that named the port, for errors. */
  input?: string;
  /**
   * Asked for each accepted connection before anything is forwarded: `true` lets it through; a string
   * refuses it (the connection is closed) and is the reason, passed to `onRefused`.
   */
  admit?: (peerPort: number, listenPort: number) => true | string;
  onRefused?: (reason: string) => void;
}

/** Listens on 127.0.0.1:localPort and forwards each connection through `host` to target:targetPort. */
export async function openTunnel(
  host: RemoteHost,
  target: string,
  targetPort: number,
  localPort: number,
  options: TunnelOptions = {},
): Promise<Tunnel> {
  const input = options.input ?? 'local-port';
  const sockets = new Set<net.Socket>();
  let lastError: string | undefined;
  // No Nagle on the local side either: a query round trip is a few small packets each way.
  const server = net.createServer({ noDelay: true }, (local) => {
    const verdict = options.admit?.(local.remotePort!, (server.address() as net.AddressInfo).port) ?? true;
    if (verdict !== true) {
      options.onRefused?.(verdict);
      local.destroy();
      return;
    }
    sockets.add(local);
    local.on('close', () => sockets.delete(local));
    local.on('error', () => local.destroy());
    host.forwardOut(target, targetPort).then(
      (remote) => {
        lastError = undefined;
        remote.on('error', () => local.destroy());
        local.pipe(remote).pipe(local);
        local.on('close', () => remote.destroy());
        remote.on('close', () => local.destroy());
      },
      (error: Error) => {
        lastError = `the bastion could not open ${target}:${targetPort}: ${error.message}`;
        local.destroy();
      },
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) =>
      reject(
        new UserError(
          error.code === 'EADDRINUSE'
            ? `${input}: 127.0.0.1:${localPort} is already in use; choose another port, or 0 for a free one`
            : `${input}: cannot listen on 127.0.0.1:${localPort}: ${error.message}`,
        ),
      ),
    );
    server.listen(localPort, '127.0.0.1', () => resolve());
  });
  let closing: Promise<void> | undefined;
  return {
    port: (server.address() as net.AddressInfo).port,
    lastForwardError: () => lastError,
    openConnections: () => sockets.size,
    close: () =>
      (closing ??= new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      })),
  };
}
