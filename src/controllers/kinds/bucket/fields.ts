// What one bucket looks like through the S3 API, how each sub-configuration (versioning, Object
// Lock default retention, tags, policy, lifecycle, public access block) is brought in line on its
// own, and how a bucket is emptied. The actuator (actuator.ts) puts these together; lifecycle
// rules (finalizer, policies, ownership, conditions) are the generic reconciler's.
import type {
  LifecycleRule,
  ObjectLockConfiguration,
  PublicAccessBlockConfiguration,
} from "@aws-sdk/client-s3";
import { isCloudDigitError } from "../../../client/errors.ts";
import type { BucketApi, ListedObject } from "../../../client/s3.ts";
import type { BucketSpec } from "../../../crds/bucket.ts";
import {
  desiredBucketTags,
  lifecycleDocument,
  objectLockDocument,
  objectLockEnabled,
  policyDocument,
  publicAccessBlockDocument,
  sameLifecycle,
  samePolicy,
  samePublicAccessBlock,
  sameRetention,
  sameStringMap,
} from "./documents.ts";

/** The S3 calls the Bucket controller makes (the client's BucketApi; in-memory in unit tests). */
export type BucketS3 = Pick<
  BucketApi,
  | "bucketExists"
  | "createBucket"
  | "getVersioning"
  | "putVersioning"
  | "getObjectLock"
  | "putObjectLock"
  | "getTags"
  | "putTags"
  | "getPolicy"
  | "putPolicy"
  | "deletePolicy"
  | "getLifecycle"
  | "putLifecycle"
  | "deleteLifecycle"
  | "getPublicAccessBlock"
  | "putPublicAccessBlock"
  | "deletePublicAccessBlock"
  | "listObjects"
  | "listObjectVersions"
  | "deleteObjects"
  | "deleteBucket"
>;

/** Sub-configurations converged independently, in the order they are written. */
export const BUCKET_FIELDS = [
  "tags",
  "versioning",
  "objectLock",
  "policy",
  "publicAccessBlock",
  "lifecycle",
  "storageClass",
] as const;
export type BucketField = (typeof BUCKET_FIELDS)[number];

/** A read the server may not implement (versitygw has no lifecycle, for example). */
export type Read<T> = { supported: true; value: T } | { supported: false; message: string };

export interface BucketObservation {
  name: string;
  tags: Record<string, string>;
  versioning: Read<"Enabled" | "Suspended" | "Disabled">;
  objectLock: Read<ObjectLockConfiguration | undefined>;
  /** Read only when the spec manages them. */
  policy?: Read<string | undefined>;
  lifecycle?: Read<LifecycleRule[] | undefined>;
  publicAccessBlock?: Read<PublicAccessBlockConfiguration | undefined>;
}

async function readOptional<T>(read: () => Promise<T>): Promise<Read<T>> {
  try {
    return { supported: true, value: await read() };
  } catch (err) {
    if (isCloudDigitError(err, "not_implemented")) return { supported: false, message: err.message };
    throw err;
  }
}

/**
 * Reads the bucket. `managed` adds the sub-configurations the spec manages (policy, lifecycle,
 * public access block); ObserveOnly reads only what status reports.
 */
export async function observeBucket(
  s3: BucketS3,
  name: string,
  spec: BucketSpec,
  managed: boolean,
): Promise<BucketObservation> {
  const [tags, versioning, objectLock] = await Promise.all([
    s3.getTags(name),
    readOptional(() => s3.getVersioning(name)),
    readOptional(() => s3.getObjectLock(name)),
  ]);
  const observation: BucketObservation = { name, tags, versioning, objectLock };
  if (!managed) return observation;
  const [policy, lifecycle, publicAccessBlock] = await Promise.all([
    spec.policy ? readOptional(() => s3.getPolicy(name)) : undefined,
    spec.lifecycle ? readOptional(() => s3.getLifecycle(name)) : undefined,
    spec.publicAccessBlock ? readOptional(() => s3.getPublicAccessBlock(name)) : undefined,
  ]);
  if (policy) observation.policy = policy;
  if (lifecycle) observation.lifecycle = lifecycle;
  if (publicAccessBlock) observation.publicAccessBlock = publicAccessBlock;
  return observation;
}

/** Whether the bucket has (ever had) versioning, so objects must be listed and deleted by version. */
export function isVersioned(observation: BucketObservation): boolean {
  return (
    (observation.versioning.supported && observation.versioning.value !== "Disabled") ||
    (observation.objectLock.supported && objectLockEnabled(observation.objectLock.value))
  );
}

