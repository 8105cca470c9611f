import { isConflict, isNotFound, type KubeClient } from "./kube-client.ts";
import type { KubeObject, ResourceType } from "./resource.ts";

export function hasFinalizer(obj: KubeObject, finalizer: string): boolean {
  return obj.metadata.finalizers?.includes(finalizer) ?? false;
}

const MAX_CONFLICT_RETRIES = 5;

/**
 * Adds the finalizer if missing. The write carries the read resourceVersion; on 409 Conflict the
 * object is re-read and the change retried (a few times), so concurrent writers never lose
 * each other's finalizers. Returns the latest object.
 */
export async function addFinalizer<T extends KubeObject>(
  client: KubeClient,
  resource: ResourceType,
  obj: T,
  finalizer: string,
  signal?: AbortSignal,
): Promise<T> {
  return updateFinalizers(client, resource, obj, signal, (list) =>
    list.includes(finalizer) ? undefined : [...list, finalizer],
  );
}

/** Removes the finalizer if present (same conflict handling). An object already gone is fine. */
export async function removeFinalizer<T extends KubeObject>(
  client: KubeClient,
  resource: ResourceType,
  obj: T,
  finalizer: string,
  signal?: AbortSignal,
): Promise<T | undefined> {
  try {
    return await updateFinalizers(client, resource, obj, signal, (list) =>
      list.includes(finalizer) ? list.filter((f) => f !== finalizer) : undefined,
    );
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw err;
  }
}

async function updateFinalizers<T extends KubeObject>(
  client: KubeClient,
  resource: ResourceType,
  obj: T,
  signal: AbortSignal | undefined,
  change: (current: string[]) => string[] | undefined,
): Promise<T> {
  let current = obj;
  for (let attempt = 0; ; attempt++) {
    const next = change(current.metadata.finalizers ?? []);
    if (!next) return current;
    const patch = { metadata: { resourceVersion: current.metadata.resourceVersion, finalizers: next } };
    try {
      return await client.patch<T>(
        resource,
        current.metadata.namespace,
        current.metadata.name ?? "",
        patch,
        "merge",
        {
          signal,
        },
      );
    } catch (err) {
      if (!isConflict(err) || attempt >= MAX_CONFLICT_RETRIES) throw err;
      current = await client.get<T>(
        resource,
        current.metadata.namespace,
        current.metadata.name ?? "",
        signal,
      );
    }
  }
}
