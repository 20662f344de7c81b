import type { BodyPattern } from './pattern.ts';
import type { StatusRange } from '#inputs/index';

export interface ProbeRequest {
  url: URL;
  method: string;
  headers: Record<string, string>;
  timeoutMs: number;
  followRedirects: boolean;
  /** PEM bundle trusted in addition to nothing else: when set, only this CA verifies the server. */
  ca?: string;
  insecure: boolean;
}

export interface ProbeResponse {
  status: number;
  body: string;
  latencyMs: number;
  /** The URL that answered, after any redirects. */
  finalUrl: string;
  redirects: number;
  /** The answer's headers, lowercased names; a repeated header's values joined with ', '. */
  headers?: Record<string, string>;
}

/** Why an attempt failed; every kind is retried, and the last one becomes the diagnosis. */
export type FailureKind =
  | 'connection-refused'
  | 'connection-reset'
  | 'dns'
  | 'timeout'
  | 'tls'
  | 'network'
  | 'proxy'
  | 'status'
  | 'body'
  | 'json'
  | 'latency'
  | 'redirects';

/** A request that got no HTTP answer. */
export class TransportError extends Error {
  readonly kind: FailureKind;
  readonly code?: string;

  constructor(kind: FailureKind, message: string, code?: string) {
    super(message);
    this.name = 'TransportError';
    this.kind = kind;
    this.code = code;
  }
}

/** Sends one HTTP request; the seam that lets deploy-container probe through an SSH connection. */
export interface HttpTransport {
  send(request: ProbeRequest): Promise<ProbeResponse>;
}

export interface Clock {
  now(): number;
  sleep(ms: number): Promise<void>;
}

export interface JsonFieldCheck {
  path: string;
  expected: string;
}

export interface ResponseChecks {
  expectedStatus: StatusRange[];
  bodyContains?: string;
  bodyRegex?: BodyPattern;
  jsonFields: JsonFieldCheck[];
  maxLatencyMs?: number;
}

export interface ProbeSchedule {
  initialDelayMs: number;
  intervalMs: number;
  successThreshold: number;
  maxAttempts: number;
  /** Overall budget from the start of probing, initial delay included; undefined for none. */
  deadlineMs?: number;
  backoff: 'fixed' | 'exponential';
  /** Cap on the exponential wait between failed attempts. */
  maxIntervalMs: number;
}

export interface AttemptRecord {
  attempt: number;
  /** Milliseconds since probing started. */
  startedAtMs: number;
  ok: boolean;
  status?: number;
  latencyMs: number;
  failure?: FailureKind;
  detail: string;
}

export interface ProbeResult {
  url: string;
  healthy: boolean;
  attempts: number;
  durationMs: number;
  lastStatus?: number;
  lastError?: string;
  latenciesMs: number[];
  history: AttemptRecord[];
  /** One sentence a user can act on. */
  diagnosis: string;
}
