// Turns a zod schema into a Kubernetes structural OpenAPI v3 schema: zod emits JSON Schema, and
// this keeps the subset the apiserver accepts, rewrites the few constructs it spells differently
// and refuses everything else, so an unsupported zod feature fails the generator, not the cluster.
import { z } from "zod";
import { PATTERN_MESSAGE, type CelRule } from "./common.ts";

export type JSONSchemaProps = { [keyword: string]: unknown };

/** Keywords kept, in the order they are written (stable, readable YAML). */
const KEYWORD_ORDER = [
  "description",
  "type",
  "format",
  "enum",
  "default",
  "pattern",
  "minLength",
  "maxLength",
  "minimum",
  "exclusiveMinimum",
  "maximum",
  "exclusiveMaximum",
  "multipleOf",
  "minItems",
  "maxItems",
  "minProperties",
  "maxProperties",
  "required",
  "properties",
  "additionalProperties",
  "items",
] as const;

/** Keywords zod emits that carry no meaning for Kubernetes and are dropped. */
const DROPPED = new Set(["$schema", "propertyNames", "id"]);

const SAFE_INTEGER_BOUND = Number.MAX_SAFE_INTEGER;

export class StructuralSchemaError extends Error {}

export function toStructural(schema: z.ZodType): JSONSchemaProps {
  const json = z.toJSONSchema(schema, { io: "input", target: "openapi-3.0", unrepresentable: "throw" });
  return clean(json, "");
}

function clean(node: JSONSchemaProps, path: string): JSONSchemaProps {
  const out: JSONSchemaProps = {};
  const extensions: JSONSchemaProps = {};
  let patternMessage: string | undefined;
  for (const [key, value] of Object.entries(node)) {
    if (DROPPED.has(key)) continue;
    if (key === PATTERN_MESSAGE) {
      patternMessage = value as string;
      continue;
    }
    if (key.startsWith("x-kubernetes-")) {
      extensions[key] = value;
      continue;
    }
    switch (key) {
      case "properties": {
        const props: JSONSchemaProps = {};
        for (const [name, child] of Object.entries(value as Record<string, JSONSchemaProps>)) {
          props[name] = clean(child, `${path}.${name}`);
        }
        out.properties = props;
        break;
      }
      case "items":
        if (Array.isArray(value))
          throw new StructuralSchemaError(`${path || "."}: tuple items are not structural`);
        out.items = clean(value as JSONSchemaProps, `${path}[]`);
        break;
      case "additionalProperties":
        if (value === false) break; // Kubernetes prunes unknown fields anyway.
        if (isEmptySchema(value)) {
          // A loose object: keep whatever the user wrote next to the declared fields.
          extensions["x-kubernetes-preserve-unknown-fields"] = true;
          break;
        }
        out.additionalProperties = clean(value as JSONSchemaProps, `${path}.*`);
        break;
      case "required":
        if (Array.isArray(value) && value.length > 0) out.required = value;
        break;
      case "const":
        out.enum = [value];
        break;
      case "minimum":
      case "maximum":
        // zod bounds every integer by the safe-integer range; Kubernetes needs no such noise.
        if (Math.abs(value as number) !== SAFE_INTEGER_BOUND) out[key] = value;
        break;
      default:
        if (!(KEYWORD_ORDER as readonly string[]).includes(key)) {
          throw new StructuralSchemaError(
            `${path || "."}: JSON Schema keyword "${key}" is not allowed in a CRD schema`,
          );
        }
        out[key] = value;
    }
  }
  if (patternMessage !== undefined) patternToRule(out, extensions, patternMessage, path);
  if (out.type === undefined && extensions["x-kubernetes-preserve-unknown-fields"] !== true) {
    throw new StructuralSchemaError(`${path || "."}: every schema node needs a type`);
  }
  if (out.properties !== undefined && out.additionalProperties !== undefined) {
    throw new StructuralSchemaError(`${path || "."}: properties and additionalProperties cannot both be set`);
  }
  return { ...ordered(out), ...ordered(extensions) };
}

/** Replaces `pattern` by an equivalent CEL rule, so a mismatch is reported in words. */
function patternToRule(
  out: JSONSchemaProps,
  extensions: JSONSchemaProps,
  message: string,
  path: string,
): void {
  const pattern = out.pattern;
  if (typeof pattern !== "string")
    throw new StructuralSchemaError(`${path || "."}: patternMessage without a pattern`);
  if (pattern.includes("'"))
    throw new StructuralSchemaError(`${path || "."}: pattern cannot contain a quote`);
  if (out.maxLength === undefined) {
    throw new StructuralSchemaError(
      `${path || "."}: a pattern checked by CEL needs maxLength (CEL cost budget)`,
    );
  }
  delete out.pattern;
  const rules = (extensions["x-kubernetes-validations"] as CelRule[] | undefined) ?? [];
  extensions["x-kubernetes-validations"] = [{ rule: `self.matches(r'${pattern}')`, message }, ...rules];
}

function isEmptySchema(value: unknown): boolean {
  return value === true || (typeof value === "object" && value !== null && Object.keys(value).length === 0);
}

function ordered(node: JSONSchemaProps): JSONSchemaProps {
  const result: JSONSchemaProps = {};
  for (const key of KEYWORD_ORDER) if (key in node) result[key] = node[key];
  for (const key of Object.keys(node).sort()) if (!(key in result)) result[key] = node[key];
  return result;
}
