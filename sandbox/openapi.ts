import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { Ajv2020, type ErrorObject, type ValidateFunction } from "ajv/dist/2020.js";
import addFormatsModule from "ajv-formats";
import { parse } from "yaml";
import type { components } from "../src/client/api/openapi.ts";

/**
 * sandbox/openapi.yaml as a validator: the sandbox checks request bodies with it and the contract
 * tests check responses with it, so what the document says is what both enforce. JSON Schema
 * 2020-12 (the dialect of OpenAPI 3.1) through ajv; the document is registered whole, so a schema
 * taken from anywhere in it resolves its `#/components/...` references.
 */
export type WireSchemas = components["schemas"];

export const DOCUMENT_PATH = fileURLToPath(new URL("./openapi.yaml", import.meta.url));
const DOCUMENT_ID = "openapi.yaml";
const MAX_ISSUES = 20;

// ajv-formats is CommonJS; under NodeNext its default import is the module object.
const addFormats = addFormatsModule as unknown as typeof addFormatsModule.default;

export type Document = Record<string, unknown>;

export function loadDocument(): Document {
  return parse(readFileSync(DOCUMENT_PATH, "utf8")) as Document;
}

export interface Issue {
  /** Dotted path of the offending value in the body, e.g. `tags.env`; empty for the body itself. */
  path: string;
  message: string;
}

export class WireValidator {
  private readonly ajv: Ajv2020;
  private readonly compiled = new Map<string, ValidateFunction>();

  constructor(readonly document: Document = loadDocument()) {
    // strict: false because the document is an OpenAPI document, not a bare schema: its `paths`,
    // `info` and `x-` extensions are not JSON Schema keywords. The schemas inside it are.
    this.ajv = new Ajv2020({ strict: false, allErrors: true });
    addFormats(this.ajv, ["date-time"]);
    this.ajv.addSchema(document, DOCUMENT_ID);
  }

  /** Problems of `value` against `schema` (a schema object from the document); empty when valid. */
  issues(schema: unknown, value: unknown): Issue[] {
    const validate = this.compile(schema);
    if (validate(value)) return [];
    return describe(validate.errors ?? []);
  }

  /** The same for a named component schema, e.g. `VpcCreate`. */
  componentIssues(name: keyof WireSchemas, value: unknown): Issue[] {
    return this.issues({ $ref: `#/components/schemas/${name}` }, value);
  }

  private compile(schema: unknown): ValidateFunction {
    const key = JSON.stringify(schema);
    let validate = this.compiled.get(key);
    if (!validate) {
      validate = this.ajv.compile(absoluteRefs(schema) as object);
      this.compiled.set(key, validate);
    }
    return validate;
  }
}

/** Rewrites the document-local `#/...` references of a schema taken out of it to `openapi.yaml#/...`. */
function absoluteRefs(node: unknown): unknown {
  if (typeof node === "boolean" || node === null || typeof node !== "object") return node;
  if (Array.isArray(node)) return node.map(absoluteRefs);
  return Object.fromEntries(
    Object.entries(node).map(([key, value]) => [
      key,
      key === "$ref" && typeof value === "string" && value.startsWith("#/")
        ? DOCUMENT_ID + value
        : absoluteRefs(value),
    ]),
  );
}

/** ajv's errors in the words of the API: a dotted field path and a short message. */
function describe(errors: ErrorObject[]): Issue[] {
  const seen = new Set<string>();
  const issues: Issue[] = [];
  for (const error of errors) {
    const segments = error.instancePath
      .split("/")
      .slice(1)
      .map((s) => s.replace(/~1/g, "/").replace(/~0/g, "~"));
    const params = error.params as { additionalProperty?: string; missingProperty?: string };
    if (error.keyword === "additionalProperties" && params.additionalProperty !== undefined)
      segments.push(params.additionalProperty);
    if (error.keyword === "required" && params.missingProperty !== undefined)
      segments.push(params.missingProperty);
    const issue = { path: segments.join("."), message: messageOf(error) };
    const key = `${issue.path}\u0000${issue.message}`;
    if (seen.has(key)) continue;
    seen.add(key);
    issues.push(issue);
    if (issues.length === MAX_ISSUES) break;
  }
  return issues;
}

function messageOf(error: ErrorObject): string {
  switch (error.keyword) {
    case "additionalProperties":
      return "is not a field of this request";
    case "required":
      return "is required";
    case "pattern": {
      // The pattern itself can be long (CIDRs); the component it belongs to says what is meant.
      const component = /#\/components\/schemas\/([A-Za-z0-9]+)\//.exec(error.schemaPath)?.[1];
      return component ? `is not a valid ${component}` : "does not have the required form";
    }
    default:
      return error.message ?? error.keyword;
  }
}