// ---------------------------------------------------------------------------------------------
// Planning: one verdict per managed sub-configuration

export type FieldPlan =
  | { field: BucketField; state: "InSync" }
  | {
      field: BucketField;
      state: "Changed";
      /** What differs, for events and conditions; never contains secrets. */
      summary: string;
      /** What the server reports, and what the spec asks for (for messages). */
      from: unknown;
      to: unknown;
      write: (s3: BucketS3, bucket: string) => Promise<void>;
    }
  /** The server does not implement the calls for this sub-configuration. */
  | { field: BucketField; state: "NotImplemented"; message: string }
  /** The bucket cannot be brought to this state at all (e.g. Object Lock on an existing bucket). */
  | { field: BucketField; state: "Impossible"; message: string };

type Write = Omit<Extract<FieldPlan, { state: "Changed" }>, "field" | "state">;

/** The plan for a sub-configuration as read: the server lacks the calls, it matches, or a write. */
function planRead<T>(
  field: BucketField,
  read: Read<T>,
  inSync: (value: T) => boolean,
  change: (value: T) => Write,
): FieldPlan {
  if (!read.supported) return { field, state: "NotImplemented", message: read.message };
  if (inSync(read.value)) return { field, state: "InSync" };
  return { field, state: "Changed", ...change(read.value) };
}

/**
 * Compares spec and observation for each managed sub-configuration. Pure: the writes are
 * returned, not made, so the reconciler applies each one on its own.
 */
export function planBucket(
  spec: BucketSpec,
  observed: BucketObservation,
  ownership: Record<string, string>,
): FieldPlan[] {
  const plans: FieldPlan[] = [];

  const tags = desiredBucketTags(spec, ownership, observed.tags);
  plans.push(
    sameStringMap(tags, observed.tags)
      ? { field: "tags", state: "InSync" }
      : {
          field: "tags",
          state: "Changed",
          summary: "tags",
          from: observed.tags,
          to: tags,
          write: (s3, bucket) => s3.putTags(bucket, tags),
        },
  );

  const versioning = spec.versioning;
  if (versioning) {
    plans.push(
      planRead(
        "versioning",
        observed.versioning,
        (value) => value === versioning,
        (value) => ({
          summary: `versioning ${value} -> ${versioning}`,
          from: value,
          to: versioning,
          write: (s3, bucket) => s3.putVersioning(bucket, versioning),
        }),
      ),
    );
  }

  const lock = spec.objectLock;
  if (lock) {
    const read = observed.objectLock;
    plans.push(
      !read.supported
        ? { field: "objectLock", state: "NotImplemented", message: read.message }
        : !objectLockEnabled(read.value)
          ? {
              field: "objectLock",
              state: "Impossible",
              message: `bucket ${observed.name} was created without Object Lock, and S3 can only enable it at creation; remove spec.objectLock or use a new bucket`,
            }
          : sameRetention(lock, read.value)
            ? { field: "objectLock", state: "InSync" }
            : {
                field: "objectLock",
                state: "Changed",
                summary: "objectLock default retention",
                from: read.value?.Rule?.DefaultRetention ?? "no default retention",
                to: lock,
                write: (s3, bucket) => s3.putObjectLock(bucket, objectLockDocument(lock)),
              },
    );
  }

  const policy = spec.policy;
  if (policy && observed.policy) {
    plans.push(
      planRead(
        "policy",
        observed.policy,
        (value) => samePolicy(policy, value),
        (value) => ({
          summary: "policy",
          from: value ?? "no policy",
          to: policy,
          write: (s3, bucket) => s3.putPolicy(bucket, policyDocument(policy)),
        }),
      ),
    );
  }

  const block = spec.publicAccessBlock;
  if (block && observed.publicAccessBlock) {
    plans.push(
      planRead(
        "publicAccessBlock",
        observed.publicAccessBlock,
        (value) => samePublicAccessBlock(block, value),
        (value) => ({
          summary: "publicAccessBlock",
          from: value ?? "no public access block",
          to: block,
          write: (s3, bucket) => s3.putPublicAccessBlock(bucket, publicAccessBlockDocument(block)),
        }),
      ),
    );
  }

  const lifecycle = spec.lifecycle;
  if (lifecycle && observed.lifecycle) {
    const rules = lifecycle.rules;
    plans.push(
      planRead(
        "lifecycle",
        observed.lifecycle,
        (value) => sameLifecycle(rules, value),
        (value) => ({
          summary: "lifecycle",
          from: value ?? "no lifecycle rules",
          to: rules,
          write: (s3, bucket) =>
            rules.length === 0
              ? s3.deleteLifecycle(bucket)
              : s3.putLifecycle(bucket, lifecycleDocument(rules)),
        }),
      ),
    );
  }

  if (spec.storageClass !== "STANDARD") {
    plans.push({
      field: "storageClass",
      state: "NotImplemented",
      message: `the S3 API has no call to set a bucket's default storage class to ${spec.storageClass}; keep STANDARD and move objects with a lifecycle rule (transitionToArchiveDays)`,
    });
  }
  return plans;
}

