// The outcome of one reconcile is a value. `requeueFor` and `conditionsFor` are the only places
// that turn it into "when do we run again" and "what does status say", so the two never disagree.
import { formatDuration } from "../../shared/duration.ts";
import type { Condition } from "../../runtime/conditions.ts";

/** Stable condition types (kstatus-compatible pair Reconciling / Stalled, plus Ready and Synced). */
export const ConditionType = {
  Ready: "Ready",
  Synced: "Synced",
  Reconciling: "Reconciling",
  Stalled: "Stalled",
} as const;

/** Stable CamelCase reasons for conditions and events. */
export const Reason = {
  Available: "Available",
  ReconcileSuccess: "ReconcileSuccess",
  ReconcileError: "ReconcileError",
  ReconcilePaused: "ReconcilePaused",
  Creating: "Creating",
  Updating: "Updating",
  Deleting: "Deleting",
  Provisioning: "Provisioning",
  DependencyNotReady: "DependencyNotReady",
  ProviderConfigNotReady: "ProviderConfigNotReady",
  DeletionBlocked: "DeletionBlocked",
  NotFound: "NotFound",
  ImportNotFound: "ImportNotFound",
  AlreadyManaged: "AlreadyManaged",
  ManagedElsewhere: "ManagedElsewhere",
  AdoptionNotFound: "AdoptionNotFound",
  AmbiguousAdoption: "AmbiguousAdoption",
  DeletedExternally: "DeletedExternally",
  AdoptionRefused: "AdoptionRefused",
  ImportMismatch: "ImportMismatch",
  ScopeChanged: "ScopeChanged",
  CloudResourceFailed: "CloudResourceFailed",
  InvalidSpec: "InvalidSpec",
  QuotaExceeded: "QuotaExceeded",
  Forbidden: "Forbidden",
  Unauthenticated: "Unauthenticated",
  NotImplemented: "NotImplemented",
  Throttled: "Throttled",
  TransientError: "TransientError",
  Conflict: "Conflict",
  Collision: "Collision",
  // Event-only reasons.
  Created: "Created",
  Adopted: "Adopted",
  Imported: "Imported",
  TakenOver: "TakenOver",
  Updated: "Updated",
  DeleteRequested: "DeleteRequested",
  Deleted: "Deleted",
  Orphaned: "Orphaned",
  RecreatingDeletedResource: "RecreatingDeletedResource",
  DriftDetected: "DriftDetected",
  // Field conditions (<Field>Synced) and outputs.
  InSync: "InSync",
  NotConverging: "NotConverging",
  OutputConflict: "OutputConflict",
} as const;
export type Reason = (typeof Reason)[keyof typeof Reason];

/** Reasons are stable CamelCase strings; kinds add their own (e.g. BucketNotEmpty) beside these. */
type AnyReason = string;

export type Outcome =
  /** Converged: Ready. Read the cloud again after resyncAfterMs to catch drift. */
  | { kind: "done"; message: string; resyncAfterMs: number }
  /** Blocked on something outside this object that will be watched (dependency, config, children). */
  | { kind: "waiting"; reason: AnyReason; message: string; recheckAfterMs: number }
  /** The cloud is working on it: look again after afterMs. */
  | { kind: "polling"; reason: AnyReason; message: string; afterMs: number }
  /** A transient failure: retry after afterMs (Retry-After), else with the queue's backoff. */
  | { kind: "retry"; reason: AnyReason; message: string; afterMs?: number | undefined }
  /** Needs the user: no retry storm; retried when the object or its inputs change, or after retryAfterMs. */
  | { kind: "stalled"; reason: AnyReason; message: string; retryAfterMs: number }
  /** The paused annotation is set: nothing happens until it is removed (message: why, if unusual). */
  | { kind: "paused"; message?: string | undefined }
  /** The object is gone (finalizer removed or never had one): nothing more to write. */
  | { kind: "gone" };

export interface Requeue {
  requeueAfterMs?: number;
  requeue?: boolean;
}

export function requeueFor(outcome: Outcome): Requeue | undefined {
  switch (outcome.kind) {
    case "done":
      return { requeueAfterMs: outcome.resyncAfterMs };
    case "waiting":
      return { requeueAfterMs: outcome.recheckAfterMs };
    case "polling":
      return { requeueAfterMs: outcome.afterMs };
    case "retry":
      return outcome.afterMs !== undefined && outcome.afterMs > 0
        ? { requeueAfterMs: outcome.afterMs }
        : { requeue: true };
    case "stalled":
      return { requeueAfterMs: outcome.retryAfterMs };
    case "paused":
    case "gone":
      return undefined;
  }
}

