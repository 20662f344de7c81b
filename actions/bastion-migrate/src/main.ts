import { spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { envInputSource, InputReader, type RawInputSource } from '../../../packages/inputs/index.ts';
import { inGroup, type Logger } from '../../../packages/log/index.ts';
import { coreLogger } from '../../../packages/log/core.ts';
import { type ActionReporter, stepFailure } from '../../../packages/log/reporter.ts';
import { coreReporter } from '../../../packages/log/reporter-core.ts';
import { databaseUrl, type DbSettings, libpqEnvironment } from '../../../packages/postgres/index.ts';
import { connectSsh } from '../../../packages/ssh/index.ts';
import { runCommand, runProcess } from './commands.ts';
import { type MigrateInputs, readMigrateInputs } from './inputs.ts';
import { type Connect, openSession } from './session.ts';
import { HELPER_PID_STATE } from './state.ts';

export interface MigrateDependencies {
  inputs: RawInputSource;
  logger: Logger;
  reporter: ActionReporter;
  connect: Connect;
  /** dist/tunnel.cjs, the keep-open helper. */
  helperPath: string;
}


export function run(): Promise<boolean> {
  return runMigrate({
    inputs: envInputSource(), logger: coreLogger, reporter: coreReporter, connect: (target) => connectSsh(target),
    helperPath: join(dirname(process.argv[1]!), 'tunnel.cjs'),
  });
}

export async function runMigrate(deps: MigrateDependencies): Promise<boolean> {
  const { logger, reporter } = deps;
  const started = performance.now();
  try {
    const inputs = readMigrateInputs(new InputReader(deps.inputs));
    for (const secret of inputs.secrets) logger.mask(secret);
    if (!inputs.command) await keepOpen(inputs, deps);
    else await migrate(inputs, deps);
    return true;
  } catch (error) {
    reporter.setFailed(stepFailure('bastion-migrate', error));
    return false;
  } finally {
    reporter.setOutput('duration-ms', String(Math.round(performance.now() - started)));
  }
}

function reportConnection(local: DbSettings, lockWaitMs: number, deps: MigrateDependencies): void {
  const url = databaseUrl(local);
  deps.logger.mask(url);
  deps.reporter.setOutput('local-port', String(local.port));
  deps.reporter.setOutput('database-url', url);
  deps.reporter.setOutput('lock-wait-ms', String(lockWaitMs));
}

async function migrate(inputs: MigrateInputs, deps: MigrateDependencies): Promise<void> {
  const { logger } = deps;
  const session = await openSession(inputs, logger, deps.connect);
  let lost: Error | undefined;
  session.lost.catch((error: Error) => { lost = error; });
  try {
    reportConnection(session.local, session.lockWaitMs, deps);
    const env = libpqEnvironment(session.local);
    const steps: Array<[string, () => Promise<{ code: number; timedOut: boolean }>, string]> = [];
    if (inputs.backupFile) {
      const file = inputs.backupFile;
      steps.push(['backup', () => runProcess('pg_dump', ['--format=custom', '--no-password', '--file', file], env, logger, { abort: session.lost }),
        `pg_dump to ${file} failed`]);
    }
    if (inputs.checkCommand) {
      steps.push(['check-command', () => runCommand(inputs.checkCommand, env, logger, { abort: session.lost }), 'check-command failed; nothing was migrated']);
    }
    steps.push(['command', () => runCommand(inputs.command, env, logger, { timeoutMs: inputs.commandTimeoutMs, abort: session.lost }), 'the migration command failed']);
    for (const [name, step, failure] of steps) {
      const result = await inGroup(logger, name, step);
      if (lost) throw new Error(`${lost.message} during ${name}; the step stopped it`);
      if (result.timedOut) throw new Error(`${name} timed out after ${Math.round(inputs.commandTimeoutMs! / 1000)} s and was killed`);
      if (result.code !== 0) throw new Error(`${failure} (exit ${result.code})`);
    }
    await deps.reporter.writeSummary(`## ✅ Migration through ${inputs.bastion.host} done\n\nLock waited ${session.lockWaitMs} ms; ` +
      `database ${inputs.db.database} on ${inputs.db.host}:${inputs.db.port} as the bastion sees it.\n`);
  } finally {
    await session.close();
    logger.info('tunnel closed, lock released');
  }
}

/** No command: a detached helper holds the tunnel (and lock) for later steps; the post step ends it. */
async function keepOpen(inputs: MigrateInputs, deps: MigrateDependencies): Promise<void> {
  const helper = spawn(process.execPath, [deps.helperPath], { detached: true, stdio: ['pipe', 'pipe', 'ignore'] });
  // Secrets travel on stdin only: never in argv or the environment of a long-lived process.
  helper.stdin.end(JSON.stringify(inputs));
  const exited = new Promise<number>((resolve) => helper.on('exit', (code) => resolve(code ?? 1)));
  const lines = createInterface({ input: helper.stdout });
  for await (const line of lines) {
    const [kind, ...rest] = line.split(' ');
    const text = rest.join(' ');
    if (kind === 'log') deps.logger.info(text);
    else if (kind === 'error') throw new Error(text);
    else if (kind === 'ready') {
      const { port, lockWaitMs } = JSON.parse(text) as { port: number; lockWaitMs: number };
      deps.reporter.saveState(HELPER_PID_STATE, String(helper.pid));
      reportConnection({ ...inputs.db, host: '127.0.0.1', port }, lockWaitMs, deps);
      deps.logger.info(`the tunnel stays open on 127.0.0.1:${port} (helper pid ${helper.pid}) until this job's post step`);
      lines.close();
      helper.stdout.destroy();
      helper.unref();
      return;
    }
  }
  throw new Error(`the tunnel helper exited (${await exited}) before the tunnel was ready`);
}
