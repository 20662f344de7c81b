/**
 * The keep-open helper: reads its settings (secrets included) from stdin, opens the same session as
 * the migrate step, reports `ready`, then holds the tunnel and the lock until SIGTERM or until the
 * bastion connection drops. Protocol on stdout: `log …`, `error …`, `ready {"port":…,"lockWaitMs":…}`.
 */
import { text } from 'node:stream/consumers';
import type { Logger } from '../../../packages/log/index.ts';
import { connectSsh } from '../../../packages/ssh/index.ts';
import type { MigrateInputs } from './inputs.ts';
import { openSession } from './session.ts';

const say = (line: string) => process.stdout.write(`${line.replace(/\n/g, ' ')}\n`);
const logger: Logger = {
  debug: () => {}, info: (m) => say(`log ${m}`), warning: (m) => say(`log warning: ${m}`), error: (m) => say(`log error: ${m}`),
  startGroup: () => {}, endGroup: () => {}, mask: () => {},
};

const inputs = JSON.parse(await text(process.stdin)) as MigrateInputs;
try {
  const session = await openSession(inputs, logger, (target) => connectSsh(target));
  say(`ready ${JSON.stringify({ port: session.local.port, lockWaitMs: session.lockWaitMs })}`);
  // The parent stops reading after `ready`; nothing more may be written to stdout.
  const stop = async (code: number) => { await session.close(); process.exit(code); };
  process.on('SIGTERM', () => void stop(0));
  process.on('SIGINT', () => void stop(0));
  session.lost.catch(() => void stop(1));
} catch (error) {
  say(`error ${(error as Error).message}`);
  process.exit(1);
}
