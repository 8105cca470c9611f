import { ApiError, notFound } from "../errors.ts";
import * as catalog from "./catalog.ts";
import * as compute from "./compute.ts";
import type { ApiContext, Call, Reply } from "./context.ts";
import * as network from "./network.ts";
import * as storage from "./storage.ts";

export interface Route {
  method: string;
  /** OpenAPI-style template, e.g. `/v1/compute/servers/{id}/actions`. */
  template: string;
  /** Needs `X-Cd-Project` (every resource route; catalogs do not). */
  projectScoped: boolean;
  /** Writes change state (refused for read-only tokens; budget and idempotency apply to POST). */
  write: boolean;
  handle(ctx: ApiContext, call: Call): Reply;
}

interface Collection {
  /** e.g. "network/vpcs" */
  path: string;
  param: "id" | "name";
  routes: Partial<
    Record<"list" | "create" | "get" | "patch" | "delete", (ctx: ApiContext, call: Call) => Reply>
  >;
  actions?: Record<string, (ctx: ApiContext, call: Call) => Reply>;
  projectScoped: boolean;
}

const COLLECTIONS: Collection[] = [
  {
    path: "network/vpcs",
    param: "id",
    projectScoped: true,
    routes: {
      list: network.listVpcs,
      create: network.createVpc,
      get: network.getVpc,
      patch: network.patchVpc,
      delete: network.deleteVpc,
    },
  },
  {
    path: "network/subnets",
    param: "id",
    projectScoped: true,
    routes: {
      list: network.listSubnets,
      create: network.createSubnet,
      get: network.getSubnet,
      patch: network.patchSubnet,
      delete: network.deleteSubnet,
    },
  },
  {
    path: "compute/ssh-keys",
    param: "id",
    projectScoped: true,
    routes: {
      list: compute.listSshKeys,
      create: compute.createSshKey,
      get: compute.getSshKey,
      patch: compute.patchSshKey,
      delete: compute.deleteSshKey,
    },
  },
  {
    path: "compute/servers",
    param: "id",
    projectScoped: true,
    routes: {
      list: compute.listServers,
      create: compute.createServer,
      get: compute.getServer,
      patch: compute.patchServer,
      delete: compute.deleteServer,
    },
    actions: { actions: compute.serverAction },
  },
  {
    path: "storage/volumes",
    param: "id",
    projectScoped: true,
    routes: {
      list: storage.listVolumes,
      create: storage.createVolume,
      get: storage.getVolume,
      patch: storage.patchVolume,
      delete: storage.deleteVolume,
    },
    actions: { attach: storage.attachVolume, detach: storage.detachVolume },
  },
  {
    path: "compute/flavors",
    param: "name",
    projectScoped: false,
    routes: { list: (_ctx, call) => catalog.listFlavors(call), get: (_ctx, call) => catalog.getFlavor(call) },
  },
  {
    path: "compute/images",
    param: "name",
    projectScoped: false,
    routes: { list: (_ctx, call) => catalog.listImages(call), get: (_ctx, call) => catalog.getImage(call) },
  },
  {
    path: "regions",
    param: "name",
    projectScoped: false,
    routes: { list: (_ctx, call) => catalog.listRegions(call), get: (_ctx, call) => catalog.getRegion(call) },
  },
];

export interface RouteMatch {
  template: string;
  /** Set when the path and method name an operation. */
  route?: Route;
  /** Set when they do not (404 unknown path, 405 method not allowed). */
  error?: ApiError;
  params: string[];
}

/** Routes by template, then by method. */
const table = new Map<string, Map<string, Route>>();
const collectionsByPath = new Map<string, Collection>();

function add(method: string, template: string, c: Collection, handle?: Route["handle"]): void {
  if (!handle) return;
  let byMethod = table.get(template);
  if (!byMethod) table.set(template, (byMethod = new Map<string, Route>()));
  byMethod.set(method, { method, template, projectScoped: c.projectScoped, write: method !== "GET", handle });
}

for (const c of COLLECTIONS) {
  collectionsByPath.set(c.path, c);
  const base = `/v1/${c.path}`;
  const item = `${base}/{${c.param}}`;
  add("GET", base, c, c.routes.list);
  add("POST", base, c, c.routes.create);
  add("GET", item, c, c.routes.get);
  add("PATCH", item, c, c.routes.patch);
  add("DELETE", item, c, c.routes.delete);
  for (const [name, handle] of Object.entries(c.actions ?? {})) add("POST", `${item}/${name}`, c, handle);
}

/** Every (method, template) the sandbox serves; the contract tests compare it with the OpenAPI document. */
export function allRoutes(): Route[] {
  return [...table.values()].flatMap((m) => [...m.values()]);
}

const UNMATCHED = "unmatched";

export function matchRoute(method: string, pathname: string): RouteMatch {
  const none = (): RouteMatch => ({
    template: UNMATCHED,
    params: [],
    error: notFound(`no such path: ${pathname.slice(0, 200)}`),
  });
  if (!pathname.startsWith("/v1/")) return none();
  const segments = pathname.slice(4).split("/");
  let collection = collectionsByPath.get(segments[0] ?? "");
  let rest = segments.slice(1);
  if (!collection) {
    collection = collectionsByPath.get(`${segments[0]}/${segments[1]}`);
    rest = segments.slice(2);
  }
  if (!collection || rest.length > 2 || rest.some((s) => s.length === 0)) return none();
  let template = `/v1/${collection.path}`;
  if (rest.length >= 1) template += `/{${collection.param}}`;
  if (rest.length === 2) template += `/${rest[1]}`;
  const byMethod = table.get(template);
  if (!byMethod) return none();
  const params = rest.map((s) => safeDecode(s));
  const route = byMethod.get(method);
  if (!route) {
    const allow = [...byMethod.keys()].join(", ");
    return {
      template,
      params,
      error: new ApiError(
        405,
        "invalid_request",
        `method ${method} is not allowed here`,
        { allow: [...byMethod.keys()] },
        { allow },
      ),
    };
  }
  return { template, route, params };
}

function safeDecode(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}
