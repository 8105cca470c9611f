// The one logger factory of the operator: the runtime, the Cloud Digit client and the binary all
// log through a logger made here, so one redaction list decides what never reaches a log line.
// Generic on purpose (no Cloud Digit names): a component with secrets of its own (the client's
// X-Cd-Token header) passes their paths in `redact`.
import { pino, type Logger, type LoggerOptions } from "pino";

export type { Logger } from "pino";

/**
 * Fields that hold a credential under any common spelling: bearer and OAuth tokens (RFC 6749,
 * RFC 8693 token exchange, RFC 7523 client assertions), passwords, S3 keys and session tokens, and
 * Kubernetes Secret `data`/`stringData`.
 */
const SECRET_FIELDS = [
  "token",
  "apiToken",
  "accessToken",
  "access_token",
  "refreshToken",
  "refresh_token",
  "idToken",
  "id_token",
  "subjectToken",
  "subject_token",
  "sessionToken",
  "clientAssertion",
  "client_assertion",
  "clientSecret",
  "client_secret",
  "password",
  "secret",
  "secretKey",
  "secretAccessKey",
  "authorization",
  "Authorization",
  "cookie",
  "data",
  "stringData",
];

/** HTTP headers that carry a credential (both spellings: Node lower-cases, callers may not). */
const SECRET_HEADERS = [
  "authorization",
  "Authorization",
  "proxy-authorization",
  "cookie",
  "set-cookie",
  "x-amz-security-token",
  "X-Amz-Security-Token",
];

/** `name` as the last segment of a pino redaction path. */
function segment(name: string): string {
  return /^[A-Za-z_$][\w$]*$/.test(name) ? `.${name}` : `["${name}"]`;
}

/**
 * Redaction paths for headers named `names`, in a `headers` object at the top of a record or one
 * level down (`req.headers`, `request.headers`, `err.headers`).
 */
export function headerRedactPaths(names: readonly string[]): string[] {
  return names.flatMap((name) => [`headers${segment(name)}`, `*.headers${segment(name)}`]);
}

/**
 * Paths pino replaces with "[REDACTED]" wherever they appear in a log record. A wildcard matches
 * one level only, so each field is listed at the top of a record and one level down (e.g.
 * `credentials.secretAccessKey`, `object.data`), and headers under `headers` and `*.headers`.
 */
export const DEFAULT_REDACT_PATHS: readonly string[] = [
  ...SECRET_FIELDS.flatMap((name) => [name, `*${segment(name)}`]),
  ...headerRedactPaths(SECRET_HEADERS),
];

export interface LoggerSetup {
  level?: string;
  /** Extra redaction paths (pino path syntax), added to DEFAULT_REDACT_PATHS. */
  redact?: readonly string[];
  /** Where to write (defaults to stdout); tests pass a stream to read records back. */
  destination?: pino.DestinationStream;
  base?: Record<string, unknown>;
}

/** A JSON logger (ISO time, level as a label) that censors DEFAULT_REDACT_PATHS and `redact`. */
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

/** A logger that drops everything: the default of every component given none. */
export const silentLogger: Logger = pino({ level: "silent" });
