/**
 * A failure the user can fix: a bad input, an invalid manifest, a host that refuses the key, a lock held
 * too long. Its message is complete and actionable, so a failed step ends with it and shows no stack
 * trace. Any other error is a bug, and is reported with its stack (packages/runtime/log/action.ts).
 */
export class UserError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
  }

  /** The one sentence a failed step ends with. Subclasses whose message already says everything override it. */
  stepSentence(action: string): string {
    return `${action} failed: ${this.message}`;
  }
}

/** The job was cancelled by `signal` (SIGINT, SIGTERM, SIGHUP); `message` says what was stopped and cleaned up. */
export class CancelledError extends UserError {
  constructor(signal: string, message: string) {
    super(`cancelled (${signal}): ${message}`);
  }

  override stepSentence(action: string): string {
    return `${action}: ${this.message}`;
  }
}
