/**
 * A migration through an open session: backup, check-command and command in order, each under the
 * watchdog, with every database session they open given the run's lock_timeout, statement_timeout and
 * application_name, and watched for lock waits while they run.
 */
import { setTimeout as delay } from 'node:timers/promises';
import { UserError } from '#errors/index';
import { inGroup, type Logger } from '#log/index';
import { libpqEnvironment, runApplicationName, type SessionSettings, sessionEnvironment } from '#postgres/index';
import { describeBlockers, LOCK_TIMEOUT_MESSAGE, type LockWait, LockWatch, STATEMENT_TIMEOUT_MESSAGE } from '#postgres/locks';
import { nextWaitMs } from '#probe/schedule';
import type { Cancellation } from './cancel.ts';
import type { MigrateInputs } from './inputs.ts';
import { type CommandResult, runCommand, runProcess } from './local-commands.ts';
import type { DbSession } from './session.ts';
import { type MigrationReport, failureSummary, planBlock, successSummary } from './summary.ts';

/** Backoff between lock retries: 1 s, doubling, at most 30 s. */
export const LOCK_RETRY_BACKOFF = { intervalMs: 1000, backoff: 'exponential', maxIntervalMs: 30_000 } as const;
/** A wait still going after this long is reported again, with how many sessions queue behind it. */
const REPORT_WAIT_EVERY_MS = 10_000;

/** How often to look for lock waits: often enough to see a wait several times before lock_timeout ends it. */
export function lockPollMs(lockTimeoutMs: number): number {
  return lockTimeoutMs === 0 ? 500 : Math.min(500, Math.max(100, Math.round(lockTimeoutMs / 8)));
}

const seconds = (ms: number) => `${Number((ms / 1000).toFixed(1))} s`;

interface Step {
  name: 'backup' | 'check-command' | 'command';
  /** What failed, in the step's sentence: `the migration command`. */
  subject: string;
  /** Said after a failure: what it means for the run. */
  consequence: string;
  run: (onLine: (line: string) => void) => Promise<CommandResult>;
  retries: number;
}

/** One run of a step, and what the database and its output say about why it failed. */
export interface StepOutcome {
  result: CommandResult;
  /** The longest lock wait of the step's sessions, as last seen. */
  longestWait?: LockWait;
  lockTimedOut: boolean;
  statementTimedOut: boolean;
  lines: string[];
}

/**
 * Whether a failed step failed on lock_timeout: its output says so (PostgreSQL's message, or SQLSTATE
 * 55P03 in verbose output), or a session of the step was seen waiting for about as long as the timeout
 * (a client whose messages are in another language, or that prints none).
 */
export function failedOnLockTimeout(
  result: CommandResult,
  sawMessage: boolean,
  longestWait: LockWait | undefined,
  lockTimeoutMs: number,
): boolean {
  if (result.code === 0 || result.timedOut || result.stopped) return false;
  if (sawMessage) return true;
  return lockTimeoutMs > 0 && longestWait !== undefined && longestWait.waitedMs >= lockTimeoutMs - 2 * lockPollMs(lockTimeoutMs);
}

/**
 * Warns once when the tunnel carries more connections than the run has named sessions (besides our own) for
 * about a second: a client that ignored PGAPPNAME. One look is not enough: a connection just accepted has
 * no session yet.
 */
export function unnamedSessionCheck(pollMs: number, warn: (count: number) => void): (unnamed: number) => void {
  const looksNeeded = Math.ceil(1000 / pollMs) + 1;
  let looks = 0;
  let warned = false;
  return (unnamed) => {
    looks = unnamed > 0 ? looks + 1 : 0;
    if (looks >= looksNeeded && !warned) {
      warned = true;
      warn(unnamed);
    }
  };
}

export interface MigrateContext {
  inputs: MigrateInputs;
  session: DbSession;
  logger: Logger;
  cancel: Cancellation;
  /** Ends the running step's process group: the bastion connection was lost, or the job cancelled. */
  stop: AbortSignal;
  /** Why `stop` aborted, if the bastion connection was lost. */
  lost: () => Error | undefined;
  /** Appends to the job summary, with the run's secrets masked. */
  writeSummary: (markdown: string) => Promise<void>;
  /** The job's own PGOPTIONS, kept before the run's settings. */
  jobPgOptions?: string;
}

