// The contract between the generic reconciler and one kind of cloud resource. An actuator only
// knows its kind: how to reach it (connect), how it is named and found, how to create, compare,
// update and delete it, and what it publishes. Every lifecycle rule (finalizer and create-pending
// protocol, policies, pause, import and adoption, ownership, dependencies, convergence guard,
// errors, requeues, status, events, metrics) belongs to the reconciler, once, for all kinds.
//
// The words MUST and SHOULD below are promises the reconciler relies on; breaking one breaks a
// lifecycle rule for that kind (docs/resource-model.md).
import type { Condition } from "../../runtime/conditions.ts";
import type { ObjectMeta } from "../../crds/common.ts";
import type { CommonSpec, ManagedKindName, ManagedStatus } from "../../crds/index.ts";
import type { ObservableCollection } from "./collection-observer.ts";

export type { Condition };

/** Kinds served by the generic reconciler: those the CRD registry lists as managed. */
export type ManagedKind = ManagedKindName;

/** Fields every managed kind's spec has (the apiserver applies the defaults), and their status. */
export type { CommonSpec, ManagedStatus };

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

/** Reads one key of a Secret in the object's namespace (user data); undefined when missing. */
export interface SecretReader {
  read(namespace: string, name: string, key: string): Promise<string | undefined>;
}

/** Everything one cloud call needs besides the resource itself. */
export interface Operation<O extends ManagedObject, Client> {
  /** What `connect` returned for this object's ProviderConfig. */
  client: Client;
  object: O;
  /** This operator installation's ID (kube/installation.ts), part of every ownership identity. */
  installation: string;
  /** The ownership tags alone (generic/ownership.ts). */
  ownershipTags: Record<string, string>;
  /** Ownership tags plus the spec's tags: what the cloud resource should carry. */
  desiredTags: Record<string, string>;
  /** Stable across crashes and retries: the object's UID (plus a suffix per action). */
  idempotencyKey: string;
  deps: Resolved;
  secrets: SecretReader;
  /** A Normal event on the object, for progress the user should see (e.g. "emptying"). */
  note(reason: string, message: string): void;
  signal?: AbortSignal | undefined;
}

/** What the cloud says about a resource, in the reconciler's terms (no cloud state names). */
export interface Observation {
  /** Published as status.state. */
  state: string;
  /** Settled in a state that serves the spec (e.g. active, available, in use, stopped on purpose). */
  ready: boolean;
  /** The cloud is still working on it (creating, resizing, ...): poll again soon. */
  transitional: boolean;
  /** The cloud is deleting it: deletion only waits. */
  deleting?: boolean | undefined;
  /** The cloud put the resource into an error state; the message says why. */
  failed?: string | undefined;
  /** What is still in progress, for the Reconciling message (default: the state). */
  progress?: string | undefined;
  atProvider: Record<string, unknown>;
}

/** One mutable field that differs between spec and cloud. `from`/`to` appear in messages: no secrets. */
export interface Change {
  field: string;
  from: unknown;
  to: unknown;
}

/** An immutable spec field whose cloud value differs (values appear in messages: no secrets). */
export interface Mismatch {
  field: string;
  spec: unknown;
  cloud: unknown;
}

/** A field that is not a change to write: in sync, or one the cloud cannot serve as asked. */
export interface FieldVerdict {
  field: string;
  state: "InSync" | "NotImplemented" | "Impossible";
  /** Why, for NotImplemented and Impossible. */
  message?: string | undefined;
  /** Condition reason for Impossible (default InvalidSpec). */
  reason?: string | undefined;
}

export function isChange(entry: Change | FieldVerdict): entry is Change {
  return !("state" in entry);
}

/** A write the cloud refused for one field (the others still went ahead). */
export interface RefusedField {
  field: string;
  state: "NotImplemented" | "Rejected";
  message: string;
}

/**
 * Result of an update: `progress` when the cloud now works on it (poll; the write is not yet a
 * verdict), `done` when it took effect; the object form also names fields the cloud refused.
 */
export type UpdateResult = "progress" | "done" | { progress: boolean; refused: RefusedField[] };

/** How a deletion stands after one `remove` call. */
export type RemoveResult =
  /** The cloud accepted the delete and works on it: the reconciler polls until it is gone. */
  | "requested"
  /** Gone now: the reconciler drops the finalizer. */
  | "deleted"
  /** One step of a longer teardown done (detach, a page of objects emptied): call again soon. */
  | { progress: string }
  /** The cloud cannot delete it yet for a reason the user may need to act on. */
  | {
      blocked: {
        reason: string;
        message: string;
        /** soon: seconds; backoff: soon, then less often; slow: the stalled-retry timer. */
        recheck: "soon" | "backoff" | "slow";
      };
    };

export interface CloudResource {
  id: string;
  tags: Record<string, string>;
}

/**
 * How the cloud resource is named. By the cloud: the create returns an ID, and a create lost to a
 * crash is found by our ownership tags. By us: the name comes from the spec, so it is known before
 * the create, and may belong to someone else (ownership is checked on its tags).
 */
