import { InvalidArgumentError, type Command } from 'commander';
import { parseLogLevel, type LogLevel } from '../reconcile/log.js';

/*
 * What the long-running commands (`ballast controller`, `hub` and `agent`) share: the log level
 * flag and the wait for the signal that stops them.
 */

function parseLevel(text: string): LogLevel {
  const level = parseLogLevel(text);
  if (level.kind === 'invalid') throw new InvalidArgumentError(level.problem);
  return level.level;
}

/** `--log-level`, parsed into `logLevel`; info unless told. */
export function logLevelOption(cmd: Command): Command {
  return cmd.option(
    '--log-level <level>',
    'trace, debug, info, warn, error, fatal or silent',
    parseLevel,
    'info' satisfies LogLevel,
  );
}

/** Resolves with the first SIGTERM or SIGINT: a Pod's stop, or Ctrl-C. */
export function untilSignalled(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    process.once('SIGTERM', () => {
      resolve('SIGTERM');
    });
    process.once('SIGINT', () => {
      resolve('SIGINT');
    });
  });
}
