// Each lifecycle rule of the generic reconciler, once, against a fake actuator (testing/
// fake-actuator.ts): what the rule does is the reconciler's, not any real kind's. The REST kinds and
// Bucket are tested through the same rules in reconciler.test.ts and kinds/bucket/bucket.test.ts.
import { Registry } from "prom-client";
import { describe, expect, it } from "vitest";
import { CloudDigitError } from "../../client/errors.ts";
import { PAUSED_ANNOTATION } from "../../crds/common.ts";
import {
  TEST_INSTALLATION,
  WidgetProviders,
  WidgetStore,
  widgetActuator,
  type Widget,
} from "../testing/fake-actuator.ts";
import { FakeKube } from "../testing/fake-kube.ts";
import type { ManagedKind } from "./actuator.ts";
import { MAX_WRITES_PER_GENERATION } from "./convergence.ts";
import { CREATE_PENDING_ANNOTATION, FINALIZER } from "./finalizer.ts";
import { ResourceMetrics } from "./metrics.ts";
import { INSTALLATION_TAG, OWNER_TAG, ownershipTags, TAKEOVER_ANNOTATION } from "./ownership.ts";
import { ManagedReconciler } from "./reconciler.ts";
import { DEFAULT_TIMING } from "./timing.ts";

/** The rules under a kind named by the cloud (VPC) or by us (Bucket); the names only label objects. */
const BY_CLOUD: ManagedKind = "VPC";
const BY_US: ManagedKind = "Bucket";

class World {
  readonly kube = new FakeKube();
  readonly providers: WidgetProviders;
  readonly registry = new Registry();
  readonly credentialsRejected: string[] = [];
  nowMs = 1_800_000_000_000;
  readonly reconciler: ManagedReconciler;

  constructor(
    readonly kind: ManagedKind = BY_CLOUD,
    /** Another installation (a second cluster) may share this world's cloud. */
    opts: { installation?: string; store?: WidgetStore } = {},
    readonly store = opts.store ?? new WidgetStore(),
  ) {
    this.providers = new WidgetProviders(this.store);
    this.reconciler = new ManagedReconciler({
      installation: opts.installation ?? TEST_INSTALLATION,
      actuator: widgetActuator(kind, kind === BY_US ? "us" : "cloud"),
      cache: this.kube,
      writer: this.kube,
      events: this.kube,
      providers: this.providers,
      secrets: this.kube,
      metrics: new ResourceMetrics(this.registry),
      onCredentialsRejected: (o) => this.credentialsRejected.push(o.metadata.name ?? ""),
      now: () => this.nowMs,
      random: () => 0.5,
    });
  }

  apply(name: string, spec: Record<string, unknown> = {}): void {
    this.kube.apply(this.kind, name, { size: 1, ...spec });
  }

  /** One reconcile, after time enough that no earlier outcome is reused. */
  async reconcile(name = "w"): Promise<void> {
    this.nowMs += 60 * 60_000;
    await this.reconciler.reconcile("default", name);
  }

  /** Reconciles, letting widgets finish their work in between. */
  async converge(name = "w", rounds = 3): Promise<void> {
    for (let i = 0; i < rounds; i++) {
      await this.reconcile(name);
      for (const w of this.store.widgets.values()) if (w.state === "working") w.state = "ready";
    }
  }

  ready(name = "w") {
    return this.kube.condition(this.kind, name, "Ready");
  }

  status(name = "w") {
    return this.kube.object(this.kind, name)?.status;
  }

  annotations(name = "w") {
    return this.kube.object(this.kind, name)?.metadata.annotations ?? {};
  }

  widget(name = "w"): Widget | undefined {
    const id = this.status(name)?.id;
    return id ? this.store.widgets.get(id) : undefined;
  }

  events(reason: string): string[] {
    return this.kube.events.filter((e) => e.reason === reason).map((e) => e.message);
  }

  async metric(name: string): Promise<number> {
    const values = (await this.registry.getSingleMetric(name)?.get())?.values ?? [];
    return values.filter((v) => v.labels.kind === this.kind).reduce((sum, v) => sum + v.value, 0);
  }
}

async function readyWidget(world: World, name = "w"): Promise<Widget> {
  world.apply(name);
  await world.converge(name);
  expect(world.ready(name)).toMatchObject({ status: "True", reason: "Available" });
  const widget = world.widget(name);
  if (!widget) throw new Error("no widget");
  return widget;
}

