// A failed Cloud Digit call, REST or S3, becomes the same outcome in every reconciler: throttled
// waits for Retry-After, transient and conflict back off through the queue, and whatever needs the
// user (invalid, quota, forbidden, unauthenticated, not implemented) stalls.
import type { CloudDigitError } from "../client/errors.ts";
import { stalledOutcome } from "./lifecycle.ts";
import { Reason, type Outcome } from "./outcome.ts";
import type { ReconcilerTiming } from "./reconciler.ts";

/** `message` says what failed (e.g. "cannot read the bucket: …"); it becomes the outcome's message. */
export function cloudErrorOutcome(
  err: CloudDigitError,
  message: string,
  timing: Pick<ReconcilerTiming, "throttledFallbackMs" | "stalledRetryMs">,
  random: () => number,
): Outcome {
  const stalled = (reason: Reason): Outcome => stalledOutcome(reason, message, timing, random);
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
