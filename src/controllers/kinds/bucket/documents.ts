// Pure translation between a Bucket spec and the S3 configuration documents, and the comparisons
// that decide whether a sub-configuration already matches. Comparisons are semantic (parsed JSON,
// key order and one-element lists ignored), so a server that echoes a document back in another
// form never causes a rewrite.
import { canonical } from "../../../shared/canonical.ts";
import type {
  LifecycleRule,
  ObjectLockConfiguration,
  PublicAccessBlockConfiguration,
  TransitionStorageClass,
} from "@aws-sdk/client-s3";
import type { BucketLifecycleRule, BucketPolicy, BucketSpec } from "../../../crds/bucket.ts";
import { RESERVED_TAG_PREFIX } from "../../../crds/common.ts";
import { KIND_TAG, NAME_TAG, OWNER_TAG } from "../../generic/ownership.ts";

/**
 * The S3 storage class Cloud Digit's ARCHIVE tier is addressed by in lifecycle transitions.
 * Assumed: Cloud Digit documents the tier's name, not its S3 wire value; GLACIER is what
 * S3-compatible servers understand as the archive tier.
 */
export const ARCHIVE_TRANSITION_CLASS = "GLACIER" as TransitionStorageClass;

const MAX_TAG_VALUE = 256;

/** The tags that mark a bucket as created (or imported) for one Bucket object. */
export function bucketOwnershipTags(metadata: {
  namespace?: string | undefined;
  name?: string | undefined;
  uid?: string | undefined;
}): Record<string, string> {
  return {
    [OWNER_TAG]: metadata.uid ?? "",
    [KIND_TAG]: "Bucket",
    [NAME_TAG]: `${metadata.namespace ?? ""}/${metadata.name ?? ""}`.slice(0, MAX_TAG_VALUE),
  };
}

/**
 * Tags the bucket should carry: the spec's tags plus ours. Without spec.tags the bucket's other
 * tags are left as they are (an imported bucket keeps its labels); with spec.tags they are exactly
 * the spec's. Tags under the reserved prefix other than ours are dropped either way.
 */
export function desiredBucketTags(
  spec: Pick<BucketSpec, "tags">,
  ownership: Record<string, string>,
  observed: Record<string, string>,
): Record<string, string> {
  const base = spec.tags ?? withoutReserved(observed);
  return { ...withoutReserved(base), ...ownership };
}

function withoutReserved(tags: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(tags).filter(([k]) => !k.startsWith(RESERVED_TAG_PREFIX)));
}

export function sameStringMap(a: Record<string, string>, b: Record<string, string>): boolean {
  const keys = Object.keys(a);
  return keys.length === Object.keys(b).length && keys.every((k) => Object.hasOwn(b, k) && a[k] === b[k]);
}

// ---------------------------------------------------------------------------------------------
// Policy

/** The policy as sent to S3: the structured spec field serialised, never a user-written string. */
export function policyDocument(policy: BucketPolicy): string {
  return JSON.stringify(policy);
}

/**
 * Whether the policy text the server returns means the same as the spec. Compared as parsed JSON
 * in canonical form; text that is not JSON never matches (it gets rewritten).
 */
export function samePolicy(desired: BucketPolicy, observedText: string | undefined): boolean {
  if (observedText === undefined) return false;
  let observed: unknown;
  try {
    observed = JSON.parse(observedText);
  } catch {
    return false;
  }
  return canonicalJson(desired) === canonicalJson(observed);
}

/**
 * A canonical string for a policy-language value: object keys sorted, and a one-element list
 * equal to its element (the policy language treats `"s3:GetObject"` and `["s3:GetObject"]` alike,
 * and servers differ in which they echo back).
 */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(canonicalDocument(value));
}

/** Canonical, with one-item arrays as their item (IAM reads `"Action": "s3:GetObject"` and `["s3:GetObject"]` alike). */
function canonicalDocument(value: unknown): unknown {
  return canonical(value, (items) => (items.length === 1 ? items[0] : items));
}

// ---------------------------------------------------------------------------------------------
// Object Lock default retention

export function objectLockDocument(lock: NonNullable<BucketSpec["objectLock"]>): ObjectLockConfiguration {
  return {
    ObjectLockEnabled: "Enabled",
    Rule: {
      DefaultRetention: {
        Mode: lock.mode,
        ...(lock.days !== undefined ? { Days: lock.days } : {}),
        ...(lock.years !== undefined ? { Years: lock.years } : {}),
      },
    },
  };
}

