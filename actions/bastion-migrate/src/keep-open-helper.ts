/**
 * The keep-open helper: reads its settings (secrets included) from stdin, opens the same session as
 * the migrate step, reports `ready`, then holds the tunnel and the lock until SIGTERM (the post step),
 * SIGINT or SIGHUP, until the job's runner process is gone (the job was cancelled or killed), or until
 * the bastion connection drops. Protocol on stdout: `log …`, `error …`, `ready {"port":…,"lockWaitMs":…}`.
 */
import { text } from 'node:stream/consumers';
import type { Logger } from '#log/index';
import { isAlive } from '#process/index';
import { connectSsh, type SshTarget } from '#ssh/index';
import { CANCEL_SIGNALS } from './cancel.ts';
import { openSession } from './session.ts';
import type { HelperRequest } from './state.ts';

/** How often the helper looks for the job's runner process. */
const JOB_POLL_MS = 500;

let ready = false;
// The parent stops reading after `ready`; nothing more may be written to stdout then.
const say = (line: string) => {
  if (!ready) process.stdout.write(`${line.replace(/\n/g, ' ')}\n`);
};
const logger: Logger = {
  debug: () => {},
  info: (m) => say(`log ${m}`),
  warning: (m) => say(`log warning: ${m}`),
  error: (m) => say(`log error: ${m}`),
  startGroup: () => {},
  endGroup: () => {},
  mask: () => {},
  annotate: () => {},
};

const { inputs, job } = JSON.parse(await text(process.stdin)) as HelperRequest;
// Watched from the start: a job cancelled while the lock is awaited ends the wait too.
const cancel = new AbortController();
const watch = setInterval(() => {
  if (!isAlive(job)) cancel.abort();
}, JOB_POLL_MS);
for (const signal of CANCEL_SIGNALS) process.on(signal, () => cancel.abort());
try {
  // The runner's process is the root of every later step of the job: with a fixed port, only they may connect.
  const connect = (target: SshTarget) => connectSsh(target, undefined, { onRetry: (message) => logger.warning(message) });
  const session = await openSession(inputs, logger, connect, { signal: cancel.signal, runRoot: job.pid });
  say(`ready ${JSON.stringify({ port: session.local.port, lockWaitMs: session.lockWaitMs })}`);
  ready = true;
  const stop = async (code: number) => {
    clearInterval(watch);
    await session.close();
    process.exit(code);
  };
  if (cancel.signal.aborted) await stop(0);
  cancel.signal.addEventListener('abort', () => void stop(0), { once: true });
  session.lost.catch(() => void stop(1));
} catch (error) {
  say(`error ${(error as Error).message}`);
  process.exit(1);
}