describe("pause", () => {
  it("makes no cloud call and says how to resume; removing the annotation resumes", async () => {
    const world = new World();
    world.apply("w");
    world.kube.annotate(BY_CLOUD, "w", { [PAUSED_ANNOTATION]: "true" });
    await world.reconcile();
    expect(world.store.calls).toEqual([]);
    expect(world.kube.condition(BY_CLOUD, "w", "Synced")).toMatchObject({
      status: "False",
      reason: "ReconcilePaused",
    });
    world.kube.annotate(BY_CLOUD, "w", { [PAUSED_ANNOTATION]: null });
    await world.converge();
    expect(world.ready()?.status).toBe("True");
  });

  it("is hands-off in status: generation observed, no Ready before any create, no Reconciling or Stalled", async () => {
    const world = new World();
    world.apply("w");
    world.kube.annotate(BY_CLOUD, "w", { [PAUSED_ANNOTATION]: "true" });
    await world.reconcile();
    const status = world.status();
    expect(status?.observedGeneration).toBe(world.kube.object(BY_CLOUD, "w")?.metadata.generation);
    expect(world.ready()).toBeUndefined();
    expect(world.kube.condition(BY_CLOUD, "w", "Synced")).toMatchObject({
      status: "False",
      reason: "ReconcilePaused",
    });
    for (const type of ["Reconciling", "Stalled"])
      expect(world.kube.condition(BY_CLOUD, "w", type)?.status).toBe("False");
  });

  it("keeps the last Ready, and a spec changed while paused is applied as a change, not as drift", async () => {
    const world = new World();
    await readyWidget(world);
    world.kube.annotate(BY_CLOUD, "w", { [PAUSED_ANNOTATION]: "true" });
    world.apply("w", { size: 4 });
    await world.reconcile();
    expect(world.ready()).toMatchObject({ status: "True", reason: "Available" });
    expect(world.status()?.observedGeneration).toBe(world.kube.object(BY_CLOUD, "w")?.metadata.generation);
    world.kube.annotate(BY_CLOUD, "w", { [PAUSED_ANNOTATION]: null });
    await world.converge();
    expect(world.widget()?.size).toBe(4);
    expect(world.events("DriftDetected")).toEqual([]);
  });

  it.each(["TRUE", "True", " true "])("reads %j as paused", async (value) => {
    const world = new World();
    world.apply("w");
    world.kube.annotate(BY_CLOUD, "w", { [PAUSED_ANNOTATION]: value });
    await world.reconcile();
    expect(world.store.calls).toEqual([]);
    expect(world.kube.condition(BY_CLOUD, "w", "Synced")?.reason).toBe("ReconcilePaused");
  });

  it.each(["false", "FALSE", ""])("reads %j as not paused", async (value) => {
    const world = new World();
    world.apply("w");
    world.kube.annotate(BY_CLOUD, "w", { [PAUSED_ANNOTATION]: value });
    await world.converge();
    expect(world.ready()?.status).toBe("True");
  });

  it("pauses on a value it does not understand, and says which", async () => {
    const world = new World();
    world.apply("w");
    world.kube.annotate(BY_CLOUD, "w", { [PAUSED_ANNOTATION]: "yes please" });
    await world.reconcile();
    expect(world.store.calls).toEqual([]);
    const synced = world.kube.condition(BY_CLOUD, "w", "Synced");
    expect(synced?.reason).toBe("ReconcilePaused");
    expect(synced?.message).toContain('"yes please", which is neither "true" nor "false"');
    expect(world.kube.events.find((e) => e.reason === "ReconcilePaused")?.type).toBe("Warning");
  });

  it("holds a deletion: nothing is deleted while paused", async () => {
    const world = new World();
    await readyWidget(world);
    world.kube.annotate(BY_CLOUD, "w", { [PAUSED_ANNOTATION]: "true" });
    world.kube.delete(BY_CLOUD, "w");
    await world.reconcile();
    expect(world.store.count("remove")).toBe(0);
    expect(world.kube.object(BY_CLOUD, "w")?.metadata.finalizers).toEqual([FINALIZER]);
  });
});

describe("management and deletion policies", () => {
  it("ObserveOnly reads the imported widget, never writes it, and keeps it on deletion", async () => {
    const world = new World();
    world.store.add({ id: "w-theirs", size: 5 });
    world.apply("w", { managementPolicy: "ObserveOnly", importID: "w-theirs", size: 9 });
    await world.reconcile();
    expect(world.ready()).toMatchObject({ status: "True" });
    expect(world.status()?.atProvider).toEqual({ size: 5 });
    expect(world.store.count("update") + world.store.count("create")).toBe(0);
    expect(world.kube.object(BY_CLOUD, "w")?.metadata.finalizers ?? []).toEqual([]);
    world.kube.delete(BY_CLOUD, "w");
    await world.reconcile();
    expect(world.kube.object(BY_CLOUD, "w")).toBeUndefined();
    expect(world.store.widgets.has("w-theirs")).toBe(true);
  });

  it("ObserveOnly without importID stalls with what to set", async () => {
    const world = new World();
    world.apply("w", { managementPolicy: "ObserveOnly" });
    await world.reconcile();
    expect(world.kube.condition(BY_CLOUD, "w", "Stalled")).toMatchObject({
      status: "True",
      reason: "NotFound",
    });
    expect(world.ready()?.message).toContain("spec.importID");
    expect(world.store.count("create")).toBe(0);
  });

  it("Orphan drops the finalizer and keeps the widget, saying so in an event", async () => {
    const world = new World();
    const widget = await readyWidget(world);
    world.apply("w", { deletionPolicy: "Orphan" });
    await world.reconcile();
    world.kube.delete(BY_CLOUD, "w");
    await world.reconcile();
    expect(world.kube.object(BY_CLOUD, "w")).toBeUndefined();
    expect(world.store.widgets.has(widget.id)).toBe(true);
    expect(world.store.count("remove")).toBe(0);
    expect(world.events("Orphaned")).toEqual([expect.stringContaining(`widget ${widget.id}`)]);
  });
});

