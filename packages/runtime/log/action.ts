import { UserError } from '#errors/index';
import { type Logger } from './index.ts';
import { type ActionReporter, stepFailure } from './reporter.ts';

/**
 * Every action's main ends here, the same way: it resolves to whether the step succeeded. A thrown
 * UserError fails the step with its one sentence. Anything else is a bug: the same sentence, plus a log
 * group with the stack to report. (Like codeql-action's runWrapper with its ConfigurationError.)
 */
export async function settleStep(
  action: string,
  io: { logger: Logger; reporter: ActionReporter },
  main: () => Promise<boolean>,
): Promise<boolean> {
  try {
    return await main();
  } catch (error) {
    io.reporter.setFailed(stepFailure(action, error));
    if (!(error instanceof UserError)) {
      io.logger.startGroup(`${action}: an unexpected error (a bug: please report it with these lines)`);
      io.logger.info(error instanceof Error ? (error.stack ?? error.message) : String(error));
      io.logger.endGroup();
    }
    return false;
  }
}
