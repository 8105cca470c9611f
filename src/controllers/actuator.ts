// The contract between the generic reconciler and one kind of cloud resource. An actuator only
// knows how to talk about its kind: how to find, create, compare, update and delete it, and what
// to publish. Everything about lifecycle (finalizers, policies, pause, import, dependencies,
// errors, requeues, status, events, metrics) belongs to the reconciler.
import type { ObjectMeta } from "../crds/common.ts";
import type { CloudApi } from "./cloud-api.ts";
import type { ObservableCollection } from "./collection-observer.ts";

/** Kinds served by the generic reconciler over the REST API. */
export type ManagedKind = "VPC" | "Subnet" | "SSHKey" | "VM" | "Volume";

/** Fields every managed kind's spec has (the apiserver applies the defaults). */
export interface CommonSpec {
  providerConfigRef: { name: string; kind?: "ProviderConfig" | "ClusterProviderConfig" | undefined };
  managementPolicy: "Managed" | "ObserveOnly";
  deletionPolicy: "Delete" | "Orphan";
  importID?: string | undefined;
  resyncPeriod?: string | undefined;
}

export interface ManagedStatus {
  id?: string | undefined;
  state?: string | undefined;
  atProvider?: Record<string, unknown> | undefined;
  observedGeneration?: number | undefined;
  lastSyncTime?: string | undefined;
  conditions?: Condition[] | undefined;
}

export interface Condition {
  type: string;
  status: "True" | "False" | "Unknown";
  observedGeneration?: number | undefined;
  lastTransitionTime: string;
  reason: string;
  message: string;
}

export interface ManagedObject<Spec extends CommonSpec = CommonSpec> {
  apiVersion: string;
  kind: string;
  metadata: ObjectMeta;
  spec: Spec;
  status?: ManagedStatus | undefined;
}

/** A reference to another managed object in the same namespace. */
export interface Ref {
  kind: ManagedKind;
  name: string;
}

export function refKey(ref: Ref): string {
  return `${ref.kind}/${ref.name}`;
}

/** A declared dependency: what it is needed for, and whether it must outlive this object. */
export interface Dependency extends Ref {
  /** "create": only to create the cloud resource; "always": also to keep it in line (attachments). */
  neededFor: "create" | "always";
  /** The referenced object's deletion waits while this object exists (parent with live children). */
  blocksDeletion: boolean;
}

/** What the reconciler knows about one dependency. */
export interface ResolvedDependency {
  ref: Ref;
  ready: boolean;
  /** The cloud ID, when the referenced object has one (even if not Ready). */
  id: string | undefined;
  /** The cloud state its status last reported. */
  state: string | undefined;
  atProvider: Record<string, unknown>;
}

/** Dependencies of one object by `refKey`. */
export class Resolved {
  constructor(private readonly byKey: ReadonlyMap<string, ResolvedDependency> = new Map()) {}

  /** The cloud ID of a Ready dependency; the reconciler only creates once every dependency is Ready. */
  id(ref: Ref): string {
    const dep = this.byKey.get(refKey(ref));
    if (!dep?.ready || dep.id === undefined) throw new Error(`dependency ${refKey(ref)} is not Ready`);
    return dep.id;
  }

  get(ref: Ref): ResolvedDependency | undefined {
    return this.byKey.get(refKey(ref));
  }
}

/** Everything one cloud call needs besides the resource itself. */
export interface Operation<O extends ManagedObject> {
  api: CloudApi;
  object: O;
  /** Name in the cloud (derived from the object's name, within the cloud's name rules). */
  cloudName: string;
  /** Ownership tags plus the spec's tags: what the cloud resource should carry. */
  desiredTags: Record<string, string>;
  /** Stable across crashes and retries: the object's UID (plus a suffix per action). */
  idempotencyKey: string;
  deps: Resolved;
  secrets: SecretReader;
  signal?: AbortSignal | undefined;
}

/** What the cloud says about a resource, in the reconciler's terms. */
export interface Observation {
  state: string;
  /** Settled in a state that serves the spec (e.g. active, available, in_use, stopped on purpose). */
  ready: boolean;
  /** The cloud is still working on it (creating, resizing, deleting, ...): poll again soon. */
  transitional: boolean;
  /** The cloud put the resource into an error state; the message says why. */
  failed?: string | undefined;
  /** What is still in progress, for the Reconciling message (default: the state). */
  progress?: string | undefined;
  atProvider: Record<string, unknown>;
}

/** One mutable field that differs between spec and cloud. */
export interface Change {
  field: string;
  from: unknown;
  to: unknown;
}

export interface CloudResource {
  id: string;
  state: string;
  tags: Record<string, string>;
}

/** Result of an update: `progress` when the cloud now works on it (poll), `done` when it took effect. */
export type UpdateResult = "progress" | "done";

