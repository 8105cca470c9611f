// The lifecycle steps both reconcilers take the same way: the generic one (reconciler.ts, the REST
// kinds) and the Bucket one (bucket-reconciler.ts, S3). How a resource is read, named, created and
// deleted stays in each; what must not drift apart lives here once: the finalizer and
// create-pending protocol, the deletion steps that need no cloud call, how long an outcome waits,
// which change of situation is worth an event, and when status is worth a write.
import type { ObjectMeta } from "../crds/common.ts";
import { PAUSED_ANNOTATION } from "../crds/common.ts";
import type { ManagedObject, ManagedStatus } from "./actuator.ts";
import { parseDuration } from "./duration.ts";
import { ConditionType, Reason, type Outcome } from "./outcome.ts";
import type { EventType, MetadataPatch } from "./ports.ts";
import type { ReconcilerTiming } from "./reconciler.ts";

/** Added before the first cloud write; removed once the cloud resource is gone (or orphaned). */
export const FINALIZER = "clouddigit.ai/cleanup";
/**
 * Set (with the finalizer) just before a create call and cleared once its result is recorded: while
 * it is present a create may have succeeded without our knowing, so deletion must look in the cloud.
 */
export const CREATE_PENDING_ANNOTATION = "clouddigit.ai/create-pending";

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

// ------------------------------------------------------------------------------------------
// Outcomes and their timing

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
  reason: Reason,
  message: string,
  timing: Pick<ReconcilerTiming, "pollMs">,
): Outcome {
  return { kind: "polling", reason, message, afterMs: timing.pollMs };
}

/** Needs the user: retried on the slow timer (jittered by up to 20%) unless an input changes first. */
export function stalledOutcome(
  reason: Reason,
  message: string,
  timing: Pick<ReconcilerTiming, "stalledRetryMs">,
  random: Random,
): Outcome {
  const retryAfterMs = Math.round(timing.stalledRetryMs * (1 + 0.2 * random()));
  return { kind: "stalled", reason, message, retryAfterMs };
}

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

// ------------------------------------------------------------------------------------------
// Finalizer and create-pending mark

/** Writes a metadata patch and returns the object as written (each reconciler's writer). */
export type MetadataPatcher = (patch: MetadataPatch) => Promise<{ metadata: ObjectMeta }>;

export function isCreatePending(object: ManagedObject): boolean {
  return object.metadata.annotations?.[CREATE_PENDING_ANNOTATION] !== undefined;
}

/**
 * Adds the finalizer if missing; before a create also sets the create-pending mark (in the same
 * patch), so a crash during the create leaves a trace that deletion must look in the cloud.
 */
export async function ensureFinalizer(
  object: ManagedObject,
  beforeCreate: boolean,
  pendingSince: () => string,
  patchMetadata: MetadataPatcher,
): Promise<void> {
  const finalizers = object.metadata.finalizers ?? [];
  const hasFinalizer = finalizers.includes(FINALIZER);
  if (hasFinalizer && !beforeCreate) return;
  const patch: MetadataPatch = {
    ...(hasFinalizer ? {} : { finalizers: [...finalizers, FINALIZER] }),
    ...(beforeCreate ? { annotations: { [CREATE_PENDING_ANNOTATION]: pendingSince() } } : {}),
  };
  const updated = await patchMetadata(patch);
  object.metadata = updated.metadata;
}

export async function clearCreatePending(
  object: ManagedObject,
  patchMetadata: MetadataPatcher,
): Promise<void> {
  if (!isCreatePending(object)) return;
  const updated = await patchMetadata({ annotations: { [CREATE_PENDING_ANNOTATION]: null } });
  object.metadata = updated.metadata;
}

export async function removeFinalizer(object: ManagedObject, patchMetadata: MetadataPatcher): Promise<void> {
  const finalizers = (object.metadata.finalizers ?? []).filter((f) => f !== FINALIZER);
  await patchMetadata({ finalizers });
}

