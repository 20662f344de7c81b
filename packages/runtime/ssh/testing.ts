/**
 * A recording fake of RemoteHost for orchestration unit tests: every argv is recorded as the shell text
 * the real host would run (quoted by shellJoin, as packages/runtime/ssh does), answered by a handler the test
 * gives; a forwarded connection reaches a local HTTP server that asks the test what that address serves.
 */
import * as http from 'node:http';
import * as https from 'node:https';
import * as net from 'node:net';
import type { Duplex } from 'node:stream';
import { utils } from 'ssh2';
import type { ExecResult, RemoteHost, RemoteProcess } from './connection.ts';
import { RemoteError } from './connection.ts';
import { shellJoin } from './quote.ts';

/** For input tests: an unencrypted ed25519 private key (made once per test file) and a well-formed host-key pin. */
export const TEST_PRIVATE_KEY = utils.generateKeyPairSync('ed25519').private.trim();
export const TEST_HOST_KEY_PIN = 'SHA256:47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU';

export type FakeAnswer = Partial<ExecResult> | undefined;
/** What a forwarded address answers (a status, body and headers), or undefined for a refused connection. */
export type FakeHttp = (
  address: string,
  port: number,
  path: string,
  headers: http.IncomingHttpHeaders,
) => { status: number; body: string; headers?: Record<string, string> } | undefined;

export class RecordingHost implements RemoteHost {
  readonly name = 'fake-host';
  /** Every remote command, in order, as shell text. */
  readonly commands: string[] = [];
  /** Files written over "SFTP": path → content. */
  readonly files = new Map<string, string>();
  /** The mode each file was written with. */
  readonly modes = new Map<string, number>();
  readonly lost = new Promise<never>(() => {});
  private readonly servers = new Map<string, Promise<{ server: http.Server; port: number }>>();

  private readonly answer: (argv: readonly string[], stdin?: string) => FakeAnswer;
  private readonly httpAnswer: FakeHttp;

  constructor(answer: (argv: readonly string[], stdin?: string) => FakeAnswer, httpAnswer: FakeHttp = () => undefined) {
    this.answer = answer;
    this.httpAnswer = httpAnswer;
  }

  /** Addresses that speak TLS with this certificate and key (as `address:port`), e.g. a TLS edge's port. */
  readonly tls = new Map<string, { cert: string; key: string }>();

  async exec(argv: readonly string[], options: { stdin?: string } = {}): Promise<ExecResult> {
    this.commands.push(shellJoin(argv));
    const answer = this.answer(argv, options.stdin) ?? {};
    return { code: answer.code ?? 0, stdout: answer.stdout ?? '', stderr: answer.stderr ?? '' };
  }

  async run(argv: readonly string[], options?: { stdin?: string }): Promise<string> {
    const result = await this.exec(argv, options);
    if (result.code !== 0) throw new RemoteError(this.name, argv, result.code, result.stderr);
    return result.stdout;
  }

  /** A long-running command: its first line is the handler's stdout (first line), and what `end` sends is recorded. */
  async start(argv: readonly string[]): Promise<RemoteProcess> {
    this.commands.push(shellJoin(argv));
    const answer = this.answer(argv) ?? {};
    let finish: (code: number) => void = () => {};
    const exit = new Promise<number>((resolve) => {
      finish = resolve;
    });
    const firstLine = answer.code
      ? Promise.reject(new RemoteError(this.name, argv, answer.code, answer.stderr ?? ''))
      : Promise.resolve((answer.stdout ?? 'locked').split('\n')[0]!);
    firstLine.catch(() => {});
    return {
      firstLine,
      exit,
      end: (input?: string) => {
        this.commands.push(`<stdin ${input ?? ''}>`);
        this.onEnd?.(argv, input);
        finish(0);
      },
    };
  }

  /** Called when a started command's stdin is closed, with what was sent: lets a test simulate its effect. */
  onEnd?: (argv: readonly string[], input?: string) => void;

  async writeFile(path: string, content: string | Buffer, mode?: number): Promise<void> {
    this.commands.push(`<write ${path}>`);
    this.files.set(path, content.toString());
    if (mode !== undefined) this.modes.set(path, mode);
  }

  async forwardOut(address: string, port: number): Promise<Duplex> {
    this.commands.push(`<connect ${address}:${port}>`);
    const socket = net.connect(await this.serverFor(address, port), '127.0.0.1');
    await new Promise((resolve, reject) => socket.once('connect', resolve).once('error', reject));
    return socket;
  }

  close(): void {
    for (const server of this.servers.values()) void server.then(({ server: s }) => s.close());
  }

  /** One local HTTP server per forwarded address, answering what the test says that address serves. */
  private serverFor(address: string, port: number): Promise<number> {
    const key = `${address}:${port}`;
    // A new certificate for an address is a new server, as a reloaded proxy is.
    const entryKey = `${key} ${this.tls.get(key)?.cert ?? ''}`;
    let entry = this.servers.get(entryKey);
    if (!entry) {
      entry = new Promise((resolve) => {
        const tls = this.tls.get(key);
        const handler: http.RequestListener = (request, response) => {
          const answer = this.httpAnswer(address, port, request.url ?? '/', request.headers);
          if (!answer) {
            request.socket.destroy();
            return;
          }
          response.writeHead(answer.status, { 'content-type': 'text/plain', ...answer.headers }).end(answer.body);
        };
        const server = tls ? https.createServer(tls, handler) : http.createServer(handler);
        server.listen(0, '127.0.0.1', () => resolve({ server, port: (server.address() as net.AddressInfo).port }));
      });
      this.servers.set(entryKey, entry);
    }
    return entry.then(({ port: local }) => local);
  }

  /** Index of the first recorded command matching `pattern`, or -1. */
  indexOf(pattern: RegExp): number {
    return this.commands.findIndex((command) => pattern.test(command));
  }
}
