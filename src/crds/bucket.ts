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

/**
 * Names S3 reserves for its own features (access point aliases, Object Lambda, directory and
 * table buckets, punycode); real S3 implementations refuse them, so admission does too.
 */
export const RESERVED_BUCKET_PREFIXES = ["xn--", "sthree-", "amzn-s3-demo-"] as const;
export const RESERVED_BUCKET_SUFFIXES = ["-s3alias", "--ol-s3", "--x-s3", "--table-s3", ".mrap"] as const;
const notReserved = (v: string) =>
  [
    ...RESERVED_BUCKET_PREFIXES.map((p) => `!${v}.startsWith('${p}')`),
    ...RESERVED_BUCKET_SUFFIXES.map((x) => `!${v}.endsWith('${x}')`),
  ].join(" && ");
const RESERVED_NAME_MESSAGE = `bucket names may not start with ${RESERVED_BUCKET_PREFIXES.join(", ")} or end with ${RESERVED_BUCKET_SUFFIXES.join(", ")}: S3 reserves them`;

function bucketName(description: string) {
  return doc(z.string().max(63).regex(BUCKET_NAME_PATTERN), description, {
    patternMessage: `must be a valid bucket name: ${BUCKET_NAME_RULE}`,
    rules: [{ rule: notReserved("self"), message: RESERVED_NAME_MESSAGE }],
  });
}

/** S3 tags; the `aws:` prefix is reserved by S3 for its own tags. */
const s3Tags = tags({ reservedPrefixes: ["aws:"] }).optional();

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

// The policy language lets Action, Resource and principals be a string or a list of strings, and
// Condition values a string, number, boolean or list. A CRD schema can say neither "string or
// list" nor run CEL on an untyped field (the apiserver refuses to build CEL types for one), so
// those fields keep what the user wrote; the operator refuses a spec nested deeper than it can
// work with (MAX_SPEC_DEPTH in the generic reconciler), naming the field.
function asWritten(description: string) {
  return doc(z.unknown().optional(), description, { "x-kubernetes-preserve-unknown-fields": true });
}

const policyStatement = doc(
  z.object({
    Sid: doc(z.string().max(128).optional(), "Optional statement identifier."),
    Effect: doc(z.enum(["Allow", "Deny"]), "Allow or Deny."),
    Principal: asWritten('Who the statement applies to: "*" or a map such as {AWS: ["arn:..."]}.'),
    NotPrincipal: asWritten("Who the statement does not apply to, written as Principal."),
    Action: asWritten("Actions, e.g. s3:GetObject: a string or a list of strings."),
    NotAction: asWritten("Actions the statement does not cover: a string or a list of strings."),
    Resource: asWritten("Resources, e.g. arn:aws:s3:::my-bucket/*: a string or a list of strings."),
    NotResource: asWritten("Resources the statement does not cover: a string or a list of strings."),
    Condition: asWritten(
      "Conditions: a map of operators (e.g. StringEquals) to maps of condition keys to a value or a list of values.",
    ),
  }),
  "A policy statement as in an S3 bucket policy: Effect, Principal or NotPrincipal, Action or NotAction, Resource or NotResource, and optional Condition.",
);

/**
 * The bucket policy is modelled as a structured object, not a JSON string: YAML/JSON decoding
 * makes malformed JSON impossible to submit, and the schema checks every statement's shape.
 */
export const bucketPolicy = doc(
  z.object({
    Version: doc(
      z.enum(POLICY_VERSIONS).default("2012-10-17"),
      'Policy language version, "2012-10-17" (default).',
    ),
    Id: doc(z.string().max(128).optional(), "Optional identifier of the policy."),
    Statement: doc(z.array(policyStatement).min(1).max(100), "The statements of the policy (at least one)."),
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
    tags: s3Tags,
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
    kind: "Bucket",
    noun: "bucket",
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
    {
      rule: `has(self.spec.bucketName) || has(self.spec.importID) || (${notReserved("self.metadata.name")})`,
      message: `metadata.name is the bucket name and ${RESERVED_NAME_MESSAGE}; set spec.bucketName`,
      fieldPath: ".spec.bucketName",
      reason: "FieldValueInvalid",
    },
  ],
});

export type Bucket = z.infer<typeof bucketKind.schema>;
