/** The signals a runner sends to cancel a job (SIGINT first, then SIGTERM), and a closed terminal's. */
export const CANCEL_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

export interface Cancellation {
  /** Aborts on the first cancel signal. */
  signal: AbortSignal;
  /** Which signal cancelled, once one has. */
  cause(): NodeJS.Signals | undefined;
  /** Restores the default handling (a later signal ends the process at once). */
  dispose(): void;
}

/** Listens for the cancel signals: instead of dying, the process gets an AbortSignal to clean up by. */
export function listenForCancel(target: Pick<NodeJS.Process, 'on' | 'off'> = process): Cancellation {
  const controller = new AbortController();
  let cause: NodeJS.Signals | undefined;
  const onSignal = (signal: NodeJS.Signals) => {
    cause ??= signal;
    controller.abort(new Error(`cancelled (${signal})`));
  };
  for (const signal of CANCEL_SIGNALS) target.on(signal, onSignal);
  return {
    signal: controller.signal,
    cause: () => cause,
    dispose: () => {
      for (const signal of CANCEL_SIGNALS) target.off(signal, onSignal);
    },
  };
}