export function objectLockEnabled(observed: ObjectLockConfiguration | undefined): boolean {
  return observed?.ObjectLockEnabled === "Enabled";
}

export function sameRetention(
  lock: NonNullable<BucketSpec["objectLock"]>,
  observed: ObjectLockConfiguration | undefined,
): boolean {
  const retention = observed?.Rule?.DefaultRetention;
  return (
    retention?.Mode === lock.mode &&
    (retention.Days ?? undefined) === lock.days &&
    (retention.Years ?? undefined) === lock.years
  );
}

// ---------------------------------------------------------------------------------------------
// Lifecycle

export function lifecycleDocument(rules: readonly BucketLifecycleRule[]): LifecycleRule[] {
  return rules.map((r) => ({
    ID: r.id,
    Status: r.enabled ? "Enabled" : "Disabled",
    Filter: { Prefix: r.prefix ?? "" },
    ...(r.expirationDays !== undefined ? { Expiration: { Days: r.expirationDays } } : {}),
    ...(r.noncurrentVersionExpirationDays !== undefined
      ? { NoncurrentVersionExpiration: { NoncurrentDays: r.noncurrentVersionExpirationDays } }
      : {}),
    ...(r.transitionToArchiveDays !== undefined
      ? { Transitions: [{ Days: r.transitionToArchiveDays, StorageClass: ARCHIVE_TRANSITION_CLASS }] }
      : {}),
    ...(r.abortIncompleteMultipartUploadDays !== undefined
      ? { AbortIncompleteMultipartUpload: { DaysAfterInitiation: r.abortIncompleteMultipartUploadDays } }
      : {}),
  }));
}

/** Our view of a rule the server returns, in the spec's terms, for comparison. */
function ruleShape(rule: LifecycleRule): Record<string, unknown> {
  const archive = rule.Transitions?.find((t) => t.StorageClass === ARCHIVE_TRANSITION_CLASS);
  return {
    id: rule.ID ?? "",
    enabled: rule.Status === "Enabled",
    prefix: rule.Filter?.Prefix ?? rule.Prefix ?? "",
    expirationDays: rule.Expiration?.Days,
    noncurrentVersionExpirationDays: rule.NoncurrentVersionExpiration?.NoncurrentDays,
    transitionToArchiveDays: archive?.Days,
    abortIncompleteMultipartUploadDays: rule.AbortIncompleteMultipartUpload?.DaysAfterInitiation,
  };
}

/** Rules compared by id, order ignored. `undefined` observed means "no lifecycle configuration". */
export function sameLifecycle(
  desired: readonly BucketLifecycleRule[],
  observed: LifecycleRule[] | undefined,
): boolean {
  const have = observed ?? [];
  if (have.length !== desired.length) return false;
  const byId = new Map(have.map((r) => [r.ID ?? "", ruleShape(r)]));
  return desired.every((r) => {
    const got = byId.get(r.id);
    if (!got) return false;
    const [rule] = lifecycleDocument([r]);
    const want = rule ? ruleShape(rule) : undefined;
    return canonicalJson(got) === canonicalJson(want);
  });
}

// ---------------------------------------------------------------------------------------------
// Public access block

type BlockSpec = NonNullable<BucketSpec["publicAccessBlock"]>;

export function publicAccessBlockDocument(block: BlockSpec): PublicAccessBlockConfiguration {
  return {
    BlockPublicAcls: block.blockPublicAcls,
    IgnorePublicAcls: block.ignorePublicAcls,
    BlockPublicPolicy: block.blockPublicPolicy,
    RestrictPublicBuckets: block.restrictPublicBuckets,
  };
}

/** Absent settings count as false, as S3 treats them. */
export function samePublicAccessBlock(
  block: BlockSpec,
  observed: PublicAccessBlockConfiguration | undefined,
): boolean {
  return (
    (observed?.BlockPublicAcls ?? false) === block.blockPublicAcls &&
    (observed?.IgnorePublicAcls ?? false) === block.ignorePublicAcls &&
    (observed?.BlockPublicPolicy ?? false) === block.blockPublicPolicy &&
    (observed?.RestrictPublicBuckets ?? false) === block.restrictPublicBuckets
  );
}
