import { describe, expect, it } from "vitest";
import { FakeClock } from "../shared/testing/fake-clock.ts";
import { Controller } from "./controller.ts";
import { Priority } from "./workqueue.ts";
import { Informer } from "./informer.ts";
import {
  ApiError,
  type KubeClient,
  type KubeList,
  type WatchEvent,
  type WatchOptions,
} from "./kube-client.ts";
import type { KubeObject, ResourceType } from "./resource.ts";

const RT: ResourceType = {
  group: "test.io",
  version: "v1",
  plural: "things",
  kind: "Thing",
  namespaced: true,
};

function thing(name: string, rv: string): KubeObject {
  return { metadata: { namespace: "ns", name, resourceVersion: rv } };
}

/** Events at once, a failure, silence until aborted, or events once `after` resolves (then silence). */
type WatchScript = WatchEvent[] | Error | "hang" | { after: Promise<void>; events: WatchEvent[] };

/** A scripted API: each list/watch call takes the next answer. "hang" waits for the abort. */
class ScriptedApi {
  lists: Array<KubeList | Error> = [];
  watches: WatchScript[] = [];
  watchCalls: WatchOptions[] = [];

  async list(): Promise<KubeList> {
    const next = this.lists.shift();
    if (!next) throw new Error("unexpected list");
    if (next instanceof Error) throw next;
    return next;
  }

  async *watch(_rt: ResourceType, opts: WatchOptions): AsyncGenerator<WatchEvent> {
    this.watchCalls.push(opts);
    const next = this.watches.shift() ?? "hang";
    const hang = (): Promise<void> =>
      new Promise<void>((_, reject) => {
        if (opts.signal?.aborted) reject(new Error("aborted"));
        opts.signal?.addEventListener("abort", () => reject(new Error("aborted")));
      });
    if (next === "hang") return await hang();
    if (next instanceof Error) throw next;
    if (!Array.isArray(next)) {
      await next.after;
      for (const e of next.events) {
        opts.onActivity?.();
        yield e;
      }
      return await hang();
    }
    for (const e of next) {
      opts.onActivity?.();
      yield e;
    }
  }
}

async function settle(clock?: FakeClock, ms = 0): Promise<void> {
  for (let i = 0; i < 50; i++) await Promise.resolve();
  if (clock && ms > 0) clock.advance(ms);
  for (let i = 0; i < 50; i++) await Promise.resolve();
}

function informerOn(api: ScriptedApi, clock: FakeClock, extra: Record<string, unknown> = {}) {
  return new Informer(api as unknown as KubeClient, RT, {
    clock,
    random: () => 0,
    backoffInitialMs: 100,
    backoffMaxMs: 1000,
    inactivityTimeoutMs: 60_000,
    ...extra,
  });
}

