import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createNamespace, testCluster } from "../../support/cluster.ts";
import { waitUntil } from "../../support/process.ts";
import { Informer } from "../../../src/runtime/informer.ts";
import { KubeClient, type WatchEvent, type WatchOptions } from "../../../src/runtime/kube-client.ts";
import { objectKey, type KubeObject, type ResourceType } from "../../../src/runtime/resource.ts";
import { PausableProxy } from "./pausable-proxy.ts";
import { EVENT_V1, installWidgetCrd, WIDGET, widget } from "./support.ts";

const cluster = testCluster();
const client = new KubeClient(cluster.kubeConfig());
const cleanups: Array<() => Promise<unknown>> = [];

beforeAll(async () => {
  await installWidgetCrd(client);
});

afterAll(async () => {
  for (const c of cleanups.reverse()) await c();
});

/** name -> resourceVersion, as the API has it and as the informer's cache has it. */
async function truth(rt: ResourceType, ns: string): Promise<Map<string, string>> {
  const list = await client.list(rt, { namespace: ns });
  return new Map(list.items.map((o) => [objectKey(o), o.metadata.resourceVersion ?? ""]));
}

function cached(informer: Informer): Map<string, string> {
  return new Map(informer.list().map((o) => [objectKey(o), o.metadata.resourceVersion ?? ""]));
}

async function expectConverged(informer: Informer, rt: ResourceType, ns: string): Promise<void> {
  let want = new Map<string, string>();
  await waitUntil(
    "cache equal to the API",
    async () => {
      want = await truth(rt, ns);
      const have = cached(informer);
      return have.size === want.size && [...want].every(([k, rv]) => have.get(k) === rv);
    },
    { timeoutMs: 60_000, intervalMs: 250 },
  );
  expect(cached(informer)).toEqual(want);
}

/** Creates, updates and deletes a few objects; returns what was done for the assertions. */
async function churn(rt: ResourceType, ns: string, make: (name: string) => KubeObject, round: string) {
  const created = Array.from({ length: 10 }, (_, i) => `${round}-new-${i}`);
  for (const name of created) await client.create(rt, make(name));
  return created;
}

function event(ns: string, name: string): KubeObject {
  return {
    metadata: { namespace: ns, name },
    involvedObject: { kind: "ConfigMap", namespace: ns, name: "x", apiVersion: "v1" },
    reason: "Test",
    message: `event ${name}`,
    type: "Normal",
  };
}

