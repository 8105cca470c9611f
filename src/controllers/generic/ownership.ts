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

/**
 * Annotation naming the installation a resource may be taken over from. Only a resource whose
 * installation tag is exactly this value is taken over, once; the annotation is inert afterwards,
 * so two clusters never take a resource back and forth unless both are told to.
 */
export const TAKEOVER_ANNOTATION = "clouddigit.ai/take-over-from";

export type Claim =
  /** Ours: created for this object (tagged with its UID, recorded, or found by its tags). */
  | { kind: "ours" }
  /**
   * This installation's resource for an object of this kind, namespace and name, but another UID:
   * the object was re-created (a cluster rebuilt from Git, restored from a backup, or re-applied
   * after a delete with Orphan). Adopted: the tags are rewritten to the new UID.
   */
  | { kind: "adopt" }
  /** spec.importID names it: taken over (unless another live object manages it). */
  | { kind: "import"; liveOwner: string | undefined }
  /** Another installation (cluster) manages it: never written or deleted from here. */
  | { kind: "elsewhere"; installation: string; name: string | undefined }
  /** Another installation's, and this object asks to take it over from exactly that one. */
  | { kind: "takeover"; from: string }
  /** Someone else's: never written or deleted by this object. */
  | { kind: "refused"; owner: string | undefined };

export interface ClaimContext {
  kind: ManagedKind;
  installation: string;
  /**
   * The resource was reached by a name (from the spec, or our name identity) rather than by an ID
   * the cloud gave us or our UID tags, so it may belong to anyone.
   */
  reachedByName: boolean;
  /** Another existing object whose UID the resource's owner tag carries, as `<namespace>/<name>`. */
  liveOwner: (cloud: CloudResource) => string | undefined;
}

/** Whether `object` may manage `cloud`: the one ownership decision, for every kind. */
export function claim(object: ManagedObject, cloud: CloudResource, ctx: ClaimContext): Claim {
  const owner = cloud.tags[OWNER_TAG];
  const installation = cloud.tags[INSTALLATION_TAG];
  if (installation !== undefined && installation !== ctx.installation) {
    // No lease and no expiry: a claim by another installation holds until it is taken over
    // explicitly (a heartbeat would be a write per resource per period, on both clusters).
    if (object.metadata.annotations?.[TAKEOVER_ANNOTATION]?.trim() === installation)
      return { kind: "takeover", from: installation };
    return { kind: "elsewhere", installation, name: cloud.tags[NAME_TAG] };
  }
  if (owner !== undefined && owner === object.metadata.uid) return { kind: "ours" };
  if (object.spec.importID) return { kind: "import", liveOwner: ctx.liveOwner(cloud) };
  // Tagged by this installation (or before installations were tagged) for this very name.
  if (
    owner !== undefined &&
    cloud.tags[NAME_TAG] === nameIdentity(object) &&
    cloud.tags[KIND_TAG] === ctx.kind &&
    ctx.liveOwner(cloud) === undefined
  )
    return { kind: "adopt" };
  if (!ctx.reachedByName) return { kind: "ours" };
  // Created by us but not tagged yet (a crash between the create and the tagging).
  if (owner === undefined && (object.status?.id === cloud.id || isCreatePending(object))) {
    return { kind: "ours" };
  }
  return { kind: "refused", owner };
}
