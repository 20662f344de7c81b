import { type Clock, type HttpTransport, type ProbeRequest, type ProbeResponse, TransportError } from './types.ts';

/** Virtual time: sleep advances the clock instantly, so schedules can be tested exactly. */
export class VirtualClock implements Clock {
  time = 0;
  readonly sleeps: number[] = [];
  now(): number {
    return this.time;
  }
  async sleep(ms: number): Promise<void> {
    this.sleeps.push(ms);
    this.time += ms;
  }
}

export type ScriptedAnswer = { status: number; body?: string; latencyMs?: number } | { error: TransportError; latencyMs?: number };

/** Answers from a script, one per request, advancing the virtual clock by each answer's latency. */
export class ScriptedTransport implements HttpTransport {
  readonly requests: ProbeRequest[] = [];
  private readonly clock: VirtualClock;
  private readonly script: ScriptedAnswer[];

  constructor(clock: VirtualClock, script: ScriptedAnswer[]) {
    this.clock = clock;
    this.script = script;
  }
  async send(request: ProbeRequest): Promise<ProbeResponse> {
    this.requests.push(request);
    const answer = this.script[Math.min(this.requests.length - 1, this.script.length - 1)]!;
    const latencyMs = Math.min(answer.latencyMs ?? 10, request.timeoutMs);
    this.clock.time += latencyMs;
    if ('error' in answer) throw answer.error;
    if ((answer.latencyMs ?? 10) > request.timeoutMs)
      throw new TransportError('timeout', `no complete answer within ${request.timeoutMs} ms`);
    return { status: answer.status, body: answer.body ?? '', latencyMs, finalUrl: request.url.href, redirects: 0 };
  }
}
