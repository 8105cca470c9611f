// How long each outcome waits before the object is looked at again: one table of timings for every
// kind, and the builders of the outcomes whose wait depends on it.
import { parseDuration } from "../../shared/duration.ts";
import type { ManagedObject } from "./actuator.ts";
import type { Outcome } from "./outcome.ts";

export interface ReconcilerTiming {
  /** Default drift resync when spec.resyncPeriod is empty. */
  resyncMs: number;
  /** Fraction of jitter added to resyncs (0.1 = up to +10%). */
  resyncJitter: number;
  /** How soon to look again while the cloud is working. */
  pollMs: number;
  /** Safety re-check while waiting on something that is also watched. */
  waitRecheckMs: number;
  /** Re-check of a broken ProviderConfig: its Secrets and ServiceAccounts are not watched. */
  providerRecheckMs: number;
  /** Slow retry of a stalled object whose inputs did not change. */
  stalledRetryMs: number;
  /**
   * Retry of a conflict that waiting cannot heal (a name taken, no addresses left): it needs the
   * user, so it is retried when the object or a dependency changes, and this seldom in case what
   * it collides with went away.
   */
  terminalRetryMs: number;
  /** Fallback when a throttled answer carries no Retry-After. */
  throttledFallbackMs: number;
  /** Re-read after a status write lost to a newer version of the object. */
  conflictRetryMs: number;
  /** Look again this soon when the cache has not shown this process's last write of the object yet. */
  cacheLagRetryMs: number;
  /** Act on the cache anyway once it has lagged a write this long (the informer relists after 30 s). */
  cacheLagMaxMs: number;
  /**
   * Safety re-check of an object whose resource the collection observer watches (it wakes the
   * object when the resource changes, so this only matters if a wake were ever lost).
   */
  watchFallbackMs: number;
  /**
   * Longest a due resync of a converged object waits for others to share its list (it is
   * background work; capped at the resync's jitter).
   */
  resyncGatherMs: number;
  /** How long one list of the resources carrying our name tag answers adoption lookups. */
  identityIndexMaxAgeMs: number;
  /** Resync periods of failing reconciles after which Ready turns Unknown (0: never). */
  staleAfterResyncs: number;
}

export const DEFAULT_TIMING: ReconcilerTiming = {
  resyncMs: 10 * 60_000,
  resyncJitter: 0.1,
  pollMs: 5_000,
  waitRecheckMs: 5 * 60_000,
  providerRecheckMs: 30_000,
  stalledRetryMs: 15 * 60_000,
  terminalRetryMs: 6 * 60 * 60_000,
  throttledFallbackMs: 5_000,
  conflictRetryMs: 500,
  cacheLagRetryMs: 100,
  cacheLagMaxMs: 60_000,
  watchFallbackMs: 60_000,
  resyncGatherMs: 10_000,
  identityIndexMaxAgeMs: 30_000,
  staleAfterResyncs: 3,
};

/** How long an object may fail before its Ready says Unknown: some resyncs of its own period. */
export function staleAfterMs(
  object: ManagedObject,
  timing: Pick<ReconcilerTiming, "resyncMs" | "staleAfterResyncs">,
): number {
  return timing.staleAfterResyncs * (parseDuration(object.spec.resyncPeriod) ?? timing.resyncMs);
}

type Random = () => number;

/** Converged: read the cloud again after spec.resyncPeriod (or the default), with jitter. */
export function doneOutcome(
  message: string,
  object: ManagedObject,
  timing: Pick<ReconcilerTiming, "resyncMs" | "resyncJitter">,
  random: Random,
): Outcome {
  const period = parseDuration(object.spec.resyncPeriod) ?? timing.resyncMs;
  const resyncAfterMs = Math.round(period * (1 + timing.resyncJitter * random()));
  return { kind: "done", message, resyncAfterMs };
}

export function pollingOutcome(
  reason: string,
  message: string,
  timing: Pick<ReconcilerTiming, "pollMs">,
): Outcome {
  return { kind: "polling", reason, message, afterMs: timing.pollMs };
}

/** Needs the user: retried on the slow timer (jittered by up to 20%) unless an input changes first. */
export function stalledOutcome(
  reason: string,
  message: string,
  timing: Pick<ReconcilerTiming, "stalledRetryMs">,
  random: Random,
  retryMs = timing.stalledRetryMs,
): Extract<Outcome, { kind: "stalled" }> {
  const retryAfterMs = Math.round(retryMs * (1 + 0.2 * random()));
  return { kind: "stalled", reason, message, retryAfterMs };
}
