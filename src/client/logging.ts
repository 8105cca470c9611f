import { pino, type Logger, type LoggerOptions } from "pino";

/**
 * Paths pino must censor wherever they appear: credentials never reach a log line, even when a
 * caller logs a whole request, response or Secret object by mistake.
 */
export const REDACT_PATHS: readonly string[] = [
  "token",
  "accessToken",
  "access_token",
  "refreshToken",
  "refresh_token",
  "idToken",
  "id_token",
  "subjectToken",
  "subject_token",
  "client_assertion",
  "clientAssertion",
  "client_secret",
  "clientSecret",
  "password",
  "secretAccessKey",
  "sessionToken",
  "authorization",
  "Authorization",
  "apiToken",
  "data",
  "stringData",
  "headers.authorization",
  "headers.Authorization",
  'headers["x-cd-token"]',
  'headers["X-Cd-Token"]',
  "*.token",
  "*.accessToken",
  "*.access_token",
  "*.secretAccessKey",
  "*.sessionToken",
  "*.authorization",
  "*.Authorization",
  "*.data",
  "*.stringData",
  '*.headers["x-cd-token"]',
  '*.headers["X-Cd-Token"]',
  "*.headers.authorization",
  "*.headers.Authorization",
  "credentials.secretAccessKey",
  "credentials.sessionToken",
];

/** A pino logger with the client's redaction rules; pass `destination` to capture output in tests. */
export function createClientLogger(
  options: LoggerOptions = {},
  destination?: pino.DestinationStream,
): Logger {
  const merged: LoggerOptions = {
    level: "info",
    ...options,
    redact: { paths: [...REDACT_PATHS], censor: "[redacted]" },
  };
  return destination ? pino(merged, destination) : pino(merged);
}

/** A logger that writes nothing (the default when the caller gives none). */
export const silentLogger: Logger = pino({ level: "silent" });
