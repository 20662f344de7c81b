import * as net from 'node:net';
import type { Duplex } from 'node:stream';
import { Client, type ClientChannel, type ConnectConfig, type SFTPWrapper } from 'ssh2';
import { fingerprintOfKey, type HostKeyPin, isRevoked, pinsForHost } from './hostkey.ts';
import { shellJoin } from './quote.ts';
import { UserError } from '#errors/index';
import { nextWaitMs } from '#probe/schedule';

export interface SshTarget {
  host: string;
  port: number;
  username: string;
  privateKey?: string;
  passphrase?: string;
  password?: string;
  /** Pins that the server's host key must match; empty only with insecureIgnoreHostKey. */
  hostKeys: HostKeyPin[];
  insecureIgnoreHostKey: boolean;
  connectTimeoutMs: number;
  /** How many more times a connection that timed out, was refused or dropped before the handshake is tried. */
  connectRetries: number;
}

export interface ExecResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** A remote command that failed: host, command and exit code; never any secret (none is ever in argv). */
export class RemoteError extends UserError {
  readonly host: string;
  readonly command: string;
  readonly code: number;
  readonly stderr: string;

  constructor(host: string, argv: readonly string[], code: number, stderr: string) {
    const detail = stderr.trim().split('\n').slice(-3).join(' | ');
    super(`${host}: \`${shellJoin(argv)}\` exited ${code}${detail ? `: ${detail}` : ''}`);
    this.host = host;
    this.command = shellJoin(argv);
    this.code = code;
    this.stderr = stderr;
  }
}

/**
 * Why a connection could not be made. `refused`, `timeout` and `dropped` (closed before the SSH handshake
 * finished, e.g. sshd's MaxStartups) may pass, and `connect-retries` tries them again; `authentication` and
 * `host-key` never pass by waiting, so they are never retried; `lost` is a connection that was up.
 */
export type ConnectFailure = 'refused' | 'timeout' | 'dropped' | 'authentication' | 'host-key' | 'lost' | 'other';
const RETRYABLE: ReadonlySet<ConnectFailure> = new Set(['refused', 'timeout', 'dropped']);

export class SshConnectError extends UserError {
  readonly failure: ConnectFailure;
  constructor(message: string, failure: ConnectFailure = 'lost') {
    super(message);
    this.failure = failure;
  }
}

/** The backoff between connection attempts: 1 s, doubling, at most 30 s (the probe schedule's). */
export const CONNECT_RETRY_BACKOFF = { intervalMs: 1000, backoff: 'exponential', maxIntervalMs: 30_000 } as const;

/** A remote command left running, e.g. a lock holder; it ends when stdin closes or the connection drops. */
export interface RemoteProcess {
  /** Resolves with the first stdout line. */
  firstLine: Promise<string>;
  /** The exit code (255 when killed by a signal); rejects with an SshConnectError when the connection was lost. */
  exit: Promise<number>;
  /** Sends `input` (if any) and closes stdin, which lets the process finish. */
  end(input?: string): void;
}

/** Everything the deploy and tunnel code needs from one SSH connection. */
export interface RemoteHost {
  readonly name: string;
  exec(argv: readonly string[], options?: { stdin?: string; timeoutMs?: number }): Promise<ExecResult>;
  /** exec that throws RemoteError on a non-zero exit. */
  run(argv: readonly string[], options?: { stdin?: string; timeoutMs?: number }): Promise<string>;
  start(argv: readonly string[]): Promise<RemoteProcess>;
  writeFile(path: string, content: string | Buffer, mode: number): Promise<void>;
  forwardOut(host: string, port: number): Promise<Duplex>;
  /** Rejects with an SshConnectError when the connection drops (never resolves while it is up). */
  readonly lost: Promise<never>;
  close(): void;
}

function describeTarget(target: SshTarget): string {
  return `${target.username}@${target.host}:${target.port}`;
}

/**
 * Opens the TCP connection with Nagle's algorithm off: SSH sends many small packets, and with Nagle
 * against the server's delayed ACKs every remote command costs ~90 ms instead of ~10 ms.
 */
function openSocket(target: SshTarget): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: target.host, port: target.port, noDelay: true });
    const timer = setTimeout(() => {
      socket.destroy();
      reject(timedOut(target));
    }, target.connectTimeoutMs);
    socket.once('connect', () => {
      clearTimeout(timer);
      resolve(socket);
    });
    socket.once('error', (error: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      reject(socketError(target, error));
    });
  });
}