describe("Reflector", () => {
  it("stops cleanly when stopped right after the first list", async () => {
    const api = new ScriptedApi();
    api.lists.push({ metadata: { resourceVersion: "10" }, items: [thing("a", "5")] });
    const informer = informerOn(api, new FakeClock());
    informer.start();
    await informer.waitForSync();
    await informer.stop();
    expect(informer.list().length).toBe(1);
  });

  it("watches from the list's version, resumes from the last event, and relists on 410", async () => {
    const clock = new FakeClock();
    const api = new ScriptedApi();
    api.lists.push({ metadata: { resourceVersion: "10" }, items: [thing("a", "5"), thing("b", "6")] });
    api.watches.push(
      [
        { type: "MODIFIED", object: thing("a", "11") },
        { type: "BOOKMARK", object: { metadata: { resourceVersion: "15" } } },
      ],
      new ApiError(410, "Expired", "too old resource version"),
    );
    // The relist no longer has b and has a new c.
    api.lists.push({ metadata: { resourceVersion: "30" }, items: [thing("a", "11"), thing("c", "25")] });
    const seen: string[] = [];
    const informer = informerOn(api, clock);
    informer.addEventHandler({
      onAdd: (o, initial) => seen.push(`add ${o.metadata.name} ${initial}`),
      onUpdate: (o, n) =>
        seen.push(`update ${n.metadata.name} ${o.metadata.resourceVersion}->${n.metadata.resourceVersion}`),
      onDelete: (o) => seen.push(`delete ${o.metadata.name}`),
    });
    informer.start();
    await informer.waitForSync();
    await settle(clock);
    expect(api.watchCalls.map((w) => w.resourceVersion)).toEqual(["10", "15", "30"]);
    expect(api.watchCalls.every((w) => w.allowWatchBookmarks === true)).toBe(true);
    expect(api.watchCalls[0]?.timeoutSeconds).toBe(300);
    expect(seen).toEqual(["add a true", "add b true", "update a 5->11", "add c false", "delete b"]);
    const stats = informer.stats()[0]!;
    expect(stats.relistsAfterGone).toBe(1);
    expect(stats.bookmarks).toBe(1);
    await informer.stop();
  });

  it("backs off on failures and trips the inactivity watchdog", async () => {
    const clock = new FakeClock();
    const api = new ScriptedApi();
    api.lists.push(new ApiError(0, "TransportError", "connection refused"));
    api.lists.push({ metadata: { resourceVersion: "10" }, items: [] });
    api.watches.push("hang");
    const informer = informerOn(api, clock);
    informer.start();
    await settle(clock);
    expect(informer.hasSynced()).toBe(false);
    await settle(clock, 99);
    expect(informer.hasSynced()).toBe(false);
    await settle(clock, 1);
    expect(informer.hasSynced()).toBe(true);
    expect(api.watchCalls.length).toBe(1);
    // No byte for the inactivity timeout: the watch is dropped and, after backoff, resumed.
    await settle(clock, 60_000);
    expect(informer.stats()[0]?.watchdogTrips).toBe(1);
    await settle(clock, 200);
    expect(api.watchCalls.length).toBe(2);
    expect(api.watchCalls[1]?.resourceVersion).toBe("10");
    await informer.stop();
  });

  it("keeps going when a handler throws", async () => {
    const api = new ScriptedApi();
    api.lists.push({ metadata: { resourceVersion: "1" }, items: [thing("a", "1"), thing("b", "1")] });
    const informer = informerOn(api, new FakeClock());
    const added: string[] = [];
    informer.addEventHandler({
      onAdd: () => {
        throw new Error("bug");
      },
    });
    informer.addEventHandler({ onAdd: (o) => added.push(o.metadata.name ?? "") });
    informer.start();
    await informer.waitForSync();
    expect(added).toEqual(["a", "b"]);
    expect(informer.handlerErrors).toBe(2);
    await informer.stop();
  });
});