export type Naming<O, C, Client> =
  | {
      by: "cloud";
      /** Resources carrying all these tags (our ownership tags), to find a create lost to a crash. */
      findByTags(client: Client, tags: Record<string, string>, signal?: AbortSignal): Promise<C[]>;
      /** Every resource carrying the tag key `tagKey` (any value): the adoption index's one list. */
      findByTagKey(client: Client, tagKey: string, signal?: AbortSignal): Promise<C[]>;
    }
  | {
      by: "us";
      name(object: O): string;
      /** What the user changes to pick another name, e.g. "spec.bucketName". */
      nameField: string;
    };

/** Connection details published for workloads (ConfigMap and Secret owned by the object). */
export interface Outputs {
  configMap?: { name: string; data: Record<string, string> } | undefined;
  secret?:
    | { name: string; data: () => Promise<Record<string, string>> }
    | { name: string; unavailable: { reason: string; message: string } }
    | undefined;
}

export interface Actuator<
  O extends ManagedObject = ManagedObject,
  C extends CloudResource = CloudResource,
  Client = unknown,
  Provider = unknown,
> {
  kind: ManagedKind;
  /**
   * Words for one resource in messages and events, e.g. "cloud VPC vpc_01…" or "bucket logs";
   * without an id, the kind of resource ("cloud VPC", "bucket").
   */
  describe(id?: string): string;
  /**
   * The client for this object from its resolved ProviderConfig. MUST NOT call the cloud; SHOULD
   * throw NotConnected (with what to fix) when the config cannot serve this kind.
   */
  connect(provider: Provider, object: O): Promise<Client>;
  /** Objects that must be Ready before this one can be created (or, where noted, kept in line). */
  dependencies(object: O): Dependency[];
  naming: Naming<O, C, Client>;
  /**
   * Optional batched reads: the collection of this kind for one client. Given, the reconciler
   * reads by ID through its observer (batched finds, one list per poll for every resource in
   * transition, resync checks shared with others). MUST return the same collection for the same
   * client, and resources whose JSON changes whenever anything the object reports changes.
   */
  collection?(client: Client): ObservableCollection<C>;
  /** The resource by ID (or name), undefined when it does not exist. Used when there is no collection. */
  read?(client: Client, id: string, object: O, signal?: AbortSignal): Promise<C | undefined>;
  /**
   * One create call, idempotent through op.idempotencyKey, carrying op.desiredTags when the cloud
   * takes tags at creation. Undefined: the name was taken already (naming by us) and the
   * reconciler reads and checks the existing resource. A refusal SHOULD be a terminal
   * CloudDigitError or a SpecError, so the reconciler knows nothing was created.
   */
  create(op: Operation<O, Client>): Promise<C | undefined>;
  /**
   * Per field: a change to write, or a verdict. MUST never report a change `update` cannot remove
   * (an immutable field is not a change; an impossible one is a verdict). `ownership`: the
   * ownership tags the resource must carry besides the spec's (`desiredTags` merges the two).
   */
  diff(object: O, cloud: C, deps: Resolved, ownership: Record<string, string>): Array<Change | FieldVerdict>;
  /**
   * Immutable fields (those `diff` never reports as changes) whose cloud value differs from the
   * spec. The reconciler checks them before it imports or adopts a resource it did not create for
   * this object, and stalls (ImportMismatch, with this field-by-field list) rather than manage a
   * resource that is not what the spec says. SHOULD cover every immutable spec field the cloud
   * reports; fields the spec leaves empty are not compared. `deps` as far as they are known.
   */
  immutableMismatches?(object: O, cloud: C, deps: Resolved): Mismatch[];
  /** Applies (some of) the changes; MAY take one step of a multi-step change per call. */
  update(op: Operation<O, Client>, cloud: C, changes: Change[]): Promise<UpdateResult>;
  /** Deletes or starts deleting; MUST tolerate "already gone"; MAY first undo what blocks deletion. */
  remove(op: Operation<O, Client>, cloud: C): Promise<RemoveResult | void>;
  /** What the cloud says, in the reconciler's terms; `deps` as far as they are known. */
  observe(cloud: C, object: O, deps: Resolved): Observation;
  /**
   * Fields (as named in `diff`) that get a `<Field>Synced` condition of their own, so a setting
   * the cloud cannot apply is named precisely. Empty or absent: only the four standard conditions.
   */
  fieldConditions?: readonly string[];
  /** Connection details to publish, or undefined when the spec asks for none. */
  outputs?(object: O, cloud: C, client: Client): Outputs | undefined;
}

/** A spec the cloud cannot serve as asked; detected before calling the cloud. Stalls the object. */
export class SpecError extends Error {
  override readonly name = "SpecError";
}

/** The ProviderConfig cannot serve this object (thrown by `connect`): the object waits on it. */
export class NotConnected extends Error {
  override readonly name = "NotConnected";
}

/** Status fields without undefined/null values, so unchanged observations compare equal. */
export function dropEmpty(fields: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(fields).filter(([, v]) => v !== undefined && v !== null));
}
