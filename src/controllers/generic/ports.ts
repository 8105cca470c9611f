// What the generic reconciler needs from the outside world, as small interfaces. The Kubernetes
// adapters (../kube/) implement them over informers and the Kubernetes API, the ProviderConfig
// resolver (../provider/) the provider port; unit tests implement them in memory (../testing/).
import type { ManagedKind, ManagedObject, ManagedStatus, Ref } from "./actuator.ts";

/** Read access to the informer caches of the managed kinds. */
export interface ObjectCache {
  get(kind: ManagedKind, namespace: string, name: string): ManagedObject | undefined;
  /** Objects in the namespace whose declared dependencies include `ref` (any kind). */
  dependants(namespace: string, ref: Ref): Dependant[];
  /**
   * This process wrote the object at `key` over the cached version `before`: the cache should show
   * it soon (the informer relists a watch that never does).
   */
  expectOwnWrite?(kind: ManagedKind, key: string, before: string, written: string | undefined): void;
}

export interface Dependant {
  kind: ManagedKind;
  object: ManagedObject;
  /** From the dependant's declaration of this dependency. */
  blocksDeletion: boolean;
  neededFor: "create" | "always";
}

export interface MetadataPatch {
  /** The complete new finalizer list. */
  finalizers?: string[];
  /** Annotations to set (string) or remove (null). */
  annotations?: Record<string, string | null>;
}

export interface ObjectWriter {
  /**
   * Writes the status subresource (object.status is what the server has; object's resourceVersion
   * guards the write). Returns the object as written.
   */
  writeStatus(kind: ManagedKind, object: ManagedObject, status: ManagedStatus): Promise<ManagedObject>;
  /**
   * Patches metadata; returns the new object. A finalizer change is guarded by
   * object.metadata.resourceVersion (409 when stale); annotation-only patches are not.
   */
  patchMetadata(kind: ManagedKind, object: ManagedObject, patch: MetadataPatch): Promise<ManagedObject>;
}

export type EventType = "Normal" | "Warning";

export interface EventSink {
  record(kind: ManagedKind, object: ManagedObject, type: EventType, reason: string, message: string): void;
}

export type ProviderResolution<Provider> =
  | {
      ok: true;
      /** Handed to the actuator's `connect`; the reconciler does not look inside. */
      provider: Provider;
      /** Changes whenever the config or its credentials change (part of the no-op check). */
      fingerprint: string;
      /**
       * Where resources made with this config live (`<project>@<region>`): a recorded resource
       * is only looked for in its own scope; another one is a scope change, never a deletion.
       */
      scope: string;
    }
  | { ok: false; reason: string; message: string };

/** Finds the ProviderConfig an object names and what clients it provides. */
export interface ProviderResolver<Provider = unknown> {
  resolve(object: ManagedObject, signal?: AbortSignal): Promise<ProviderResolution<Provider>>;
  /** Cheap, cache-only fingerprint of the config the object names (no credential reads). */
  peekFingerprint(object: ManagedObject): string;
}

/** The owner of an output object: it is garbage-collected with the managed object. */
export interface OutputOwner {
  kind: string;
  namespace: string;
  name: string;
  uid: string;
}

export type OutputWrite = "created" | "updated" | "unchanged" | { conflict: string };

/** Writes connection details (ConfigMap, Secret) owned by a managed object; never overwrites others'. */
export interface OutputWriter {
  ensureConfigMap(owner: OutputOwner, name: string, data: Record<string, string>): Promise<OutputWrite>;
  ensureSecret(owner: OutputOwner, name: string, data: Record<string, string>): Promise<OutputWrite>;
}

/** Per-kind resource metrics (ResourceMetrics in metrics.ts). */
export interface ReconcileMetrics {
  observe(kind: ManagedKind, key: string, flags: { exists: boolean; ready: boolean; synced: boolean }): void;
  forget(kind: ManagedKind, key: string): void;
  drift(kind: ManagedKind): void;
  recreated(kind: ManagedKind): void;
  outcome(kind: ManagedKind, outcome: string): void;
  resyncCheck(kind: ManagedKind, result: "unchanged" | "changed"): void;
}