describe("Informer own-write check", () => {
  it("relists when the watch stays silent about a write this process made", async () => {
    const clock = new FakeClock();
    const api = new ScriptedApi();
    api.lists.push({ metadata: { resourceVersion: "10" }, items: [thing("a", "5"), thing("b", "6")] });
    api.watches.push("hang", "hang");
    // The relist shows the write the watch never delivered.
    api.lists.push({ metadata: { resourceVersion: "20" }, items: [thing("a", "12"), thing("b", "6")] });
    const informer = informerOn(api, clock, { ownWriteTimeoutMs: 30_000 });
    const updates: string[] = [];
    informer.addEventHandler({
      onUpdate: (o, n) =>
        updates.push(`${n.metadata.name} ${o.metadata.resourceVersion}->${n.metadata.resourceVersion}`),
    });
    informer.start();
    await informer.waitForSync();
    await settle(clock);
    informer.expectOwnWrite("ns/a", "5", "12");
    await settle(clock, 29_999);
    expect(informer.stats()[0]?.forcedRelists).toBe(0);
    await settle(clock, 1);
    expect(informer.stats()[0]?.forcedRelists).toBe(1);
    expect(updates).toEqual(["a 5->12"]);
    expect(api.watchCalls.map((w) => w.resourceVersion)).toEqual(["10", "20"]);
    // A second silent write within a minute of the relist waits for the minute to pass.
    api.lists.push({ metadata: { resourceVersion: "30" }, items: [thing("a", "12"), thing("b", "21")] });
    informer.expectOwnWrite("ns/b", "6", "21");
    await settle(clock, 30_000);
    expect(informer.stats()[0]?.forcedRelists).toBe(1);
    for (let t = 0; t < 30_000; t += 5_000) await settle(clock, 5_000);
    expect(informer.stats()[0]?.forcedRelists).toBe(2);
    expect(updates).toEqual(["a 5->12", "b 6->21"]);
    await informer.stop();
  });

  it("does nothing when the watch delivers the write, or already has", async () => {
    const clock = new FakeClock();
    const api = new ScriptedApi();
    let deliver!: () => void;
    const delivered = new Promise<void>((resolve) => (deliver = resolve));
    api.lists.push({ metadata: { resourceVersion: "10" }, items: [thing("a", "5"), thing("b", "6")] });
    api.watches.push({ after: delivered, events: [{ type: "MODIFIED", object: thing("a", "12") }] });
    const informer = informerOn(api, clock, { ownWriteTimeoutMs: 30_000 });
    informer.start();
    await informer.waitForSync();
    await settle(clock);
    informer.expectOwnWrite("ns/a", "5", "12");
    // The cache already moved past the version the writer started from: nothing to check.
    informer.expectOwnWrite("ns/b", "4", "13");
    await settle(clock, 1_000);
    deliver();
    await settle(clock);
    expect(informer.get("ns/a")?.metadata.resourceVersion).toBe("12");
    await settle(clock, 60_000);
    expect(informer.stats()[0]?.forcedRelists).toBe(0);
    expect(api.watchCalls.length).toBe(1);
    await informer.stop();
  });
});

describe("Informer resync", () => {
  it("re-delivers every cached object as update(o, o) each period", async () => {
    const clock = new FakeClock();
    const api = new ScriptedApi();
    api.lists.push({ metadata: { resourceVersion: "1" }, items: [thing("a", "1"), thing("b", "1")] });
    const informer = informerOn(api, clock, { resyncPeriodMs: 60_000 });
    const resynced: string[] = [];
    informer.addEventHandler({
      onUpdate: (o, n) => {
        if (o === n) resynced.push(n.metadata.name ?? "");
      },
    });
    informer.start();
    await informer.waitForSync();
    await settle(clock, 59_999);
    expect(resynced).toEqual([]);
    await settle(clock, 1);
    expect(resynced).toEqual(["a", "b"]);
    await settle(clock, 60_000);
    expect(resynced).toEqual(["a", "b", "a", "b"]);
    await informer.stop();
  });
});

describe("Controller.for priorities", () => {
  it("runs live creates before status-only updates before the initial list", async () => {
    const clock = new FakeClock();
    const api = new ScriptedApi();
    const gen = (o: KubeObject, g: number): KubeObject => ({
      ...o,
      metadata: { ...o.metadata, generation: g },
    });
    api.lists.push({
      metadata: { resourceVersion: "10" },
      items: [
        gen(thing("initial", "1"), 1),
        gen(thing("status-only", "2"), 1),
        gen(thing("spec-change", "3"), 1),
      ],
    });
    api.watches.push([
      { type: "MODIFIED", object: gen(thing("status-only", "11"), 1) },
      { type: "ADDED", object: gen(thing("live", "12"), 1) },
      { type: "MODIFIED", object: gen(thing("spec-change", "13"), 2) },
    ]);
    const informer = informerOn(api, clock);
    const order: Array<[string, number]> = [];
    const controller = new Controller({
      name: "prio",
      clock,
      reconcile: async (_key, ctx) => {
        order.push([ctx.name, ctx.priority]);
      },
    }).for(informer);
    informer.start();
    await informer.waitForSync();
    await settle(clock);
    controller.start();
    await settle(clock);
    expect(order).toEqual([
      ["live", Priority.High],
      ["spec-change", Priority.High],
      ["status-only", Priority.Normal],
      ["initial", Priority.Low],
    ]);
    await controller.stop(1000);
    await informer.stop();
  });
});
