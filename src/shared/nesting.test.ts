import { describe, expect, it } from "vitest";
import { pathDeeperThan } from "./nesting.ts";

function nested(levels: number): unknown {
  let value: unknown = "leaf";
  for (let i = 0; i < levels; i++) value = { x: value };
  return value;
}

describe("pathDeeperThan", () => {
  it("accepts values within the bound and names the first path beyond it", () => {
    expect(pathDeeperThan({ a: [{ b: 1 }] }, 3)).toBeUndefined();
    expect(pathDeeperThan({ a: [{ b: { c: {} } }] }, 3)).toBe("a[0].b.c");
    expect(pathDeeperThan("text", 0)).toBeUndefined();
  });

  it("measures values far deeper than the stack allows", () => {
    const deep = nested(100_000);
    expect(() => JSON.stringify(deep)).toThrow(RangeError);
    expect(pathDeeperThan(deep, 32)).toBe(Array.from({ length: 33 }, () => "x").join("."));
  });
});
