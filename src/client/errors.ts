/**
 * The error taxonomy every Cloud Digit call maps into. Controllers decide requeue and conditions
 * from `kind` alone; `code` keeps the server's finer reason (e.g. `in_use`, `budget_exceeded`).
 */
export type ErrorKind =
  /** The resource does not exist (404). Deletes treat it as success. */
  | "not_found"
  /** Conflicts with the resource's current state (409: in_use, invalid_state); retry later. */
  | "conflict"
  /**
   * Collides with another resource or an exhausted shared pool (409 `conflict`: a name taken, an
   * overlapping CIDR, no free address or public IP left). Terminal until the request or the other
   * resource changes: retrying the same request soon cannot succeed.
   */
  | "collision"
  /** The request itself is wrong (400/422). Terminal: retrying the same input cannot succeed. */
  | "invalid"
  /** Not allowed (403: forbidden, mfa_required). Terminal until the inputs or permissions change. */
  | "forbidden"
  /** Quota or budget exhausted (quota_exceeded, budget_exceeded). Terminal until inputs change. */
  | "quota"
  /** Credentials refused (401) even after one refresh. Terminal until the credentials change. */
  | "unauthenticated"
  /** Rate limited (429); `retryAfterMs` says how long the server wants us to wait. */
  | "throttled"
  /** 5xx, connection resets, timeouts: retry with backoff. */
  | "transient"
  /** The endpoint does not implement the operation (S3 NotImplemented, 501). Terminal. */
  | "not_implemented";

const TERMINAL: ReadonlySet<ErrorKind> = new Set([
  "collision",
  "invalid",
  "forbidden",
  "quota",
  "unauthenticated",
  "not_implemented",
]);

export interface CloudDigitErrorInit {
  kind: ErrorKind;
  message: string;
  /** The server's machine-readable code (`error.code` of the REST envelope, or the S3 error code). */
  code?: string;
  status?: number;
  requestId?: string;
  retryAfterMs?: number;
  /** `service.operation` of the failed call, e.g. `compute.createServer`. */
  operation?: string;
  details?: unknown;
  cause?: unknown;
}

export class CloudDigitError extends Error {
  readonly kind: ErrorKind;
  readonly code: string | undefined;
  readonly status: number | undefined;
  readonly requestId: string | undefined;
  readonly retryAfterMs: number | undefined;
  readonly operation: string | undefined;
  readonly details: unknown;
  /**
   * true: the call provably changed nothing (every attempt was refused by the server or failed
   * before it was sent); false: an attempt may have taken effect (a server error, a connection
   * lost after sending). Set by the REST client; undefined where a client cannot tell.
   */
  notApplied: boolean | undefined;

  constructor(init: CloudDigitErrorInit) {
    super(init.message, init.cause === undefined ? undefined : { cause: init.cause });
    this.name = "CloudDigitError";
    this.kind = init.kind;
    this.code = init.code;
    this.status = init.status;
    this.requestId = init.requestId;
    this.retryAfterMs = init.retryAfterMs;
    this.operation = init.operation;
    this.details = init.details;
  }

  /** True when retrying the same input cannot help; the user (or a change of inputs) must act. */
  get terminal(): boolean {
    return TERMINAL.has(this.kind);
  }
}

export function isCloudDigitError(err: unknown, kind?: ErrorKind): err is CloudDigitError {
  return err instanceof CloudDigitError && (kind === undefined || err.kind === kind);
}

/**
 * Parses `Retry-After`: delta-seconds or an HTTP date. Returns milliseconds from `now`, or
 * undefined when absent or unparseable.
 */
export function parseRetryAfter(value: string | null | undefined, now: number): number | undefined {
  if (value === null || value === undefined) return undefined;
  const trimmed = value.trim();
  if (trimmed === "") return undefined;
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Math.round(Number(trimmed) * 1000);
  const at = Date.parse(trimmed);
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, at - now);
}

/** The REST v1 error envelope: `{"error": {"code", "message", "request_id", "details"?}}`. */
export interface ErrorEnvelope {
  code?: string;
  message?: string;
  requestId?: string;
  details?: unknown;
}