describe("import", () => {
  it("takes over the widget spec.importID names and brings it to the spec", async () => {
    const world = new World();
    world.store.add({ id: "w-old", size: 2 });
    world.apply("w", { importID: "w-old", size: 3 });
    await world.converge();
    expect(world.status()?.id).toBe("w-old");
    expect(world.store.widgets.get("w-old")?.size).toBe(3);
    expect(world.store.count("create")).toBe(0);
    expect(world.events("Imported")).toEqual(["imported widget w-old"]);
    expect(world.ready()?.status).toBe("True");
  });

  it("refuses a widget another live object manages: two managers would fight", async () => {
    const world = new World();
    const widget = await readyWidget(world, "first");
    world.apply("second", { importID: widget.id, size: 7 });
    await world.reconcile("second");
    expect(world.kube.condition(BY_CLOUD, "second", "Stalled")).toMatchObject({
      status: "True",
      reason: "AlreadyManaged",
    });
    expect(world.ready("second")?.message).toContain("default/first");
    expect(world.store.widgets.get(widget.id)?.size).toBe(1);
  });

  it("a missing import stalls with ImportNotFound and creates nothing", async () => {
    const world = new World();
    world.apply("w", { importID: "w-nowhere" });
    await world.reconcile();
    expect(world.ready()).toMatchObject({ status: "False", reason: "ImportNotFound" });
    expect(world.store.count("create")).toBe(0);
  });
});

describe("adoption after a crash", () => {
  it("named by the cloud: a create-pending mark finds the earlier widget by ownership tags, no second create", async () => {
    const world = new World(BY_CLOUD);
    world.apply("w");
    const object = world.kube.object(BY_CLOUD, "w");
    if (!object) throw new Error("no object");
    // The earlier process created the widget and crashed before recording its ID.
    world.store.add({ id: "w-earlier", tags: ownershipTags(object, BY_CLOUD, TEST_INSTALLATION) });
    world.kube.annotate(BY_CLOUD, "w", { [CREATE_PENDING_ANNOTATION]: "2026-01-01T00:00:00Z" });
    await world.converge();
    expect(world.status()?.id).toBe("w-earlier");
    expect(world.store.count("create")).toBe(0);
    expect(world.store.count("find")).toBe(1);
    expect(world.events("Adopted")).toHaveLength(1);
    expect(world.annotations()[CREATE_PENDING_ANNOTATION]).toBeUndefined();
  });

  it("named by the cloud: without the mark fresh objects share one identity list, no per-object search", async () => {
    const world = new World(BY_CLOUD);
    for (const name of ["a", "b", "c"]) world.apply(name);
    for (const name of ["a", "b", "c"]) await world.reconciler.reconcile("default", name);
    expect(world.store.count("find")).toBe(0);
    expect(world.store.count("list")).toBe(1);
    expect(world.store.count("create")).toBe(3);
  });

  it("named by us: an untagged widget of that name is ours only while create-pending", async () => {
    const world = new World(BY_US);
    world.apply("w");
    world.store.add({ id: "widget-w" });
    world.kube.annotate(BY_US, "w", { [CREATE_PENDING_ANNOTATION]: "2026-01-01T00:00:00Z" });
    await world.converge();
    expect(world.status()?.id).toBe("widget-w");
    expect(world.events("Adopted")).toHaveLength(1);

    const other = new World(BY_US);
    other.apply("w");
    other.store.add({ id: "widget-w" });
    await other.reconcile();
    expect(other.kube.condition(BY_US, "w", "Stalled")).toMatchObject({
      status: "True",
      reason: "BucketOwnedElsewhere",
    });
    expect(other.ready()?.message).toContain("choose another metadata.name");
    expect(other.annotations()[CREATE_PENDING_ANNOTATION]).toBeUndefined();
  });

  it("named by us: a widget tagged for another object is never written, and kept on deletion", async () => {
    const world = new World(BY_US);
    world.store.add({ id: "widget-w", size: 4, tags: { [OWNER_TAG]: "someone-else" } });
    world.apply("w", { size: 8 });
    await world.reconcile();
    expect(world.ready()?.reason).toBe("BucketOwnedElsewhere");
    expect(world.store.count("update")).toBe(0);
    world.kube.delete(BY_US, "w");
    await world.reconcile();
    expect(world.store.widgets.has("widget-w")).toBe(true);
    expect(world.store.count("remove")).toBe(0);
  });
});