const timedOut = (target: SshTarget) =>
  new SshConnectError(
    `could not connect to ${describeTarget(target)} within ${target.connectTimeoutMs} ms: no answer (the host is down, or a firewall drops the packets)`,
    'timeout',
  );

function socketError(target: SshTarget, error: NodeJS.ErrnoException): SshConnectError {
  if (error.code === 'ECONNREFUSED')
    return new SshConnectError(
      `could not connect to ${describeTarget(target)}: the connection was refused (nothing listens on port ${target.port} yet, or a firewall rejects it)`,
      'refused',
    );
  if (error.code === 'ETIMEDOUT') return timedOut(target);
  if (error.code === 'ECONNRESET')
    return new SshConnectError(
      `could not connect to ${describeTarget(target)}: the connection was reset before the SSH handshake`,
      'dropped',
    );
  return new SshConnectError(`could not connect to ${describeTarget(target)}: ${error.code ?? error.message}`, 'other');
}

async function connectClient(target: SshTarget, tunnel?: Duplex): Promise<Client> {
  const sock = tunnel ?? (await openSocket(target));
  const pins = pinsForHost(target.hostKeys, target.host, target.port);
  let presented: string | undefined;
  const config: ConnectConfig = {
    sock,
    username: target.username,
    privateKey: target.privateKey,
    passphrase: target.passphrase,
    password: target.password,
    readyTimeout: target.connectTimeoutMs,
    keepaliveInterval: 10_000,
    keepaliveCountMax: 3,
    hostVerifier: (key: Buffer) => {
      presented = fingerprintOfKey(key);
      return target.insecureIgnoreHostKey || pins.some((pin) => pin.fingerprint === presented);
    },
  };
  return new Promise((resolve, reject) => {
    const client = new Client();
    client.once('ready', () => resolve(client));
    client.once('error', (error: Error & { level?: string }) => {
      client.end();
      if (presented && !target.insecureIgnoreHostKey && !pins.some((pin) => pin.fingerprint === presented)) {
        const why = isRevoked(target.hostKeys, presented, target.host, target.port)
          ? 'which an @revoked line of host-key refuses'
          : `which matches none of the ${pins.length} pinned key(s). If the host was rebuilt, update host-key (ssh-keyscan -p ${target.port} ${target.host}).`;
        reject(
          new SshConnectError(
            `host key verification failed for ${target.host}:${target.port}: it presented ${presented}, ${why}`,
            'host-key',
          ),
        );
      } else if (error.level === 'client-authentication') {
        reject(
          new SshConnectError(
            `authentication as ${describeTarget(target)} failed: the server accepted none of the given credentials`,
            'authentication',
          ),
        );
      } else if (error.level === 'client-timeout' || /Timed out/.test(error.message)) {
        reject(timedOut(target));
      } else if (error.level === 'client-socket' || /before handshake|ECONNRESET/.test(error.message)) {
        reject(
          new SshConnectError(
            `could not connect to ${describeTarget(target)}: the server closed the connection before the SSH handshake`,
            'dropped',
          ),
        );
      } else {
        reject(new SshConnectError(`could not connect to ${describeTarget(target)}: ${error.message}`, 'other'));
      }
    });
    try {
      client.connect(config);
    } catch (error) {
      // ssh2 throws synchronously for an unusable key; the socket we opened must not keep the process alive.
      sock.destroy();
      reject(
        new SshConnectError(`cannot use the private key for ${describeTarget(target)}: ${(error as Error).message}`, 'authentication'),
      );
    }
  });
}

/**
 * What a failed SSH request (exec, SFTP, forward) means to a user. ssh2 fails every request still pending
 * when the connection ends with "No response from server": that is a lost connection, and is said so.
 */
const isLost = (error: Error, closed: boolean) => closed || error.message === 'No response from server';

function requestError(name: string, what: string, error: Error, closed: boolean): SshConnectError {
  if (isLost(error, closed)) return new SshConnectError(`the SSH connection to ${name} was lost while ${what}`);
  return new SshConnectError(`${name}: the SSH connection failed while ${what}: ${error.message}`);
}

function channelExec(client: Client, name: string, command: string, isClosed: () => boolean): Promise<ClientChannel> {
  return new Promise((resolve, reject) =>
    client.exec(command, (error, channel) =>
      error ? reject(requestError(name, `starting \`${command}\``, error, isClosed())) : resolve(channel),
    ),
  );
}

