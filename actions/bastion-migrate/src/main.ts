import { spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { envInputSource, InputReader, type RawInputSource } from '#inputs/index';
import { type Logger, redact } from '#log/index';
import { coreLogger } from '#log/core';
import { CancelledError, UserError } from '#errors/index';
import { settleStep } from '#log/action';
import { type ActionReporter } from '#log/reporter';
import { coreReporter } from '#log/reporter-core';
import type { StateProvider } from '#log/state';
import { coreState } from '#log/state-core';
import { databaseUrl, type DbSettings, pgOptions, type SessionSettings } from '#postgres/index';
import { connectSsh } from '#ssh/index';
import { identify } from '#process/index';
import { type Cancellation, listenForCancel } from './cancel.ts';
import { runMigration, runSettings } from './migrate.ts';
import { type MigrateInputs, readMigrateInputs } from './inputs.ts';
import { type Connect, openSession } from './session.ts';
import { HELPER_PID_STATE, type HelperRequest } from './state.ts';

export interface MigrateDependencies {
  inputs: RawInputSource;
  logger: Logger;
  reporter: ActionReporter;
  /** Where keep-open leaves the helper's pid for the post step. */
  state: StateProvider;
  connect: Connect;
  /** dist/keep-open-helper.cjs, the keep-open helper. */
  helperPath: string;
  /** The job's cancel signals; by default this process's SIGINT, SIGTERM and SIGHUP. */
  cancel?: Cancellation;
}

export function run(): Promise<boolean> {
  return runMigrate({
    inputs: envInputSource(),
    logger: coreLogger,
    reporter: coreReporter,
    state: coreState,
    connect: (target) => connectSsh(target, undefined, { onRetry: (message) => coreLogger.warning(message) }),
    helperPath: join(dirname(process.argv[1]!), 'keep-open-helper.cjs'),
  });
}

export async function runMigrate(deps: MigrateDependencies): Promise<boolean> {
  const started = performance.now();
  // A cancelled job must not leave its command running, its tunnel open or its lock held.
  const cancel = deps.cancel ?? listenForCancel();
  try {
    return await settleStep('bastion-migrate', deps, async () => {
      try {
        const inputs = readMigrateInputs(new InputReader(deps.inputs));
        for (const secret of inputs.secrets) deps.logger.mask(secret);
        if (!inputs.command) await keepOpen(inputs, deps, cancel);
        else await migrate(inputs, deps, cancel);
        return true;
      } catch (error) {
        const cause = cancel.cause();
        throw cause ? new CancelledError(cause, (error as Error).message) : error;
      }
    });
  } finally {
    cancel.dispose();
    deps.reporter.setOutput('duration-ms', String(Math.round(performance.now() - started)));
  }
}

function reportConnection(local: DbSettings, lockWaitMs: number, deps: MigrateDependencies, settings: SessionSettings): void {
  const url = databaseUrl(local);
  deps.logger.mask(url);
  deps.reporter.setOutput('local-port', String(local.port));
  deps.reporter.setOutput('database-url', url);
  deps.reporter.setOutput('lock-wait-ms', String(lockWaitMs));
  deps.reporter.setOutput('application-name', settings.applicationName);
  deps.reporter.setOutput('pg-options', pgOptions(settings));
}

async function migrate(inputs: MigrateInputs, deps: MigrateDependencies, cancel: Cancellation): Promise<void> {
  const { logger } = deps;
  const session = await openSession(inputs, logger, deps.connect, { signal: cancel.signal, runRoot: process.pid });
  let lost: Error | undefined;
  // Either ends the running step's process group: a lost bastion connection, or a cancelled job.
  const stop = new AbortController();
  session.lost.catch((error: Error) => {
    lost = error;
    stop.abort();
  });
  const onCancel = () => stop.abort();
  cancel.signal.addEventListener('abort', onCancel, { once: true });
  try {
    const settings = runSettings(inputs, process.env, process.pid);
    reportConnection(session.local, session.lockWaitMs, deps, settings);
    await runMigration(
      {
        inputs,
        session,
        logger,
        cancel,
        stop: stop.signal,
        lost: () => lost,
        writeSummary: (markdown) => deps.reporter.writeSummary(redact(markdown, inputs.secrets)),
        jobPgOptions: process.env.PGOPTIONS,
      },
      settings,
    );
  } finally {
    cancel.signal.removeEventListener('abort', onCancel);
    await session.close();
    logger.info('tunnel closed, lock released');
  }
}

/**
 * No command: a detached helper holds the tunnel (and lock) for later steps; the post step ends it, and it
 * ends itself when the job's runner process (this step's parent) is gone, as when the job is cancelled.
 */
async function keepOpen(inputs: MigrateInputs, deps: MigrateDependencies, cancel: Cancellation): Promise<void> {
  const job = identify(process.ppid);
  if (!job) throw new UserError(`cannot read this step's parent process ${process.ppid}, which the tunnel helper lives no longer than`);
  const helper = spawn(process.execPath, [deps.helperPath], { detached: true, stdio: ['pipe', 'pipe', 'ignore'] });
  const onCancel = () => helper.kill('SIGTERM');
  cancel.signal.addEventListener('abort', onCancel, { once: true });
  // Secrets travel on stdin only: never in argv or the environment of a long-lived process.
  helper.stdin.end(JSON.stringify({ inputs, job } satisfies HelperRequest));
  const exited = new Promise<number>((resolve) => helper.on('exit', (code) => resolve(code ?? 1)));
  const lines = createInterface({ input: helper.stdout });
  for await (const line of lines) {
    const [kind, ...rest] = line.split(' ');
    const text = rest.join(' ');
    if (kind === 'log') deps.logger.info(text);
    else if (kind === 'error') throw new UserError(text);
    else if (kind === 'ready') {
      const { port, lockWaitMs } = JSON.parse(text) as { port: number; lockWaitMs: number };
      deps.state.save(HELPER_PID_STATE, String(helper.pid));
      reportConnection({ ...inputs.db, host: '127.0.0.1', port }, lockWaitMs, deps, runSettings(inputs, process.env, process.pid));
      deps.logger.info(`the tunnel stays open on 127.0.0.1:${port} (helper pid ${helper.pid}) until this job's post step`);
      lines.close();
      helper.stdout.destroy();
      helper.unref();
      cancel.signal.removeEventListener('abort', onCancel);
      return;
    }
  }
  cancel.signal.removeEventListener('abort', onCancel);
  throw new UserError(`the tunnel helper exited (${await exited}) before the tunnel was ready`);
}
