// Status as the reconciler publishes it: the observed resource merged into the previous status,
// lastSyncTime moved only with a real change (converged objects cost the Kubernetes API no
// writes), and one event per change of situation.
import { canonical } from "../../shared/canonical.ts";
import type { ManagedStatus, ManagedObject } from "./actuator.ts";
import { ConditionType, Reason, type Outcome } from "./outcome.ts";
import type { EventType } from "./ports.ts";

/** What one reconcile learned about the cloud resource, published in status. */
export interface ObservedResource {
  /** undefined: unchanged; null: forget the recorded value (the resource is gone). */
  id?: string | null;
  state?: string | null;
  atProvider?: Record<string, unknown> | null;
  /** The cloud was read successfully in this reconcile. */
  synced: boolean;
  /** Where the resource lives (`<project>@<region>`); undefined: unchanged; null: forget it. */
  scope?: string | null;
  /** A take-over from another installation done in this reconcile. */
  takeover?: { from: string; time: string };
}

/**
 * The previous status with what this reconcile observed; observedGeneration moves unless a retry
 * may not have got far. A pause counts as observing the generation: the user asked for hands-off,
 * and kstatus would otherwise read a paused object as in progress forever.
 */
export function observedStatus(
  previous: ManagedStatus,
  observed: ObservedResource,
  outcome: Exclude<Outcome, { kind: "gone" }>,
  generation: number | undefined,
): ManagedStatus {
  const status: ManagedStatus = { ...previous };
  if (observed.id === null) delete status.id;
  else if (observed.id !== undefined) status.id = observed.id;
  if (observed.state === null) delete status.state;
  else if (observed.state !== undefined) status.state = observed.state;
  if (observed.atProvider === null) delete status.atProvider;
  else if (observed.atProvider !== undefined) status.atProvider = observed.atProvider;
  if (observed.scope === null) delete status.scope;
  else if (observed.scope !== undefined) status.scope = observed.scope;
  if (observed.takeover) status.takeover = observed.takeover;
  if (outcome.kind !== "retry") status.observedGeneration = generation;
  return status;
}

/**
 * Sets `status.lastSyncTime` and says whether the status is worth a write: lastSyncTime moves with
 * any other change after a successful read of the cloud, never on its own. A read that finds
 * nothing new writes nothing, so converged objects cost the Kubernetes API no writes at all.
 */
export function stampLastSyncTime(
  previous: ManagedStatus,
  status: ManagedStatus,
  synced: boolean,
  nowIso: string,
): boolean {
  delete status.lastSyncTime;
  const withoutTime = { ...previous };
  delete withoutTime.lastSyncTime;
  const changed = !sameJson(normalize(withoutTime), normalize(status));
  status.lastSyncTime = synced && changed ? nowIso : previous.lastSyncTime;
  if (status.lastSyncTime === undefined) delete status.lastSyncTime;
  return changed;
}

/** The event for a change of situation, or undefined: one event per change, not one per retry. */
export function transitionEvent(
  outcome: Exclude<Outcome, { kind: "gone" }>,
  previous: ManagedStatus,
): { type: EventType; reason: string; message: string } | undefined {
  const prevReady = previous.conditions?.find((c) => c.type === ConditionType.Ready);
  const prevSynced = previous.conditions?.find((c) => c.type === ConditionType.Synced);
  switch (outcome.kind) {
    case "stalled":
      if (prevSynced?.reason !== outcome.reason || prevSynced.message !== outcome.message)
        return { type: "Warning", reason: outcome.reason, message: outcome.message };
      return undefined;
    case "retry":
      if (prevSynced?.reason !== outcome.reason)
        return { type: "Warning", reason: outcome.reason, message: outcome.message };
      return undefined;
    case "waiting":
      if (prevReady?.reason !== outcome.reason || prevReady.message !== outcome.message)
        return { type: "Normal", reason: outcome.reason, message: outcome.message };
      return undefined;
    case "done":
      if (prevReady?.status !== "True")
        return { type: "Normal", reason: Reason.Available, message: outcome.message };
      return undefined;
    case "paused":
      if (prevSynced?.reason !== Reason.ReconcilePaused)
        return {
          type: outcome.message ? "Warning" : "Normal",
          reason: Reason.ReconcilePaused,
          message: outcome.message ?? "reconciliation paused by annotation",
        };
      return undefined;
    case "polling":
      return undefined;
  }
}

export function isReady(object: ManagedObject): boolean {
  return (
    object.status?.conditions?.some((c) => c.type === ConditionType.Ready && c.status === "True") ?? false
  );
}

/**
 * The cloud differs although the spec did not change since the object was last Ready: drift. A
 * pause counts its generation as observed without acting on it, so right after one a difference
 * may be the user's own change and is not called drift.
 */
export function isDrift(object: ManagedObject): boolean {
  const synced = object.status?.conditions?.find((c) => c.type === ConditionType.Synced);
  return (
    object.status?.observedGeneration === object.metadata.generation &&
    isReady(object) &&
    synced?.reason !== Reason.ReconcilePaused
  );
}

function normalize(status: ManagedStatus): ManagedStatus {
  return JSON.parse(JSON.stringify(status)) as ManagedStatus;
}

function sameJson(a: unknown, b: unknown): boolean {
  return JSON.stringify(canonical(a)) === JSON.stringify(canonical(b));
}
