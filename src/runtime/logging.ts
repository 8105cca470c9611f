import { pino, type Logger, type LoggerOptions } from "pino";

export type { Logger } from "pino";

/**
 * Paths pino replaces with "[REDACTED]" wherever they appear in a log record: bearer tokens,
 * passwords, Secret data and anything the caller adds. Wildcards match one level, so common
 * nestings are listed explicitly.
 */
export const DEFAULT_REDACT_PATHS = [
  "token",
  "*.token",
  "accessToken",
  "*.accessToken",
  "refreshToken",
  "*.refreshToken",
  "password",
  "*.password",
  "secret",
  "*.secret",
  "secretKey",
  "*.secretKey",
  "secretAccessKey",
  "*.secretAccessKey",
  "authorization",
  "*.authorization",
  "headers.authorization",
  "*.headers.authorization",
  "req.headers.authorization",
  "req.headers.cookie",
  "data",
  "*.data",
  "stringData",
  "*.stringData",
  "object.data",
  "object.stringData",
];

export interface LoggerSetup {
  level?: string;
  /** Extra redaction paths (pino path syntax), added to DEFAULT_REDACT_PATHS. */
  redact?: string[];
  /** Where to write (defaults to stdout); tests pass a stream to read records back. */
  destination?: pino.DestinationStream;
  base?: Record<string, unknown>;
}

/** A JSON logger with the runtime's redaction rules. */
export function createLogger(setup: LoggerSetup = {}): Logger {
  const options: LoggerOptions = {
    level: setup.level ?? "info",
    base: setup.base ?? {},
    redact: { paths: [...DEFAULT_REDACT_PATHS, ...(setup.redact ?? [])], censor: "[REDACTED]" },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }) },
  };
  return setup.destination ? pino(options, setup.destination) : pino(options);
}

/** A logger that drops everything (the default when none is given). */
export function silentLogger(): Logger {
  return pino({ level: "silent" });
}
