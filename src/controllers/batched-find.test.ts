import { describe, expect, it } from "vitest";
import { findBatched } from "./batched-find.ts";

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
