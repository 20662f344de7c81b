/**
 * Values an action keeps for its own post step (the runner's GITHUB_STATE): saved by the main step, read back by
 * the post step. Injected like the Logger, so that both steps can be tested without the runner.
 */
export interface StateProvider {
  save(name: string, value: string): void;
  /** The saved value, or '' when the main step saved none. */
  get(name: string): string;
}
