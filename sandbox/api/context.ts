import type { Principal } from "../auth.ts";
import type { Clock } from "../clock.ts";
import { ApiError, badRequest, notFound, unprocessable } from "../errors.ts";
import type { Lifecycle } from "../lifecycle.ts";
import type { Kind, ResourceByKind } from "../model.ts";
import { WireValidator, type WireSchemas } from "../openapi.ts";
import type { Store } from "../store.ts";
import { isIdOf, type UlidGenerator } from "../ulid.ts";

export interface Quotas {
  vpcs: number;
  subnets: number;
  ssh_keys: number;
  servers: number;
  volumes: number;
}

/** 198.18.0.0/15 without its first and last address. */
export const DEFAULT_PUBLIC_IPS = 2 ** 17 - 2;

export const DEFAULT_QUOTAS: Quotas = { vpcs: 5, subnets: 100, ssh_keys: 200, servers: 200, volumes: 500 };

/** Delays of asynchronous transitions, in ms. */
export interface KindDelays {
  create: number;
  delete: number;
  /** start/stop/reboot/resize for servers; grow/attach/detach for volumes. */
  action: number;
}

export type AsyncKind = "vpc" | "subnet" | "server" | "volume";

export type Delays = Record<AsyncKind, KindDelays>;

export const DEFAULT_DELAYS: Delays = {
  vpc: { create: 50, delete: 50, action: 50 },
  subnet: { create: 50, delete: 50, action: 50 },
  server: { create: 200, delete: 100, action: 100 },
  volume: { create: 100, delete: 50, action: 50 },
};

export interface Settings {
  region: string;
  zones: readonly string[];
  quotas: Quotas;
  delays: Delays;
  /** Projects whose budget hard-stop is on ("*" in the set: all projects). */
  budgetExceeded: Set<string>;
  /** Size of the region's public IPv4 pool, shared by every project. */
  publicIps: number;
}

/** What handlers share: the state and the knobs. */
export interface ApiContext {
  store: Store;
  lifecycle: Lifecycle;
  ids: UlidGenerator;
  clock: Clock;
  settings: Settings;
  /** Tells persistence that state changed. */
  changed(): void;
}

export interface Call {
  method: string;
  principal: Principal;
  /** Resolved project (routes that need one always get it). */
  project: string;
  /** Path parameters after the collection: [id] or [id, action]. */
  params: string[];
  query: URLSearchParams;
  body: unknown;
}

export interface Reply {
  status: number;
  body?: unknown;
  location?: string;
}

export function isoNow(ctx: ApiContext): string {
  return new Date(ctx.clock.now()).toISOString();
}

const wire = new WireValidator();

/**
 * The request body checked against its schema in sandbox/openapi.yaml: anything the document's
 * schema refuses is a 400 whose details name each offending field (`issues`, and `field` for the
 * first one); only rules no schema can state (state, references, catalogs) are left to handlers.
 */
export function parseBody<N extends keyof WireSchemas>(schema: N, body: unknown): WireSchemas[N] {
  if (body === undefined) throw badRequest("a JSON request body is required");
  const issues = wire.componentIssues(schema, body);
  if (issues.length > 0) {
    const first = issues[0] as { path: string; message: string };
    const where = first.path === "" ? "the body" : first.path;
    throw badRequest(`the request body is invalid: ${where} ${first.message}`, {
      field: first.path,
      issues,
    });
  }
  return body as WireSchemas[N];
}

/** The resource with `id` of `kind` in the caller's project; 400 for a malformed id, 404 if absent. */
export function findOwned<K extends Kind>(
  ctx: ApiContext,
  call: Call,
  kind: K,
  id: string,
): ResourceByKind[K] {
  if (!isIdOf(kind, id)) throw badRequest(`'${id.slice(0, 80)}' is not a valid ${kind.replace("_", " ")} id`);
  const resource = ctx.store.getOf(kind, id);
  if (!resource || resource.project !== call.project)
    throw notFound(`${kind.replace("_", " ")} ${id} not found`);
  return resource;
}

/** A resource referenced from a request body: 422 when malformed or absent (the body is wrong). */
export function findReferenced<K extends Kind>(
  ctx: ApiContext,
  call: Call,
  kind: K,
  id: string,
  field: string,
): ResourceByKind[K] {
  const resource = isIdOf(kind, id) ? ctx.store.getOf(kind, id) : undefined;
  if (!resource || resource.project !== call.project) {
    throw unprocessable(`${field}: ${kind.replace("_", " ")} '${id.slice(0, 80)}' does not exist`, {
      field,
      reason: "not_found",
    });
  }
  return resource;
}

export function checkCreateAllowed(ctx: ApiContext, call: Call, kind: keyof Quotas, count: number): void {
  const budget = ctx.settings.budgetExceeded;
  if (budget.has("*") || budget.has(call.project)) {
    throw new ApiError(
      403,
      "budget_exceeded",
      `the budget hard-stop of project ${call.project} denies new resources`,
    );
  }
  const limit = ctx.settings.quotas[kind];
  if (count >= limit) {
    throw new ApiError(403, "quota_exceeded", `quota of ${limit} ${kind} per project reached`, {
      quota: kind,
      limit,
    });
  }
}

export function checkZone(ctx: ApiContext, zone: string): void {
  if (!ctx.settings.zones.includes(zone)) {
    throw unprocessable(`zone '${zone.slice(0, 64)}' is not a zone of region ${ctx.settings.region}`, {
      field: "zone",
      allowed: [...ctx.settings.zones],
    });
  }
}

/** Fields every resource shares, for a new resource. */
export function commonFields<State extends string>(
  ctx: ApiContext,
  call: Call,
  id: string,
  state: State,
  body: { name: string; description?: string | undefined; tags?: Record<string, string> | undefined },
) {
  const now = isoNow(ctx);
  return {
    id,
    project: call.project,
    name: body.name,
    description: body.description ?? "",
    state,
    state_reason: null,
    created_at: now,
    updated_at: now,
    tags: body.tags ?? {},
  };
}

/** Applies the common mutable fields of a PATCH. */
export function applyCommonPatch(
  resource: { name: string; description: string; tags: Record<string, string> },
  patch: {
    name?: string | undefined;
    description?: string | undefined;
    tags?: Record<string, string> | undefined;
  },
): void {
  if (patch.name !== undefined) resource.name = patch.name;
  if (patch.description !== undefined) resource.description = patch.description;
  if (patch.tags !== undefined) resource.tags = patch.tags;
}

export { ApiError };