describe("drift and convergence", () => {
  it("corrects a widget changed outside Kubernetes, with an event and the drift metric", async () => {
    const world = new World();
    const widget = await readyWidget(world);
    world.store.widgets.set(widget.id, { ...widget, size: 42 });
    await world.converge();
    expect(world.store.widgets.get(widget.id)?.size).toBe(1);
    expect(world.events("DriftDetected")).toEqual([expect.stringContaining("size")]);
    expect(await world.metric("clouddigit_drift_corrections_total")).toBe(1);
    expect(world.ready()?.status).toBe("True");
  });

  it("a spec change is an update, not drift", async () => {
    const world = new World();
    const widget = await readyWidget(world);
    world.apply("w", { size: 2 });
    await world.converge();
    expect(world.store.widgets.get(widget.id)?.size).toBe(2);
    expect(world.events("DriftDetected")).toEqual([]);
    expect(world.events("Updated")).toEqual([`updating size of widget ${widget.id}`]);
  });

  it(`stops writing a field the cloud drops after ${MAX_WRITES_PER_GENERATION} writes, until the spec changes`, async () => {
    const world = new World();
    await readyWidget(world);
    world.store.ignoresSize = true;
    world.apply("w", { size: 2 });
    for (let i = 0; i < MAX_WRITES_PER_GENERATION + 3; i++) await world.reconcile();
    expect(world.store.count("update")).toBe(MAX_WRITES_PER_GENERATION);
    expect(world.kube.condition(BY_CLOUD, "w", "Stalled")).toMatchObject({
      status: "True",
      reason: "NotConverging",
    });
    expect(world.ready()?.message).toContain("size was written 3 times");
    world.apply("w", { size: 3 });
    await world.reconcile();
    expect(world.store.count("update")).toBe(MAX_WRITES_PER_GENERATION + 1);
  });
});

describe("deletion", () => {
  it("deletes the widget and drops the finalizer; deletionPolicy Delete is the default", async () => {
    const world = new World();
    const widget = await readyWidget(world);
    world.kube.delete(BY_CLOUD, "w");
    await world.reconcile();
    expect(world.store.widgets.has(widget.id)).toBe(false);
    expect(world.kube.object(BY_CLOUD, "w")).toBeUndefined();
    expect(world.events("Deleted")).toEqual([`deleted widget ${widget.id}`]);
  });

  it("requested: polls until the widget is gone, DeleteRequested once", async () => {
    const world = new World();
    const widget = await readyWidget(world);
    world.store.removeResults.push("requested", "requested");
    world.kube.delete(BY_CLOUD, "w");
    await world.reconcile();
    await world.reconcile();
    expect(world.ready()).toMatchObject({ status: "False", reason: "Deleting" });
    // While the cloud shows it deleting, the reconciler only waits.
    expect(world.store.count("remove")).toBe(1);
    // The cloud does not show the deletion yet: asked again, but the user hears of it once.
    const shown = world.store.widgets.get(widget.id);
    if (shown) shown.state = "ready";
    await world.reconcile();
    expect(world.store.count("remove")).toBe(2);
    expect(world.events("DeleteRequested")).toHaveLength(1);
    world.store.widgets.delete(widget.id);
    await world.reconcile();
    expect(world.kube.object(BY_CLOUD, "w")).toBeUndefined();
  });

  it("progress: calls remove again, reporting the step", async () => {
    const world = new World();
    await readyWidget(world);
    world.store.removeResults.push({ progress: "detaching the widget" });
    world.kube.delete(BY_CLOUD, "w");
    await world.reconcile();
    expect(world.ready()).toMatchObject({ reason: "Deleting", message: "detaching the widget" });
    await world.reconcile();
    expect(world.store.count("remove")).toBe(2);
    expect(world.kube.object(BY_CLOUD, "w")).toBeUndefined();
  });

  it("blocked: waits with the actuator's reason, rechecking sooner at first then backing off", async () => {
    const world = new World();
    await readyWidget(world);
    const blocked = {
      blocked: { reason: "WidgetBusy", message: "the widget is busy", recheck: "backoff" as const },
    };
    world.store.removeResults.push(blocked, blocked, blocked);
    world.kube.delete(BY_CLOUD, "w");
    const waits: number[] = [];
    for (let i = 0; i < 3; i++) {
      world.nowMs += 60 * 60_000;
      const requeue = await world.reconciler.reconcile("default", "w");
      waits.push(requeue && "requeueAfterMs" in requeue ? (requeue.requeueAfterMs ?? -1) : -1);
    }
    expect(world.ready()).toMatchObject({ reason: "WidgetBusy", message: "the widget is busy" });
    expect(waits[0]).toBeGreaterThan(0);
    expect(waits[1]).toBeGreaterThan(waits[0] ?? 0);
    expect(waits[2]).toBeGreaterThan(waits[1] ?? 0);
    await world.reconcile();
    expect(world.kube.object(BY_CLOUD, "w")).toBeUndefined();
  });

  it("a cloud conflict on delete waits as DeletionBlocked rather than failing", async () => {
    const world = new World();
    await readyWidget(world);
    world.store.failNext.set("remove", "conflict");
    world.kube.delete(BY_CLOUD, "w");
    await world.reconcile();
    expect(world.ready()).toMatchObject({ reason: "DeletionBlocked" });
    expect(world.kube.object(BY_CLOUD, "w")?.metadata.finalizers).toEqual([FINALIZER]);
  });

  it("a widget deleted outside Kubernetes is not an error: the finalizer goes", async () => {
    const world = new World();
    const widget = await readyWidget(world);
    world.store.widgets.delete(widget.id);
    world.kube.delete(BY_CLOUD, "w");
    await world.reconcile();
    expect(world.kube.object(BY_CLOUD, "w")).toBeUndefined();
    expect(world.store.count("remove")).toBe(0);
  });

  it("an object that never created anything goes without a ProviderConfig", async () => {
    const world = new World();
    world.providers.broken = "no such ProviderConfig";
    world.apply("w");
    await world.reconcile();
    world.kube.delete(BY_CLOUD, "w");
    await world.reconcile();
    expect(world.kube.object(BY_CLOUD, "w")).toBeUndefined();
  });

  it("a widget that exists waits for its ProviderConfig, naming the way out", async () => {
    const world = new World();
    await readyWidget(world);
    world.providers.broken = "the Secret cd-token is missing";
    world.kube.delete(BY_CLOUD, "w");
    await world.reconcile();
    expect(world.ready()).toMatchObject({ reason: "ProviderConfigNotReady" });
    expect(world.ready()?.message).toContain("deletionPolicy: Orphan");
    expect(world.kube.object(BY_CLOUD, "w")?.metadata.finalizers).toEqual([FINALIZER]);
  });
});

