import * as core from '@actions/core';
import type { StateProvider } from './state.ts';

/** The runner's state: GITHUB_STATE in the main step, STATE_* variables in the post step. */
export const coreState: StateProvider = {
  save: (name, value) => core.saveState(name, value),
  get: (name) => core.getState(name),
};
