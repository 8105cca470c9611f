/**
 * A small JSON Schema (2020-12 subset) validator for the contract tests. It supports exactly the
 * keywords sandbox/openapi.yaml uses and throws on any other keyword, so the document can never
 * rely on a rule this validator would silently skip.
 */
type SchemaObject = Record<string, unknown>;

const ANNOTATIONS = new Set([
  "description",
  "title",
  "default",
  "examples",
  "deprecated",
  "readOnly",
  "writeOnly",
]);
const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;

export class JsonSchemaValidator {
  constructor(private readonly root: SchemaObject) {}

  /** Returns the list of violations (empty when valid). */
  validate(schema: unknown, value: unknown, path = "$"): string[] {
    const errors: string[] = [];
    this.check(schema, value, path, errors);
    return errors;
  }

  resolve(ref: string): SchemaObject {
    if (!ref.startsWith("#/")) throw new Error(`only local $refs are supported: ${ref}`);
    let node: unknown = this.root;
    for (const part of ref.slice(2).split("/")) {
      const key = part.replace(/~1/g, "/").replace(/~0/g, "~");
      node = (node as SchemaObject | undefined)?.[key];
    }
    if (node === undefined || typeof node !== "object" || node === null)
      throw new Error(`unresolved $ref ${ref}`);
    return node as SchemaObject;
  }

  private check(schemaInput: unknown, value: unknown, path: string, errors: string[]): void {
    if (schemaInput === true) return;
    if (schemaInput === false) {
      errors.push(`${path}: not allowed`);
      return;
    }
    const schema = schemaInput as SchemaObject;
    for (const [keyword, arg] of Object.entries(schema)) {
      if (ANNOTATIONS.has(keyword) || keyword.startsWith("x-")) continue;
      switch (keyword) {
        case "$ref":
          this.check(this.resolve(arg as string), value, path, errors);
          break;
        case "type": {
          const types = [arg].flat() as string[];
          if (!types.some((t) => hasType(value, t)))
            errors.push(`${path}: expected ${types.join("|")}, got ${typeName(value)}`);
          break;
        }
        case "enum":
          if (!(arg as unknown[]).some((v) => v === value))
            errors.push(`${path}: ${JSON.stringify(value)} not in enum`);
          break;
        case "const":
          if (value !== arg) errors.push(`${path}: expected ${JSON.stringify(arg)}`);
          break;
        case "properties":
          if (isObject(value)) {
            for (const [name, sub] of Object.entries(arg as SchemaObject)) {
              if (Object.hasOwn(value, name)) this.check(sub, value[name], `${path}.${name}`, errors);
            }
          }
          break;
        case "required":
          if (isObject(value)) {
            for (const name of arg as string[])
              if (!Object.hasOwn(value, name)) errors.push(`${path}: missing ${name}`);
          }
          break;
        case "additionalProperties":
          if (isObject(value)) {
            const known = new Set(Object.keys((schema.properties as SchemaObject | undefined) ?? {}));
            for (const [name, v] of Object.entries(value)) {
              if (!known.has(name)) this.check(arg, v, `${path}.${name}`, errors);
            }
          }
          break;
        case "propertyNames":
          if (isObject(value))
            for (const name of Object.keys(value)) this.check(arg, name, `${path}[key ${name}]`, errors);
          break;
        case "maxProperties":
          if (isObject(value) && Object.keys(value).length > (arg as number))
            errors.push(`${path}: too many properties`);
          break;
        case "items":
          if (Array.isArray(value)) value.forEach((v, i) => this.check(arg, v, `${path}[${i}]`, errors));
          break;
        case "minItems":
          if (Array.isArray(value) && value.length < (arg as number))
            errors.push(`${path}: fewer than ${String(arg)} items`);
          break;
        case "maxItems":
          if (Array.isArray(value) && value.length > (arg as number))
            errors.push(`${path}: more than ${String(arg)} items`);
          break;
        case "minLength":
          if (typeof value === "string" && [...value].length < (arg as number))
            errors.push(`${path}: shorter than ${String(arg)}`);
          break;
        case "maxLength":
          if (typeof value === "string" && [...value].length > (arg as number))
            errors.push(`${path}: longer than ${String(arg)}`);
          break;
        case "pattern":
          if (typeof value === "string" && !new RegExp(arg as string, "u").test(value)) {
            errors.push(`${path}: ${JSON.stringify(value)} does not match ${String(arg)}`);
          }
          break;
        case "format":
          if (arg !== "date-time") throw new Error(`unsupported format ${String(arg)}`);
          if (typeof value === "string" && (!RFC3339.test(value) || Number.isNaN(Date.parse(value)))) {
            errors.push(`${path}: not an RFC 3339 date-time`);
          }
          break;
        case "minimum":
          if (typeof value === "number" && value < (arg as number))
            errors.push(`${path}: below ${String(arg)}`);
          break;
        case "maximum":
          if (typeof value === "number" && value > (arg as number))
            errors.push(`${path}: above ${String(arg)}`);
          break;
        case "oneOf": {
          const passing = (arg as unknown[]).filter(
            (sub) => this.validate(sub, value, path).length === 0,
          ).length;
          if (passing !== 1) errors.push(`${path}: matches ${passing} of oneOf (expected exactly 1)`);
          break;
        }
        case "anyOf":
          if (!(arg as unknown[]).some((sub) => this.validate(sub, value, path).length === 0))
            errors.push(`${path}: matches no anyOf`);
          break;
        case "allOf":
          for (const sub of arg as unknown[]) this.check(sub, value, path, errors);
          break;
        default:
          throw new Error(`schema keyword '${keyword}' at ${path} is not supported by this validator`);
      }
    }
  }
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function hasType(v: unknown, t: string): boolean {
  switch (t) {
    case "object":
      return isObject(v);
    case "array":
      return Array.isArray(v);
    case "string":
      return typeof v === "string";
    case "integer":
      return Number.isInteger(v);
    case "number":
      return typeof v === "number" && Number.isFinite(v);
    case "boolean":
      return typeof v === "boolean";
    case "null":
      return v === null;
    default:
      throw new Error(`unknown type ${t}`);
  }
}

function typeName(v: unknown): string {
  return v === null ? "null" : Array.isArray(v) ? "array" : typeof v;
}