/** The settings and environment every command of the run gets. */
export function runSettings(inputs: MigrateInputs, env: NodeJS.ProcessEnv, pid: number): SessionSettings {
  return {
    lockTimeoutMs: inputs.dbLockTimeoutMs,
    statementTimeoutMs: inputs.dbStatementTimeoutMs,
    applicationName: runApplicationName(env, pid),
  };
}

export async function runMigration(context: MigrateContext, settings: SessionSettings): Promise<void> {
  const { inputs, session, logger } = context;
  const env = { ...libpqEnvironment(session.local), ...sessionEnvironment(settings, context.jobPgOptions) };
  logger.info(
    `the commands' sessions: application_name ${settings.applicationName}, lock_timeout ${inputs.dbLockTimeoutMs ? seconds(inputs.dbLockTimeoutMs) : 'off'}` +
      (inputs.dbStatementTimeoutMs !== undefined ? `, statement_timeout ${seconds(inputs.dbStatementTimeoutMs)}` : ''),
  );
  const pollMs = lockPollMs(inputs.dbLockTimeoutMs);
  const unnamed = unnamedSessionCheck(pollMs, (count) =>
    logger.warning(
      `${count} connection(s) through the tunnel are not sessions named ${settings.applicationName}: their client did not read ` +
        'PGAPPNAME, so most likely not PGOPTIONS either, and runs without db-lock-timeout and unwatched for lock waits; ' +
        'pass both into a container (docker run -e PGOPTIONS -e PGAPPNAME …)',
    ),
  );
  const watch = new LockWatch(() => session.lookAtRun(settings.applicationName), {
    pollMs,
    onSessions: (named) => unnamed(session.tunnelConnections() - 1 - named),
    // Short waits are ordinary; one that has used half the lock timeout (or a second) is worth a line.
    reportAfterMs: inputs.dbLockTimeoutMs === 0 ? 1000 : Math.min(1000, inputs.dbLockTimeoutMs / 2),
    reportEveryMs: REPORT_WAIT_EVERY_MS,
    onWait: (wait, repeated) =>
      logger.warning(
        `lock wait: session ${wait.pid} has waited ${seconds(wait.waitedMs)}${repeated ? ' so far' : ''} for ${wait.lock}, ` +
          `${describeBlockers(wait.blockers)}; ${wait.queuedBehind} other session(s) queue behind it`,
      ),
    onError: (error) => logger.debug(`lock watch: ${error.message}`),
  });
  const report: MigrationReport = { bastion: inputs.bastion.host, database: inputs.db, lockWaitMs: session.lockWaitMs, attempts: 0 };
  try {
    for (const step of steps(inputs, env, context)) {
      if (context.cancel.signal.aborted) throw new UserError(`stopped before ${step.name}`);
      const outcome = await runWithRetries(step, context, watch);
      // Written as soon as it is known: a reviewer reads what the command is about to apply.
      if (step.name === 'check-command' && outcome.lines.length > 0) await context.writeSummary(planBlock(outcome.lines));
      if (step.name === 'command') report.attempts = outcome.attempts;
      checkOutcome(step, outcome, context, report);
    }
    await context.writeSummary(successSummary(report));
  } catch (error) {
    if (error instanceof UserError && !context.cancel.signal.aborted) await context.writeSummary(failureSummary(report, error.message));
    throw error;
  } finally {
    await watch.stop();
  }
}

function steps(inputs: MigrateInputs, env: Record<string, string>, context: MigrateContext): Step[] {
  const { logger, stop: signal } = context;
  const list: Step[] = [];
  if (inputs.backupFile) {
    const file = inputs.backupFile;
    list.push({
      name: 'backup',
      subject: `pg_dump to ${file}`,
      consequence: '',
      retries: 0,
      run: (onLine) => runProcess('pg_dump', ['--format=custom', '--no-password', '--file', file], env, logger, { signal, onLine }),
    });
  }
  if (inputs.checkCommand) {
    list.push({
      name: 'check-command',
      subject: 'check-command',
      consequence: '; nothing was migrated',
      retries: 0,
      run: (onLine) => runCommand(inputs.checkCommand, env, logger, { signal, onLine }),
    });
  }
  list.push({
    name: 'command',
    subject: 'the migration command',
    consequence: '',
    retries: inputs.lockRetries,
    run: (onLine) => runCommand(inputs.command, env, logger, { timeoutMs: inputs.commandTimeoutMs, signal, onLine }),
  });
  return list;
}

