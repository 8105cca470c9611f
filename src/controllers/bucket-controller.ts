// Wires the Bucket reconciler into a runtime Manager: the Bucket informer (indexed by the provider
// config each object names), watches on ProviderConfigs so a fixed config heals its Buckets, and
// the Kubernetes-side ports (status, metadata, events, outputs).
import type { ClientFactory } from "../client/factory.ts";
import { EventRecorder } from "../runtime/events.ts";
import type { KubeClient } from "../runtime/kube-client.ts";
import type { Manager } from "../runtime/manager.ts";
import { objectKey, splitKey, type KubeObject, type ResourceType } from "../runtime/resource.ts";
import { writeStatus } from "../runtime/status.ts";
import type { ManagedObject, ManagedStatus } from "./actuator.ts";
import { KubeOutputWriter } from "./bucket-outputs.ts";
import { S3ProviderResolver, type FoundConfig } from "./bucket-provider.ts";
import {
  BucketReconciler,
  type BucketEventSink,
  type BucketMetrics,
  type BucketObject,
  type BucketObjectWriter,
} from "./bucket-reconciler.ts";
import {
  KubeSecretReader,
  PROVIDER_CONFIG_INDEX,
  providerConfigIndex,
  resourceType,
} from "./kube-adapters.ts";
import type { EventType, MetadataPatch } from "./ports.ts";
import type { ReconcilerTiming } from "./reconciler.ts";

export const BUCKET_RESOURCE: ResourceType = resourceType("Bucket");

export interface BucketControllerOptions {
  manager: Manager;
  /** The config an object names: ProviderConfigResolver.find of the REST side, shared. */
  findConfig: (object: ManagedObject) => FoundConfig | undefined;
  /** For the S3 client metrics (clouddigit_api_requests_total{service="s3"}). */
  factory?: Pick<ClientFactory, "metrics"> | undefined;
  /** Shared with the other controllers, so repeated events aggregate in one place. */
  events?: EventRecorder | undefined;
  /** The operator's ResourceMetrics, so Buckets appear in the per-kind resource metrics. */
  metrics?: BucketMetrics | undefined;
  concurrency?: number | undefined;
  timing?: Partial<ReconcilerTiming> | undefined;
  endpointDomain?: string | undefined;
}

export interface BucketController {
  reconciler: BucketReconciler;
  providers: S3ProviderResolver;
}

export function registerBucketController(opts: BucketControllerOptions): BucketController {
  const { manager } = opts;
  const buckets = manager.informer(BUCKET_RESOURCE, {
    indexers: { [PROVIDER_CONFIG_INDEX]: providerConfigIndex },
  });
  const providerConfigs = manager.informer(resourceType("ProviderConfig"));
  const clusterProviderConfigs = manager.informer(resourceType("ClusterProviderConfig"), {
    namespaces: undefined,
  });
  const events =
    opts.events ??
    new EventRecorder({
      client: manager.client,
      reportingController: "clouddigit.ai/operator",
      reportingInstance: manager.identity,
      logger: manager.logger,
    });
  const providers = new S3ProviderResolver({
    find: opts.findConfig,
    secrets: new KubeSecretReader(manager.client),
    metrics: opts.factory?.metrics,
    logger: manager.logger.child({ component: "s3" }),
    endpointDomain: opts.endpointDomain,
  });
  const reconciler = new BucketReconciler({
    cache: {
      get: (namespace, name) => buckets.get(`${namespace}/${name}`) as unknown as BucketObject | undefined,
      expectOwnWrite: (key, before, written) => buckets.expectOwnWrite(key, before, written),
    },
    writer: new KubeBucketWriter(manager.client),
    events: new RecorderBucketEvents(events),
    providers,
    outputs: new KubeOutputWriter(manager.client),
    metrics: opts.metrics,
    timing: opts.timing,
  });
  const controller = manager.addController({
    name: "bucket",
    kind: "Bucket",
    concurrency: opts.concurrency ?? 2,
    reconcile: async (key, ctx) => {
      const { namespace, name } = splitKey(key);
      return reconciler.reconcile(namespace ?? "", name, ctx.signal);
    },
  });
  controller.for(buckets, {
    predicate: ({ type, obj, old }) => type !== "update" || !old || specOrLifecycleChanged(old, obj),
  });
  const byConfig = (value: string) => buckets.byIndex(PROVIDER_CONFIG_INDEX, value).map(objectKey);
  controller.watches(providerConfigs, (pc) =>
    byConfig(`${pc.metadata.namespace ?? ""}/${pc.metadata.name ?? ""}`),
  );
  controller.watches(clusterProviderConfigs, (cpc) => byConfig(`*/${cpc.metadata.name ?? ""}`));
  return { reconciler, providers };
}

class KubeBucketWriter implements BucketObjectWriter {
  constructor(private readonly client: KubeClient) {}

  async writeStatus(object: BucketObject, status: ManagedStatus): Promise<BucketObject> {
    const result = await writeStatus(
      this.client,
      BUCKET_RESOURCE,
      object as unknown as KubeObject,
      status as unknown as Record<string, unknown>,
    );
    return result.object as unknown as BucketObject;
  }

  async patchMetadata(object: BucketObject, patch: MetadataPatch): Promise<BucketObject> {
    const metadata: Record<string, unknown> = {};
    // A finalizer list is replaced whole, so it is guarded against concurrent writers.
    if (patch.finalizers) {
      metadata.finalizers = patch.finalizers;
      metadata.resourceVersion = object.metadata.resourceVersion;
    }
    if (patch.annotations) metadata.annotations = patch.annotations;
    return (await this.client.patch(
      BUCKET_RESOURCE,
      object.metadata.namespace,
      object.metadata.name ?? "",
      { metadata },
      "merge",
    )) as unknown as BucketObject;
  }
}

class RecorderBucketEvents implements BucketEventSink {
  constructor(private readonly recorder: EventRecorder) {}

  record(object: BucketObject, type: EventType, reason: string, message: string): void {
    this.recorder.record({
      regarding: object as unknown as KubeObject,
      resource: BUCKET_RESOURCE,
      type,
      reason,
      action: "Reconcile",
      note: message,
    });
  }
}

/** Status-only updates (our own writes) need no reconcile; spec, deletion and annotations do. */
function specOrLifecycleChanged(old: KubeObject, obj: KubeObject): boolean {
  const a = old.metadata;
  const b = obj.metadata;
  return (
    a.generation !== b.generation ||
    a.deletionTimestamp !== b.deletionTimestamp ||
    JSON.stringify(a.annotations ?? {}) !== JSON.stringify(b.annotations ?? {}) ||
    JSON.stringify(a.finalizers ?? []) !== JSON.stringify(b.finalizers ?? [])
  );
}
