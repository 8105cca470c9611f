import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import type { ManagedObject } from "../generic/actuator.ts";
import { cloudName } from "./resource.ts";

const object = (namespace: string, name: string): ManagedObject =>
  ({ metadata: { namespace, name }, spec: {} }) as unknown as ManagedObject;

const CLOUD_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

describe("cloudName", () => {
  it("is the readable namespace-name plus 10 hex of the installation/namespace/name hash", () => {
    const hash = createHash("sha256").update("inst-1/default/net").digest("hex").slice(0, 10);
    expect(cloudName(object("default", "net"), "inst-1")).toBe(`default-net-${hash}`);
  });

  it("tells apart objects whose namespace-name reads the same", () => {
    const a = cloudName(object("team-a", "web"), "inst-1");
    const b = cloudName(object("team", "a-web"), "inst-1");
    expect(a.startsWith("team-a-web-")).toBe(true);
    expect(b.startsWith("team-a-web-")).toBe(true);
    expect(a).not.toBe(b);
  });

  it("differs between installations for the same object, and is stable for one", () => {
    const web = object("team-a", "web");
    expect(cloudName(web, "cluster-one")).not.toBe(cloudName(web, "cluster-two"));
    expect(cloudName(web, "cluster-one")).toBe(cloudName(object("team-a", "web"), "cluster-one"));
  });

  it("fits the cloud's rule at the longest namespace and name, keeping the hash", () => {
    const longest = object("n".repeat(63), "m".repeat(253));
    const name = cloudName(longest, "i".repeat(63));
    expect(name).toHaveLength(128);
    expect(name).toMatch(CLOUD_NAME);
    expect(name).toMatch(/^n{63}-m{53}-[0-9a-f]{10}$/);
    // Two long names that share the readable prefix still differ.
    expect(cloudName(object("n".repeat(63), `${"m".repeat(252)}x`), "i".repeat(63))).not.toBe(name);
  });

  it("starts alphanumeric and replaces characters the cloud refuses", () => {
    const odd = { metadata: { name: "-odd:name" }, spec: {} } as unknown as ManagedObject;
    const name = cloudName(odd, "inst-1");
    expect(name).toMatch(CLOUD_NAME);
    expect(name).toMatch(/^x-odd-name-[0-9a-f]{10}$/);
  });
});
