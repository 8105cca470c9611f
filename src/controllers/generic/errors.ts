// How a failure ends a reconcile. A failed Cloud Digit call, REST or S3, becomes the same outcome
// for every kind: throttled waits for Retry-After, transient and conflict back off through the
// queue, and whatever needs the user (a collision, invalid, quota, forbidden, unauthenticated, not
// implemented) stalls. A metadata write lost to a newer version of the object is no error at all.
import { isCloudDigitError, type CloudDigitError } from "../../client/errors.ts";
import { formatDuration } from "../../shared/duration.ts";
import { SpecError } from "./actuator.ts";
import { Reason, type Outcome } from "./outcome.ts";
import { stalledOutcome, type ReconcilerTiming } from "./timing.ts";

/** Thrown to end a reconcile early with a given outcome. */
export class Stop extends Error {
  constructor(readonly outcome: Outcome) {
    super(`reconcile ended: ${outcome.kind}`);
  }
}

/** Runs a cloud call, turning its failure into the outcome that ends this reconcile. */
export async function stopOnFailure<T>(
  fn: () => Promise<T>,
  classify: (err: unknown) => Outcome,
): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    throw new Stop(classify(err));
  }
}

/** A 409 from the Kubernetes API (stale resourceVersion); cloud conflicts never reach it. */
export function isStaleWrite(err: unknown): boolean {
  return err instanceof Error && err.name === "ApiError" && (err as { status?: number }).status === 409;
}

/**
 * Did a failed create provably create nothing? A spec refused before sending, a call that every
 * attempt saw refused or never sent (the REST client knows), or else a terminal refusal from a
 * client that cannot tell (S3).
 */
export function createChangedNothing(err: unknown): boolean {
  if (err instanceof SpecError) return true;
  if (!isCloudDigitError(err)) return false;
  return err.notApplied ?? err.terminal;
}

/** A 404 from the Kubernetes API: the object was deleted while it was being reconciled. */
export function isGoneWrite(err: unknown): boolean {
  return err instanceof Error && err.name === "ApiError" && (err as { status?: number }).status === 404;
}

/** The outcome for an error while `doing` something to `what` (e.g. "the cloud VPC"). */
export function errorOutcome(
  err: unknown,
  doing: string,
  what: string,
  timing: Pick<ReconcilerTiming, "throttledFallbackMs" | "stalledRetryMs" | "terminalRetryMs">,
  random: () => number,
): Outcome {
  if (err instanceof Stop) return err.outcome;
  if (isCloudDigitError(err)) {
    return cloudErrorOutcome(err, `cannot ${doing} ${what}: ${err.message}`, timing, random);
  }
  if (err instanceof SpecError) {
    return stalledOutcome(Reason.InvalidSpec, `cannot ${doing} ${what}: ${err.message}`, timing, random);
  }
  const message = err instanceof Error ? err.message : String(err);
  return { kind: "retry", reason: Reason.ReconcileError, message: `cannot ${doing} ${what}: ${message}` };
}

/** `message` says what failed (e.g. "cannot read the bucket: …"); it becomes the outcome's message. */
export function cloudErrorOutcome(
  err: CloudDigitError,
  message: string,
  timing: Pick<ReconcilerTiming, "throttledFallbackMs" | "stalledRetryMs" | "terminalRetryMs">,
  random: () => number,
): Outcome {
  const stalled = (reason: string): Outcome => stalledOutcome(reason, message, timing, random);
  switch (err.kind) {
    case "throttled":
      return {
        kind: "retry",
        reason: Reason.Throttled,
        message,
        afterMs: err.retryAfterMs ?? timing.throttledFallbackMs,
      };
    case "transient":
      return { kind: "retry", reason: Reason.TransientError, message, afterMs: err.retryAfterMs };
    case "conflict":
    case "not_found":
      return { kind: "retry", reason: Reason.Conflict, message };
    case "collision":
      // Terminal: waiting does not heal it, so no create is re-sent on the stalled timer.
      return stalledOutcome(
        Reason.Collision,
        `${message}; change the spec, or remove what it collides with (retried when the object changes, and every ${formatDuration(timing.terminalRetryMs)})`,
        timing,
        random,
        timing.terminalRetryMs,
      );
    case "invalid":
      return stalled(Reason.InvalidSpec);
    case "quota":
      return stalled(Reason.QuotaExceeded);
    case "forbidden":
      return stalled(Reason.Forbidden);
    case "unauthenticated":
      return stalled(Reason.Unauthenticated);
    case "not_implemented":
      return stalled(Reason.NotImplemented);
  }
}
