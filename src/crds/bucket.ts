import { z } from "zod";
import {
  doc,
  immutable,
  managedSpec,
  objectName,
  setOnlyAtCreation,
  tags,
  type CelRule,
  column,
} from "./common.ts";
import { managedKind } from "./managed.ts";

/** S3 bucket names as Cloud Digit accepts them: 3-63 lowercase letters, digits and dashes. */
export const BUCKET_NAME_PATTERN = /^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$/;
export const VERSIONING_STATES = ["Enabled", "Suspended"] as const;
export const OBJECT_LOCK_MODES = ["GOVERNANCE", "COMPLIANCE"] as const;
export const STORAGE_CLASSES = ["STANDARD", "ARCHIVE"] as const;
export const POLICY_VERSIONS = ["2012-10-17", "2008-10-17"] as const;

const BUCKET_NAME_RULE =
  "3-63 characters: lowercase letters, digits and dashes, starting and ending with a letter or digit";

function bucketName(description: string) {
  return doc(z.string().max(63).regex(BUCKET_NAME_PATTERN), description, {
    patternMessage: `must be a valid bucket name: ${BUCKET_NAME_RULE}`,
  });
}

function exactlyOneOf(a: string, b: string, message: string): CelRule {
  return { rule: `has(self.${a}) != has(self.${b})`, message };
}

/** An optional number of days, from `min` to 36500 (100 years). */
function dayCount(description: string, min = 1) {
  return doc(z.int().min(min).max(36500).optional(), description);
}

export const objectLock = doc(
  z.object({
    mode: doc(
      z.enum(OBJECT_LOCK_MODES),
      "Default retention mode for new objects: GOVERNANCE (users with a special permission can shorten it) or COMPLIANCE (nobody can, not even the account root).",
    ),
    days: dayCount("Default retention in days. Set exactly one of days or years."),
    years: doc(
      z.int().min(1).max(100).optional(),
      "Default retention in years. Set exactly one of days or years.",
    ),
  }),
  "S3 Object Lock (WORM) with a default retention. Only at bucket creation, only with versioning: Enabled, and it cannot be added, changed or removed afterwards.",
  {
    rules: [
      exactlyOneOf("days", "years", "objectLock needs exactly one of days or years (the default retention)"),
    ],
  },
);

/**
 * The bucket policy is modelled as a structured object, not a JSON string: YAML/JSON decoding
 * makes malformed JSON impossible to submit, and the schema checks the outline (Version,
 * Statement, Effect). Principal/Action/Resource/Condition can be strings or lists, so they are
 * kept as written.
 */
export const bucketPolicy = doc(
  z.object({
    Version: doc(
      z.enum(POLICY_VERSIONS).default("2012-10-17"),
      'Policy language version, "2012-10-17" (default).',
    ),
    Id: doc(z.string().max(128).optional(), "Optional identifier of the policy."),
    Statement: doc(
      z
        .array(
          doc(
            z.looseObject({
              Sid: doc(z.string().max(128).optional(), "Optional statement identifier."),
              Effect: doc(z.enum(["Allow", "Deny"]), "Allow or Deny."),
            }),
            "A policy statement: Effect plus Principal, Action, Resource and optional Condition, written as in an S3 bucket policy.",
          ),
        )
        .min(1)
        .max(100),
      "The statements of the policy (at least one).",
    ),
  }),
  'Bucket policy, written as YAML (or JSON) in the S3 policy language, e.g. {Version: "2012-10-17", Statement: [{Effect: Allow, Principal: {AWS: ["..."]}, Action: ["s3:GetObject"], Resource: ["arn:aws:s3:::my-bucket/*"]}]}. Because it is a structured field, malformed JSON cannot be submitted. Remove the field to stop managing the policy.',
);

export const lifecycleRule = doc(
  z.object({
    id: doc(z.string().min(1).max(255), "Unique name of the rule."),
    enabled: doc(z.boolean().default(true), "Whether the rule is active (default true)."),
    prefix: doc(
      z.string().max(1024).optional(),
      "Only objects whose key starts with this prefix. Empty: all objects.",
    ),
    expirationDays: dayCount("Expire (delete) current objects this many days after creation."),
    noncurrentVersionExpirationDays: dayCount(
      "Delete noncurrent versions this many days after they became noncurrent.",
    ),
    transitionToArchiveDays: dayCount(
      "Move objects to the ARCHIVE storage class this many days after creation.",
      0,
    ),
    abortIncompleteMultipartUploadDays: dayCount(
      "Abort multipart uploads not completed within this many days.",
    ),
  }),
  "One lifecycle rule; it needs at least one action.",
  {
    rules: [
      {
        rule: "has(self.expirationDays) || has(self.noncurrentVersionExpirationDays) || has(self.transitionToArchiveDays) || has(self.abortIncompleteMultipartUploadDays)",
        message:
          "a lifecycle rule needs at least one action: expirationDays, noncurrentVersionExpirationDays, transitionToArchiveDays or abortIncompleteMultipartUploadDays",
      },
    ],
  },
);

const blockFlag = (what: string) => doc(z.boolean().default(true), `${what} (default true).`);

