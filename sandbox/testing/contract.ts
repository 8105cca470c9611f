import { loadDocument, WireValidator } from "../openapi.ts";

type Obj = Record<string, unknown>;

export interface Operation {
  method: string;
  /** Template with the /v1 prefix, e.g. /v1/compute/servers/{id}. */
  template: string;
  regex: RegExp;
  /** Status -> resolved response object. */
  responses: Map<number, Obj>;
  requestSchema?: unknown;
}

export interface ContractResponse {
  status: number;
  headers: Headers;
  body: unknown;
  /** The error envelope's code, when the answer is an error. */
  code?: string;
}

export interface CallOptions {
  token?: string;
  bearer?: string;
  project?: string;
  body?: unknown;
  /** Sent verbatim instead of JSON.stringify(body). */
  rawBody?: string | Buffer;
  headers?: Record<string, string>;
}

const HTTP_METHODS = ["get", "post", "put", "patch", "delete"];

/**
 * Loads sandbox/openapi.yaml and checks every response against it: the status must be declared
 * for the operation, the body must validate against the declared schema, declared required
 * headers must be present. Records which (method, path, status) and error codes were seen, so
 * a test can assert that every one the document declares was exercised.
 */
export class ContractChecker {
  readonly doc: Obj;
  readonly validator: WireValidator;
  readonly operations: Operation[] = [];
  readonly seen = new Set<string>();
  readonly codesSeen = new Set<string>();

  constructor() {
    this.doc = loadDocument();
    this.validator = new WireValidator(this.doc);
    for (const [pathTemplate, item] of Object.entries(this.doc.paths as Obj)) {
      for (const [method, op] of Object.entries(item as Obj)) {
        if (!HTTP_METHODS.includes(method)) continue;
        const template = `/v1${pathTemplate}`;
        const regex = new RegExp(`^${template.replace(/\{[^}]+\}/g, "[^/]+")}$`);
        const responses = new Map<number, Obj>();
        for (const [status, response] of Object.entries((op as Obj).responses as Obj)) {
          responses.set(Number(status), this.deref(response as Obj));
        }
        const operation: Operation = { method: method.toUpperCase(), template, regex, responses };
        const content = ((op as Obj).requestBody as Obj | undefined)?.content as Obj | undefined;
        const schema = (content?.["application/json"] as Obj | undefined)?.schema;
        if (schema) operation.requestSchema = schema;
        this.operations.push(operation);
      }
    }
  }

  /** All (method template status) triples the document declares. */
  declared(): string[] {
    return this.operations.flatMap((op) =>
      [...op.responses.keys()].map((s) => `${op.method} ${op.template} ${s}`),
    );
  }

  /** Error codes of the document's ErrorCode enum. */
  declaredCodes(): string[] {
    return ((this.doc.components as Obj).schemas as Record<string, Obj>).ErrorCode?.enum as string[];
  }

  find(method: string, path: string): Operation | undefined {
    return this.operations.find((op) => op.method === method && op.regex.test(path));
  }

  /** Validates a request body against the operation's request schema (for bodies expected to succeed). */
  requestErrors(method: string, path: string, body: unknown): string[] {
    const op = this.find(method, path);
    if (!op?.requestSchema) return [`no request schema for ${method} ${path}`];
    return this.errors(op.requestSchema, body);
  }

  async call(
    baseUrl: string,
    method: string,
    pathAndQuery: string,
    opts: CallOptions = {},
  ): Promise<ContractResponse> {
    const headers: Record<string, string> = { ...opts.headers };
    if (opts.token) headers["x-cd-token"] = opts.token;
    if (opts.bearer) headers.authorization = `Bearer ${opts.bearer}`;
    if (opts.project) headers["x-cd-project"] = opts.project;
    let body: string | Buffer | undefined;
    if (opts.rawBody !== undefined) body = opts.rawBody;
    else if (opts.body !== undefined) {
      body = JSON.stringify(opts.body);
      headers["content-type"] ??= "application/json";
    }
    const res = await fetch(`${baseUrl}${pathAndQuery}`, { method, headers, body });
    const text = await res.text();
    const parsed: unknown = text.length > 0 ? JSON.parse(text) : undefined;
    const path = pathAndQuery.split("?")[0] ?? "";
    this.checkResponse(method, path, res.status, res.headers, parsed);
    const out: ContractResponse = { status: res.status, headers: res.headers, body: parsed };
    const code = ((parsed as Obj | undefined)?.error as Obj | undefined)?.code;
    if (typeof code === "string") {
      out.code = code;
      this.codesSeen.add(code);
    }
    return out;
  }

  private checkResponse(method: string, path: string, status: number, headers: Headers, body: unknown): void {
    const where = `${method} ${path} -> ${status}`;
    const requestId = headers.get("x-request-id");
    if (!requestId) throw new Error(`${where}: no X-Request-Id header`);
    const op = this.find(method, path);
    if (!op) {
      // Unknown paths and methods are outside the document; they still must use the envelope.
      if (status !== 404 && status !== 405) throw new Error(`${where}: no operation in the document`);
      this.expectValid({ $ref: "#/components/schemas/Error" }, body, where);
      return;
    }
    const response = op.responses.get(status);
    if (!response)
      throw new Error(`${where}: status ${status} is not documented for ${op.method} ${op.template}`);
    this.seen.add(`${op.method} ${op.template} ${status}`);
    const schema = ((response.content as Obj | undefined)?.["application/json"] as Obj | undefined)?.schema;
    if (schema) this.expectValid(schema, body, where);
    else if (body !== undefined) throw new Error(`${where}: documented without a body but got one`);
    for (const [name, header] of Object.entries((response.headers as Obj | undefined) ?? {})) {
      const value = headers.get(name);
      if ((header as Obj).required === true && value === null)
        throw new Error(`${where}: missing header ${name}`);
      if (value !== null)
        this.expectValid(
          (header as Obj).schema,
          name === "Retry-After" ? Number(value) : value,
          `${where} header ${name}`,
        );
      if (name === "Retry-After" && value !== null && !/^\d+$/.test(value))
        throw new Error(`${where}: Retry-After '${value}' is not an integer`);
    }
    if (status >= 400) {
      const envelope = (body as Obj).error as Obj;
      if (envelope.request_id !== requestId)
        throw new Error(`${where}: error.request_id differs from X-Request-Id`);
      const allowed = response["x-error-codes"];
      if (!Array.isArray(allowed))
        throw new Error(`${where}: the document lists no x-error-codes for this response`);
      if (!allowed.includes(envelope.code)) {
        throw new Error(
          `${where}: code ${String(envelope.code)} is not among the documented ${allowed.join(", ")}`,
        );
      }
    }
  }

  private expectValid(schema: unknown, value: unknown, where: string): void {
    const errors = this.errors(schema, value);
    if (errors.length > 0)
      throw new Error(
        `${where}: response does not match the document:\n  ${errors.slice(0, 10).join("\n  ")}`,
      );
  }

  private errors(schema: unknown, value: unknown): string[] {
    return this.validator.issues(schema, value).map((i) => `$${i.path ? `.${i.path}` : ""}: ${i.message}`);
  }

  /** A `$ref`'d response object of the document, resolved (responses are not schemas). */
  private deref(node: Obj): Obj {
    const ref = node.$ref;
    if (typeof ref !== "string") return node;
    let target: unknown = this.doc;
    for (const part of ref.slice(2).split("/")) target = (target as Obj | undefined)?.[part];
    if (typeof target !== "object" || target === null) throw new Error(`unresolved $ref ${ref}`);
    return target as Obj;
  }
}
