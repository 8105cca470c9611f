// Bucket: an S3 bucket named by us (spec.bucketName, else the importID, else the object's name).
// Each sub-configuration converges on its own and has its own `<Field>Synced` condition; a bucket
// that still holds objects is emptied only when the user opted in, and never past Object Lock.
import { isCloudDigitError } from "../../../client/errors.ts";
import { cloudBucketName, type BucketSpec } from "../../../crds/bucket.ts";
import {
  dropEmpty,
  type Actuator,
  type Change,
  type FieldVerdict,
  type ManagedObject,
  type Operation,
  type RemoveResult,
} from "../../generic/actuator.ts";
import type { Provider, S3Target } from "../../provider/resolver.ts";
import { objectLockEnabled } from "./documents.ts";
import {
  applyPlans,
  BUCKET_FIELDS,
  countObjects,
  emptyBucket,
  isVersioned,
  observeBucket,
  planBucket,
  type BucketObservation,
} from "./fields.ts";
import { configMapData, secretData } from "../../kube/outputs.ts";
import { mismatches } from "../immutable.ts";

export type BucketObject = ManagedObject<BucketSpec>;

/** A bucket as one reconcile read it, with where workloads reach it. */
export interface BucketResource extends BucketObservation {
  id: string;
  endpoint: string;
  region: string;
}

/** Reasons specific to buckets (conditions and events), beside the shared ones. */
export const BucketReason = {
  NotEmpty: "BucketNotEmpty",
  ObjectsRetained: "ObjectsRetained",
  Emptying: "EmptyingBucket",
  WorkloadCredentialsMissing: "WorkloadCredentialsMissing",
  ObjectLockUnavailable: "ObjectLockUnavailable",
} as const;

/** Pages of 1000 objects deleted per reconcile when emptying a bucket. */
const MAX_EMPTY_BATCHES = 10;

async function readBucket(
  target: S3Target,
  name: string,
  object: BucketObject,
): Promise<BucketResource | undefined> {
  if (!(await target.s3.bucketExists(name))) return undefined;
  // Managed objects also read what the spec manages (policy, lifecycle, public access block);
  // ObserveOnly and deletion only what status reports.
  const managed = object.spec.managementPolicy !== "ObserveOnly" && !object.metadata.deletionTimestamp;
  const observation = await observeBucket(target.s3, name, object.spec, managed);
  return { ...observation, id: name, endpoint: target.endpoint, region: target.region };
}

function plans(object: BucketObject, cloud: BucketResource, ownership: Record<string, string>) {
  return planBucket(object.spec, cloud, ownership);
}

