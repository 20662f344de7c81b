import type { ProcessIdentity } from '#process/index';
import type { MigrateInputs } from './inputs.ts';

/** The state key under which the main step leaves the keep-open helper's pid for the post step. */
export const HELPER_PID_STATE = 'tunnel-helper-pid';

/** What the main step hands the keep-open helper on its stdin. */
export interface HelperRequest {
  inputs: MigrateInputs;
  /** The job's runner process (the main step's parent): the helper ends when it is gone. */
  job: ProcessIdentity;
}