describe("credentials and connection", () => {
  it("a 401 stalls the object and asks the operator to re-check its ProviderConfig", async () => {
    const world = new World();
    world.apply("w");
    world.store.failNext.set("create", "unauthenticated");
    await world.reconcile();
    expect(world.kube.condition(BY_CLOUD, "w", "Stalled")).toMatchObject({
      status: "True",
      reason: "Unauthenticated",
    });
    expect(world.credentialsRejected).toEqual(["w"]);
  });

  it("a 403 stalls without a ProviderConfig re-check (the credentials work; the right is missing)", async () => {
    const world = new World();
    world.apply("w");
    world.store.failNext.set("create", "forbidden");
    await world.reconcile();
    expect(world.ready()?.reason).toBe("Forbidden");
    expect(world.credentialsRejected).toEqual([]);
  });

  it("connect refusing (NotConnected) waits on the ProviderConfig with the actuator's words", async () => {
    const world = new World();
    world.apply("w");
    world.store.notConnected = "the ProviderConfig has no S3 credentials";
    await world.reconcile();
    expect(world.ready()).toMatchObject({
      reason: "ProviderConfigNotReady",
      message: "the ProviderConfig has no S3 credentials",
    });
    expect(world.store.calls).toEqual([]);
  });
});

describe("inputs that would wedge a reconcile", () => {
  function nested(levels: number): unknown {
    let value: unknown = "leaf";
    for (let i = 0; i < levels; i++) value = { x: value };
    return value;
  }

  it("a spec nested thousands of levels deep stalls naming the field, with no cloud call, and still deletes", async () => {
    const world = new World();
    await readyWidget(world);
    const calls = world.store.calls.length;
    world.apply("w", { policy: nested(5_000) });
    await world.reconcile();
    expect(world.kube.condition(BY_CLOUD, "w", "Stalled")).toMatchObject({
      status: "True",
      reason: "InvalidSpec",
    });
    expect(world.ready()?.message).toContain("spec.policy.x.x");
    expect(world.ready()?.message).toContain("nested more than 32 levels deep");
    expect(world.store.calls.length).toBe(calls);
    world.kube.delete(BY_CLOUD, "w");
    await world.converge();
    expect(world.kube.object(BY_CLOUD, "w")).toBeUndefined();
    expect(world.store.count("remove")).toBe(1);
  });

  it("a reconcile that fails outside the expected paths still ends in a condition", async () => {
    const world = new World();
    world.apply("w");
    let failed = false;
    world.kube.failStatusWrite = () => !failed && (failed = true);
    await expect(world.reconcile()).rejects.toThrow("etcd timed out");
    expect(world.kube.condition(BY_CLOUD, "w", "Synced")).toMatchObject({
      status: "False",
      reason: "ReconcileError",
    });
    expect(world.kube.condition(BY_CLOUD, "w", "Synced")?.message).toContain("etcd timed out");
  });

  it("an object deleted while its reconcile finishes is no error", async () => {
    const world = new World();
    world.apply("w");
    world.kube.failStatusWrite = () => {
      world.kube.vanish(BY_CLOUD, "w");
      return false;
    };
    await expect(world.reconcile()).resolves.toBeUndefined();
  });
});

