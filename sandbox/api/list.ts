import { badRequest } from "../errors.ts";
import type { Kind, Resource, ResourceByKind } from "../model.ts";
import { TAG_KEY_PATTERN } from "../../src/shared/patterns.ts";
import { compareIds } from "../store.ts";
import { isIdOf } from "../ulid.ts";
import type { ApiContext, Call, Reply } from "./context.ts";

export const DEFAULT_PAGE_SIZE = 100;
export const MAX_PAGE_SIZE = 1000;
const MAX_ID_FILTER = 1000;

/** Extra exact-match filters a collection offers, e.g. `vpc_id` on subnets. */
export type FieldFilters<R> = Record<string, (resource: R, value: string) => boolean>;

interface TagFilter {
  key: string;
  value?: string;
}

/**
 * `GET` on a collection: `limit`, `cursor`, repeated `tag=key:value` (AND; `tag=key` matches any
 * value), `id=` repeated and/or `ids=a,b,c`, `name=`, `state=`, plus the collection's own field
 * filters. Items are in id (= creation) order; `next_cursor` is null on the last page. Unknown
 * parameters are rejected so that a typo never silently widens a query.
 */
export function listResources<K extends Kind>(
  ctx: ApiContext,
  call: Call,
  kind: K,
  fieldFilters: FieldFilters<ResourceByKind[K]> = {},
): Reply {
  let limit = DEFAULT_PAGE_SIZE;
  let after: string | undefined;
  const tags: TagFilter[] = [];
  let ids: Set<string> | undefined;
  /** Ids each parameter names, repeats included; each may name at most MAX_ID_FILTER. */
  const idsGiven = { id: 0, ids: 0 };
  const exact: [string, string][] = [];
  const fields: [(r: ResourceByKind[K], v: string) => boolean, string][] = [];

  for (const [param, value] of call.query) {
    switch (param) {
      case "limit": {
        if (!/^\d{1,4}$/.test(value) || Number(value) < 1 || Number(value) > MAX_PAGE_SIZE) {
          throw badRequest(`limit must be an integer from 1 to ${MAX_PAGE_SIZE}`, { parameter: "limit" });
        }
        limit = Number(value);
        break;
      }
      case "cursor":
        after = decodeCursor(kind, value);
        break;
      case "tag": {
        const colon = value.indexOf(":");
        const key = colon < 0 ? value : value.slice(0, colon);
        if (!TAG_KEY_PATTERN.test(key))
          throw badRequest("tag filters are key:value or key", { parameter: "tag" });
        tags.push(colon < 0 ? { key } : { key, value: value.slice(colon + 1) });
        break;
      }
      case "id":
      case "ids": {
        ids ??= new Set();
        for (const id of param === "ids" ? value.split(",") : [value]) {
          if (!isIdOf(kind, id))
            throw badRequest(`'${id.slice(0, 80)}' is not a valid id here`, { parameter: param });
          ids.add(id);
          idsGiven[param] += 1;
        }
        // Per parameter, so the document can state each limit (maxItems of `id`, the pattern of `ids`).
        if (idsGiven[param] > MAX_ID_FILTER)
          throw badRequest(`at most ${MAX_ID_FILTER} ids in ${param}`, { parameter: param });
        break;
      }
      case "name":
      case "state":
        exact.push([param, value]);
        break;
      default: {
        const filter = fieldFilters[param];
        if (!filter)
          throw badRequest(`unknown query parameter '${param.slice(0, 64)}'`, {
            parameter: param.slice(0, 64),
          });
        fields.push([filter, value]);
      }
    }
  }

  const source: Iterable<ResourceByKind[K]> = ids
    ? [...ids]
        .sort(compareIds)
        .map((id) => ctx.store.getOf(kind, id))
        .filter((r): r is ResourceByKind[K] => r !== undefined && r.project === call.project)
    : ctx.store.list(call.project, kind);

  const items: ResourceByKind[K][] = [];
  let more = false;
  for (const resource of source) {
    if (after !== undefined && resource.id <= after) continue;
    if (!matchesTags(resource, tags)) continue;
    if (exact.some(([field, v]) => (resource as unknown as Record<string, unknown>)[field] !== v)) continue;
    if (fields.some(([filter, v]) => !filter(resource, v))) continue;
    if (items.length === limit) {
      more = true;
      break;
    }
    items.push(resource);
  }
  const last = items[items.length - 1];
  return {
    status: 200,
    body: { items, next_cursor: more && last ? last.id : null },
  };
}

/**
 * A cursor is the id of the previous page's last item (keyset pagination): the document can state
 * its exact form, which an encoded cursor would hide without protecting anything.
 */
function decodeCursor(kind: Kind, cursor: string): string {
  if (!isIdOf(kind, cursor))
    throw badRequest("cursor is not valid for this collection", { parameter: "cursor" });
  return cursor;
}

function matchesTags(resource: Resource, filters: TagFilter[]): boolean {
  for (const f of filters) {
    if (!Object.hasOwn(resource.tags, f.key)) return false;
    if (f.value !== undefined && resource.tags[f.key] !== f.value) return false;
  }
  return true;
}
