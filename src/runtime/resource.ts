/**
 * A kind the runtime can list, watch and write, described generically so custom resources and
 * built-in kinds are handled alike. `group` is "" for the core API.
 */
export interface ResourceType {
  group: string;
  version: string;
  /** Lower-case plural used in URLs, e.g. "subnets". */
  plural: string;
  kind: string;
  namespaced: boolean;
}

export interface ObjectMeta {
  name?: string;
  generateName?: string;
  namespace?: string;
  uid?: string;
  resourceVersion?: string;
  generation?: number;
  creationTimestamp?: string;
  deletionTimestamp?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  finalizers?: string[];
  ownerReferences?: Array<Record<string, unknown>>;
  [extra: string]: unknown;
}

/** A Kubernetes object as plain JSON. */
export interface KubeObject {
  apiVersion?: string;
  kind?: string;
  metadata: ObjectMeta;
  [field: string]: unknown;
}

export function apiVersionOf(rt: ResourceType): string {
  return rt.group === "" ? rt.version : `${rt.group}/${rt.version}`;
}

/** "group/version/plural", a stable name for a resource type (used to share informers). */
export function resourceId(rt: ResourceType): string {
  return `${rt.group || "core"}/${rt.version}/${rt.plural}`;
}

/** The collection path, e.g. /apis/g/v1/namespaces/ns/things; namespace undefined = all namespaces. */
export function collectionPath(rt: ResourceType, namespace?: string): string {
  const base = rt.group === "" ? `/api/${rt.version}` : `/apis/${rt.group}/${rt.version}`;
  if (rt.namespaced && namespace !== undefined) {
    return `${base}/namespaces/${encodeURIComponent(namespace)}/${rt.plural}`;
  }
  return `${base}/${rt.plural}`;
}

export function objectPath(rt: ResourceType, namespace: string | undefined, name: string): string {
  if (rt.namespaced && namespace === undefined)
    throw new Error(`${rt.kind} is namespaced; a namespace is needed`);
  return `${collectionPath(rt, namespace)}/${encodeURIComponent(name)}`;
}

/** The cache and queue key: "namespace/name", or "name" for cluster-scoped objects. */
export function objectKey(obj: { metadata: ObjectMeta }): string {
  const { namespace, name } = obj.metadata;
  return namespace ? `${namespace}/${name ?? ""}` : (name ?? "");
}

export function splitKey(key: string): { namespace: string | undefined; name: string } {
  const i = key.indexOf("/");
  return i < 0 ? { namespace: undefined, name: key } : { namespace: key.slice(0, i), name: key.slice(i + 1) };
}

export function joinKey(namespace: string | undefined, name: string): string {
  return namespace ? `${namespace}/${name}` : name;
}
