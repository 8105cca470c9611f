// The reconciler's ports implemented over the runtime: informer caches, status and metadata
// patches, the event recorder, and Secret reads.
import type { EventRecorder } from "../../runtime/events.ts";
import type { Informer } from "../../runtime/informer.ts";
import { isNotFound, type KubeClient } from "../../runtime/kube-client.ts";
import type { KubeObject } from "../../runtime/resource.ts";
import { writeStatus } from "../../runtime/status.ts";
import type { ManagedKind, ManagedObject, ManagedStatus, Ref, SecretReader } from "../generic/actuator.ts";
import type {
  Dependant,
  EventSink,
  EventType,
  MetadataPatch,
  ObjectCache,
  ObjectWriter,
} from "../generic/ports.ts";
import { actuators, MANAGED_KINDS } from "../kinds/index.ts";
import { resourceType, SECRET_RESOURCE } from "./resources.ts";

/** Index of the objects another object references: values `<namespace>/<Kind>/<name>`. */
export const REFS_INDEX = "clouddigit.ai/refs";
/** Index of the provider config an object names: `<namespace>/<name>` and `*\/<name>` (cluster config). */
export const PROVIDER_CONFIG_INDEX = "clouddigit.ai/provider-config";

export function refsIndex(kind: ManagedKind) {
  return (obj: KubeObject): string[] => {
    const namespace = obj.metadata.namespace ?? "";
    return actuators[kind]
      .dependencies(obj as unknown as ManagedObject)
      .map((d) => `${namespace}/${d.kind}/${d.name}`);
  };
}

export function providerConfigIndex(obj: KubeObject): string[] {
  const spec = (obj as unknown as ManagedObject).spec as ManagedObject["spec"] | undefined;
  const name = spec?.providerConfigRef?.name ?? "default";
  return [`${obj.metadata.namespace ?? ""}/${name}`, `*/${name}`];
}

export type ManagedInformers = Record<ManagedKind, Informer<KubeObject>>;

export class InformerCache implements ObjectCache {
  constructor(private readonly informers: ManagedInformers) {}

  get(kind: ManagedKind, namespace: string, name: string): ManagedObject | undefined {
    return this.informers[kind].get(`${namespace}/${name}`) as unknown as ManagedObject | undefined;
  }

  dependants(namespace: string, ref: Ref): Dependant[] {
    const out: Dependant[] = [];
    for (const kind of MANAGED_KINDS) {
      for (const obj of this.informers[kind].byIndex(REFS_INDEX, `${namespace}/${ref.kind}/${ref.name}`)) {
        const object = obj as unknown as ManagedObject;
        const dep = actuators[kind]
          .dependencies(object)
          .find((d) => d.kind === ref.kind && d.name === ref.name);
        if (dep) out.push({ kind, object, blocksDeletion: dep.blocksDeletion, neededFor: dep.neededFor });
      }
    }
    return out;
  }

  expectOwnWrite(kind: ManagedKind, key: string, before: string, written: string | undefined): void {
    this.informers[kind].expectOwnWrite(key, before, written);
  }
}

export class KubeObjectWriter implements ObjectWriter {
  constructor(private readonly client: KubeClient) {}

  async writeStatus(kind: ManagedKind, object: ManagedObject, status: ManagedStatus): Promise<ManagedObject> {
    const result = await writeStatus(
      this.client,
      resourceType(kind),
      object as unknown as KubeObject,
      status as unknown as Record<string, unknown>,
    );
    return result.object as unknown as ManagedObject;
  }

  async patchMetadata(
    kind: ManagedKind,
    object: ManagedObject,
    patch: MetadataPatch,
  ): Promise<ManagedObject> {
    const metadata: Record<string, unknown> = {};
    // Finalizer lists are replaced whole, so they are guarded against concurrent writers.
    if (patch.finalizers) {
      metadata.finalizers = patch.finalizers;
      metadata.resourceVersion = object.metadata.resourceVersion;
    }
    if (patch.annotations) metadata.annotations = patch.annotations;
    return (await this.client.patch(
      resourceType(kind),
      object.metadata.namespace,
      object.metadata.name ?? "",
      { metadata },
      "merge",
    )) as unknown as ManagedObject;
  }
}

export class RecorderEventSink implements EventSink {
  constructor(private readonly recorder: EventRecorder) {}

  record(kind: ManagedKind, object: ManagedObject, type: EventType, reason: string, message: string): void {
    this.recorder.record({
      regarding: object as unknown as KubeObject,
      resource: resourceType(kind),
      type,
      reason,
      action: "Reconcile",
      note: message,
    });
  }
}

export class KubeSecretReader implements SecretReader {
  constructor(private readonly client: KubeClient) {}

  async read(namespace: string, name: string, key: string): Promise<string | undefined> {
    let secret: KubeObject;
    try {
      secret = await this.client.get(SECRET_RESOURCE, namespace, name);
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
    const data = (secret as { data?: Record<string, string> }).data ?? {};
    const value = data[key];
    return value === undefined ? undefined : Buffer.from(value, "base64").toString("utf8");
  }
}
