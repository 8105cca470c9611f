// The finalizer and create-pending protocol, and the deletion steps that need no cloud call. The
// finalizer goes on (with the create-pending mark, in one patch) before the first cloud write; the
// mark is cleared only once status holds the ID, so a crash in between leaves a trace that tells
// deletion (and the next reconcile) to look in the cloud.
import { PAUSED_ANNOTATION, type ObjectMeta } from "../../crds/common.ts";
import type { ManagedObject } from "./actuator.ts";
import { Reason, type Outcome } from "./outcome.ts";
import type { EventType, MetadataPatch } from "./ports.ts";

/** Added before the first cloud write; removed once the cloud resource is gone (or orphaned). */
export const FINALIZER = "clouddigit.ai/cleanup";
/**
 * Set (with the finalizer) just before a create call and cleared once its result is recorded: while
 * it is present a create may have succeeded without our knowing, so deletion must look in the cloud.
 */
export const CREATE_PENDING_ANNOTATION = "clouddigit.ai/create-pending";

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
    /** The resource named in the Orphaned event, e.g. "cloud VPC vpc_01…" (none: no event). */
    kept: string | undefined;
    removeFinalizer: () => Promise<void>;
    emit: (type: EventType, reason: string, message: string) => void;
  },
): Promise<Outcome | undefined> {
  if (!(object.metadata.finalizers ?? []).includes(FINALIZER)) return { kind: "gone" };
  const { spec } = object;
  if (spec.managementPolicy === "ObserveOnly" || spec.deletionPolicy === "Orphan") {
    await how.removeFinalizer();
    if (how.kept)
      how.emit(
        "Normal",
        Reason.Orphaned,
        `kept ${how.kept} (deletionPolicy ${spec.deletionPolicy}, managementPolicy ${spec.managementPolicy})`,
      );
    return { kind: "gone" };
  }
  if (!object.status?.id && !spec.importID && !isCreatePending(object)) {
    // Nothing was ever created in the cloud: no config, credentials or dependencies needed.
    await how.removeFinalizer();
    return { kind: "gone" };
  }
  return pausedOutcome(object);
}

/**
 * The paused annotation as users write it: "true" or "false" in any letter case (YAML users write
 * True and TRUE), surrounding blanks ignored. Any other value pauses, the safe reading of a value
 * that was meant to say something, and the condition says which value it did not understand.
 */
export function pausedOutcome(object: ManagedObject): Extract<Outcome, { kind: "paused" }> | undefined {
  const value = object.metadata.annotations?.[PAUSED_ANNOTATION];
  if (value === undefined) return undefined;
  const word = value.trim().toLowerCase();
  if (word === "false" || word === "") return undefined;
  if (word === "true") return { kind: "paused" };
  const shown = value.length > 64 ? `${value.slice(0, 61)}...` : value;
  return {
    kind: "paused",
    message: `reconciliation is paused: the annotation ${PAUSED_ANNOTATION} is ${JSON.stringify(shown)}, which is neither "true" nor "false"; set it to "false" or remove it to resume`,
  };
}
