import { pino, type DestinationStream, type Logger } from 'pino';

export type { Logger } from 'pino';

/** Levels a person may pick with `--log-level`, most to least verbose, then off. */
export const logLevels = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] as const;
export type LogLevel = (typeof logLevels)[number];

/** The shape the reconciler and drift path log through: fields first, then the message. */
export type LogFn = (fields: Record<string, unknown>, msg: string) => void;

export interface LoggerOptions {
  /** Lines below this level are dropped before they are formatted. */
  level: LogLevel;
  /**
   * Where JSON lines go. Stdout, written synchronously: a controller can be SIGKILLed or exit
   * on lost leadership at any moment, and the last lines before that matter most.
   */
  destination: DestinationStream;
}

export function defaultLoggerOptions(): LoggerOptions {
  return { level: 'info', destination: pino.destination({ dest: 1, sync: true }) };
}

/**
 * Field names whose values are never written, wherever a caller puts them: Git tokens and
 * passwords, webhook secrets, Secret data, Authorization headers. Redaction is a backstop;
 * callers are still expected not to pass such values.
 */
const secretPaths = [
  'token',
  'password',
  'secret',
  'webhookSecret',
  'authorization',
  'data',
  'stringData',
  '*.token',
  '*.password',
  '*.secret',
  '*.authorization',
  '*.data',
  '*.stringData',
  'headers["x-hub-signature-256"]',
  'headers["x-gitlab-token"]',
];

/** The controller's root logger: one JSON object per line, `time` in ISO 8601, `msg`. */
export function createLogger(partial: Partial<LoggerOptions> = {}): Logger {
  const opts = { ...defaultLoggerOptions(), ...partial };
  return pino(
    {
      level: opts.level,
      base: { name: 'ballast-controller' },
      timestamp: pino.stdTimeFunctions.isoTime,
      // Level names, not numbers: people grep for "error", not 50.
      formatters: { level: (label) => ({ level: label }) },
      redact: { paths: secretPaths, censor: '[redacted]' },
    },
    opts.destination,
  );
}

export type ParsedLevel = { kind: 'ok'; level: LogLevel } | { kind: 'invalid'; problem: string };

export function parseLogLevel(text: string): ParsedLevel {
  const level = logLevels.find((l) => l === text.toLowerCase());
  return level === undefined
    ? { kind: 'invalid', problem: `--log-level ${text}: expected one of ${logLevels.join(', ')}` }
    : { kind: 'ok', level };
}

/**
 * A `LogFn` writing to `logger`. A line with an `err` field is a warning: every caller that
 * sets one reports a failure it recovers from; fatal ones end the process elsewhere.
 */
export function logFnOf(logger: Logger): LogFn {
  return (fields, msg) => {
    if (fields.err === undefined) logger.info(fields, msg);
    else logger.warn(fields, msg);
  };
}

/** What names one reconcile in every line it logs. */
export interface ReconcileBinding {
  reconcileId: string;
  key: string;
}

/**
 * A logger bound to one reconcile. Fields the caller repeats (the reconciler already passes
 * key and reconcileId) are dropped, so each line carries them once.
 */
export function reconcileLogger(root: Logger, b: ReconcileBinding): { logger: Logger; log: LogFn } {
  const logger = root.child({ reconcileId: b.reconcileId, key: b.key });
  const write = logFnOf(logger);
  const log: LogFn = (fields, msg) => {
    const rest: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(fields)) {
      if (!((k === 'key' && v === b.key) || (k === 'reconcileId' && v === b.reconcileId)))
        rest[k] = v;
    }
    write(rest, msg);
  };
  return { logger, log };
}
