import { describe, expect, it } from "vitest";
import { WireValidator } from "./openapi.ts";

// The sandbox refuses request bodies and the contract tests refuse responses through this
// validator, so it gets its own checks: it must refuse what the document forbids, and say where.
describe("WireValidator", () => {
  const wire = new WireValidator();

  it("accepts a body the document allows", () => {
    expect(
      wire.componentIssues("VpcCreate", { name: "main", cidr: "10.0.0.0/16", tags: { env: "a" } }),
    ).toEqual([]);
  });

  it.each([
    ["missing required", { name: "x" }, "cidr", "is required"],
    [
      "unknown field",
      { name: "x", cidr: "10.0.0.0/16", colour: "blue" },
      "colour",
      "is not a field of this request",
    ],
    ["pattern", { name: "my vpc", cidr: "10.0.0.0/16" }, "name", "is not a valid Name"],
    ["CIDR with host bits", { name: "x", cidr: "10.0.0.1/16" }, "cidr", "is not a valid VpcCidr"],
    ["tag key", { name: "x", cidr: "10.0.0.0/16", tags: { "a:b": "c" } }, "tags", "is not a valid Tags"],
    ["tag value type", { name: "x", cidr: "10.0.0.0/16", tags: { a: 1 } }, "tags.a", "must be string"],
    ["not an object", [], "", "must be object"],
  ])("refuses: %s, naming the field", (_what, body, path, message) => {
    expect(wire.componentIssues("VpcCreate", body)).toContainEqual({ path, message });
  });

  it("oneOf: a server action must be exactly one of the documented shapes", () => {
    expect(wire.componentIssues("ServerAction", { type: "stop" })).toEqual([]);
    expect(wire.componentIssues("ServerAction", { type: "resize", flavor: "std-2x8" })).toEqual([]);
    expect(wire.componentIssues("ServerAction", { type: "resize" }).length).toBeGreaterThan(0);
    expect(wire.componentIssues("ServerAction", { type: "stop", flavor: "x" }).length).toBeGreaterThan(0);
  });

  it("checks formats of responses (date-time)", () => {
    const issues = wire.issues({ $ref: "#/components/schemas/Timestamp" }, "yesterday");
    expect(issues).toEqual([{ path: "", message: 'must match format "date-time"' }]);
  });
});