/**
 * The deletion steps that need no cloud call: no finalizer (nothing to do), Orphan or ObserveOnly
 * (drop the finalizer, keep the resource), nothing ever created (no ID, no import, no
 * create-pending mark: drop the finalizer without needing a ProviderConfig), paused. Returns
 * undefined when the cloud resource must be deleted.
 */
export async function deleteWithoutCloud(
  object: ManagedObject,
  how: {
    /** The resource named in the Orphaned event (none: no event). */
    keptId: string | undefined;
    /** What the resource is called in that event, e.g. "cloud VPC" or "bucket". */
    noun: string;
    removeFinalizer: () => Promise<void>;
    emit: (type: EventType, reason: string, message: string) => void;
  },
): Promise<Outcome | undefined> {
  if (!(object.metadata.finalizers ?? []).includes(FINALIZER)) return { kind: "gone" };
  const { spec } = object;
  if (spec.managementPolicy === "ObserveOnly" || spec.deletionPolicy === "Orphan") {
    await how.removeFinalizer();
    if (how.keptId)
      how.emit(
        "Normal",
        Reason.Orphaned,
        `kept ${how.noun} ${how.keptId} (deletionPolicy ${spec.deletionPolicy}, managementPolicy ${spec.managementPolicy})`,
      );
    return { kind: "gone" };
  }
  if (!object.status?.id && !spec.importID && !isCreatePending(object)) {
    // Nothing was ever created in the cloud: no config, credentials or dependencies needed.
    await how.removeFinalizer();
    return { kind: "gone" };
  }
  if (isPaused(object)) return { kind: "paused" };
  return undefined;
}

// ------------------------------------------------------------------------------------------
// Status and events

/** What one reconcile learned about the cloud resource, published in status. */
export interface ObservedResource {
  /** undefined: unchanged; null: forget the recorded value (the resource is gone). */
  id?: string | null;
  state?: string | null;
  atProvider?: Record<string, unknown> | null;
  /** The cloud was read successfully in this reconcile. */
  synced: boolean;
}

/**
 * The previous status with what this reconcile observed; observedGeneration moves unless the
 * outcome did not act on the spec (paused, or a retry that may not have got far).
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
  if (outcome.kind !== "paused" && outcome.kind !== "retry") status.observedGeneration = generation;
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
          type: "Normal",
          reason: Reason.ReconcilePaused,
          message: "reconciliation paused by annotation",
        };
      return undefined;
    case "polling":
      return undefined;
  }
}

// ------------------------------------------------------------------------------------------
// Small predicates

/** A 409 from the Kubernetes API (stale resourceVersion); cloud conflicts never reach it. */
export function isStaleWrite(err: unknown): boolean {
  return err instanceof Error && err.name === "ApiError" && (err as { status?: number }).status === 409;
}

export function isPaused(object: ManagedObject): boolean {
  return object.metadata.annotations?.[PAUSED_ANNOTATION] === "true";
}

export function isReady(object: ManagedObject): boolean {
  return (
    object.status?.conditions?.some((c) => c.type === ConditionType.Ready && c.status === "True") ?? false
  );
}

/** The cloud differs although the spec did not change since the object was last Ready: drift. */
export function isDrift(object: ManagedObject): boolean {
  return object.status?.observedGeneration === object.metadata.generation && isReady(object);
}

function normalize(status: ManagedStatus): ManagedStatus {
  return JSON.parse(JSON.stringify(status)) as ManagedStatus;
}

function sameJson(a: unknown, b: unknown): boolean {
  return JSON.stringify(sortKeys(a)) === JSON.stringify(sortKeys(b));
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value && typeof value === "object") {
    return Object.fromEntries(
      Object.entries(value as Record<string, unknown>)
        .filter(([, v]) => v !== undefined)
        .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
        .map(([k, v]) => [k, sortKeys(v)]),
    );
  }
  return value;
}