describe("watches survive outages", () => {
  it("keeps the cache right across a kube-apiserver restart", { timeout: 180_000 }, async () => {
    const ns = await createNamespace(client.kubeConfig, "rt-restart");
    for (let i = 0; i < 10; i++) await client.create(WIDGET, widget(ns, `old-${i}`, { size: 1 }));
    const informer = new Informer(new KubeClient(cluster.kubeConfig()), WIDGET, {
      namespaces: [ns],
      backoffInitialMs: 200,
      backoffMaxMs: 2000,
    });
    const deletes: string[] = [];
    informer.addEventHandler({ onDelete: (o) => deletes.push(objectKey(o)) });
    informer.start();
    cleanups.push(() => informer.stop());
    await informer.waitForSync();
    const watchesBefore = informer.stats()[0]!.watches;

    await cluster.restartApiServer();
    // Changes made right after the restart, while the informer is still reconnecting.
    const created = await churn(WIDGET, ns, (n) => widget(ns, n, { size: 1 }), "r");
    for (let i = 0; i < 5; i++) await client.patch(WIDGET, ns, `old-${i}`, { spec: { size: 2 } }, "merge");
    for (let i = 5; i < 8; i++) await client.delete(WIDGET, ns, `old-${i}`);

    await expectConverged(informer, WIDGET, ns);
    const stats = informer.stats()[0]!;
    console.log(`[runtime] after apiserver restart: ${JSON.stringify(stats)}`);
    expect(stats.watches).toBeGreaterThan(watchesBefore);
    for (const name of created) expect(informer.get(`${ns}/${name}`)).toBeDefined();
    expect(informer.get(`${ns}/old-0`)?.spec).toEqual({ size: 2 });
    expect(deletes.sort()).toEqual([5, 6, 7].map((i) => `${ns}/old-${i}`));
  });

  it(
    "relists after 410 Gone when etcd was compacted while the watch was cut",
    { timeout: 180_000 },
    async () => {
      const ns = await createNamespace(client.kubeConfig, "rt-gone");
      for (let i = 0; i < 10; i++) await client.create(EVENT_V1, event(ns, `old-${i}`));
      const url = new URL(cluster.server);
      const proxy = new PausableProxy(url.hostname, Number(url.port));
      await proxy.start();
      cleanups.push(() => proxy.stop());
      // Core Events are not held in kube-apiserver's watch cache, so a watch from a compacted
      // revision reaches etcd and gets 410 Gone.
      const informer = new Informer(new KubeClient(proxy.kubeConfigThrough(cluster.kubeConfig())), EVENT_V1, {
        namespaces: [ns],
        backoffInitialMs: 200,
        backoffMaxMs: 1000,
      });
      const deletes: string[] = [];
      informer.addEventHandler({ onDelete: (o) => deletes.push(objectKey(o)) });
      informer.start();
      cleanups.push(() => informer.stop());
      await informer.waitForSync();

      proxy.pause();
      const created = await churn(EVENT_V1, ns, (n) => event(ns, n), "g");
      for (let i = 0; i < 5; i++)
        await client.patch(EVENT_V1, ns, `old-${i}`, { message: "changed" }, "merge");
      for (let i = 5; i < 8; i++) await client.delete(EVENT_V1, ns, `old-${i}`);
      const revision = await cluster.compactEtcd();
      proxy.resume();

      await expectConverged(informer, EVENT_V1, ns);
      const stats = informer.stats()[0]!;
      console.log(`[runtime] after compaction to ${revision}: ${JSON.stringify(stats)}`);
      expect(stats.relistsAfterGone).toBeGreaterThanOrEqual(1);
      expect(stats.lists).toBeGreaterThanOrEqual(2);
      for (const name of created) expect(informer.get(`${ns}/${name}`)).toBeDefined();
      expect((informer.get(`${ns}/old-0`) as { message?: string } | undefined)?.message).toBe("changed");
      expect(deletes.sort()).toEqual([5, 6, 7].map((i) => `${ns}/old-${i}`));
    },
  );

  it("relists when a watch goes silent about a write the informer was told of", async () => {
    const ns = await createNamespace(client.kubeConfig, "rt-silent");
    for (let i = 0; i < 3; i++) await client.create(WIDGET, widget(ns, `w-${i}`, { size: 1 }));
    // The connection stays open and the server keeps the watch, but no change reaches the
    // informer: what a stuck watch cache or a proxy that stops forwarding looks like.
    const silencing = new SilencingClient(cluster.kubeConfig());
    const informer = new Informer(silencing, WIDGET, { namespaces: [ns], ownWriteTimeoutMs: 2_000 });
    informer.start();
    cleanups.push(() => informer.stop());
    await informer.waitForSync();
    silencing.silent = true;

    const key = `${ns}/w-0`;
    const before = informer.get(key)?.metadata.resourceVersion;
    const written = await client.patch(WIDGET, ns, "w-0", { spec: { size: 2 } }, "merge");
    // Another change the informer is not told of: the relist must bring it along.
    await client.patch(WIDGET, ns, "w-1", { spec: { size: 3 } }, "merge");
    await new Promise((r) => setTimeout(r, 1_000));
    expect(informer.get(key)?.metadata.resourceVersion, "the watch is silent").toBe(before);

    informer.expectOwnWrite(key, before, written.metadata.resourceVersion);
    await waitUntil(
      "the cache shows the write",
      async () => informer.get(key)?.metadata.resourceVersion === written.metadata.resourceVersion,
      { timeoutMs: 30_000, intervalMs: 100 },
    );
    const stats = informer.stats()[0]!;
    expect(stats.forcedRelists).toBe(1);
    expect(stats.lists).toBe(2);
    expect((informer.get(`${ns}/w-1`) as { spec?: { size?: number } }).spec?.size).toBe(3);
  });
});

/** A client whose watches, once `silent`, stay open but pass on nothing. */
class SilencingClient extends KubeClient {
  silent = false;

  override async *watch(rt: ResourceType, opts: WatchOptions = {}): AsyncGenerator<WatchEvent> {
    for await (const event of super.watch(rt, opts)) if (!this.silent) yield event;
  }
}
