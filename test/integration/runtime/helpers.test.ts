import { Registry } from "prom-client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createNamespace, testCluster } from "../../support/cluster.ts";
import { waitUntil } from "../../support/process.ts";
import { FakeClock } from "../../../src/shared/testing/fake-clock.ts";
import { setCondition, type Condition } from "../../../src/runtime/conditions.ts";
import { EVENT_RESOURCE, EventRecorder } from "../../../src/runtime/events.ts";
import { addFinalizer, removeFinalizer } from "../../../src/runtime/finalizers.ts";
import { ApiError, KubeClient } from "../../../src/runtime/kube-client.ts";
import { Manager } from "../../../src/runtime/manager.ts";
import type { KubeObject } from "../../../src/runtime/resource.ts";
import { writeStatus } from "../../../src/runtime/status.ts";
import { installWidgetCrd, WIDGET, widget, type Widget } from "./support.ts";

const cluster = testCluster();
const client = new KubeClient(cluster.kubeConfig());
let ns = "";
const stops: Array<() => Promise<unknown>> = [];

beforeAll(async () => {
  await installWidgetCrd(client);
  ns = await createNamespace(client.kubeConfig, "rt-helpers");
});

afterAll(async () => {
  for (const s of stops) await s();
});

/** Counts write requests the test client makes, to prove "no write when nothing changed". */
function countingClient(): { client: KubeClient; writes: () => number } {
  let writes = 0;
  const c = new KubeClient(cluster.kubeConfig(), {
    onRequest: (method) => {
      if (method !== "GET") writes++;
    },
  });
  return { client: c, writes: () => writes };
}

describe("status writer", () => {
  it("patches /status only when it changed, and refuses a stale write", async () => {
    const created = await client.create(WIDGET, widget(ns, "status-a", { size: 1 }));
    const { client: counting, writes } = countingClient();
    const conditions: Condition[] = setCondition([], {
      type: "Ready",
      status: "True",
      reason: "Ok",
      message: "",
      observedGeneration: 1,
    });
    const first = await writeStatus<Widget>(counting, WIDGET, created, {
      observedGeneration: 1,
      conditions,
      state: "ok",
    });
    expect(first.changed).toBe(true);
    expect(first.object.status).toEqual({ observedGeneration: 1, conditions, state: "ok" });
    // Same content, other key order: no request.
    const again = await writeStatus<Widget>(counting, WIDGET, first.object, {
      state: "ok",
      conditions,
      observedGeneration: 1,
    });
    expect(again.changed).toBe(false);
    expect(writes()).toBe(1);
    // Removing a field is written as null in the merge patch.
    const third = await writeStatus<Widget>(counting, WIDGET, first.object, {
      observedGeneration: 1,
      conditions,
    });
    expect(third.object.status).toEqual({ observedGeneration: 1, conditions });
    // The spec is untouched by status writes.
    expect(third.object.spec).toEqual({ size: 1 });
    // A write based on an old read fails with 409 instead of overwriting.
    const stale = writeStatus<Widget>(client, WIDGET, first.object, {
      observedGeneration: 1,
      state: "stale",
    });
    await expect(stale).rejects.toMatchObject({ status: 409 });
  });
});

