import type { z } from "zod";
import { isCloudDigitError } from "../errors.ts";
import type { CallOptions, Query, RestClient } from "../rest-client.ts";
import { pageSchema } from "./schemas.ts";

export interface ListFilter {
  /** Page size (server maximum 1000). */
  limit?: number;
  cursor?: string;
  /** Every tag must match exactly (AND). */
  tags?: Record<string, string>;
  /** Resources that carry these tag keys, whatever the value. */
  tagKeys?: string[];
  /** Only these ids: observe many resources with one call. */
  ids?: string[];
  name?: string;
  state?: string;
  /** Collection-specific exact filters, e.g. `vpc_id` on subnets. */
  fields?: Record<string, string>;
}

export interface Page<R> {
  items: R[];
  nextCursor: string | undefined;
}

export interface CreateOptions extends CallOptions {
  /** Required for creates: makes a retried or repeated create return the first result. */
  idempotencyKey: string;
}

/** Outcome of a delete: `gone` when the resource did not exist (already deleted out of band). */
export type DeleteOutcome = "accepted" | "gone";

const MAX_IDS_PER_QUERY = 1000;

/** CRUD on one REST collection (`/v1/<service>/<collection>`). */
export class Collection<R, Create, Patch> {
  private readonly page;

  constructor(
    private readonly rest: RestClient,
    private readonly service: string,
    private readonly path: string,
    /** Singular and plural names for operation labels, e.g. `Vpc` / `Vpcs`. */
    private readonly names: { one: string; many: string },
    private readonly schema: z.ZodType<R>,
  ) {
    this.page = pageSchema(schema);
  }

  create(body: Create, opts: CreateOptions): Promise<R> {
    if (!opts.idempotencyKey) throw new Error(`create${this.names.one}: an idempotency key is required`);
    return this.rest.request(
      {
        service: this.service,
        operation: `create${this.names.one}`,
        method: "POST",
        path: this.path,
        body,
        schema: this.schema,
      },
      opts,
    );
  }

  get(id: string, opts: CallOptions = {}): Promise<R> {
    return this.rest.request(
      {
        service: this.service,
        operation: `get${this.names.one}`,
        method: "GET",
        path: this.itemPath(id),
        schema: this.schema,
      },
      opts,
    );
  }

  /** GET, with `undefined` for 404. */
  async find(id: string, opts: CallOptions = {}): Promise<R | undefined> {
    try {
      return await this.get(id, opts);
    } catch (err) {
      if (isCloudDigitError(err, "not_found")) return undefined;
      throw err;
    }
  }

  async list(filter: ListFilter = {}, opts: CallOptions = {}): Promise<Page<R>> {
    const res = await this.rest.request(
      {
        service: this.service,
        operation: `list${this.names.many}`,
        method: "GET",
        path: this.path,
        query: listQuery(filter),
        schema: this.page,
      },
      opts,
    );
    return { items: res.items, nextCursor: res.next_cursor ?? undefined };
  }

  /**
   * Every page of a filtered list. Id filters larger than one query allows are split. `maxPages`
   * bounds the walk so a runaway cursor can never loop forever.
   */
  async listAll(
    filter: Omit<ListFilter, "cursor"> = {},
    opts: CallOptions & { maxPages?: number } = {},
  ): Promise<R[]> {
    if (filter.ids && filter.ids.length > MAX_IDS_PER_QUERY) {
      const out: R[] = [];
      for (let i = 0; i < filter.ids.length; i += MAX_IDS_PER_QUERY) {
        out.push(
          ...(await this.listAll({ ...filter, ids: filter.ids.slice(i, i + MAX_IDS_PER_QUERY) }, opts)),
        );
      }
      return out;
    }
    if (filter.ids && filter.ids.length === 0) return [];
    const items: R[] = [];
    let cursor: string | undefined;
    const maxPages = opts.maxPages ?? 1000;
    for (let page = 0; page < maxPages; page++) {
      const res = await this.list({ limit: 1000, ...filter, cursor }, opts);
      items.push(...res.items);
      if (!res.nextCursor) return items;
      cursor = res.nextCursor;
    }
    throw new Error(`list${this.names.many}: more than ${maxPages} pages; narrow the filter`);
  }

  update(id: string, patch: Patch, opts: CallOptions = {}): Promise<R> {
    return this.rest.request(
      {
        service: this.service,
        operation: `update${this.names.one}`,
        method: "PATCH",
        path: this.itemPath(id),
        body: patch,
        schema: this.schema,
      },
      opts,
    );
  }

  /** DELETE; a resource that is already gone is success (`gone`). High priority by default. */
  async delete(id: string, opts: CallOptions = {}): Promise<DeleteOutcome> {
    try {
      await this.rest.request(
        {
          service: this.service,
          operation: `delete${this.names.one}`,
          method: "DELETE",
          path: this.itemPath(id),
        },
        { priority: "high", ...opts },
      );
      return "accepted";
    } catch (err) {
      if (isCloudDigitError(err, "not_found")) return "gone";
      throw err;
    }
  }

  /** POST to a sub-resource of one item, e.g. `/compute/servers/{id}/actions`. */
  postTo<T>(
    id: string,
    sub: string,
    operation: string,
    body: unknown,
    schema: z.ZodType<T>,
    opts: CallOptions,
  ): Promise<T> {
    return this.rest.request(
      { service: this.service, operation, method: "POST", path: `${this.itemPath(id)}/${sub}`, body, schema },
      opts,
    );
  }

  private itemPath(id: string): string {
    if (id === "" || /[/?#]/.test(id)) throw new Error(`invalid ${this.names.one} id ${JSON.stringify(id)}`);
    return `${this.path}/${encodeURIComponent(id)}`;
  }
}

function listQuery(filter: ListFilter): Query {
  const tag = [...Object.entries(filter.tags ?? {}).map(([k, v]) => `${k}:${v}`), ...(filter.tagKeys ?? [])];
  return {
    limit: filter.limit,
    cursor: filter.cursor,
    tag: tag.length > 0 ? tag : undefined,
    ids: filter.ids && filter.ids.length > 0 ? filter.ids.join(",") : undefined,
    name: filter.name,
    state: filter.state,
    ...filter.fields,
  };
}
