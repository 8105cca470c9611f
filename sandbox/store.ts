import { kindOfId, type Kind, type Resource, type ResourceByKind } from "./model.ts";

/**
 * All resources of all projects, indexed by id and by (project, kind). Ids are ULIDs made in
 * increasing order, so insertion order is id order, which list pagination relies on.
 */
export class Store {
  private readonly byId = new Map<string, Resource>();
  private readonly byProjectKind = new Map<string, Map<string, Resource>>();

  get(id: string): Resource | undefined {
    return this.byId.get(id);
  }

  getOf<K extends Kind>(kind: K, id: string): ResourceByKind[K] | undefined {
    if (kindOfId(id) !== kind) return undefined;
    return this.byId.get(id) as ResourceByKind[K] | undefined;
  }

  put(resource: Resource): void {
    const kind = kindOfId(resource.id);
    if (!kind) throw new Error(`resource id without a known prefix: ${resource.id}`);
    this.byId.set(resource.id, resource);
    this.bucket(resource.project, kind).set(resource.id, resource);
  }

  remove(id: string): Resource | undefined {
    const resource = this.byId.get(id);
    const kind = kindOfId(id);
    if (!resource || !kind) return undefined;
    this.byId.delete(id);
    this.bucket(resource.project, kind).delete(id);
    return resource;
  }

  list<K extends Kind>(project: string, kind: K): IterableIterator<ResourceByKind[K]> {
    return this.bucket(project, kind).values() as IterableIterator<ResourceByKind[K]>;
  }

  count(project: string, kind: Kind): number {
    return this.bucket(project, kind).size;
  }

  all(): Resource[] {
    return [...this.byId.values()];
  }

  clear(): void {
    this.byId.clear();
    this.byProjectKind.clear();
  }

  /** Replaces everything with `resources` (sorted by id so list order stays id order). */
  load(resources: Resource[]): void {
    this.clear();
    for (const r of [...resources].sort((a, b) => compareIds(a.id, b.id))) this.put(r);
  }

  private bucket(project: string, kind: Kind): Map<string, Resource> {
    const key = `${project}\u0000${kind}`;
    let bucket = this.byProjectKind.get(key);
    if (!bucket) {
      bucket = new Map();
      this.byProjectKind.set(key, bucket);
    }
    return bucket;
  }
}

/** Orders ids by their ULID part (the prefix differs between kinds but not within one). */
export function compareIds(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
