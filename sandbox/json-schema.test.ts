import { describe, expect, it } from "vitest";
import { JsonSchemaValidator } from "./testing/json-schema.ts";

// The contract tests rely on this validator, so it gets its own checks: it must reject what the
// document forbids, not just accept what is right.
describe("JsonSchemaValidator", () => {
  const root = {
    components: {
      schemas: {
        Thing: {
          type: "object",
          additionalProperties: false,
          required: ["id", "when"],
          properties: {
            id: { type: "string", pattern: "^t_[0-9]+$" },
            when: { type: "string", format: "date-time" },
            size: { type: "integer", minimum: 1, maximum: 10 },
            maybe: { type: ["string", "null"] },
            kind: { type: "string", enum: ["a", "b"] },
            tags: {
              type: "object",
              maxProperties: 2,
              propertyNames: { pattern: "^[a-z]+$" },
              additionalProperties: { type: "string" },
            },
            list: { type: "array", maxItems: 2, items: { type: "integer" } },
          },
        },
      },
    },
  };
  const v = new JsonSchemaValidator(root);
  const ref = { $ref: "#/components/schemas/Thing" };
  const good = {
    id: "t_1",
    when: "2026-01-01T00:00:00.000Z",
    size: 3,
    maybe: null,
    kind: "a",
    tags: { x: "1" },
    list: [1],
  };

  it("accepts a valid value", () => {
    expect(v.validate(ref, good)).toEqual([]);
  });

  it.each([
    ["missing required", { when: good.when }],
    ["extra property", { ...good, extra: 1 }],
    ["pattern", { ...good, id: "x" }],
    ["date-time", { ...good, when: "yesterday" }],
    ["integer", { ...good, size: 1.5 }],
    ["maximum", { ...good, size: 11 }],
    ["type union", { ...good, maybe: 3 }],
    ["enum", { ...good, kind: "c" }],
    ["maxProperties", { ...good, tags: { a: "1", b: "2", c: "3" } }],
    ["propertyNames", { ...good, tags: { A1: "1" } }],
    ["additionalProperties schema", { ...good, tags: { a: 1 } }],
    ["maxItems", { ...good, list: [1, 2, 3] }],
    ["items", { ...good, list: ["x"] }],
  ])("rejects: %s", (_name, value) => {
    expect(v.validate(ref, value).length).toBeGreaterThan(0);
  });

  it("oneOf needs exactly one match", () => {
    const schema = { oneOf: [{ type: "string" }, { type: "string", maxLength: 3 }] };
    expect(v.validate(schema, "abcdef")).toEqual([]);
    expect(v.validate(schema, "ab").length).toBe(1);
  });

  it("refuses keywords it does not implement", () => {
    expect(() => v.validate({ type: "string", contentEncoding: "base64" }, "x")).toThrow(/not supported/);
  });
});