export const bucketSpec = managedSpec(
  {
    bucketName: bucketName(
      `Name of the bucket in the cloud, ${BUCKET_NAME_RULE}; unique within the organisation. Empty: importID if set, else metadata.name (which must then be a valid bucket name). Can only be set at creation.`,
    ).optional(),
    versioning: doc(
      z.enum(VERSIONING_STATES).optional(),
      "Enabled or Suspended. Empty: versioning is not managed. Once set it cannot be removed (S3 cannot turn versioning off, only suspend it). objectLock needs Enabled.",
    ),
    objectLock: objectLock.optional(),
    storageClass: doc(
      z.enum(STORAGE_CLASSES).default("STANDARD"),
      "Default storage class of the bucket: STANDARD (default) or ARCHIVE. Immutable.",
      { rules: [immutable("storageClass")] },
    ),
    tags: tags().optional(),
    policy: bucketPolicy.optional(),
    lifecycle: doc(
      z.object({
        rules: doc(z.array(lifecycleRule).max(100), "Lifecycle rules, unique by id.", {
          "x-kubernetes-list-type": "map",
          "x-kubernetes-list-map-keys": ["id"],
        }),
      }),
      "Lifecycle configuration. Remove the field to stop managing lifecycle; an empty rules list removes all rules.",
    ).optional(),
    publicAccessBlock: doc(
      z.object({
        blockPublicAcls: blockFlag("Reject requests that add public ACLs"),
        ignorePublicAcls: blockFlag("Ignore existing public ACLs"),
        blockPublicPolicy: blockFlag("Reject bucket policies that grant public access"),
        restrictPublicBuckets: blockFlag("Restrict access to buckets with public policies to the account"),
      }),
      "Public access block. `publicAccessBlock: {}` blocks all public access. Empty: not managed.",
    ).optional(),
    outputs: doc(
      z.object({
        configMapName: objectName(
          "",
          "ConfigMap (same namespace, owned by the Bucket) to write endpoint, region, bucket name and addressing style to, for workloads to mount.",
        ).optional(),
        secretName: objectName(
          "",
          "Secret (same namespace, owned by the Bucket) to write S3 credentials for workloads to; needs credentials.workloadS3SecretRef in the ProviderConfig.",
        ).optional(),
      }),
      "Where to publish connection details for workloads.",
    ).optional(),
    emptyBeforeDelete: doc(
      z.boolean().default(false),
      "Delete all objects (and versions) before deleting the bucket. Default false: deleting a non-empty bucket waits with a clear condition. Never bypasses Object Lock retention.",
    ),
  },
  {
    description:
      "Desired state of a Cloud Digit S3 bucket. The cloud name is bucketName, else importID, else metadata.name.",
    importID: bucketName(
      "Name of an existing bucket to adopt (or observe) even though the operator did not create it. Can only be set at creation.",
    ),
    observeOnlyNeedsImportID: false,
    rules: [
      setOnlyAtCreation("bucketName", "a bucket cannot be renamed"),
      {
        rule: "!has(self.importID) || !has(self.bucketName) || self.bucketName == self.importID",
        message: "bucketName and importID must be equal when both are set",
        fieldPath: ".bucketName",
      },
      {
        rule: "!has(self.objectLock) || (has(self.versioning) && self.versioning == 'Enabled')",
        message:
          "objectLock requires versioning: Enabled (and versioning cannot be suspended on an Object Lock bucket)",
        fieldPath: ".objectLock",
      },
      {
        rule: "has(self.objectLock) == has(oldSelf.objectLock) && (!has(self.objectLock) || self.objectLock == oldSelf.objectLock)",
        message:
          "objectLock can only be set when the bucket is created and cannot be added, changed or removed afterwards",
        fieldPath: ".objectLock",
      },
      {
        rule: "!has(oldSelf.versioning) || has(self.versioning)",
        message: "versioning cannot be removed once set; use Suspended to stop versioning new objects",
        fieldPath: ".versioning",
      },
    ],
  },
);

export type BucketSpec = z.infer<typeof bucketSpec>;
export type BucketPolicy = z.infer<typeof bucketPolicy>;
export type BucketLifecycleRule = z.infer<typeof lifecycleRule>;

/** The bucket's name in the cloud: bucketName, else importID, else metadata.name. */
export function cloudBucketName(bucket: {
  metadata: { name?: string | undefined };
  spec: BucketSpec;
}): string {
  return bucket.spec.bucketName ?? bucket.spec.importID ?? bucket.metadata.name ?? "";
}

export const bucketKind = managedKind({
  kind: "Bucket",
  shortNames: ["cdbucket", "cdb"],
  description:
    "A Cloud Digit S3 bucket with versioning, Object Lock, tags, policy, lifecycle and outputs for workloads.",
  noun: "bucket",
  spec: bucketSpec,
  // Found by name through the S3 API, not by a REST ID: no observedFields, no ID column.
  atProvider: doc(
    z.object({
      bucketName: doc(z.string().max(63).optional(), "Name of the bucket in the cloud."),
      endpoint: doc(z.string().max(2048).optional(), "S3 endpoint URL serving the bucket."),
      region: doc(z.string().max(64).optional(), "Region of the bucket."),
      versioning: doc(z.string().max(32).optional(), "Versioning state the S3 API reports."),
      objectLockEnabled: doc(z.boolean().optional(), "Whether Object Lock is enabled on the bucket."),
    }),
    "Fields of the bucket as last observed through the S3 API.",
  ),
  columns: [
    column("Bucket", ".status.atProvider.bucketName", "Name in the cloud."),
    column("Versioning", ".spec.versioning", "Versioning state."),
  ],
  idColumn: false,
  rootRules: [
    {
      rule: `has(self.spec.bucketName) || has(self.spec.importID) || self.metadata.name.matches('${BUCKET_NAME_PATTERN.source}')`,
      message: `metadata.name is not a valid bucket name (${BUCKET_NAME_RULE}): set spec.bucketName`,
      fieldPath: ".spec.bucketName",
      reason: "FieldValueRequired",
    },
  ],
});

export type Bucket = z.infer<typeof bucketKind.schema>;