export const bucketActuator: Actuator<BucketObject, BucketResource, S3Target, Provider> = {
  kind: "Bucket",
  describe: (id) => (id ? `bucket ${id}` : "bucket"),
  connect: (provider) => provider.s3(),
  dependencies: () => [],
  naming: { by: "us", name: cloudBucketName, nameField: "spec.bucketName" },
  read: (target, name, object) => readBucket(target, name, object),
  async create(op) {
    const name = cloudBucketName(op.object);
    const answer = await op.client.s3.createBucket(name, {
      objectLock: op.object.spec.objectLock !== undefined,
    });
    // "exists" right after the read said no is most likely our own create retried after a lost
    // answer: the reconciler reads it and its ownership check decides.
    if (answer !== "created") return undefined;
    return readBucket(op.client, name, op.object);
  },
  diff(object, cloud, _deps, ownership) {
    return plans(object, cloud, ownership).map((plan): Change | FieldVerdict => {
      switch (plan.state) {
        case "Changed":
          return { field: plan.field, from: plan.from, to: plan.to };
        case "InSync":
          return { field: plan.field, state: "InSync" };
        case "NotImplemented":
          return { field: plan.field, state: "NotImplemented", message: plan.message };
        case "Impossible":
          return {
            field: plan.field,
            state: "Impossible",
            message: plan.message,
            reason: BucketReason.ObjectLockUnavailable,
          };
      }
    });
  },
  // Only Object Lock is fixed once a bucket exists (S3 enables it at creation only); its default
  // retention is mutable (diff). The name is the ID, storageClass cannot be read back.
  immutableMismatches: (object, cloud) =>
    mismatches([
      {
        field: "objectLock",
        spec: object.spec.objectLock === undefined ? undefined : "enabled",
        cloud: cloud.objectLock.supported
          ? objectLockEnabled(cloud.objectLock.value)
            ? "enabled"
            : "not enabled"
          : undefined,
      },
    ]),
  async update(op, cloud, changes) {
    const wanted = new Set(changes.map((c) => c.field));
    const chosen = plans(op.object, cloud, op.ownershipTags).filter(
      (p) => p.state === "Changed" && wanted.has(p.field),
    );
    const results = await applyPlans(op.client.s3, cloud.id, chosen);
    const refused = results.flatMap((r) =>
      r.state === "NotImplemented" || r.state === "Rejected"
        ? [{ field: r.field, state: r.state, message: r.message }]
        : [],
    );
    return { progress: false, refused };
  },
  async remove(op, cloud) {
    try {
      await op.client.s3.deleteBucket(cloud.id);
      return "deleted";
    } catch (err) {
      if (!isCloudDigitError(err, "conflict")) throw err;
      return notEmpty(op, cloud);
    }
  },
  observe: (cloud) => ({
    state: "available",
    ready: true,
    transitional: false,
    atProvider: dropEmpty({
      bucketName: cloud.id,
      endpoint: cloud.endpoint,
      region: cloud.region,
      versioning: cloud.versioning.supported ? cloud.versioning.value : undefined,
      objectLockEnabled: cloud.objectLock.supported ? objectLockEnabled(cloud.objectLock.value) : undefined,
    }),
  }),
  fieldConditions: BUCKET_FIELDS,
  outputs(object, cloud, target) {
    const { configMapName, secretName } = object.spec.outputs ?? {};
    const workloadKeys = target.workloadKeys;
    return {
      configMap: configMapName
        ? {
            name: configMapName,
            data: configMapData({ endpoint: target.endpoint, region: target.region, bucketName: cloud.id }),
          }
        : undefined,
      secret: !secretName
        ? undefined
        : workloadKeys
          ? { name: secretName, data: async () => secretData(await workloadKeys()) }
          : {
              name: secretName,
              unavailable: {
                reason: BucketReason.WorkloadCredentialsMissing,
                message:
                  "spec.outputs.secretName needs S3 keys for workloads: set credentials.workloadS3SecretRef in the ProviderConfig",
              },
            },
    };
  },
};

/** The bucket still holds objects: say so, or empty it (one batch per call) when the user opted in. */
async function notEmpty(op: Operation<BucketObject, S3Target>, cloud: BucketResource): Promise<RemoveResult> {
  const { s3 } = op.client;
  const name = cloud.id;
  const versioned = isVersioned(cloud);
  if (!op.object.spec.emptyBeforeDelete) {
    const count = await countObjects(s3, name, versioned);
    return {
      blocked: {
        reason: BucketReason.NotEmpty,
        message: `bucket ${name} is not empty (${count}); delete its objects, or set spec.emptyBeforeDelete: true to let the operator empty it (it never bypasses Object Lock retention)`,
        recheck: "backoff",
      },
    };
  }
  const result = await emptyBucket(s3, name, { versioned, maxBatches: MAX_EMPTY_BATCHES });
  if (result.deleted > 0) {
    op.note(
      BucketReason.Emptying,
      `deleted ${result.deleted} objects from bucket ${name} before deleting it`,
    );
  }
  if (result.retained.length > 0 && (!result.more || result.deleted === 0)) {
    const locked = objectLockEnabled(cloud.objectLock.supported ? cloud.objectLock.value : undefined);
    const first = result.retained[0];
    return {
      blocked: {
        reason: BucketReason.ObjectsRetained,
        message:
          `bucket ${name} still holds ${result.retained.length} object versions the server refused to delete` +
          (first ? ` (e.g. ${first.key}: ${first.code ?? "refused"})` : "") +
          (locked
            ? "; they are under Object Lock retention, which the operator never bypasses: wait until it expires, or remove them yourself with the governance-bypass permission"
            : "; remove them yourself"),
        // Retention may last days: look again on the slow timer (or when the object changes).
        recheck: "slow",
      },
    };
  }
  if (result.deleted === 0 && result.retained.length === 0) {
    // S3 says "not empty" but lists nothing to delete (e.g. unfinished multipart uploads): no
    // point in a fast loop; say so and look again on the slow timer.
    return {
      blocked: {
        reason: BucketReason.NotEmpty,
        message: `S3 refuses to delete bucket ${name} as not empty, but lists no objects or versions to delete; check it for unfinished multipart uploads`,
        recheck: "slow",
      },
    };
  }
  return { progress: `emptying bucket ${name} (${result.deleted} objects deleted so far in this pass)` };
}
