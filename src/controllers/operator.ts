// Wires one controller per managed kind into a runtime Manager, all the same way: informers with
// the indexes the reconciler needs, one event predicate, watches that make dependency waits,
// deletion order and ProviderConfig fixes heal by themselves, and the shared ProviderConfig
// resolver, event recorder, output writer and metrics.
import { CoreV1Api } from "@kubernetes/client-node";
import type { ClientFactory } from "../client/factory.ts";
import type { ClusterProviderConfig, ProviderConfig } from "../crds/provider-config.ts";
import type { Controller } from "../runtime/controller.ts";
import { EventRecorder } from "../runtime/events.ts";
import { stripManagedFields } from "../runtime/informer.ts";
import type { Manager } from "../runtime/manager.ts";
import { objectKey, splitKey, type KubeObject } from "../runtime/resource.ts";
import { writeStatus } from "../runtime/status.ts";
import { Priority } from "../runtime/workqueue.ts";
import type { ManagedKind, ManagedObject } from "./generic/actuator.ts";
import { ResourceMetrics } from "./generic/metrics.ts";
import { ManagedReconciler, type ReconcilerTiming } from "./generic/reconciler.ts";
import { actuators, MANAGED_KINDS } from "./kinds/index.ts";
import {
  InformerCache,
  KubeObjectWriter,
  KubeSecretReader,
  PROVIDER_CONFIG_INDEX,
  providerConfigIndex,
  RecorderEventSink,
  REFS_INDEX,
  refsIndex,
  type ManagedInformers,
} from "./kube/adapters.ts";
import { KubeOutputWriter } from "./kube/outputs.ts";
import { resourceType } from "./kube/resources.ts";
import { ProviderConfigResolver, type AnyConfig } from "./provider/resolver.ts";
import { configStatusKey, ProviderConfigStatusReconciler } from "./provider/status.ts";

export interface OperatorOptions {
  manager: Manager;
  factory: ClientFactory;
  /** This installation's ID, in every ownership tag (kube/installation.ts); read at each reconcile. */
  installation: string | (() => string);
  /** Parallel reconciles per kind. */
  concurrency?: number | undefined;
  timing?: Partial<ReconcilerTiming> | undefined;
  endpointDomain?: string | undefined;
}

export interface Operator {
  reconcilers: Record<ManagedKind, ManagedReconciler>;
  resolver: ProviderConfigResolver;
  events: EventRecorder;
}

