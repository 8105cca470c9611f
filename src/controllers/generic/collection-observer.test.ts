import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { CollectionObserver, findBatched } from "./collection-observer.ts";

interface Res {
  id: string;
}

/** A collection whose calls stay open until `release()`, recording what was asked. */
function slowCollection(existing: string[]) {
  const calls: string[] = [];
  let release: () => void = () => {};
  let gate = new Promise<void>((r) => (release = r));
  const collection = {
    async find(id: string): Promise<Res | undefined> {
      calls.push(`get ${id}`);
      await gate;
      return existing.includes(id) ? { id } : undefined;
    },
    async listAll(filter: { ids: string[] }): Promise<Res[]> {
      calls.push(`list ${filter.ids.join(",")}`);
      await gate;
      return filter.ids.filter((id) => existing.includes(id)).map((id) => ({ id }));
    },
  };
  return {
    collection,
    calls,
    release() {
      release();
      gate = new Promise<void>((r) => (release = r));
    },
  };
}

const tick = () => new Promise((r) => setImmediate(r));

describe("findBatched", () => {
  it("a lone find is a plain GET; finds arriving while it is in flight share one list call", async () => {
    const c = slowCollection(["a", "b", "c"]);
    const first = findBatched(c.collection, "a");
    await tick();
    const rest = [
      findBatched(c.collection, "b"),
      findBatched(c.collection, "c"),
      findBatched(c.collection, "gone"),
      findBatched(c.collection, "b"),
    ];
    c.release();
    expect(await first).toEqual({ id: "a" });
    await tick();
    c.release();
    expect(await Promise.all(rest)).toEqual([{ id: "b" }, { id: "c" }, undefined, { id: "b" }]);
    expect(c.calls).toEqual(["get a", "list b,c,gone"]);
  });

  it("finds started in the same turn go together, and a failed call fails each of its finds", async () => {
    const err = new Error("throttled");
    const collection = {
      find: () => Promise.reject(err),
      listAll: () => Promise.reject(err),
    };
    const results = await Promise.allSettled([findBatched(collection, "x"), findBatched(collection, "y")]);
    expect(results.map((r) => r.status)).toEqual(["rejected", "rejected"]);
    // The batcher is free again afterwards.
    await expect(findBatched(collection, "z")).rejects.toBe(err);
  });

  it("an aborted caller stops waiting without cancelling the shared call", async () => {
    const c = slowCollection(["a", "b"]);
    const abort = new AbortController();
    const mine = findBatched(c.collection, "a", abort.signal);
    const other = findBatched(c.collection, "b");
    await tick();
    abort.abort(new Error("stopped"));
    await expect(mine).rejects.toThrow("stopped");
    c.release();
    expect(await other).toEqual({ id: "b" });
    expect(c.calls).toEqual(["list a,b"]);
  });
});

interface Item {
  id: string;
  state: string;
}

/** A collection whose list answers come from `states` at the moment of the call (after `gate`). */
function listedCollection(states: Map<string, string>) {
  const lists: string[][] = [];
  const priorities: Array<string | undefined> = [];
  let fail: Error | undefined;
  let gate: Promise<void> = Promise.resolve();
  const collection = {
    find: async (id: string): Promise<Item | undefined> => {
      const state = states.get(id);
      return state === undefined ? undefined : { id, state };
    },
    async listAll(filter: { ids: string[] }, opts?: { priority?: string }): Promise<Item[]> {
      lists.push([...filter.ids]);
      priorities.push(opts?.priority);
      const snapshot = filter.ids.flatMap((id) => {
        const state = states.get(id);
        return state === undefined ? [] : [{ id, state }];
      });
      await gate;
      if (fail) throw fail;
      return snapshot;
    },
  };
  return {
    collection,
    lists,
    priorities,
    failWith(err: Error | undefined) {
      fail = err;
    },
    hold(): () => void {
      let release: () => void = () => {};
      gate = new Promise<void>((r) => (release = r));
      return () => {
        gate = Promise.resolve();
        release();
      };
    },
  };
}

