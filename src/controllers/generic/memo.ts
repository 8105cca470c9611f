// What the reconciler remembers between reconciles of one object: the last converged or stalled
// outcome, so reconciles whose inputs did not change cost no cloud call until the resync or retry.
import type { Outcome } from "./outcome.ts";

/** The last converged or stalled outcome of an object, to skip cloud calls until `until`. */
export interface Memo {
  fingerprint: string;
  outcome: Outcome;
  until: number;
  /**
   * A `done` outcome's cloud resource (JSON) and inputs with the dependencies' status: while both
   * stay the same, the resync only checks the resource in a shared list instead of reconciling.
   */
  seen?: { cloud: string; inputs: string };
}

/** The remembered outcome with only the time left until its resync or retry. */
export function remainingOutcome(memo: Memo, now: number): Outcome {
  const left = Math.max(1, memo.until - now);
  if (memo.outcome.kind === "done") return { ...memo.outcome, resyncAfterMs: left };
  if (memo.outcome.kind === "stalled") return { ...memo.outcome, retryAfterMs: left };
  if (memo.outcome.kind === "polling") return { ...memo.outcome, afterMs: left };
  return memo.outcome;
}