type Status = Condition["status"];
interface Wanted {
  status: Status;
  reason: string;
  message: string;
}

/**
 * The four conditions for an outcome. `previous` supplies what an outcome does not decide (Ready
 * during a transient error or a pause keeps its last value) and the transition times.
 */
export function conditionsFor(
  outcome: Exclude<Outcome, { kind: "gone" }>,
  previous: readonly Condition[] | undefined,
  generation: number | undefined,
  now: string,
  /**
   * After failing this long (Synced False), a retry no longer vouches for the last Ready: it turns
   * Unknown, so Argo CD and Flux stop showing Healthy for a resource nobody has seen for hours.
   */
  staleAfterMs?: number,
): Condition[] {
  const prevReady = previous?.find((c) => c.type === ConditionType.Ready);
  const keepReady = (fallback: Wanted): Wanted =>
    prevReady ? { status: prevReady.status, reason: prevReady.reason, message: prevReady.message } : fallback;
  const no = (reason: string, message = ""): Wanted => ({ status: "False", reason, message });
  const yes = (reason: string, message = ""): Wanted => ({ status: "True", reason, message });

  let ready: Wanted | undefined;
  let synced: Wanted;
  let reconciling: Wanted;
  let stalled: Wanted;
  switch (outcome.kind) {
    case "done":
      ready = yes(Reason.Available, outcome.message);
      synced = yes(Reason.ReconcileSuccess);
      reconciling = no(Reason.Available);
      stalled = no(Reason.Available);
      break;
    case "waiting":
    case "polling":
      ready = no(outcome.reason, outcome.message);
      synced = yes(Reason.ReconcileSuccess);
      reconciling = yes(outcome.reason, outcome.message);
      stalled = no(outcome.reason);
      break;
    case "retry": {
      const prevSynced = previous?.find((c) => c.type === ConditionType.Synced);
      const failingMs =
        prevSynced?.status === "False" ? Date.parse(now) - Date.parse(prevSynced.lastTransitionTime) : 0;
      const stale = staleAfterMs !== undefined && staleAfterMs > 0 && failingMs >= staleAfterMs;
      const unknown: Wanted = {
        status: "Unknown",
        reason: outcome.reason,
        message: stale
          ? `no successful reconcile for ${formatDuration(failingMs)}, so the resource's state is unknown: ${outcome.message}`
          : outcome.message,
      };
      ready = stale ? unknown : keepReady(unknown);
      synced = no(outcome.reason, outcome.message);
      reconciling = yes(outcome.reason, `retrying: ${outcome.message}`);
      stalled = no(outcome.reason);
      break;
    }
    case "stalled":
      ready = no(outcome.reason, outcome.message);
      synced = no(outcome.reason, outcome.message);
      reconciling = no(outcome.reason);
      stalled = yes(outcome.reason, outcome.message);
      break;
    case "paused": {
      // Paused is hands-off: no Reconciling, no Stalled, the generation counted as observed, so
      // no GitOps tool waits on it (kstatus Current, Argo CD Suspended). Ready stays only while it
      // is True: kstatus reads any Ready False or Unknown as in progress, so an object paused
      // before it was ever Ready has no Ready condition; Synced says why.
      const message =
        outcome.message ??
        'reconciliation is paused by the annotation clouddigit.ai/paused: "true"; remove it to resume';
      ready = prevReady?.status === "True" ? keepReady(no(Reason.ReconcilePaused)) : undefined;
      synced = no(Reason.ReconcilePaused, message);
      reconciling = no(Reason.ReconcilePaused);
      stalled = no(Reason.ReconcilePaused);
      break;
    }
  }
  const wanted: [string, Wanted][] = [
    ...(ready ? [[ConditionType.Ready, ready] as [string, Wanted]] : []),
    [ConditionType.Synced, synced],
    [ConditionType.Reconciling, reconciling],
    [ConditionType.Stalled, stalled],
  ];
  return wanted.map(([type, w]) => {
    const prev = previous?.find((c) => c.type === type);
    return {
      type,
      status: w.status,
      observedGeneration: generation,
      // Moves only when the status flips, as metav1.Condition specifies.
      lastTransitionTime: prev && prev.status === w.status ? prev.lastTransitionTime : now,
      reason: w.reason,
      message: truncate(w.message, 32_000),
    };
  });
}

function truncate(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 3)}...`;
}
