/** The state key under which the main step leaves the keep-open helper's pid for the post step. */
export const HELPER_PID_STATE = 'tunnel-helper-pid';
