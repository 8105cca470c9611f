import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Registry } from "prom-client";
import { createNamespace, testCluster } from "../../support/cluster.ts";
import { waitUntil } from "../../support/process.ts";
import { Controller } from "../../../src/runtime/controller.ts";
import { Informer } from "../../../src/runtime/informer.ts";
import { KubeClient } from "../../../src/runtime/kube-client.ts";
import { joinKey, objectKey, type KubeObject } from "../../../src/runtime/resource.ts";
import { CONFIGMAP, inParallel, installWidgetCrd, WIDGET, widget, type Widget } from "./support.ts";

const client = new KubeClient(testCluster().kubeConfig());
const stoppers: Array<() => Promise<unknown>> = [];

beforeAll(async () => {
  await installWidgetCrd(client);
});

afterAll(async () => {
  for (const stop of stoppers.reverse()) await stop();
});

describe("informer + controller on the real API", () => {
  it("reconciles each of 1,000 objects created quickly; none is lost", async () => {
    const ns = await createNamespace(client.kubeConfig, "rt-thousand");
    const informer = new Informer<Widget>(client, WIDGET, { namespaces: [ns] });
    const seenInCache = new Set<string>();
    const reconciled = new Map<string, number>();
    const controller = new Controller({
      name: "thousand",
      concurrency: 8,
      registry: new Registry(),
      reconcile: async (key) => {
        if (informer.get(key)) seenInCache.add(key);
        reconciled.set(key, (reconciled.get(key) ?? 0) + 1);
      },
    }).for(informer);
    informer.start();
    stoppers.push(() => informer.stop());
    await informer.waitForSync();
    controller.start();
    stoppers.push(() => controller.stop(5000));

    const names = Array.from({ length: 1000 }, (_, i) => `w-${String(i).padStart(4, "0")}`);
    const began = Date.now();
    await inParallel(names, 32, (name) => client.create(WIDGET, widget(ns, name, { size: 1 })));
    const created = Date.now() - began;
    await waitUntil("all 1,000 reconciled", async () => reconciled.size === 1000, { timeoutMs: 90_000 });
    console.log(
      `[runtime] created 1,000 widgets in ${created} ms; all reconciled ${Date.now() - began} ms after the first create`,
    );
    expect([...reconciled.keys()].sort()).toEqual(names.map((n) => `${ns}/${n}`));
    expect(seenInCache.size).toBe(1000);
    expect(informer.store.listNamespace(ns).length).toBe(1000);
  });

  it("watches only the namespaces it is given", async () => {
    const nsA = await createNamespace(client.kubeConfig, "rt-scope-a");
    const nsB = await createNamespace(client.kubeConfig, "rt-scope-b");
    const nsC = await createNamespace(client.kubeConfig, "rt-scope-c");
    for (const ns of [nsA, nsB, nsC]) await client.create(WIDGET, widget(ns, "before"));
    const informer = new Informer<Widget>(client, WIDGET, { namespaces: [nsA, nsB] });
    informer.start();
    stoppers.push(() => informer.stop());
    await informer.waitForSync();
    for (const ns of [nsA, nsB, nsC]) await client.create(WIDGET, widget(ns, "after"));
    await client.delete(WIDGET, nsA, "before");
    await waitUntil("both namespaces seen", async () => informer.list().length === 3, { timeoutMs: 20_000 });
    expect(informer.list().map(objectKey).sort()).toEqual(
      [`${nsA}/after`, `${nsB}/after`, `${nsB}/before`].sort(),
    );
    expect(informer.list().some((o) => o.metadata.namespace === nsC)).toBe(false);
  });

  it("maps changes of another kind to the keys that reference it through an index", async () => {
    const ns = await createNamespace(client.kubeConfig, "rt-index");
    const widgets = new Informer<Widget>(client, WIDGET, {
      namespaces: [ns],
      indexers: {
        configMap: (w) => (w.spec?.configMapRef ? [joinKey(w.metadata.namespace, w.spec.configMapRef)] : []),
      },
    });
    const configMaps = new Informer<KubeObject>(client, CONFIGMAP, { namespaces: [ns] });
    const reconciles: string[] = [];
    const controller = new Controller({
      name: "index-mapper",
      registry: new Registry(),
      reconcile: async (key) => {
        reconciles.push(key);
      },
    })
      .for(widgets)
      .watches(configMaps, (cm) => widgets.store.keysByIndex("configMap", objectKey(cm)));
    // A handler that throws must not disturb the informer or the other handlers.
    configMaps.addEventHandler({
      onUpdate: () => {
        throw new Error("handler bug");
      },
    });
    for (const name of ["a", "b", "c"]) {
      await client.create(WIDGET, widget(ns, name, { configMapRef: name === "c" ? "other" : "shared" }));
    }
    await client.create(CONFIGMAP, { metadata: { namespace: ns, name: "shared" }, data: { v: "1" } });
    widgets.start();
    configMaps.start();
    stoppers.push(
      () => widgets.stop(),
      () => configMaps.stop(),
    );
    await Promise.all([widgets.waitForSync(), configMaps.waitForSync()]);
    controller.start();
    stoppers.push(() => controller.stop(5000));
    await waitUntil("initial reconciles", async () => reconciles.length === 3, { timeoutMs: 20_000 });
    reconciles.length = 0;
    await client.patch(CONFIGMAP, ns, "shared", { data: { v: "2" } }, "merge");
    await waitUntil("referencing widgets reconciled", async () => reconciles.length >= 2, {
      timeoutMs: 20_000,
    });
    await new Promise((r) => setTimeout(r, 500));
    expect(reconciles.sort()).toEqual([`${ns}/a`, `${ns}/b`]);
    expect(configMaps.handlerErrors).toBeGreaterThan(0);
  });
});
