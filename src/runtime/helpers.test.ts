import { Writable } from "node:stream";
import { describe, expect, it } from "vitest";
import { getCondition, setCondition } from "./conditions.ts";
import { createLogger } from "../shared/logging.ts";
import { mergePatch } from "./status.ts";
import { ObjectStore } from "./store.ts";
import type { KubeObject } from "./resource.ts";

describe("conditions", () => {
  it("moves lastTransitionTime only when the status changes", () => {
    const t0 = Date.UTC(2026, 0, 1, 0, 0, 0);
    let c = setCondition(
      undefined,
      { type: "Ready", status: "False", reason: "Creating", message: "m1", observedGeneration: 1 },
      t0,
    );
    expect(c[0]?.lastTransitionTime).toBe("2026-01-01T00:00:00Z");
    c = setCondition(
      c,
      { type: "Ready", status: "False", reason: "Waiting", message: "m2", observedGeneration: 2 },
      t0 + 60_000,
    );
    expect(getCondition(c, "Ready")).toEqual({
      type: "Ready",
      status: "False",
      reason: "Waiting",
      message: "m2",
      observedGeneration: 2,
      lastTransitionTime: "2026-01-01T00:00:00Z",
    });
    c = setCondition(c, { type: "Synced", status: "True", reason: "Ok", message: "" }, t0 + 90_000);
    c = setCondition(c, { type: "Ready", status: "True", reason: "Available", message: "" }, t0 + 120_000);
    expect(c.map((x) => x.type)).toEqual(["Ready", "Synced"]);
    expect(getCondition(c, "Ready")?.lastTransitionTime).toBe("2026-01-01T00:02:00Z");
  });
});

describe("mergePatch", () => {
  it("is undefined for equal values regardless of key order", () => {
    expect(
      mergePatch({ a: 1, b: { c: [1, 2], d: "x" } }, { b: { d: "x", c: [1, 2] }, a: 1 }),
    ).toBeUndefined();
  });

  it("sets changed keys, nulls removed keys and replaces arrays", () => {
    expect(
      mergePatch({ a: 1, b: { c: 1, d: 2 }, l: [1, 2], gone: true }, { a: 2, b: { c: 1 }, l: [2] }),
    ).toEqual({
      a: 2,
      b: { d: null },
      l: [2],
      gone: null,
    });
  });
});

describe("ObjectStore", () => {
  const obj = (ns: string, name: string, refs: string[]): KubeObject => ({
    metadata: { namespace: ns, name },
    spec: { refs },
  });
  const refs = (o: KubeObject): string[] => (o.spec as { refs: string[] }).refs;

  it("keeps custom and namespace indexes in step with updates and deletes", () => {
    const store = new ObjectStore({ ref: refs });
    store.upsert(obj("a", "x", ["vpc1"]));
    store.upsert(obj("a", "y", ["vpc1", "vpc2"]));
    store.upsert(obj("b", "z", ["vpc2"]));
    expect(store.keysByIndex("ref", "vpc1").sort()).toEqual(["a/x", "a/y"]);
    store.upsert(obj("a", "y", ["vpc2"]));
    expect(store.keysByIndex("ref", "vpc1")).toEqual(["a/x"]);
    expect(store.keysByIndex("ref", "vpc2").sort()).toEqual(["a/y", "b/z"]);
    store.remove("b/z");
    expect(store.keysByIndex("ref", "vpc2")).toEqual(["a/y"]);
    expect(store.listNamespace("a").length).toBe(2);
    expect(store.listNamespace("b")).toEqual([]);
  });

  it("survives an index function that throws", () => {
    const store = new ObjectStore({
      bad: (o) => {
        if (o.metadata.name === "boom") throw new Error("bad index");
        return ["v"];
      },
    });
    store.upsert(obj("a", "boom", []));
    store.upsert(obj("a", "ok", []));
    expect(store.size).toBe(2);
    expect(store.keysByIndex("bad", "v")).toEqual(["a/ok"]);
  });
});

describe("logging", () => {
  it("redacts secrets and carries the reconcile fields on child loggers", () => {
    const lines: string[] = [];
    const destination = new Writable({
      write(chunk: Buffer, _enc, cb) {
        lines.push(chunk.toString("utf8"));
        cb();
      },
    });
    const logger = createLogger({ destination, redact: ["credentials.apiKey"] });
    const child = logger.child({
      controller: "vpc",
      kind: "VPC",
      namespace: "ns",
      name: "v1",
      reconcileID: "r-1",
    });
    child.info(
      {
        token: "t0ps3cret",
        headers: { authorization: "Bearer abc.def" },
        secret: { data: { key: "c2VjcmV0" } },
        credentials: { apiKey: "k3y", user: "me" },
      },
      "hello",
    );
    expect(lines.length).toBe(1);
    const rec = JSON.parse(lines[0]!) as Record<string, unknown>;
    expect(rec).toMatchObject({
      controller: "vpc",
      kind: "VPC",
      namespace: "ns",
      name: "v1",
      reconcileID: "r-1",
      msg: "hello",
    });
    expect(lines[0]).not.toMatch(/t0ps3cret|abc\.def|c2VjcmV0|k3y/);
    expect((rec.credentials as Record<string, unknown>).user).toBe("me");
  });
});