async function runOnce(step: Step, context: MigrateContext, watch: LockWatch, title: string): Promise<StepOutcome> {
  const mark = watch.mark();
  const lines: string[] = [];
  let lockMessage = false;
  let statementMessage = false;
  const result = await inGroup(context.logger, title, () =>
    step.run((line) => {
      lines.push(line);
      if (LOCK_TIMEOUT_MESSAGE.test(line)) lockMessage = true;
      if (STATEMENT_TIMEOUT_MESSAGE.test(line)) statementMessage = true;
    }),
  );
  const longestWait = watch.since(mark)[0];
  return {
    result,
    longestWait,
    lockTimedOut: failedOnLockTimeout(result, lockMessage, longestWait, context.inputs.dbLockTimeoutMs),
    statementTimedOut: result.code !== 0 && statementMessage,
    lines,
  };
}

/** Runs a step, and again after a lock-timeout failure while it has retries left, with backoff. */
async function runWithRetries(step: Step, context: MigrateContext, watch: LockWatch): Promise<StepOutcome & { attempts: number }> {
  const tries = step.retries + 1;
  for (let attempt = 1; ; attempt += 1) {
    const outcome = await runOnce(
      step,
      context,
      watch,
      tries > 1 && attempt > 1 ? `${step.name} (attempt ${attempt} of ${tries})` : step.name,
    );
    if (!outcome.lockTimedOut || attempt === tries || context.stop.aborted) return { ...outcome, attempts: attempt };
    const waitMs = nextWaitMs(LOCK_RETRY_BACKOFF, false, attempt);
    context.logger.warning(
      `${step.name} could not get a lock within db-lock-timeout (${seconds(context.inputs.dbLockTimeoutMs)}) on attempt ${attempt} of ${tries}` +
        `${outcome.longestWait ? `: ${outcome.longestWait.lock}, ${describeBlockers(outcome.longestWait.blockers)}` : ''}; ` +
        `running it again in ${seconds(waitMs)}`,
    );
    await delay(waitMs, undefined, { signal: context.stop }).catch(() => undefined);
    if (context.stop.aborted) return { ...outcome, attempts: attempt };
  }
}

/** Throws the step's one sentence when it did not succeed. */
function checkOutcome(step: Step, outcome: StepOutcome & { attempts: number }, context: MigrateContext, report: MigrationReport): void {
  const { result } = outcome;
  const { inputs } = context;
  if (context.cancel.signal.aborted)
    throw new UserError(`${step.name} was stopped: its whole process group was killed; the lock was released and the tunnel closed`);
  const lost = context.lost();
  if (lost) throw new UserError(`${lost.message} during ${step.name}; the step stopped it`);
  if (result.timedOut) throw new UserError(`${step.name} timed out after ${Math.round(inputs.commandTimeoutMs! / 1000)} s and was killed`);
  if (result.code === 0) return;
  const exit = `${step.consequence} (exit ${result.code})`;
  if (outcome.lockTimedOut) {
    report.blocked = outcome.longestWait;
    const attempts = outcome.attempts > 1 ? `, ${outcome.attempts} times,` : '';
    const wait = outcome.longestWait
      ? `: it waited for ${outcome.longestWait.lock}, ${describeBlockers(outcome.longestWait.blockers)}`
      : ': the blocking session was gone before it could be seen';
    throw new UserError(
      `${step.subject} could not get a lock within db-lock-timeout (${seconds(inputs.dbLockTimeoutMs)})${attempts} and failed${wait}${exit}`,
    );
  }
  if (outcome.statementTimedOut)
    throw new UserError(
      `${step.subject} failed: a statement ran longer than db-statement-timeout (${seconds(inputs.dbStatementTimeoutMs ?? 0)}) and was cancelled${exit}`,
    );
  throw new UserError(`${step.subject} failed${exit}`);
}
