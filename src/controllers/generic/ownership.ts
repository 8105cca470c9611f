// Who a cloud resource belongs to. Every resource we create carries the owning object's UID, kind
// and name as tags; one decision here says whether an object may manage a resource it found, for
// every kind, so two objects (or two clusters) never fight over one resource.
import { isCreatePending } from "./finalizer.ts";
import type { CloudResource, ManagedKind, ManagedObject } from "./actuator.ts";

/** Tag with the Kubernetes UID of the owning object; the key to adopting our own orphans. */
export const OWNER_TAG = "clouddigit.ai/owner";
/** Tag with `<namespace>/<name>`, for humans browsing the cloud (and to find a live owner). */
export const NAME_TAG = "clouddigit.ai/name";
/** Tag with the object's kind, so one UID never matches two kinds of resources. */
export const KIND_TAG = "clouddigit.ai/kind";
/** Tag with the ID of the operator installation managing the resource (kube/installation.ts). */
export const INSTALLATION_TAG = "clouddigit.ai/installation";

const MAX_TAG_VALUE = 256;

export function ownershipTags(
  object: ManagedObject,
  kind: ManagedKind,
  installation: string,
): Record<string, string> {
  const { uid = "" } = object.metadata;
  return {
    [OWNER_TAG]: uid,
    [INSTALLATION_TAG]: installation,
    [KIND_TAG]: kind,
    [NAME_TAG]: nameIdentity(object),
  };
}

/** `<namespace>/<name>`: what an object is called, the same in a rebuilt cluster. */
export function nameIdentity(object: ManagedObject): string {
  const { namespace = "", name = "" } = object.metadata;
  return `${namespace}/${name}`.slice(0, MAX_TAG_VALUE);
}

/** Desired tags: the spec's plus ours (ours win; CEL keeps users out of the reserved prefix anyway). */
export function desiredTags(
  object: ManagedObject,
  ownership: Record<string, string>,
): Record<string, string> {
  const spec = object.spec as { tags?: Record<string, string> | undefined };
  return { ...(spec.tags ?? {}), ...ownership };
}

export type Claim =
  /** Ours: created for this object (tagged with its UID, recorded, or found by its tags). */
  | { kind: "ours" }
  /** spec.importID names it: taken over (unless another live object manages it). */
  | { kind: "import"; liveOwner: string | undefined }
  /** Someone else's: never written or deleted by this object. */
  | { kind: "refused"; owner: string | undefined };

/**
 * Whether `object` may manage `cloud`. `liveOwner` finds another existing object whose UID the
 * resource's owner tag carries (an owner deleted with deletionPolicy: Orphan leaves it free).
 * `nameChosenByUser`: the resource was reached by a name from the spec rather than by an ID the
 * cloud gave us or our ownership tags, so it may belong to anyone.
 */
export function claim(
  object: ManagedObject,
  cloud: CloudResource,
  nameChosenByUser: boolean,
  liveOwner: (cloud: CloudResource) => string | undefined,
): Claim {
  const owner = cloud.tags[OWNER_TAG];
  if (owner !== undefined && owner === object.metadata.uid) return { kind: "ours" };
  if (object.spec.importID) return { kind: "import", liveOwner: liveOwner(cloud) };
  if (!nameChosenByUser) return { kind: "ours" };
  // Created by us but not tagged yet (a crash between the create and the tagging).
  if (owner === undefined && (object.status?.id === cloud.id || isCreatePending(object))) {
    return { kind: "ours" };
  }
  return { kind: "refused", owner };
}