describe("finalizers", () => {
  it("adds and removes a finalizer, re-reading on conflict", async () => {
    const created = await client.create(WIDGET, widget(ns, "fin-a"));
    // Someone else changes the object after our read: our write conflicts and is retried.
    await client.patch(WIDGET, ns, "fin-a", { metadata: { finalizers: ["other.io/keep"] } }, "merge");
    const withOurs = await addFinalizer(client, WIDGET, created, "test.clouddigit.ai/cleanup");
    expect(withOurs.metadata.finalizers).toEqual(["other.io/keep", "test.clouddigit.ai/cleanup"]);
    const same = await addFinalizer(client, WIDGET, withOurs, "test.clouddigit.ai/cleanup");
    expect(same.metadata.resourceVersion).toBe(withOurs.metadata.resourceVersion);
    await client.delete(WIDGET, ns, "fin-a");
    const deleting = await client.get<Widget>(WIDGET, ns, "fin-a");
    expect(deleting.metadata.deletionTimestamp).toBeDefined();
    const after = await removeFinalizer(client, WIDGET, withOurs, "test.clouddigit.ai/cleanup");
    expect(after?.metadata.finalizers).toEqual(["other.io/keep"]);
    const gone = await removeFinalizer(client, WIDGET, after!, "other.io/keep");
    expect(gone?.metadata.finalizers ?? []).toEqual([]);
    await expect(client.get(WIDGET, ns, "fin-a")).rejects.toBeInstanceOf(ApiError);
    // Removing from an object that no longer exists is not an error.
    expect(await removeFinalizer(client, WIDGET, after!, "other.io/keep")).toBeUndefined();
  });
});

describe("event recorder", () => {
  it("bounds its writes: a burst beyond the in-flight and queue bounds is dropped, not buffered", async () => {
    const w = await client.create(WIDGET, widget(ns, "ev-burst"));
    const recorder = new EventRecorder({
      client,
      reportingController: "test.clouddigit.ai/widget-controller",
      reportingInstance: "test-1",
      maxInFlight: 2,
      maxQueued: 5,
    });
    for (let i = 0; i < 20; i++) recorder.normal(w, "Step", "Reconcile", `step ${i}`);
    await recorder.flush();
    const notes = (await client.list(EVENT_RESOURCE, { namespace: ns })).items
      .filter((e) => (e.regarding as { name?: string }).name === "ev-burst")
      .map((e) => e.note as string)
      .sort((a, b) => Number(a.split(" ")[1]) - Number(b.split(" ")[1]));
    // Two written at once, five waiting, the other thirteen dropped.
    expect(notes).toEqual(["step 0", "step 1", "step 2", "step 3", "step 4", "step 5", "step 6"]);
  });

  it("creates one events.k8s.io/v1 Event and aggregates repeats into its series", async () => {
    const w = await client.create(WIDGET, widget(ns, "ev-a"));
    const clock = new FakeClock(Date.now());
    const recorder = new EventRecorder({
      client,
      reportingController: "test.clouddigit.ai/widget-controller",
      reportingInstance: "test-1",
      clock,
      seriesUpdateIntervalMs: 30_000,
    });
    for (let i = 0; i < 5; i++) {
      recorder.warning(w, "CloudError", "Create", "quota exceeded: ask for more");
      clock.advance(1000);
    }
    recorder.normal(w, "Created", "Create", "created in the cloud");
    await recorder.flush();
    const list = await client.list(EVENT_RESOURCE, { namespace: ns });
    const events = list.items.filter((e) => (e.regarding as { name?: string }).name === "ev-a");
    expect(events.length).toBe(2);
    const warning = events.find((e) => e.reason === "CloudError") as KubeObject & {
      series?: { count: number };
    };
    expect(warning.type).toBe("Warning");
    expect(warning.series?.count).toBe(5);
    expect(warning.regarding).toMatchObject({
      kind: "Widget",
      apiVersion: "test.clouddigit.ai/v1",
      uid: w.metadata.uid,
    });
    // Outside the aggregation window a new Event starts.
    clock.advance(11 * 60_000);
    recorder.warning(w, "CloudError", "Create", "quota exceeded: ask for more");
    await recorder.flush();
    const after = (await client.list(EVENT_RESOURCE, { namespace: ns })).items.filter(
      (e) => e.reason === "CloudError",
    );
    expect(after.length).toBe(2);
  });
});