// ---------------------------------------------------------------------------------------------
// Applying

export type FieldResult =
  | { field: BucketField; state: "InSync" | "Updated" }
  | {
      field: BucketField;
      state: "NotImplemented" | "Impossible" | "Rejected" | "NotConverging";
      message: string;
    };

/**
 * Makes the planned writes, each on its own: a sub-configuration the server refuses (terminal
 * error) or does not implement is reported for that field and the others still proceed. Transient
 * errors (throttling, 5xx, conflicts) end the whole reconcile so it is retried.
 */
export async function applyPlans(s3: BucketS3, bucket: string, plans: FieldPlan[]): Promise<FieldResult[]> {
  const results: FieldResult[] = [];
  for (const plan of plans) {
    if (plan.state !== "Changed") {
      results.push(plan.state === "InSync" ? plan : { ...plan });
      continue;
    }
    try {
      await plan.write(s3, bucket);
      results.push({ field: plan.field, state: "Updated" });
    } catch (err) {
      if (isCloudDigitError(err, "not_implemented")) {
        results.push({ field: plan.field, state: "NotImplemented", message: err.message });
      } else if (isCloudDigitError(err) && err.terminal) {
        results.push({ field: plan.field, state: "Rejected", message: err.message });
      } else {
        throw err;
      }
    }
  }
  return results;
}

// ---------------------------------------------------------------------------------------------
// Emptying and deleting

export interface EmptyResult {
  /** Objects (or versions and delete markers) deleted by this call. */
  deleted: number;
  /** Objects the server refused to delete, e.g. under Object Lock retention. */
  retained: { key: string; versionId?: string | undefined; code?: string | undefined }[];
  /** More pages remain (the call stopped at its batch budget). */
  more: boolean;
}

/**
 * Deletes up to `maxBatches` pages of objects (1000 each). Versioned buckets are emptied version
 * by version; governance retention is never bypassed, so locked versions end up in `retained`.
 */
export async function emptyBucket(
  s3: BucketS3,
  bucket: string,
  opts: { versioned: boolean; maxBatches: number },
): Promise<EmptyResult> {
  const result: EmptyResult = { deleted: 0, retained: [], more: false };
  let keyMarker: string | undefined;
  let versionIdMarker: string | undefined;
  let continuationToken: string | undefined;
  for (let batch = 0; batch < opts.maxBatches; batch++) {
    let page: ListedObject[];
    let hasNext: boolean;
    if (opts.versioned) {
      const listed = await s3.listObjectVersions(bucket, {
        ...(keyMarker !== undefined ? { keyMarker } : {}),
        ...(versionIdMarker !== undefined ? { versionIdMarker } : {}),
        maxKeys: 1000,
      });
      page = listed.versions;
      keyMarker = listed.next?.keyMarker;
      versionIdMarker = listed.next?.versionIdMarker;
      hasNext = listed.next !== undefined;
    } else {
      const listed = await s3.listObjects(bucket, {
        ...(continuationToken !== undefined ? { continuationToken } : {}),
        maxKeys: 1000,
      });
      page = listed.objects;
      continuationToken = listed.nextContinuationToken;
      hasNext = continuationToken !== undefined;
    }
    if (page.length > 0) {
      // Never bypassGovernanceRetention: locked versions stay, and the user is told why.
      const { failed } = await s3.deleteObjects(bucket, page);
      result.deleted += page.length - failed.length;
      result.retained.push(...failed.map((f) => ({ key: f.key, versionId: f.versionId, code: f.code })));
    }
    if (!hasNext) return result;
  }
  result.more = true;
  return result;
}

/** How many objects (or versions) the bucket holds, counting at most one page. */
export async function countObjects(s3: BucketS3, bucket: string, versioned: boolean): Promise<string> {
  if (versioned) {
    const listed = await s3.listObjectVersions(bucket, { maxKeys: 1000 });
    return `${listed.versions.length}${listed.next ? "+" : ""} object versions`;
  }
  const listed = await s3.listObjects(bucket, { maxKeys: 1000 });
  return `${listed.objects.length}${listed.nextContinuationToken ? "+" : ""} objects`;
}