describe("CollectionObserver.watch", () => {
  beforeEach(() => {
    // Batched finds wait a turn with setImmediate; only the poll timer is faked.
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout", "Date"] });
  });
  afterEach(() => {
    vi.useRealTimers();
  });
  const every = { intervalMs: 1_000, ttlMs: 60_000 };

  it("looks at every watched resource with one list per interval and wakes only those that changed", async () => {
    const states = new Map([
      ["a", "creating"],
      ["b", "creating"],
      ["c", "creating"],
    ]);
    const c = listedCollection(states);
    const observer = new CollectionObserver(c.collection);
    const woken: string[] = [];
    for (const id of ["a", "b", "c"])
      observer.watch(id, { id, state: "creating" }, () => woken.push(id), every);

    await vi.advanceTimersByTimeAsync(0);
    expect(c.lists).toEqual([["a", "b", "c"]]);
    expect(c.priorities).toEqual(["high"]);
    expect(woken).toEqual([]);

    states.set("b", "active");
    await vi.advanceTimersByTimeAsync(999);
    expect(c.lists).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(c.lists).toHaveLength(2);
    expect(woken).toEqual(["b"]);
    // The woken reconcile reads the list's copy: no call of its own.
    expect(await observer.find("b")).toEqual({ id: "b", state: "active" });
    expect(c.lists).toHaveLength(2);
    // b is no longer watched; a and c still are.
    await vi.advanceTimersByTimeAsync(1_000);
    expect(c.lists[2]).toEqual(["a", "c"]);
  });

  it("stops polling when nothing is watched, and a forget drops the handoff", async () => {
    const states = new Map([["a", "creating"]]);
    const c = listedCollection(states);
    const observer = new CollectionObserver(c.collection);
    const woken: string[] = [];
    observer.watch("a", { id: "a", state: "creating" }, () => woken.push("a"), every);
    states.set("a", "active");
    await vi.advanceTimersByTimeAsync(0);
    expect(woken).toEqual(["a"]);
    await vi.advanceTimersByTimeAsync(10_000);
    expect(c.lists).toHaveLength(1);

    observer.forget("a");
    states.set("a", "deleting");
    // Without the handoff, a find asks the cloud.
    expect(await observer.find("a")).toEqual({ id: "a", state: "deleting" });
  });

  it("ignores a list that started before the resource was watched again (it may predate a write)", async () => {
    const states = new Map([["a", "creating"]]);
    const c = listedCollection(states);
    const observer = new CollectionObserver(c.collection);
    const woken: string[] = [];
    observer.watch("a", { id: "a", state: "creating" }, () => woken.push("first"), every);
    const release = c.hold();
    states.set("a", "active");
    await vi.advanceTimersByTimeAsync(0);
    expect(c.lists).toHaveLength(1);
    // Meanwhile a reconcile updated the resource and watches it again with what it saw.
    states.set("a", "resizing");
    observer.watch("a", { id: "a", state: "resizing" }, () => woken.push("second"), every);
    release();
    await vi.advanceTimersByTimeAsync(0);
    // The list's "active" was read before that write: neither woken nor handed off.
    expect(woken).toEqual([]);
    expect(await observer.find("a")).toEqual({ id: "a", state: "resizing" });
    states.set("a", "active");
    await vi.advanceTimersByTimeAsync(1_000);
    expect(woken).toEqual(["second"]);
  });

  it("wakes every watcher when the list fails, and one that is not listed, without a handoff", async () => {
    const states = new Map([
      ["a", "creating"],
      ["b", "deleting"],
    ]);
    const c = listedCollection(states);
    const observer = new CollectionObserver(c.collection);
    const woken: string[] = [];
    observer.watch("a", { id: "a", state: "creating" }, () => woken.push("a"), every);
    observer.watch("b", { id: "b", state: "deleting" }, () => woken.push("b"), every);
    states.delete("b");
    await vi.advanceTimersByTimeAsync(0);
    expect(woken).toEqual(["b"]);
    // Only b's own GET may conclude that it is gone.
    expect(await observer.find("b")).toBeUndefined();

    c.failWith(new Error("throttled"));
    await vi.advanceTimersByTimeAsync(1_000);
    expect(woken).toEqual(["b", "a"]);
    expect(observer.watching).toBe(0);
  });
});