describe("terminal and transient errors", () => {
  it("a refused create clears the create-pending mark and stalls: deletion need not look in the cloud", async () => {
    const world = new World();
    world.apply("w");
    world.store.failNext.set("create", "invalid");
    await world.reconcile();
    expect(world.kube.condition(BY_CLOUD, "w", "Stalled")).toMatchObject({
      status: "True",
      reason: "InvalidSpec",
    });
    expect(world.annotations()[CREATE_PENDING_ANNOTATION]).toBeUndefined();
    world.providers.broken = "gone";
    world.kube.delete(BY_CLOUD, "w");
    await world.reconcile();
    expect(world.kube.object(BY_CLOUD, "w")).toBeUndefined();
  });

  it("a collision (name taken, overlapping CIDR, pool empty) stalls with what to do, and is not retried soon", async () => {
    const world = new World();
    world.apply("w");
    world.store.failNext.set("create", "collision");
    world.nowMs += 60 * 60_000;
    const requeue = await world.reconciler.reconcile("default", "w");
    // Terminal: the slow terminal timer (6 h), not the stalled one (15 min) that heals quotas.
    expect(requeue?.requeueAfterMs).toBeGreaterThanOrEqual(DEFAULT_TIMING.terminalRetryMs);
    // Within those hours, a reconcile with unchanged inputs sends no create; a spec change does.
    world.nowMs += DEFAULT_TIMING.stalledRetryMs * 2;
    await world.reconciler.reconcile("default", "w");
    expect(world.store.count("create")).toBe(1);
    expect(world.kube.condition(BY_CLOUD, "w", "Stalled")).toMatchObject({
      status: "True",
      reason: "Collision",
    });
    expect(world.ready()?.message).toContain("change the spec, or remove what it collides with");
    expect(world.kube.condition(BY_CLOUD, "w", "Reconciling")?.status).toBe("False");
    expect(world.annotations()[CREATE_PENDING_ANNOTATION]).toBeUndefined();
    world.apply("w", { size: 2 });
    await world.reconciler.reconcile("default", "w");
    expect(world.store.count("create")).toBe(2);
  });

  it("a create that never reached the cloud clears the mark: deletion needs no cloud lookup", async () => {
    const world = new World();
    world.apply("w");
    const refused = new CloudDigitError({
      kind: "transient",
      code: "ECONNREFUSED",
      message: "connect refused",
    });
    refused.notApplied = true;
    world.store.failNext.set("create", refused);
    await world.reconcile();
    expect(world.kube.condition(BY_CLOUD, "w", "Synced")?.reason).toBe("TransientError");
    expect(world.annotations()[CREATE_PENDING_ANNOTATION]).toBeUndefined();
    world.providers.broken = "the endpoint is unreachable";
    world.kube.delete(BY_CLOUD, "w");
    await world.reconcile();
    expect(world.kube.object(BY_CLOUD, "w")).toBeUndefined();
    expect(world.store.count("find")).toBe(0);
  });

  it("a mark whose removal was lost to an apiserver outage is removed by the next reconcile", async () => {
    const world = new World();
    world.apply("w");
    world.store.failNext.set("create", "unauthenticated");
    // The write that removes the mark fails, once.
    world.kube.failMetadataWrite = (patch) => {
      const removesMark = patch.annotations?.[CREATE_PENDING_ANNOTATION] === null;
      if (removesMark) world.kube.failMetadataWrite = undefined;
      return removesMark;
    };
    await world.reconcile();
    expect(world.annotations()[CREATE_PENDING_ANNOTATION]).toBeDefined();
    world.providers.broken = "the token Secret was deleted";
    world.kube.delete(BY_CLOUD, "w");
    await world.reconcile();
    expect(world.kube.object(BY_CLOUD, "w")).toBeUndefined();
    expect(world.store.count("find")).toBe(0);
  });

  it("a transient create failure keeps the mark, so the retry looks for an earlier create first", async () => {
    const world = new World();
    world.apply("w");
    world.store.failNext.set("create", "transient");
    await world.reconcile();
    expect(world.kube.condition(BY_CLOUD, "w", "Synced")).toMatchObject({
      status: "False",
      reason: "TransientError",
    });
    expect(world.annotations()[CREATE_PENDING_ANNOTATION]).toBeDefined();
    await world.converge();
    expect(world.store.count("find")).toBe(1);
    expect(world.store.count("create")).toBe(2);
    expect(world.ready()?.status).toBe("True");
  });

  it("a widget the cloud reports failed stalls with the cloud's reason", async () => {
    const world = new World();
    const widget = await readyWidget(world);
    widget.state = "failed";
    world.store.widgets.set(widget.id, widget);
    await world.reconcile();
    expect(world.ready()).toMatchObject({ reason: "CloudResourceFailed" });
    expect(world.ready()?.message).toContain("the widget broke");
  });
});

/** Tags an earlier object of this name made: another UID, from `installation`. */
function earlierTags(world: World, name: string, installation = TEST_INSTALLATION): Record<string, string> {
  const object = world.kube.object(world.kind, name);
  if (!object) throw new Error(`no object ${name}`);
  return ownershipTags(
    { ...object, metadata: { ...object.metadata, uid: "uid-of-the-old-cluster" } },
    world.kind,
    installation,
  );
}

