import { isDeepStrictEqual } from "node:util";
import type { KubeClient } from "./kube-client.ts";
import type { KubeObject, ResourceType } from "./resource.ts";

/**
 * An RFC 7386 merge patch turning `from` into `to`: changed keys set, removed keys null, arrays
 * replaced whole. Returns undefined when they are equal (ignoring key order).
 */
export function mergePatch(from: unknown, to: unknown): unknown {
  if (isDeepStrictEqual(from, to)) return undefined;
  if (!isPlainObject(from) || !isPlainObject(to)) return to === undefined ? null : to;
  const patch: Record<string, unknown> = {};
  for (const key of Object.keys(from)) {
    if (!(key in to) || to[key] === undefined) patch[key] = null;
  }
  for (const [key, value] of Object.entries(to)) {
    if (value === undefined) continue;
    const sub = mergePatch(from[key], value);
    if (sub !== undefined) patch[key] = sub;
  }
  return patch;
}

function isPlainObject(x: unknown): x is Record<string, unknown> {
  return typeof x === "object" && x !== null && !Array.isArray(x);
}

export interface StatusWriteResult<T> {
  /** False when the status was already as wanted and no request was made. */
  changed: boolean;
  object: T;
}

/**
 * Writes `status` to the status subresource only if it differs from obj.status (deep-equal,
 * field order ignored). Uses a JSON merge patch that carries obj's resourceVersion: a write based
 * on a stale read fails with 409 Conflict instead of silently overwriting a newer status, and the
 * reconcile is retried from fresh state. (Chosen over server-side apply because a merge patch
 * also removes fields we dropped without managed-fields bookkeeping, and the optimistic lock is
 * explicit.)
 */
export async function writeStatus<T extends KubeObject>(
  client: KubeClient,
  resource: ResourceType,
  obj: T,
  status: Record<string, unknown>,
  signal?: AbortSignal,
): Promise<StatusWriteResult<T>> {
  const patch = mergePatch(obj.status ?? {}, status);
  if (patch === undefined) return { changed: false, object: obj };
  const body = { metadata: { resourceVersion: obj.metadata.resourceVersion }, status: patch };
  const object = await client.patch<T>(
    resource,
    obj.metadata.namespace,
    obj.metadata.name ?? "",
    body,
    "merge",
    {
      subresource: "status",
      signal,
    },
  );
  return { changed: true, object };
}