export interface Actuator<O extends ManagedObject = ManagedObject, C extends CloudResource = CloudResource> {
  kind: ManagedKind;
  /** Objects that must be Ready before this one can be created (or, where noted, kept in line). */
  dependencies(object: O): Dependency[];
  /**
   * The REST collection of this kind for one credential. The reconciler reads resources by ID
   * through its observer: batched finds, and one list per poll for every resource in transition.
   */
  collection(api: CloudApi): ObservableCollection<C>;
  /** Resources carrying all these tags (our ownership tags): finds a create that happened before a crash. */
  findByTags(api: CloudApi, tags: Record<string, string>, signal?: AbortSignal): Promise<C[]>;
  /** One create call, idempotent through op.idempotencyKey. */
  create(op: Operation<O>): Promise<C>;
  /** Mutable fields only; [] means up to date. Must never report a difference update cannot remove. */
  diff(object: O, cloud: C, deps: Resolved): Change[];
  /** Applies (some of) the changes; may take one step of a multi-step change per call. */
  update(op: Operation<O>, cloud: C, changes: Change[]): Promise<UpdateResult>;
  /** Starts deleting; tolerates "already gone". May first undo what blocks deletion (e.g. detach). */
  remove(op: Operation<O>, cloud: C): Promise<void>;
  /** What the cloud says, in the reconciler's terms; `deps` as far as they are known. */
  observe(cloud: C, object: O, deps: Resolved): Observation;
}

// ---------------------------------------------------------------------------------------------
// Ownership

/** Tag with the Kubernetes UID of the owning object; the key to adopting our own orphans. */
export const OWNER_TAG = "clouddigit.ai/owner";
/** Tag with `<namespace>/<name>` (or `<kind>.<namespace>/<name>`), for humans browsing the cloud. */
export const NAME_TAG = "clouddigit.ai/name";
/** Tag with the object's kind, so one UID never matches two kinds of resources. */
export const KIND_TAG = "clouddigit.ai/kind";

const MAX_TAG_VALUE = 256;

export function ownershipTags(object: ManagedObject, kind: ManagedKind): Record<string, string> {
  const { namespace = "", name = "", uid = "" } = object.metadata;
  return {
    [OWNER_TAG]: uid,
    [KIND_TAG]: kind,
    [NAME_TAG]: `${namespace}/${name}`.slice(0, MAX_TAG_VALUE),
  };
}

/** The cloud's names are 1-128 of letters, digits, '.', '_', '-', starting alphanumeric. */
export function cloudName(object: ManagedObject): string {
  // The namespace keeps names unique per project where the cloud requires it (SSH keys).
  const { namespace, name = "unnamed" } = object.metadata;
  const full = (namespace ? `${namespace}-${name}` : name).replace(/[^A-Za-z0-9._-]/g, "-");
  const trimmed = full.slice(0, 128);
  return /^[A-Za-z0-9]/.test(trimmed) ? trimmed : `x${trimmed.slice(0, 127)}`;
}

/** Desired tags: the spec's plus ours (ours win; CEL keeps users out of the reserved prefix anyway). */
export function desiredTags(
  object: ManagedObject & { spec: { tags?: Record<string, string> | undefined } },
  kind: ManagedKind,
) {
  return { ...(object.spec.tags ?? {}), ...ownershipTags(object, kind) };
}

export function sameTags(a: Record<string, string>, b: Record<string, string>): boolean {
  const ka = Object.keys(a);
  if (ka.length !== Object.keys(b).length) return false;
  return ka.every((k) => Object.hasOwn(b, k) && a[k] === b[k]);
}

/** The change list entry for tags, or nothing when they match. */
export function tagsChange(desired: Record<string, string>, actual: Record<string, string>): Change[] {
  return sameTags(desired, actual) ? [] : [{ field: "tags", from: actual, to: desired }];
}

/** A spec the cloud cannot serve as asked; detected before calling the cloud. Stalls the object. */
export class SpecError extends Error {
  override readonly name = "SpecError";
}

/** Reads one key of a Secret in the object's namespace (user data); undefined when missing. */
export interface SecretReader {
  read(namespace: string, name: string, key: string): Promise<string | undefined>;
}

/** Observation from the state alone, for kinds whose states are plain lists. */
export function observeByState(
  cloud: { state: string; state_reason?: string | null | undefined },
  states: { ready: readonly string[]; transitional: readonly string[] },
  atProvider: Record<string, unknown>,
): Observation {
  const failed = cloud.state === "error" ? (cloud.state_reason ?? "the cloud reports an error") : undefined;
  return {
    state: cloud.state,
    ready: states.ready.includes(cloud.state),
    transitional: states.transitional.includes(cloud.state),
    failed,
    atProvider: dropEmpty(atProvider),
  };
}

/** Status fields without undefined/null values, so unchanged observations compare equal. */
export function dropEmpty(fields: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(fields).filter(([, v]) => v !== undefined && v !== null));
}