describe("rebuilt clusters and twins: the claim by installation", () => {
  it("a rebuilt cluster adopts the resource its earlier object made (same installation, new UID): no create", async () => {
    const world = new World();
    world.apply("w");
    world.store.add({ id: "w-old", tags: earlierTags(world, "w") });
    await world.converge();
    expect(world.status()?.id).toBe("w-old");
    expect(world.store.count("create")).toBe(0);
    expect(world.events("Adopted")).toHaveLength(1);
    // The tags now carry the new UID, so the next reconcile finds it as its own.
    expect(world.store.widgets.get("w-old")?.tags[OWNER_TAG]).toBe(
      world.kube.object(BY_CLOUD, "w")?.metadata.uid,
    );
    expect(world.ready()?.status).toBe("True");
  });

  it("a resource another installation manages is never written: Stalled ManagedElsewhere says how to take it over", async () => {
    const world = new World();
    world.apply("w", { size: 2 });
    world.store.add({ id: "w-twin", tags: earlierTags(world, "w", "cluster-twin") });
    await world.converge();
    expect(world.ready()).toMatchObject({ status: "False", reason: "ManagedElsewhere" });
    expect(world.ready()?.message).toContain(`${TAKEOVER_ANNOTATION}=cluster-twin`);
    expect(world.store.count("create") + world.store.count("update")).toBe(0);
    expect(world.store.widgets.get("w-twin")?.size).toBe(1);
    // Deleting the object leaves the twin's resource alone.
    world.kube.delete(BY_CLOUD, "w");
    await world.reconcile();
    expect(world.kube.object(BY_CLOUD, "w")).toBeUndefined();
    expect(world.store.widgets.has("w-twin")).toBe(true);
    expect(world.store.count("remove")).toBe(0);
  });

  it("take-over-from the exact installation moves the resource here once; the other installation then leaves it alone", async () => {
    const store = new WidgetStore();
    const here = new World(BY_CLOUD, { store });
    const twin = new World(BY_CLOUD, { store, installation: "cluster-twin" });
    twin.apply("w");
    await twin.converge();
    const id = twin.status()?.id ?? "";
    expect(store.widgets.get(id)?.tags[INSTALLATION_TAG]).toBe("cluster-twin");
    here.apply("w");
    here.kube.annotate(BY_CLOUD, "w", { [TAKEOVER_ANNOTATION]: "another-cluster" });
    await here.converge();
    expect(here.ready()?.reason).toBe("ManagedElsewhere"); // names another installation: inert
    here.kube.annotate(BY_CLOUD, "w", { [TAKEOVER_ANNOTATION]: "cluster-twin" });
    await here.converge();
    expect(here.status()?.id).toBe(id);
    expect(here.ready()?.status).toBe("True");
    expect(store.widgets.get(id)?.tags[INSTALLATION_TAG]).toBe(TEST_INSTALLATION);
    expect(here.events("TakenOver")).toHaveLength(1);
    expect(store.count("create")).toBe(1);
    const writes = store.count("update");
    await twin.converge();
    expect(twin.ready()).toMatchObject({ status: "False", reason: "ManagedElsewhere" });
    expect(store.count("update")).toBe(writes);
  });

  it("two resources carrying one identity stall AmbiguousAdoption naming both, and nothing is created", async () => {
    const world = new World();
    world.apply("w");
    world.store.add({ id: "w-one", tags: earlierTags(world, "w") });
    world.store.add({ id: "w-two", tags: earlierTags(world, "w") });
    await world.converge();
    expect(world.ready()).toMatchObject({ status: "False", reason: "AmbiguousAdoption" });
    expect(world.ready()?.message).toContain("w-one, w-two");
    expect(world.store.count("create")).toBe(0);
  });

  it("a resource of the same name but another kind is not adopted", async () => {
    const world = new World();
    world.apply("w");
    world.store.add({ id: "w-subnet", tags: { ...earlierTags(world, "w"), "clouddigit.ai/kind": "Subnet" } });
    await world.converge();
    expect(world.status()?.id).not.toBe("w-subnet");
    expect(world.store.count("create")).toBe(1);
  });
});

describe("what import and adoption verify", () => {
  it("an import whose immutable fields differ stalls ImportMismatch field by field, and writes nothing", async () => {
    const world = new World();
    world.store.add({ id: "w-blue", colour: "blue" });
    world.apply("w", { importID: "w-blue", colour: "red", size: 2 });
    await world.converge();
    expect(world.ready()).toMatchObject({ status: "False", reason: "ImportMismatch" });
    expect(world.ready()?.message).toContain('colour: spec "red", cloud "blue"');
    expect(world.store.count("update")).toBe(0);
    expect(world.status()?.id).toBeUndefined();
  });

  it("a matching import goes ahead", async () => {
    const world = new World();
    world.store.add({ id: "w-blue", colour: "blue" });
    world.apply("w", { importID: "w-blue", colour: "blue" });
    await world.converge();
    expect(world.ready()?.status).toBe("True");
    expect(world.status()?.id).toBe("w-blue");
  });

  it("an adoption after a rebuild is verified the same way", async () => {
    const world = new World();
    world.apply("w", { colour: "red" });
    world.store.add({ id: "w-old", colour: "blue", tags: earlierTags(world, "w") });
    await world.converge();
    expect(world.ready()?.reason).toBe("ImportMismatch");
    expect(world.store.count("create") + world.store.count("update")).toBe(0);
  });
});