describe("CollectionObserver watch lifetime", () => {
  beforeEach(() => {
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout", "Date"] });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it("drops a watch nobody renewed within its lifetime, and stops polling", async () => {
    const c = listedCollection(new Map([["a", "attaching"]]));
    const observer = new CollectionObserver(c.collection);
    const woken: string[] = [];
    observer.watch("a", { id: "a", state: "attaching" }, () => woken.push("a"), {
      intervalMs: 1_000,
      ttlMs: 5_000,
    });
    await vi.advanceTimersByTimeAsync(4_500);
    expect(c.lists).toHaveLength(5);
    await vi.advanceTimersByTimeAsync(10_000);
    expect(c.lists).toHaveLength(5);
    expect(woken).toEqual([]);
    expect(observer.watching).toBe(0);
  });
});

describe("CollectionObserver.check", () => {
  beforeEach(() => {
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout", "Date"] });
  });
  afterEach(() => {
    vi.useRealTimers();
  });
  const gather = { intervalMs: 1_000, gatherMs: 2_000, ttlMs: 60_000 };
  const seen = (id: string, state: string) => JSON.stringify({ id, state });

  it("resync checks due close together share one list at low priority; unchanged ones wake nobody", async () => {
    const states = new Map([
      ["a", "active"],
      ["b", "active"],
      ["c", "active"],
    ]);
    const c = listedCollection(states);
    const observer = new CollectionObserver(c.collection);
    const results: string[] = [];
    const callbacks = (id: string) => ({
      onChange: () => results.push(`changed ${id}`),
      onUnchanged: () => results.push(`unchanged ${id}`),
    });
    observer.check("a", seen("a", "active"), callbacks("a"), gather);
    observer.check("b", seen("b", "active"), callbacks("b"), gather);
    await vi.advanceTimersByTimeAsync(1_000);
    observer.check("c", seen("c", "active"), callbacks("c"), gather);
    // Nothing until the first check's gather time is up; then one list takes all three.
    await vi.advanceTimersByTimeAsync(999);
    expect(c.lists).toEqual([]);
    await vi.advanceTimersByTimeAsync(1);
    expect(c.lists).toEqual([["a", "b", "c"]]);
    expect(c.priorities).toEqual(["low"]);
    expect(results).toEqual(["unchanged a", "unchanged b", "unchanged c"]);
    // Checks are one-time: no further lists.
    await vi.advanceTimersByTimeAsync(10_000);
    expect(c.lists).toHaveLength(1);
    expect(observer.watching).toBe(0);
  });

  it("a check rides along with a watch's list; a changed resource wakes with the list's copy", async () => {
    const states = new Map([
      ["w", "creating"],
      ["x", "stopped"],
    ]);
    const c = listedCollection(states);
    const observer = new CollectionObserver(c.collection);
    const results: string[] = [];
    observer.check(
      "x",
      seen("x", "running"),
      { onChange: () => results.push("changed x"), onUnchanged: () => results.push("unchanged x") },
      { ...gather, gatherMs: 10_000 },
    );
    observer.watch("w", { id: "w", state: "creating" }, () => results.push("woken w"), gather);
    await vi.advanceTimersByTimeAsync(0);
    // The watch's list (a user waits on it: high priority) took the check along, long before its time.
    expect(c.lists).toEqual([["x", "w"]]);
    expect(c.priorities).toEqual(["high"]);
    expect(results).toEqual(["changed x"]);
    expect(await observer.find("x")).toEqual({ id: "x", state: "stopped" });
    expect(c.lists).toHaveLength(1);
  });

  it("a check replaced by a reconcile's own end (forget) before its list is not reported", async () => {
    const c = listedCollection(new Map([["a", "active"]]));
    const observer = new CollectionObserver(c.collection);
    const results: string[] = [];
    observer.check(
      "a",
      seen("a", "creating"),
      { onChange: () => results.push("changed"), onUnchanged: () => results.push("unchanged") },
      gather,
    );
    observer.forget("a");
    await vi.advanceTimersByTimeAsync(5_000);
    expect(c.lists).toEqual([]);
    expect(results).toEqual([]);
  });
});