export interface ConnectOptions {
  /** Told each time a connection attempt failed and another follows, with the wait before it. */
  onRetry?: (message: string) => void;
  /** Waits between attempts; a test's clock may replace it. */
  sleep?: (ms: number) => Promise<void>;
}

/**
 * Opens one connection (through `jump` when given) that every later command reuses. A failure that may
 * pass (refused, timed out, dropped before the handshake) is tried again `target.connectRetries` times
 * with backoff; a refused key or credentials fail at once.
 */
export async function connectSsh(target: SshTarget, jump?: SshTarget, options: ConnectOptions = {}): Promise<RemoteHost> {
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  for (let attempt = 1; ; attempt++) {
    try {
      return await connectOnce(target, jump);
    } catch (error) {
      const retryable = error instanceof SshConnectError && RETRYABLE.has(error.failure);
      if (!retryable || attempt > target.connectRetries) {
        if (retryable && attempt > 1) (error as Error).message += ` (after ${attempt} attempts)`;
        throw error;
      }
      const waitMs = nextWaitMs(CONNECT_RETRY_BACKOFF, false, attempt);
      options.onRetry?.(`${(error as Error).message}; trying again in ${waitMs / 1000} s (retry ${attempt} of ${target.connectRetries})`);
      await sleep(waitMs);
    }
  }
}

async function connectOnce(target: SshTarget, jump?: SshTarget): Promise<RemoteHost> {
  let jumpClient: Client | undefined;
  let sock: Duplex | undefined;
  if (jump) {
    jumpClient = await connectClient(jump);
    try {
      sock = await new Promise<Duplex>((resolve, reject) =>
        jumpClient!.forwardOut('127.0.0.1', 0, target.host, target.port, (error, stream) => {
          if (!error) return resolve(stream);
          const failure = /refused/i.test(error.message) ? 'refused' : /timed? ?out/i.test(error.message) ? 'timeout' : 'other';
          reject(new SshConnectError(`jump host ${jump.host} could not reach ${target.host}:${target.port}: ${error.message}`, failure));
        }),
      );
    } catch (error) {
      jumpClient.end();
      throw error;
    }
  }
  let client: Client;
  try {
    client = await connectClient(target, sock);
  } catch (error) {
    jumpClient?.end();
    throw error;
  }
  return new SshHost(client, target.port === 22 ? target.host : `${target.host}:${target.port}`, jumpClient);
}

/** The real RemoteHost: one ssh2 connection (and its jump host's, if any) that every command reuses. */
export class SshHost implements RemoteHost {
  readonly name: string;
  readonly lost: Promise<never>;
  private readonly client: Client;
  private readonly jumpClient?: Client;
  /** Rejects when the connection closes for any reason, on purpose or not. */
  private readonly ended: Promise<never>;
  private closed = false;
  private closedOnPurpose = false;
  private sftpSession?: Promise<SFTPWrapper>;

  constructor(client: Client, name: string, jumpClient?: Client) {
    this.client = client;
    this.name = name;
    this.jumpClient = jumpClient;
    this.lost = new Promise<never>((_resolve, reject) =>
      client.on('close', () => {
        this.closed = true;
        if (!this.closedOnPurpose) reject(new SshConnectError(`the SSH connection to ${name} was lost`));
      }),
    );
    this.lost.catch(() => {});
    this.ended = new Promise<never>((_resolve, reject) =>
      client.on('close', () => reject(new SshConnectError(`the SSH connection to ${name} was lost`))),
    );
    this.ended.catch(() => {});
  }

  /**
   * ssh2 does not answer some requests made as the connection goes down; raced against `ended`, every request
   * settles, and nothing awaits forever (a process whose last promise never settles simply exits, with status 0).
   */
  private untilClosed<T>(request: Promise<T>): Promise<T> {
    return Promise.race([request, this.ended]);
  }

  private async openChannel(argv: readonly string[]): Promise<ClientChannel> {
    if (this.closed) throw new SshConnectError(`the connection to ${this.name} is closed`);
    return this.untilClosed(channelExec(this.client, this.name, shellJoin(argv), () => this.closed));
  }