describe("adoptionPolicy", () => {
  it("AdoptOnly creates nothing until a resource with its identity exists, then adopts it", async () => {
    const world = new World();
    world.apply("w", { adoptionPolicy: "AdoptOnly" });
    await world.converge();
    expect(world.ready()).toMatchObject({ status: "False", reason: "AdoptionNotFound" });
    expect(world.ready()?.message).toContain("default/w");
    expect(world.store.count("create")).toBe(0);
    world.store.add({ id: "w-later", tags: earlierTags(world, "w") });
    await world.converge();
    expect(world.status()?.id).toBe("w-later");
    expect(world.ready()?.status).toBe("True");
  });

  it("CreateOnly never lists for an identity and refuses to adopt what an earlier object left", async () => {
    const world = new World();
    world.apply("w", { adoptionPolicy: "CreateOnly" });
    world.store.add({ id: "w-old", tags: earlierTags(world, "w") });
    await world.converge();
    expect(world.store.count("list")).toBe(0);
    expect(world.store.count("create")).toBe(1);
    expect(world.status()?.id).not.toBe("w-old");
  });
});

describe("onExternalDelete", () => {
  it("Stall keeps status.id and creates nothing; switching to Recreate creates it again", async () => {
    const world = new World();
    world.apply("w", { onExternalDelete: "Stall" });
    await world.converge();
    const id = world.status()?.id ?? "";
    world.store.widgets.delete(id);
    await world.converge();
    expect(world.ready()).toMatchObject({ status: "False", reason: "DeletedExternally" });
    expect(world.ready()?.message).toContain("onExternalDelete: Recreate");
    expect(world.status()?.id).toBe(id);
    expect(world.store.count("create")).toBe(1);
    world.apply("w", { onExternalDelete: "Recreate" });
    await world.converge();
    expect(world.store.count("create")).toBe(2);
    expect(world.ready()?.status).toBe("True");
    expect(world.status()?.id).not.toBe(id);
  });

  it("the default follows the kind: a VM or Volume stalls, a VPC is re-created", async () => {
    for (const [kind, creates] of [
      ["VM", 1],
      ["Volume", 1],
      ["VPC", 2],
    ] as const) {
      const world = new World(kind);
      world.apply("w");
      await world.converge();
      world.store.widgets.delete(world.status()?.id ?? "");
      await world.converge();
      expect(world.store.count("create"), kind).toBe(creates);
    }
  });
});

describe("scope changes", () => {
  it("a provider config pointing at another project or region stalls ScopeChanged: nothing created or deleted", async () => {
    const world = new World();
    await readyWidget(world);
    expect(world.status()?.scope).toBe("widget-project@bd-dha");
    world.providers.scope = "other-project@bd-dha";
    await world.converge();
    expect(world.ready()).toMatchObject({ status: "False", reason: "ScopeChanged" });
    expect(world.ready()?.message).toContain("widget-project@bd-dha");
    expect(world.store.count("create")).toBe(1);
    // Deleting it now would look in the wrong place: it waits, saying how to let go.
    world.kube.delete(BY_CLOUD, "w");
    await world.reconcile();
    expect(world.kube.object(BY_CLOUD, "w")).toBeDefined();
    expect(world.store.count("remove")).toBe(0);
    expect(world.ready()?.message).toContain("deletionPolicy: Orphan");
    // Pointed back, it deletes as usual.
    world.providers.scope = "widget-project@bd-dha";
    await world.converge();
    expect(world.kube.object(BY_CLOUD, "w")).toBeUndefined();
    expect(world.store.count("remove")).toBe(1);
  });
});

describe("take-over record", () => {
  it("status.takeover names the installation and the time", async () => {
    const world = new World();
    world.apply("w");
    world.store.add({ id: "w-twin", tags: earlierTags(world, "w", "cluster-twin") });
    world.kube.annotate(BY_CLOUD, "w", { [TAKEOVER_ANNOTATION]: "cluster-twin" });
    await world.converge();
    expect(world.status()?.takeover?.from).toBe("cluster-twin");
    expect(world.status()?.takeover?.time).toMatch(/^\d{4}-\d\d-\d\dT/);
  });
});

describe("Ready staleness", () => {
  it("failing for 3 resync periods turns a Ready widget Unknown, saying for how long; a good read restores it", async () => {
    const world = new World();
    await readyWidget(world);
    world.store.failNext.set("read", "transient");
    await world.reconcile();
    expect(world.kube.condition(BY_CLOUD, "w", "Synced")?.status).toBe("False");
    expect(world.ready()?.status).toBe("True"); // one failed reconcile says nothing about the resource
    world.store.failNext.set("read", "transient");
    await world.reconcile(); // an hour later: more than 3 default resyncs (10 min)
    expect(world.ready()).toMatchObject({ status: "Unknown", reason: "TransientError" });
    expect(world.ready()?.message).toContain("no successful reconcile for 1h");
    await world.converge();
    expect(world.ready()?.status).toBe("True");
  });
});
