// In-memory stand-ins for the informer cache, the apiserver writes, events and Secrets, with the
// apiserver's finalizer semantics (delete marks deletionTimestamp while finalizers remain).
import type { ManagedKind, ManagedObject, ManagedStatus, Ref, SecretReader } from "../generic/actuator.ts";
import { actuators, MANAGED_KINDS } from "../kinds/index.ts";
import type { EventSink, EventType, MetadataPatch, ObjectCache, ObjectWriter } from "../generic/ports.ts";

export interface RecordedEvent {
  kind: ManagedKind;
  name: string;
  type: EventType;
  reason: string;
  message: string;
}

export class FakeKube implements ObjectCache, ObjectWriter, EventSink, SecretReader {
  readonly events: RecordedEvent[] = [];
  statusWrites = 0;
  metadataWrites = 0;
  /** A metadata write it answers true for fails as it would during an apiserver outage. */
  failMetadataWrite: ((patch: MetadataPatch) => boolean) | undefined;
  /** A status write it answers true for fails so. */
  failStatusWrite: ((status: ManagedStatus) => boolean) | undefined;
  readonly secrets = new Map<string, string>();
  private readonly objects = new Map<string, ManagedObject>();
  /** Cache copies held back from later writes (a lagging informer), by key. */
  private readonly frozen = new Map<string, ManagedObject>();
  /** Every version the writers produced, by `<kind>/<name>`, in order (the watch would show each). */
  private readonly history = new Map<string, ManagedObject[]>();
  private rv = 0;
  private uid = 0;

  apply(
    kind: ManagedKind,
    name: string,
    spec: Record<string, unknown>,
    metadata: Partial<ManagedObject["metadata"]> = {},
  ): ManagedObject {
    const key = `${kind}/default/${name}`;
    const existing = this.objects.get(key);
    const fullSpec = {
      providerConfigRef: { name: "default" },
      managementPolicy: "Managed",
      deletionPolicy: "Delete",
      ...spec,
    };
    const generation = existing
      ? sameJson(existing.spec, fullSpec)
        ? existing.metadata.generation
        : (existing.metadata.generation ?? 1) + 1
      : 1;
    const object: ManagedObject = {
      apiVersion: "clouddigit.ai/v1alpha1",
      kind,
      metadata: {
        ...existing?.metadata,
        name,
        namespace: "default",
        uid: existing?.metadata.uid ?? `uid-${++this.uid}`,
        generation,
        resourceVersion: String(++this.rv),
        ...metadata,
      },
      spec: fullSpec as ManagedObject["spec"],
      status: existing?.status,
    };
    this.objects.set(key, object);
    return object;
  }

  annotate(kind: ManagedKind, name: string, annotations: Record<string, string | null>): void {
    const o = this.must(kind, name);
    const next = { ...o.metadata.annotations };
    for (const [k, v] of Object.entries(annotations)) {
      if (v === null) delete next[k];
      else next[k] = v;
    }
    o.metadata = { ...o.metadata, annotations: next, resourceVersion: String(++this.rv) };
  }

  delete(kind: ManagedKind, name: string): void {
    const o = this.must(kind, name);
    if ((o.metadata.finalizers ?? []).length === 0) this.objects.delete(`${kind}/default/${name}`);
    else
      o.metadata = {
        ...o.metadata,
        deletionTimestamp: "2026-01-01T00:00:00Z",
        resourceVersion: String(++this.rv),
      };
  }

  /** Gone at once, as when another client removes the last finalizer of a deleted object. */
  vanish(kind: ManagedKind, name: string): void {
    this.objects.delete(`${kind}/default/${name}`);
  }

  object(kind: ManagedKind, name: string): ManagedObject | undefined {
    return this.objects.get(`${kind}/default/${name}`);
  }

  condition(kind: ManagedKind, name: string, type: string) {
    return this.object(kind, name)?.status?.conditions?.find((c) => c.type === type);
  }

  /** Every object as [kind, name], dependencies first. */
  all(): Array<[ManagedKind, string]> {
    const out: Array<[ManagedKind, string]> = [];
    for (const kind of MANAGED_KINDS) {
      for (const o of this.objects.values()) if (o.kind === kind) out.push([kind, o.metadata.name ?? ""]);
    }
    return out;
  }

  reasons(): string[] {
    return this.events.map((e) => e.reason);
  }

  /** From now on the cache shows this object as it is now, not its later writes (until thaw). */
  freezeCache(kind: ManagedKind, name: string): void {
    this.frozen.set(`${kind}/default/${name}`, structuredClone(this.must(kind, name)));
  }

  /** Versions this object's writes produced, oldest first. */
  writtenVersions(kind: ManagedKind, name: string): string[] {
    return (this.history.get(`${kind}/${name}`) ?? []).map((o) => o.metadata.resourceVersion ?? "");
  }