export function readErrorEnvelope(body: unknown): ErrorEnvelope {
  if (typeof body !== "object" || body === null) return {};
  const error = (body as { error?: unknown }).error;
  if (typeof error !== "object" || error === null) return {};
  const e = error as Record<string, unknown>;
  return {
    code: typeof e.code === "string" ? e.code : undefined,
    message: typeof e.message === "string" ? e.message : undefined,
    requestId: typeof e.request_id === "string" ? e.request_id : undefined,
    details: e.details,
  };
}

/** Maps an HTTP status and the envelope's code to a kind. The code wins where it is specific. */
export function kindFor(status: number, code: string | undefined): ErrorKind {
  switch (code) {
    case "not_found":
      return "not_found";
    case "conflict":
      return "collision";
    case "in_use":
    case "invalid_state":
      return "conflict";
    case "invalid_request":
    case "idempotency_mismatch":
      return "invalid";
    case "forbidden":
    case "mfa_required":
      return "forbidden";
    case "quota_exceeded":
    case "budget_exceeded":
      return "quota";
    case "unauthenticated":
      return "unauthenticated";
    case "rate_limited":
      return "throttled";
    case "internal":
    case "unavailable":
      return "transient";
  }
  if (status === 404 || status === 410) return "not_found";
  if (status === 409) return "conflict";
  if (status === 401) return "unauthenticated";
  if (status === 403) return "forbidden";
  if (status === 429) return "throttled";
  if (status === 501) return "not_implemented";
  if (status >= 500 || status === 408) return "transient";
  return "invalid";
}

const HINTS: Partial<Record<ErrorKind, string>> = {
  invalid: "fix the resource's spec; retrying the same request cannot succeed",
  forbidden:
    "grant the credential the needed permission (or complete MFA step-up) and the call will be retried",
  quota: "raise the project's quota or budget, or remove resources; the call is retried when inputs change",
  unauthenticated:
    "check the credentials referenced by the ProviderConfig (token value, expiry, trust configuration)",
};

/** Builds the error for a non-2xx REST response. Never includes request headers (they carry tokens). */
export function errorFromResponse(opts: {
  status: number;
  body: unknown;
  retryAfter: string | null | undefined;
  /** `X-Request-Id`, used when the body carries no request id (e.g. a proxy's error page). */
  requestIdHeader?: string | undefined;
  operation: string;
  now: number;
}): CloudDigitError {
  const envelope = readErrorEnvelope(opts.body);
  envelope.requestId ??= opts.requestIdHeader;
  const kind = kindFor(opts.status, envelope.code);
  const base = envelope.message ?? `HTTP ${opts.status}`;
  const hint = HINTS[kind];
  return new CloudDigitError({
    kind,
    code: envelope.code,
    status: opts.status,
    requestId: envelope.requestId,
    details: envelope.details,
    retryAfterMs: parseRetryAfter(opts.retryAfter, opts.now),
    operation: opts.operation,
    message:
      `${opts.operation}: ${base} (HTTP ${opts.status}${envelope.code ? `, ${envelope.code}` : ""}` +
      `${envelope.requestId ? `, request ${envelope.requestId}` : ""})${hint ? `; ${hint}` : ""}`,
  });
}

const TRANSIENT_NETWORK_CODES = new Set([
  "ECONNRESET",
  "ECONNREFUSED",
  "EPIPE",
  "ETIMEDOUT",
  "EAI_AGAIN",
  "ENETUNREACH",
  "EHOSTUNREACH",
  "UND_ERR_SOCKET",
  "UND_ERR_CONNECT_TIMEOUT",
  "UND_ERR_HEADERS_TIMEOUT",
  "UND_ERR_BODY_TIMEOUT",
  "UND_ERR_CLOSED",
]);

/** Wraps a network-level failure (reset, refused, timeout) as a transient error. */
export function errorFromNetwork(err: unknown, operation: string): CloudDigitError {
  if (err instanceof CloudDigitError) return err;
  const code = (err as { code?: unknown }).code;
  const codeText = typeof code === "string" ? code : undefined;
  const known = codeText !== undefined && TRANSIENT_NETWORK_CODES.has(codeText);
  const message = err instanceof Error ? err.message : String(err);
  return new CloudDigitError({
    kind: "transient",
    code: codeText,
    operation,
    cause: err,
    message: `${operation}: ${known ? "network error" : "request failed"}: ${message}${codeText ? ` (${codeText})` : ""}`,
  });
}