export function registerOperator(opts: OperatorOptions): Operator {
  const { manager } = opts;
  const informers = Object.fromEntries(
    MANAGED_KINDS.map((kind) => [
      kind,
      manager.informer(resourceType(kind), {
        indexers: { [REFS_INDEX]: refsIndex(kind), [PROVIDER_CONFIG_INDEX]: providerConfigIndex },
        // Nothing here reads managedFields, more than half of each cached object (10,000 objects).
        transform: stripManagedFields,
      }),
    ]),
  ) as ManagedInformers;
  const providerConfigs = manager.informer(resourceType("ProviderConfig"));
  const clusterProviderConfigs = manager.informer(resourceType("ClusterProviderConfig"), {
    namespaces: undefined,
  });

  const events = new EventRecorder({
    client: manager.client,
    reportingController: "clouddigit.ai/operator",
    reportingInstance: manager.identity,
    logger: manager.logger,
  });
  const secrets = new KubeSecretReader(manager.client);
  const resolver = new ProviderConfigResolver({
    configs: {
      namespaced: (namespace, name) =>
        providerConfigs.get(`${namespace}/${name}`) as unknown as ProviderConfig | undefined,
      cluster: (name) => clusterProviderConfigs.get(name) as unknown as ClusterProviderConfig | undefined,
    },
    secrets,
    factory: opts.factory,
    tokenRequests: manager.client.kubeConfig.makeApiClient(CoreV1Api),
    ...(opts.endpointDomain ? { endpointDomain: opts.endpointDomain } : {}),
  });
  const cache = new InformerCache(informers);
  const writer = new KubeObjectWriter(manager.client);
  const sink = new RecorderEventSink(events);
  const outputs = new KubeOutputWriter(manager.client);
  const metrics = new ResourceMetrics(manager.registry);

  // A 401 that stalls an object prompts a check of its config now (else up to 10 min away). The
  // check repeats every 30 s while it fails; the status write that reports the fix wakes the
  // objects using the config, so a fixed Secret (API token or S3 keys) heals them without a
  // Secret watch.
  const configControllers = new Map<AnyConfig["kind"], Controller>();
  const recheckConfigOf = (object: ManagedObject): void => {
    const found = resolver.find(object);
    if (!found) return;
    // Already reported failing: its periodic re-check runs; one check per stalled object would
    // cost a cloud call each.
    const failing = found.config.status?.conditions?.some(
      (c) => (c.type === "Ready" || c.type === "S3Ready") && c.status === "False",
    );
    if (failing) return;
    configControllers.get(found.kind)?.enqueue(objectKey(found.config));
  };

  const reconcilers = {} as Record<ManagedKind, ManagedReconciler>;
  for (const kind of MANAGED_KINDS) {
    const reconciler = new ManagedReconciler({
      actuator: actuators[kind],
      installation: opts.installation,
      cache,
      writer,
      events: sink,
      providers: resolver,
      secrets,
      outputs,
      metrics,
      onCredentialsRejected: recheckConfigOf,
      // A resource the cloud finished working on (or a resync check that found a change): its
      // object goes ahead of everything else, new objects (High) included. Otherwise, while a
      // backlog of new objects waits on the API budget, finished resources would wait behind it
      // (at 5,000 objects for minutes) and their list copies would expire unused.
      wake: (key) => controller.enqueue(key, Priority.Urgent),
      timing: opts.timing,
    });
    reconcilers[kind] = reconciler;
    const controller: Controller = manager.addController({
      name: kind.toLowerCase(),
      kind,
      concurrency: opts.concurrency ?? 2,
      reconcile: async (key, ctx) => {
        const { namespace, name } = splitKey(key);
        return reconciler.reconcile(namespace ?? "", name, ctx.signal, ctx.logger);
      },
    });
    controller.for(informers[kind], { predicate: needsReconcile });
    for (const other of MANAGED_KINDS) {
      controller.watches(informers[other], (obj) => relatedKeys(informers, kind, other, obj));
    }
    const byConfig = (value: string) => informers[kind].byIndex(PROVIDER_CONFIG_INDEX, value).map(objectKey);
    controller.watches(providerConfigs, (pc) =>
      byConfig(`${pc.metadata.namespace ?? ""}/${pc.metadata.name ?? ""}`),
    );
    controller.watches(clusterProviderConfigs, (cpc) => byConfig(`*/${cpc.metadata.name ?? ""}`));
  }
  const configStatus = new ProviderConfigStatusReconciler({
    resolver,
    deleting: (found) =>
      MANAGED_KINDS.flatMap((kind) =>
        informers[kind]
          .list()
          .filter(
            (o) =>
              o.metadata.deletionTimestamp !== undefined &&
              resolver.find(o as unknown as ManagedObject)?.config.metadata.uid === found.config.metadata.uid,
          )
          .map((o) => ({ kind, object: o as unknown as ManagedObject })),
      ),
    write: async (found, status) => {
      await writeStatus(
        manager.client,
        resourceType(found.kind),
        found.config as unknown as KubeObject,
        status as unknown as Record<string, unknown>,
      );
    },
  });
  for (const [kind, informer] of [
    ["ProviderConfig", providerConfigs],
    ["ClusterProviderConfig", clusterProviderConfigs],
  ] as const) {
    const controller = manager.addController({
      name: kind.toLowerCase(),
      kind,
      reconcile: async (key) => {
        const config = informer.get(key);
        if (!config) return undefined;
        return configStatus.reconcile({ kind, config } as unknown as AnyConfig);
      },
    });
    configControllers.set(kind, controller);
    controller.for(informer, { predicate: needsReconcile });
    // An object being deleted changed (or went): its config's DeletionsStalled may change.
    for (const managed of MANAGED_KINDS) {
      controller.watches(informers[managed], (obj) => {
        if (!obj.metadata.deletionTimestamp) return [];
        const found = resolver.find(obj as unknown as ManagedObject);
        if (found?.kind !== kind) return [];
        configStatus.noteDeletionChange(configStatusKey(found));
        return [objectKey(found.config)];
      });
    }
  }
  return { reconcilers, resolver, events };
}

/**
 * Keys of `kind` objects to reconcile when an `other` object changes: those that reference it
 * (a dependency became Ready) and those it references (a child went away, so a parent's deletion
 * may proceed; a VM attached a Volume, so the Volume's status changes).
 */
function relatedKeys(
  informers: ManagedInformers,
  kind: ManagedKind,
  other: ManagedKind,
  obj: KubeObject,
): string[] {
  const namespace = obj.metadata.namespace ?? "";
  const referencing = informers[kind]
    .byIndex(REFS_INDEX, `${namespace}/${other}/${obj.metadata.name ?? ""}`)
    .map(objectKey);
  const referenced = actuators[other]
    .dependencies(obj as unknown as ManagedObject)
    .filter((d) => d.kind === kind)
    .map((d) => `${namespace}/${d.name}`);
  return [...referencing, ...referenced];
}

/**
 * The one event predicate: status-only updates (our own writes) need no reconcile; spec,
 * deletion, annotations, finalizers and labels do.
 */
function needsReconcile({
  type,
  obj,
  old,
}: {
  type: string;
  obj: KubeObject;
  old?: KubeObject | undefined;
}): boolean {
  if (type !== "update" || !old) return true;
  const a = old.metadata;
  const b = obj.metadata;
  return (
    a.generation !== b.generation ||
    a.deletionTimestamp !== b.deletionTimestamp ||
    JSON.stringify(a.annotations ?? {}) !== JSON.stringify(b.annotations ?? {}) ||
    JSON.stringify(a.finalizers ?? []) !== JSON.stringify(b.finalizers ?? []) ||
    JSON.stringify(a.labels ?? {}) !== JSON.stringify(b.labels ?? {})
  );
}
