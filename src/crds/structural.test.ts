import { describe, expect, it } from "vitest";
import { z } from "zod";
import { doc } from "./common.ts";
import { StructuralSchemaError, toStructural } from "./structural.ts";

describe("toStructural", () => {
  it("keeps descriptions, defaults, enums and limits, and drops zod-only noise", () => {
    const schema = doc(
      z.object({
        size: doc(z.int().min(1).default(10), "Size."),
        count: doc(z.int().optional(), "Count."),
        mode: doc(z.enum(["A", "B"]).default("A"), "Mode."),
        labels: doc(z.record(z.string(), z.string().max(5)).optional(), "Labels."),
      }),
      "Root.",
    );
    expect(toStructural(schema)).toEqual({
      description: "Root.",
      type: "object",
      properties: {
        size: { description: "Size.", type: "integer", default: 10, minimum: 1 },
        count: { description: "Count.", type: "integer" },
        mode: { description: "Mode.", type: "string", enum: ["A", "B"], default: "A" },
        labels: {
          description: "Labels.",
          type: "object",
          additionalProperties: { type: "string", maxLength: 5 },
        },
      },
    });
  });

  it("lists required fields and omits defaulted ones (the apiserver fills them)", () => {
    const out = toStructural(
      z.object({ a: z.string(), b: z.string().default("x"), c: z.string().optional() }),
    );
    expect(out.required).toEqual(["a"]);
  });

  it("turns a loose object into x-kubernetes-preserve-unknown-fields", () => {
    const out = toStructural(z.looseObject({ Effect: z.enum(["Allow", "Deny"]) }));
    expect(out).toEqual({
      type: "object",
      required: ["Effect"],
      properties: { Effect: { type: "string", enum: ["Allow", "Deny"] } },
      "x-kubernetes-preserve-unknown-fields": true,
    });
  });

  it("carries CEL rules and list extensions from meta", () => {
    const out = toStructural(
      doc(z.array(z.object({ name: z.string() })).max(3), "Refs.", {
        rules: [{ rule: "size(self) > 0", message: "needs one" }],
        "x-kubernetes-list-type": "map",
        "x-kubernetes-list-map-keys": ["name"],
      }),
    );
    expect(out["x-kubernetes-validations"]).toEqual([{ rule: "size(self) > 0", message: "needs one" }]);
    expect(out["x-kubernetes-list-type"]).toBe("map");
    expect(out["x-kubernetes-list-map-keys"]).toEqual(["name"]);
    expect(out.maxItems).toBe(3);
  });

  it("replaces a pattern with a CEL matches rule when it has a friendly message", () => {
    const out = toStructural(
      doc(
        z
          .string()
          .max(10)
          .regex(/^[a-z]+$/),
        "Word.",
        {
          patternMessage: "must be lowercase letters",
          rules: [{ rule: "self != 'no'", message: "not no" }],
        },
      ),
    );
    expect(out.pattern).toBeUndefined();
    expect(out["x-kubernetes-validations"]).toEqual([
      { rule: "self.matches(r'^[a-z]+$')", message: "must be lowercase letters" },
      { rule: "self != 'no'", message: "not no" },
    ]);
  });

  it("refuses a CEL-checked pattern without maxLength (the CEL cost budget needs one)", () => {
    expect(() => toStructural(doc(z.string().regex(/^a$/), "A.", { patternMessage: "a" }))).toThrow(
      /maxLength/,
    );
  });

  it.each([
    ["a union", z.union([z.string(), z.int()])],
    ["a nullable field", z.object({ a: z.string().nullable() })],
    ["a tuple", z.tuple([z.string(), z.int()])],
    [
      "a discriminated union",
      z.discriminatedUnion("t", [
        z.object({ t: z.literal("a"), a: z.string() }),
        z.object({ t: z.literal("b") }),
      ]),
    ],
  ])("rejects %s, which is not structural", (_, schema) => {
    expect(() => toStructural(schema)).toThrow(StructuralSchemaError);
  });
});