  /** The cache shows the object as one of its writes left it (until thaw), as a lagging watch does. */
  showCacheAt(kind: ManagedKind, name: string, resourceVersion: string): void {
    const copy = this.history
      .get(`${kind}/${name}`)
      ?.find((o) => o.metadata.resourceVersion === resourceVersion);
    if (!copy) throw new Error(`no written version ${resourceVersion} of ${kind} ${name}`);
    this.frozen.set(`${kind}/default/${name}`, copy);
  }

  private remember(kind: ManagedKind, o: ManagedObject): void {
    const key = `${kind}/${o.metadata.name ?? ""}`;
    const versions = this.history.get(key) ?? [];
    // The writers change metadata and status only; the spec is shared (it may be nested too deep to clone).
    versions.push({ ...o, metadata: structuredClone(o.metadata), status: structuredClone(o.status) });
    this.history.set(key, versions);
  }

  thawCache(kind: ManagedKind, name: string): void {
    this.frozen.delete(`${kind}/default/${name}`);
  }

  // ObjectCache
  get(kind: ManagedKind, namespace: string, name: string): ManagedObject | undefined {
    const key = `${kind}/${namespace}/${name}`;
    return this.frozen.get(key) ?? this.objects.get(key);
  }

  dependants(namespace: string, ref: Ref) {
    const out = [];
    for (const kind of MANAGED_KINDS) {
      for (const [key, object] of this.objects) {
        if (!key.startsWith(`${kind}/${namespace}/`)) continue;
        const dep = actuators[kind]
          .dependencies(object)
          .find((d) => d.kind === ref.kind && d.name === ref.name);
        if (dep) out.push({ kind, object, blocksDeletion: dep.blocksDeletion, neededFor: dep.neededFor });
      }
    }
    return out;
  }

  // ObjectWriter
  async writeStatus(kind: ManagedKind, object: ManagedObject, status: ManagedStatus): Promise<ManagedObject> {
    this.statusWrites++;
    if (this.failStatusWrite?.(status)) throw new Error("500 Internal Server Error: etcd timed out");
    const o = this.must(kind, object.metadata.name ?? "");
    if (o.metadata.resourceVersion !== object.metadata.resourceVersion)
      throw new Error("409 Conflict: stale resourceVersion");
    o.status = structuredClone(status);
    o.metadata = { ...o.metadata, resourceVersion: String(++this.rv) };
    this.remember(kind, o);
    return written(o);
  }

  async patchMetadata(
    kind: ManagedKind,
    object: ManagedObject,
    patch: MetadataPatch,
  ): Promise<ManagedObject> {
    this.metadataWrites++;
    if (this.failMetadataWrite?.(patch))
      throw new Error("503 Service Unavailable: the apiserver is restarting");
    const name = object.metadata.name ?? "";
    const o = this.must(kind, name);
    if (patch.finalizers && o.metadata.resourceVersion !== object.metadata.resourceVersion)
      throw new Error("409 Conflict: stale resourceVersion");
    const annotations = { ...o.metadata.annotations };
    for (const [k, v] of Object.entries(patch.annotations ?? {})) {
      if (v === null) delete annotations[k];
      else annotations[k] = v;
    }
    o.metadata = {
      ...o.metadata,
      annotations,
      ...(patch.finalizers ? { finalizers: patch.finalizers } : {}),
      resourceVersion: String(++this.rv),
    };
    this.remember(kind, o);
    if (o.metadata.deletionTimestamp && (o.metadata.finalizers ?? []).length === 0) {
      this.objects.delete(`${kind}/default/${name}`);
    }
    return written(o);
  }

  // EventSink
  record(kind: ManagedKind, object: ManagedObject, type: EventType, reason: string, message: string): void {
    this.events.push({ kind, name: object.metadata.name ?? "", type, reason, message });
  }

  // SecretReader
  async read(namespace: string, name: string, key: string): Promise<string | undefined> {
    return this.secrets.get(`${namespace}/${name}/${key}`);
  }

  private must(kind: ManagedKind, name: string): ManagedObject {
    const o = this.objects.get(`${kind}/default/${name}`);
    if (!o)
      throw Object.assign(new Error(`404 ${kind} ${name} not found`), { name: "ApiError", status: 404 });
    return o;
  }
}

/**
 * The object as a write answers it. The spec is shared, not cloned: the real client parses the
 * answer (JSON.parse copes with any depth), where structuredClone would overflow on hostile specs.
 */
function written(o: ManagedObject): ManagedObject {
  return { ...o, metadata: structuredClone(o.metadata), status: structuredClone(o.status) };
}

/** Specs too deep to serialize (hostile input) count as changed. */
function sameJson(a: unknown, b: unknown): boolean {
  try {
    return JSON.stringify(a) === JSON.stringify(b);
  } catch {
    return false;
  }
}