  async exec(argv: readonly string[], options: { stdin?: string; timeoutMs?: number } = {}): Promise<ExecResult> {
    const channel = await this.openChannel(argv);
    const name = this.name;
    return this.untilClosed(
      new Promise<ExecResult>((resolve, reject) => {
        let stdout = '';
        let stderr = '';
        const timer = options.timeoutMs
          ? setTimeout(() => {
              channel.close();
              reject(new RemoteError(name, argv, 124, `timed out after ${options.timeoutMs} ms`));
            }, options.timeoutMs)
          : undefined;
        channel.on('data', (chunk: Buffer) => {
          stdout += chunk.toString('utf8');
        });
        channel.stderr.on('data', (chunk: Buffer) => {
          stderr += chunk.toString('utf8');
        });
        channel.on('close', (code: number | null, signal?: string) => {
          clearTimeout(timer);
          if (code === null || code === undefined) {
            reject(new RemoteError(name, argv, 255, signal ? `killed by ${signal}` : `${stderr}\nthe connection to ${name} was lost`));
          } else {
            resolve({ code, stdout, stderr });
          }
        });
        channel.end(options.stdin ?? '');
      }),
    );
  }

  async run(argv: readonly string[], options?: { stdin?: string; timeoutMs?: number }): Promise<string> {
    const result = await this.exec(argv, options);
    if (result.code !== 0) throw new RemoteError(this.name, argv, result.code, result.stderr);
    return result.stdout;
  }

  async start(argv: readonly string[]): Promise<RemoteProcess> {
    const channel = await this.openChannel(argv);
    const name = this.name;
    let buffered = '';
    let stderr = '';
    channel.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString('utf8');
    });
    const firstLine = this.untilClosed(
      new Promise<string>((resolve, reject) => {
        channel.on('data', (chunk: Buffer) => {
          buffered += chunk.toString('utf8');
          const newline = buffered.indexOf('\n');
          if (newline >= 0) resolve(buffered.slice(0, newline));
        });
        channel.on('close', (code: number | null) =>
          reject(new RemoteError(name, argv, code ?? 255, `${stderr}\nended before printing a line`)),
        );
      }),
    );
    firstLine.catch(() => {});
    // No exit status and no signal: the session died with the connection (a killed sshd, a dropped link), so
    // the process's fate is unknown and the caller hears that the connection was lost, not a made-up code.
    const exit = this.untilClosed(
      new Promise<number>((resolve, reject) =>
        channel.on('close', (code: number | null, signal?: string) =>
          code === null || code === undefined
            ? signal
              ? resolve(255)
              : reject(new SshConnectError(`the SSH connection to ${name} was lost while \`${argv[0]}\` ran`))
            : resolve(code),
        ),
      ),
    );
    exit.catch(() => {});
    return { firstLine, exit, end: (input?: string) => channel.end(input ?? '') };
  }

  async writeFile(path: string, content: string | Buffer, mode: number): Promise<void> {
    const session = await this.sftp();
    const call = <T>(what: string, fn: (done: (error: Error | null | undefined, value?: T) => void) => void) =>
      this.untilClosed(
        new Promise<T>((resolve, reject) =>
          fn((error, value) =>
            error
              ? reject(
                  isLost(error, this.closed)
                    ? requestError(this.name, `${what} ${path} over SFTP`, error, true)
                    : new UserError(`${this.name}: ${what} ${path} over SFTP failed: ${error.message}`),
                )
              : resolve(value as T),
          ),
        ),
      );
    const data = Buffer.isBuffer(content) ? content : Buffer.from(content, 'utf8');
    // Created with the mode from the first byte; fchmod too, for a file that already existed looser.
    const handle = await call<Buffer>('opening', (done) => session.open(path, 'w', { mode }, done));
    try {
      await call('writing', (done) => session.write(handle, data, 0, data.length, 0, done));
      await call('chmodding', (done) => session.fchmod(handle, mode, done));
    } finally {
      await call('closing', (done) => session.close(handle, done));
    }
  }

  forwardOut(host: string, port: number): Promise<Duplex> {
    return this.untilClosed(
      new Promise((resolve, reject) =>
        this.client.forwardOut('127.0.0.1', 0, host, port, (error, stream) =>
          error
            ? reject(isLost(error, this.closed) ? requestError(this.name, `forwarding to ${host}:${port}`, error, true) : error)
            : resolve(stream),
        ),
      ),
    );
  }

  close(): void {
    this.closedOnPurpose = true;
    this.client.end();
    this.jumpClient?.end();
  }

  /** One SFTP session per connection, opened on first use. */
  private sftp(): Promise<SFTPWrapper> {
    return (this.sftpSession ??= this.untilClosed(
      new Promise((resolve, reject) =>
        this.client.sftp((error, session) =>
          error ? reject(requestError(this.name, 'opening SFTP', error, this.closed)) : resolve(session),
        ),
      ),
    ));
  }
}