describe("manager probes and metrics", () => {
  it("serves /healthz, /readyz once caches synced, and controller-runtime metrics", async () => {
    await client.create(WIDGET, widget(ns, "probe-a"));
    const registry = new Registry();
    const mgr = new Manager({
      kubeConfig: cluster.kubeConfig(),
      namespaces: [ns],
      health: { port: 0 },
      registry,
    });
    const reconciled: string[] = [];
    mgr
      .addController({ name: "probe", reconcile: async (key) => void reconciled.push(key) })
      .for(mgr.informer<Widget>(WIDGET));
    await mgr.start();
    stops.push(() => mgr.stop());
    const { host, port } = mgr.healthAddress()!;
    expect(host).toBe("127.0.0.1");
    const base = `http://${host}:${port}`;
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
    await waitUntil("ready", async () => (await fetch(`${base}/readyz`)).status === 200, {
      timeoutMs: 20_000,
    });
    await waitUntil("reconciled", async () => reconciled.length > 0, { timeoutMs: 20_000 });
    const metrics = await (await fetch(`${base}/metrics`)).text();
    for (const name of [
      "workqueue_depth",
      "workqueue_adds_total",
      "workqueue_queue_duration_seconds",
      "workqueue_work_duration_seconds",
      "workqueue_retries_total",
      "workqueue_unfinished_work_seconds",
      "workqueue_longest_running_processor_seconds",
      "controller_runtime_reconcile_total",
      "controller_runtime_reconcile_errors_total",
      "controller_runtime_reconcile_time_seconds",
      "controller_runtime_max_concurrent_reconciles",
      "controller_runtime_active_workers",
    ]) {
      expect(metrics).toContain(`# TYPE ${name} `);
    }
    expect(metrics).toMatch(
      /controller_runtime_reconcile_total\{controller="probe",result="success"\} [1-9]/,
    );
    await mgr.stop();
    await expect(fetch(`${base}/healthz`)).rejects.toThrow();
  });

  it("retries a failing prerequisite: live but not ready (saying why), controllers start once it succeeds", async () => {
    await client.create(WIDGET, widget(ns, "prereq-a"));
    const mgr = new Manager({
      kubeConfig: cluster.kubeConfig(),
      namespaces: [ns],
      health: { port: 0 },
      prerequisiteBackoffMs: { initial: 20, max: 50 },
    });
    let allowed = false;
    let attempts = 0;
    mgr.require({
      name: "the widget licence",
      async attempt() {
        attempts++;
        if (!allowed) throw new Error("forbidden: grant get on licences");
      },
    });
    const reconciled: string[] = [];
    mgr
      .addController({ name: "prereq", reconcile: async (key) => void reconciled.push(key) })
      .for(mgr.informer<Widget>(WIDGET));
    await mgr.start();
    stops.push(() => mgr.stop());
    const { host, port } = mgr.healthAddress()!;
    const base = `http://${host}:${port}`;
    await waitUntil("a few failed attempts", async () => attempts >= 3, { timeoutMs: 20_000 });
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
    const notReady = await fetch(`${base}/readyz`);
    expect(notReady.status).toBe(503);
    expect(await notReady.text()).toContain(
      "waiting for the widget licence: forbidden: grant get on licences",
    );
    expect(reconciled).toEqual([]);
    allowed = true;
    await waitUntil("reconciled", async () => reconciled.includes(`${ns}/prereq-a`), { timeoutMs: 20_000 });
    expect((await fetch(`${base}/readyz`)).status).toBe(200);
    await mgr.stop();
  });

  it("stops while a prerequisite still fails, without starting its controllers", async () => {
    const mgr = new Manager({ kubeConfig: cluster.kubeConfig(), namespaces: [ns], health: false });
    mgr.require({
      name: "something never granted",
      async attempt() {
        throw new Error("forbidden");
      },
    });
    let reconciles = 0;
    mgr
      .addController({ name: "never", reconcile: async () => void reconciles++ })
      .for(mgr.informer<Widget>(WIDGET));
    await mgr.start();
    await new Promise((r) => setTimeout(r, 200));
    await mgr.stop();
    expect(reconciles).toBe(0);
  });
});
