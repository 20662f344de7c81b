import * as core from '@actions/core';
import type { ActionReporter } from './reporter.ts';

export const coreReporter: ActionReporter = {
  setOutput: (name, value) => core.setOutput(name, value),
  async writeSummary(markdown) {
    if (!process.env.GITHUB_STEP_SUMMARY) return;
    await core.summary.addRaw(markdown, true).write();
  },
  setFailed: (message) => core.setFailed(message),
};
