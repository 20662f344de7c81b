import { UserError } from '#errors/index';

/** The one sentence a failed step ends with: a user error says it in its own words; anything else names the action. */
export function stepFailure(action: string, error: unknown): string {
  if (error instanceof UserError) return error.stepSentence(action);
  return `${action} failed: ${error instanceof Error ? error.message : String(error)}`;
}

/** Where an action's results go: outputs, the job summary and the step's failure. */
export interface ActionReporter {
  setOutput(name: string, value: string): void;
  /** Appends Markdown to the job summary; does nothing when the runner gives no summary file. */
  writeSummary(markdown: string): Promise<void>;
  /** Marks the step failed (exit code 1) with one clear sentence. */
  setFailed(message: string): void;
}

/** Records what an action reported; for tests. */
export class MemoryReporter implements ActionReporter {
  readonly outputs: Record<string, string> = {};
  summary = '';
  failure: string | undefined;
  setOutput(name: string, value: string): void {
    this.outputs[name] = value;
  }
  async writeSummary(markdown: string): Promise<void> {
    this.summary += markdown;
  }
  setFailed(message: string): void {
    this.failure = message;
  }
}
