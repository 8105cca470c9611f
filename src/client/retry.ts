export interface RetryOptions {
  /** Attempts per call, the first included. Default 5. */
  maxAttempts?: number;
  /** First backoff step. Default 250 ms. */
  baseDelayMs?: number;
  /** Backoff ceiling. Default 10 s. */
  maxDelayMs?: number;
  /** Overall time budget of one call including waits; no retry is started past it. Default 60 s. */
  deadlineMs?: number;
}

export const DEFAULT_RETRY: Required<RetryOptions> = {
  maxAttempts: 5,
  baseDelayMs: 250,
  maxDelayMs: 10_000,
  deadlineMs: 60_000,
};

/**
 * Exponential backoff with "equal jitter": half the step is fixed, half random, so retries from
 * many reconcilers spread out without collapsing to near-zero delays.
 */
export function backoffDelay(
  attempt: number,
  opts: Required<RetryOptions>,
  random: () => number = Math.random,
): number {
  const step = Math.min(opts.maxDelayMs, opts.baseDelayMs * 2 ** Math.max(0, attempt - 1));
  return Math.round(step / 2 + random() * (step / 2));
}

const IDEMPOTENT_METHODS = new Set(["GET", "PUT", "PATCH", "DELETE"]);

/**
 * May a request be sent again after a transient failure whose effect is unknown? Idempotent
 * methods yes; POST only when it carries an Idempotency-Key (the server returns the first result).
 */
export function mayRepeat(method: string, idempotencyKey: string | undefined): boolean {
  return IDEMPOTENT_METHODS.has(method) || (idempotencyKey !== undefined && idempotencyKey !== "");
}

/** Network failures that happen before a request can have reached the server: always safe to retry. */
export function failedBeforeSending(code: string | undefined): boolean {
  return (
    code === "ECONNREFUSED" ||
    code === "UND_ERR_CONNECT_TIMEOUT" ||
    code === "EAI_AGAIN" ||
    code === "ENETUNREACH"
  );
}
