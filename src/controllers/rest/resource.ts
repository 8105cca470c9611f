// What every REST kind shares: resources named by the cloud (an ID, found again by our ownership
// tags after a lost create), read through their collection, and settled or not by their state.
import { createHash } from "node:crypto";
import type { CollectionApi } from "./cloud-api.ts";
import type { CloudApi } from "./cloud-api.ts";
import type {
  Change,
  ManagedKind,
  ManagedObject,
  Naming,
  Observation,
  Operation,
  UpdateResult,
} from "../generic/actuator.ts";
import { dropEmpty } from "../generic/actuator.ts";
import { desiredTags } from "../generic/ownership.ts";
import type { Provider } from "../provider/resolver.ts";

/** A REST resource as the reconciler sees it. */
export interface RestResource {
  id: string;
  state: string;
  tags: Record<string, string>;
}

/**
 * The parts of a REST actuator that only depend on its collection: how it is described, reached
 * (the config's REST client), named (by the cloud), read (batched through the collection) and
 * deleted (one DELETE; kinds that must first undo something override `remove`).
 */
export function restKind<R extends RestResource, Create, Patch>(
  kind: ManagedKind,
  collection: (api: CloudApi) => CollectionApi<R, Create, Patch>,
) {
  const naming: Naming<ManagedObject, R, CloudApi> = {
    by: "cloud",
    findByTags: (api, tags, signal) => collection(api).listAll({ tags }, { signal }),
    findByTagKey: (api, tagKey, signal) => collection(api).listAll({ tagKeys: [tagKey] }, { signal }),
  };
  return {
    kind,
    describe: (id?: string) => (id ? `cloud ${kind} ${id}` : `cloud ${kind}`),
    connect: (provider: Provider) => Promise.resolve(provider.rest),
    naming,
    collection,
    async remove(op: Operation<ManagedObject, CloudApi>, cloud: R): Promise<void> {
      await collection(op.client).delete(cloud.id, { signal: op.signal });
    },
  };
}

/** `diff` and `update` of a kind whose only mutable field is its tags. */
export function tagsOnly<R extends RestResource, Create>(
  kind: ManagedKind,
  collection: (api: CloudApi) => CollectionApi<R, Create, { tags?: Record<string, string> | undefined }>,
) {
  return {
    diff: (object: ManagedObject, cloud: R, _deps: unknown, ownership: Record<string, string>): Change[] =>
      tagsChange(desiredTags(object, ownership), cloud.tags),
    async update(op: Operation<ManagedObject, CloudApi>, cloud: R): Promise<UpdateResult> {
      await collection(op.client).update(cloud.id, { tags: op.desiredTags }, { signal: op.signal });
      return "done";
    },
  };
}

/** The cloud's names are 1-128 of letters, digits, '.', '_', '-', starting alphanumeric. */
const MAX_CLOUD_NAME = 128;
/** Hex characters of the identity hash at the end of every cloud name. */
export const CLOUD_NAME_HASH_CHARS = 10;

/**
 * The name a cloud resource is created with: `<namespace>-<name>` for people reading the console,
 * cut to 117 characters, then `-` and 10 hex of sha256(`<installation>/<namespace>/<name>`). The
 * readable part alone is ambiguous (`team-a/web` and `team/a-web` both read `team-a-web`) and
 * says nothing of the installation; the hash is not, so names the cloud keeps unique per project
 * (SSH keys) never collide between namespaces or between two clusters on one project.
 */
export function cloudName(object: ManagedObject, installation: string): string {
  const { namespace = "", name = "unnamed" } = object.metadata;
  const hash = createHash("sha256")
    .update(`${installation}/${namespace}/${name}`)
    .digest("hex")
    .slice(0, CLOUD_NAME_HASH_CHARS);
  let readable = (namespace ? `${namespace}-${name}` : name).replace(/[^A-Za-z0-9._-]/g, "-");
  if (!/^[A-Za-z0-9]/.test(readable)) readable = `x${readable}`;
  return `${readable.slice(0, MAX_CLOUD_NAME - CLOUD_NAME_HASH_CHARS - 1)}-${hash}`;
}

export function sameTags(a: Record<string, string>, b: Record<string, string>): boolean {
  const ka = Object.keys(a);
  if (ka.length !== Object.keys(b).length) return false;
  return ka.every((k) => Object.hasOwn(b, k) && a[k] === b[k]);
}

/** The change list entry for tags, or nothing when they match. */
export function tagsChange(desired: Record<string, string>, actual: Record<string, string>): Change[] {
  return sameTags(desired, actual) ? [] : [{ field: "tags", from: actual, to: desired }];
}

/** Observation from the state alone, for kinds whose states are plain lists. */
export function observeByState(
  cloud: { state: string; state_reason?: string | null | undefined },
  states: { ready: readonly string[]; transitional: readonly string[] },
  atProvider: Record<string, unknown>,
): Observation {
  const failed = cloud.state === "error" ? (cloud.state_reason ?? "the cloud reports an error") : undefined;
  return {
    state: cloud.state,
    ready: states.ready.includes(cloud.state),
    transitional: states.transitional.includes(cloud.state),
    deleting: cloud.state === "deleting",
    failed,
    atProvider: dropEmpty(atProvider),
  };
}
