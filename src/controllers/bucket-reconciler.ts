// The Bucket reconciler: the lifecycle rules of the resource model (finalizer before the first
// write, pause, ObserveOnly, Orphan, import, adoption by ownership tag, drift repair, deletion
// guards) applied to a bucket reached through S3. It mirrors the generic reconciler
// (reconciler.ts), whose contract is built around the REST client, and shares its outcome model:
// every reconcile ends in one Outcome that becomes the requeue and the conditions in outcome.ts.
// On top of the four standard conditions, each managed sub-configuration gets a `<Field>Synced`
// condition, so a setting the server cannot apply (NotImplemented) is named precisely.
import { isCloudDigitError } from "../client/errors.ts";
import { cloudBucketName, type BucketSpec } from "../crds/bucket.ts";
import { PAUSED_ANNOTATION } from "../crds/common.ts";
import { dropEmpty, OWNER_TAG, type Condition, type ManagedObject, type ManagedStatus } from "./actuator.ts";
import { bucketOwnershipTags, objectLockEnabled } from "./bucket-config.ts";
import { configMapData, secretData, type OutputWriter } from "./bucket-outputs.ts";
import type { BucketProviderResolver, S3Target } from "./bucket-provider.ts";
import {
  applyPlans,
  BUCKET_FIELDS,
  countObjects,
  emptyBucket,
  isVersioned,
  observeBucket,
  planBucket,
  type BucketField,
  type BucketObservation,
  type FieldResult,
} from "./bucket.ts";
import { cloudErrorOutcome } from "./cloud-errors.ts";
import {
  clearCreatePending,
  CREATE_PENDING_ANNOTATION,
  deleteWithoutCloud,
  doneOutcome,
  ensureFinalizer,
  isDrift,
  isPaused,
  isStaleWrite,
  observedStatus,
  pollingOutcome,
  remainingOutcome,
  removeFinalizer,
  stalledOutcome,
  stampLastSyncTime,
  stopOnFailure,
  Stop,
  transitionEvent,
  type Memo,
  type ObservedResource,
} from "./lifecycle.ts";
import { conditionsFor, ConditionType, Reason, requeueFor, type Outcome, type Requeue } from "./outcome.ts";
import type { EventType, MetadataPatch } from "./ports.ts";
import { OwnWriteLag } from "./cache-lag.ts";
import { DEFAULT_TIMING, type ReconcilerTiming } from "./reconciler.ts";

export type BucketObject = ManagedObject<BucketSpec>;

/** Reasons specific to buckets (conditions and events), besides the shared ones in outcome.ts. */
export const BucketReason = {
  OwnedElsewhere: "BucketOwnedElsewhere",
  NotEmpty: "BucketNotEmpty",
  ObjectsRetained: "ObjectsRetained",
  Emptying: "EmptyingBucket",
  OutputConflict: "OutputConflict",
  WorkloadCredentialsMissing: "WorkloadCredentialsMissing",
  NotConverging: "NotConverging",
  ObjectLockUnavailable: "ObjectLockUnavailable",
  InSync: "InSync",
  Kept: "KeptForeignBucket",
} as const;

/** The outcome model's reasons are a closed list; bucket reasons are stable strings of the same kind. */
function reason(r: string): Reason {
  return r as Reason;
}

/** Per-field condition type, e.g. `LifecycleSynced`. */
export function fieldConditionType(field: BucketField | "outputs"): string {
  return `${field.charAt(0).toUpperCase()}${field.slice(1)}Synced`;
}

const STANDARD_TYPES: readonly string[] = Object.values(ConditionType);
const FIELD_TYPES: readonly string[] = [...BUCKET_FIELDS, "outputs" as const].map(fieldConditionType);

/** After this many writes of one field for one generation that did not stick, stop writing it. */
const MAX_WRITES_PER_GENERATION = 3;

export interface BucketObjectWriter {
  writeStatus(object: BucketObject, status: ManagedStatus): Promise<BucketObject>;
  patchMetadata(object: BucketObject, patch: MetadataPatch): Promise<BucketObject>;
}

export interface BucketEventSink {
  record(object: BucketObject, type: EventType, reason: string, message: string): void;
}

export interface BucketCache {
  get(namespace: string, name: string): BucketObject | undefined;
  /** As ObjectCache.expectOwnWrite. */
  expectOwnWrite?(key: string, before: string, written: string | undefined): void;
}

/**
 * The per-kind resource metrics (ResourceMetrics in metrics.ts satisfies it), so Buckets count in
 * clouddigit_managed_resources and the drift/recreate/outcome counters like every other kind.
 */
export interface BucketMetrics {
  observe(kind: string, key: string, flags: { exists: boolean; ready: boolean; synced: boolean }): void;
  forget(kind: string, key: string): void;
  drift(kind: string): void;
  recreated(kind: string): void;
  outcome(kind: string, outcome: string): void;
}

export interface BucketReconcilerOptions {
  cache: BucketCache;
  writer: BucketObjectWriter;
  events: BucketEventSink;
  providers: BucketProviderResolver;
  outputs: OutputWriter;
  metrics?: BucketMetrics | undefined;
  timing?: Partial<ReconcilerTiming> | undefined;
  /** Pages of 1000 objects deleted per reconcile when emptying a bucket (default 10). */
  maxEmptyBatches?: number;
  now?: () => number;
  random?: () => number;
}

interface WantedCondition {
  type: string;
  status: Condition["status"];
  reason: string;
  message: string;
}

interface Observed extends ObservedResource {
  /** Per-field conditions; undefined keeps the previous ones (the reconcile ended before judging them). */
  fields?: WantedCondition[];
}

export class BucketReconciler {
  private readonly timing: ReconcilerTiming;
  private readonly now: () => number;
  private readonly random: () => number;
  private readonly memo = new Map<string, Memo>();
  private readonly cacheLag: OwnWriteLag;
  /** Writes per object key, field and generation that the server has not (yet) reflected. */
  private readonly writes = new Map<string, Map<string, number>>();
  /** Consecutive "bucket not empty" answers per object key, to back off while waiting on the user. */
  private readonly notEmptyWaits = new Map<string, number>();

  constructor(private readonly opts: BucketReconcilerOptions) {
    this.timing = { ...DEFAULT_TIMING, ...opts.timing };
    this.now = opts.now ?? Date.now;
    this.random = opts.random ?? Math.random;
    this.cacheLag = new OwnWriteLag(this.timing.cacheLagMaxMs, this.now);
  }

  async reconcile(namespace: string, name: string, signal?: AbortSignal): Promise<Requeue | undefined> {
    const key = `${namespace}/${name}`;
    const cached = this.opts.cache.get(namespace, name);
    if (!cached) {
      this.memo.delete(key);
      this.cacheLag.forget(key);
      this.writes.delete(key);
      this.notEmptyWaits.delete(key);
      this.opts.metrics?.forget("Bucket", key);
      return undefined;
    }
    const cachedVersion = cached.metadata.resourceVersion;
    // Never decide on a copy older than this process's own last write (see cache-lag.ts).
    if (this.cacheLag.lagging(key, cachedVersion)) return { requeueAfterMs: this.timing.cacheLagRetryMs };
    const object = structuredClone(cached);
    try {
      return await this.reconcileCopy(key, object, signal);
    } finally {
      const written = object.metadata.resourceVersion;
      if (this.cacheLag.record(key, cachedVersion, written)) {
        this.opts.cache.expectOwnWrite?.(key, cachedVersion, written);
      }
    }
  }

  private async reconcileCopy(
    key: string,
    object: BucketObject,
    signal: AbortSignal | undefined,
  ): Promise<Requeue | undefined> {
    const memo = this.memo.get(key);
    if (memo && memo.fingerprint === this.fingerprint(object) && this.now() < memo.until) {
      return requeueFor(remainingOutcome(memo, this.now()));
    }
    this.memo.delete(key);

    const observed: Observed = { synced: false };
    let outcome: Outcome;
    try {
      outcome = object.metadata.deletionTimestamp
        ? await this.finalize(object, observed, signal)
        : await this.sync(object, observed, signal);
    } catch (err) {
      // A metadata patch lost to a newer version of the object: read it again shortly, quietly.
      if (isStaleWrite(err)) return { requeueAfterMs: this.timing.conflictRetryMs };
      outcome = err instanceof Stop ? err.outcome : this.classify(err, "reconcile");
    }
    this.opts.metrics?.outcome("Bucket", outcome.kind);
    if (outcome.kind === "gone") {
      this.writes.delete(key);
      this.notEmptyWaits.delete(key);
      this.opts.metrics?.forget("Bucket", key);
      return undefined;
    }
    try {
      await this.publish(object, outcome, observed);
    } catch (err) {
      if (isStaleWrite(err)) return { requeueAfterMs: this.timing.conflictRetryMs };
      throw err;
    }
    if (outcome.kind === "done" || outcome.kind === "stalled") {
      const wait = outcome.kind === "done" ? outcome.resyncAfterMs : outcome.retryAfterMs;
      this.memo.set(key, { fingerprint: this.fingerprint(object), outcome, until: this.now() + wait });
    }
    return requeueFor(outcome);
  }

  // ------------------------------------------------------------------------------------------
  // Create / adopt / observe / converge

  private async sync(object: BucketObject, observed: Observed, signal?: AbortSignal): Promise<Outcome> {
    if (isPaused(object)) return { kind: "paused" };
    const spec = object.spec;
    const observeOnly = spec.managementPolicy === "ObserveOnly";
    const provider = await this.opts.providers.resolve(object);
    if (!provider.ok) {
      return {
        kind: "waiting",
        reason: Reason.ProviderConfigNotReady,
        message: provider.message,
        recheckAfterMs: this.timing.providerRecheckMs,
      };
    }
    signal?.throwIfAborted();
    const s3 = provider.s3;
    const name = cloudBucketName(object);
    const recordedId = object.status?.id;

    let created = false;
    const exists = await this.call("read", () => s3.bucketExists(name));
    if (!exists) {
      observed.id = null;
      observed.state = null;
      observed.atProvider = null;
      observed.synced = true;
      if (observeOnly) {
        return this.stalled(
          Reason.NotFound,
          `the observed bucket ${name} does not exist; it will be looked for again later`,
        );
      }
      if (spec.importID) {
        return this.stalled(
          Reason.ImportNotFound,
          `the imported bucket ${name} does not exist; fix spec.importID by recreating this object`,
        );
      }
      if (recordedId) {
        this.emit(
          object,
          "Warning",
          Reason.RecreatingDeletedResource,
          `bucket ${recordedId} was deleted outside Kubernetes; creating it again`,
        );
        this.opts.metrics?.recreated("Bucket");
      }
      await this.ensureFinalizer(object, true);
      let answer: "created" | "exists";
      try {
        answer = await s3.createBucket(name, { objectLock: spec.objectLock !== undefined });
      } catch (err) {
        if (isCloudDigitError(err) && err.terminal) await this.clearCreatePending(object);
        throw new Stop(this.classify(err, "create"));
      }
      // "exists" right after HEAD said no is most likely our own create retried by the SDK after a
      // lost answer; the ownership check below still refuses a bucket tagged for someone else.
      if (answer === "created") {
        created = true;
        this.emit(
          object,
          "Normal",
          Reason.Created,
          `created bucket ${name}${spec.objectLock ? " with Object Lock" : ""}`,
        );
        // Record the name at once: if we crash before tagging, the next reconcile knows it is ours.
        const written = await this.opts.writer.writeStatus(object, {
          ...object.status,
          id: name,
          state: "available",
        });
        object.metadata = written.metadata;
        object.status = written.status;
        await this.clearCreatePending(object);
      }
    }

    const observation = await this.call("read", () => observeBucket(s3, name, spec, !observeOnly));
    observed.synced = true;

    if (!observeOnly) {
      const refusal = this.ownershipRefusal(object, observation.tags, name);
      if (refusal) {
        await this.clearCreatePending(object);
        return this.stalled(reason(BucketReason.OwnedElsewhere), refusal);
      }
      if (!created && !recordedId) {
        if (spec.importID) this.emit(object, "Normal", Reason.Imported, `imported bucket ${name}`);
        else
          this.emit(
            object,
            "Normal",
            Reason.Adopted,
            `found bucket ${name} created earlier for this object; adopting it`,
          );
      }
      await this.ensureFinalizer(object, false);
      if (object.metadata.annotations?.[CREATE_PENDING_ANNOTATION] !== undefined) {
        // Adopted after a crash mid-create: record the name first, so the mark can go.
        if (object.status?.id !== name) {
          const written = await this.opts.writer.writeStatus(object, { ...object.status, id: name });
          object.metadata = written.metadata;
          object.status = written.status;
        }
        await this.clearCreatePending(object);
      }
    }
    observed.id = name;
    observed.state = "available";
    observed.atProvider = atProvider(observation, provider);

    if (observeOnly) {
      const outputs = await this.writeOutputs(object, name, provider);
      observed.fields = outputs ? [outputs.condition] : [];
      if (outputs?.problem) return this.stalled(outputs.problem.reason, outputs.problem.message);
      return this.done(`observing bucket ${name}`, object);
    }

    const key = objectKey(object);
    const generation = object.metadata.generation ?? 0;
    const plans = planBucket(spec, observation, bucketOwnershipTags(object.metadata)).map((plan) => {
      if (plan.state !== "Changed") return plan;
      if (this.writeCount(key, plan.field, generation) < MAX_WRITES_PER_GENERATION) return plan;
      return {
        field: plan.field,
        state: "NotConverging" as const,
        message: `${plan.field} was written ${MAX_WRITES_PER_GENERATION} times but the S3 server still reports something else; it may not keep this setting as written. Change the spec to try again`,
      };
    });
    const toApply = plans.filter((p) => p.state !== "NotConverging");
    const applied = await this.call("update", () => applyPlans(s3, name, toApply));
    const results: FieldResult[] = [...applied, ...plans.filter((p) => p.state === "NotConverging")];
    for (const r of results) {
      if (r.state === "Updated") this.countWrite(key, r.field, generation);
      // Once it sticks, the count starts over: later drift repairs are not "not converging".
      else if (r.state === "InSync") this.writes.get(key)?.delete(`${generation}/${r.field}`);
    }

    const updated = results.filter((r) => r.state === "Updated").map((r) => r.field);
    if (updated.length > 0 && !created) {
      if (isDrift(object)) {
        this.opts.metrics?.drift("Bucket");
        this.emit(
          object,
          "Normal",
          Reason.DriftDetected,
          `bucket ${name} drifted from the spec in ${updated.join(", ")}; correcting it`,
        );
      }
      this.emit(object, "Normal", Reason.Updated, `updated ${updated.join(", ")} of bucket ${name}`);
    }

    const outputs = await this.writeOutputs(object, name, provider);
    observed.fields = [...results.map(fieldCondition), ...(outputs ? [outputs.condition] : [])];

    if (updated.length > 0) {
      return this.polling(Reason.Updating, `updated ${updated.join(", ")}; verifying`);
    }
    const problems = results.filter((r): r is Extract<FieldResult, { message: string }> => "message" in r);
    if (problems.length > 0) {
      const first = problems[0];
      const message = problems.map((p) => `${p.field}: ${p.message}`).join("; ");
      return this.stalled(first ? problemReason(first) : Reason.InvalidSpec, message);
    }
    if (outputs?.problem) return this.stalled(outputs.problem.reason, outputs.problem.message);
    return this.done(`bucket ${name} matches the spec`, object);
  }

  /** Why we must not manage this bucket, or undefined when it is ours (or imported). */
  private ownershipRefusal(
    object: BucketObject,
    tags: Record<string, string>,
    name: string,
  ): string | undefined {
    if (object.spec.importID) return undefined;
    const owner = tags[OWNER_TAG];
    if (owner === object.metadata.uid) return undefined;
    const createPending = object.metadata.annotations?.[CREATE_PENDING_ANNOTATION] !== undefined;
    // Created by us but not tagged yet (a crash between CreateBucket and PutBucketTagging).
    if (owner === undefined && (object.status?.id === name || createPending)) return undefined;
    return owner
      ? `bucket ${name} belongs to another Kubernetes object (tag ${OWNER_TAG}=${owner}); choose another spec.bucketName, or set spec.importID: ${name} on a new object to take it over`
      : `bucket ${name} already exists and was not created by this object; choose another spec.bucketName, or set spec.importID: ${name} on a new object to adopt it`;
  }

  private async writeOutputs(
    object: BucketObject,
    name: string,
    target: S3Target,
  ): Promise<{ condition: WantedCondition; problem?: { reason: Reason; message: string } } | undefined> {
    const outputs = object.spec.outputs;
    if (!outputs?.configMapName && !outputs?.secretName) return undefined;
    const type = fieldConditionType("outputs");
    const owner = {
      namespace: object.metadata.namespace ?? "",
      name: object.metadata.name ?? "",
      uid: object.metadata.uid ?? "",
    };
    const problems: string[] = [];
    let problemReason: string = BucketReason.OutputConflict;
    const kube = async <T>(fn: () => Promise<T>): Promise<T> => {
      try {
        return await fn();
      } catch (err) {
        throw new Stop({
          kind: "retry",
          reason: Reason.ReconcileError,
          message: `cannot write the outputs: ${err instanceof Error ? err.message : String(err)}`,
        });
      }
    };
    if (outputs.configMapName) {
      const cmName = outputs.configMapName;
      const data = configMapData({ endpoint: target.endpoint, region: target.region, bucketName: name });
      const result = await kube(() => this.opts.outputs.ensureConfigMap(owner, cmName, data));
      if (typeof result === "object") problems.push(result.conflict);
    }
    if (outputs.secretName) {
      const secretName = outputs.secretName;
      if (!target.workloadKeys) {
        problemReason = BucketReason.WorkloadCredentialsMissing;
        problems.push(
          `spec.outputs.secretName needs S3 keys for workloads: set credentials.workloadS3SecretRef in the ProviderConfig`,
        );
      } else {
        const read = target.workloadKeys;
        const keys = await kube(() => read());
        const result = await kube(() => this.opts.outputs.ensureSecret(owner, secretName, secretData(keys)));
        if (typeof result === "object") problems.push(result.conflict);
      }
    }
    if (problems.length === 0) {
      return { condition: { type, status: "True", reason: BucketReason.InSync, message: "" } };
    }
    const message = problems.join("; ");
    return {
      condition: { type, status: "False", reason: problemReason, message },
      problem: { reason: reason(problemReason), message },
    };
  }

  // ------------------------------------------------------------------------------------------
  // Deletion

  private async finalize(object: BucketObject, observed: Observed, signal?: AbortSignal): Promise<Outcome> {
    const id = object.status?.id;
    const early = await deleteWithoutCloud(object, {
      keptId: id,
      noun: "bucket",
      removeFinalizer: () => this.removeFinalizer(object),
      emit: (type, r, message) => this.emit(object, type, r, message),
    });
    if (early) return early;
    const name = cloudBucketName(object);

    const provider = await this.opts.providers.resolve(object);
    if (!provider.ok) {
      return {
        kind: "waiting",
        reason: Reason.ProviderConfigNotReady,
        message: `cannot delete bucket ${name}: ${provider.message}; fix the ProviderConfig, or set deletionPolicy: Orphan to keep the bucket`,
        recheckAfterMs: this.timing.providerRecheckMs,
      };
    }
    signal?.throwIfAborted();
    const s3 = provider.s3;
    const exists = await this.call("read", () => s3.bucketExists(name));
    observed.synced = true;
    if (!exists) {
      await this.removeFinalizer(object);
      if (id) this.emit(object, "Normal", Reason.Deleted, `deleted bucket ${name}`);
      return { kind: "gone" };
    }
    const tags = await this.call("read", () => s3.getTags(name));
    const refusal = this.ownershipRefusal(object, tags, name);
    if (refusal) {
      await this.removeFinalizer(object);
      this.emit(object, "Warning", BucketReason.Kept, `did not delete bucket ${name}: ${refusal}`);
      return { kind: "gone" };
    }
    try {
      await s3.deleteBucket(name);
    } catch (err) {
      if (!isCloudDigitError(err, "conflict")) throw new Stop(this.classify(err, "delete"));
      return this.notEmpty(object, s3, name);
    }
    await this.removeFinalizer(object);
    this.emit(object, "Normal", Reason.Deleted, `deleted bucket ${name}`);
    return { kind: "gone" };
  }

  /** The bucket still holds objects: say so, or empty it when the user opted in. */
  private async notEmpty(object: BucketObject, s3: S3Target["s3"], name: string): Promise<Outcome> {
    const observation = await this.call("read", () => observeBucket(s3, name, object.spec, false));
    const versioned = isVersioned(observation);
    if (!object.spec.emptyBeforeDelete) {
      const count = await this.call("read", () => countObjects(s3, name, versioned));
      // Soon at first (the user may be emptying it now), then less often, up to the wait re-check.
      const key = objectKey(object);
      const waits = this.notEmptyWaits.get(key) ?? 0;
      this.notEmptyWaits.set(key, waits + 1);
      return {
        kind: "waiting",
        reason: reason(BucketReason.NotEmpty),
        message: `bucket ${name} is not empty (${count}); delete its objects, or set spec.emptyBeforeDelete: true to let the operator empty it (it never bypasses Object Lock retention)`,
        recheckAfterMs: Math.min(this.timing.pollMs * 2 ** (waits + 1), this.timing.waitRecheckMs),
      };
    }
    const result = await this.call("empty", () =>
      emptyBucket(s3, name, { versioned, maxBatches: this.opts.maxEmptyBatches ?? 10 }),
    );
    if (result.deleted > 0) {
      this.emit(
        object,
        "Normal",
        BucketReason.Emptying,
        `deleted ${result.deleted} objects from bucket ${name} before deleting it`,
      );
    }
    if (result.retained.length > 0 && (!result.more || result.deleted === 0)) {
      const locked = objectLockEnabled(
        observation.objectLock.supported ? observation.objectLock.value : undefined,
      );
      const first = result.retained[0];
      return {
        kind: "waiting",
        reason: reason(BucketReason.ObjectsRetained),
        message:
          `bucket ${name} still holds ${result.retained.length} object versions the server refused to delete` +
          (first ? ` (e.g. ${first.key}: ${first.code ?? "refused"})` : "") +
          (locked
            ? "; they are under Object Lock retention, which the operator never bypasses: wait until it expires, or remove them yourself with the governance-bypass permission"
            : "; remove them yourself"),
        // Retention may last days: look again on the slow timer (or when the object changes).
        recheckAfterMs: this.timing.stalledRetryMs,
      };
    }
    if (result.deleted === 0 && result.retained.length === 0) {
      // S3 says "not empty" but lists nothing to delete (e.g. unfinished multipart uploads):
      // no point in a fast loop; say so and look again on the slow timer.
      return {
        kind: "waiting",
        reason: reason(BucketReason.NotEmpty),
        message: `S3 refuses to delete bucket ${name} as not empty, but lists no objects or versions to delete; check it for unfinished multipart uploads`,
        recheckAfterMs: this.timing.stalledRetryMs,
      };
    }
    return this.polling(
      Reason.Deleting,
      `emptying bucket ${name} (${result.deleted} objects deleted so far in this pass)`,
    );
  }

  // ------------------------------------------------------------------------------------------
  // Finalizer and annotations

  private async ensureFinalizer(object: BucketObject, beforeCreate: boolean): Promise<void> {
    const pendingSince = (): string => new Date(this.now()).toISOString();
    await ensureFinalizer(object, beforeCreate, pendingSince, this.patcher(object));
  }

  private async clearCreatePending(object: BucketObject): Promise<void> {
    await clearCreatePending(object, this.patcher(object));
  }

  private async removeFinalizer(object: BucketObject): Promise<void> {
    await removeFinalizer(object, this.patcher(object));
  }

  private patcher(object: BucketObject): (patch: MetadataPatch) => Promise<BucketObject> {
    return (patch) => this.opts.writer.patchMetadata(object, patch);
  }

  // ------------------------------------------------------------------------------------------
  // Outcomes, errors, status

  private done(message: string, object: BucketObject): Outcome {
    return doneOutcome(message, object, this.timing, this.random);
  }

  private polling(r: Reason, message: string): Outcome {
    return pollingOutcome(r, message, this.timing);
  }

  private stalled(r: Reason, message: string): Outcome {
    return stalledOutcome(r, message, this.timing, this.random);
  }

  private classify(err: unknown, doing: string): Outcome {
    if (err instanceof Stop) return err.outcome;
    if (isCloudDigitError(err)) {
      return cloudErrorOutcome(err, `cannot ${doing} the bucket: ${err.message}`, this.timing, this.random);
    }
    const message = err instanceof Error ? err.message : String(err);
    return {
      kind: "retry",
      reason: Reason.ReconcileError,
      message: `cannot ${doing} the bucket: ${message}`,
    };
  }

  private call<T>(doing: string, fn: () => Promise<T>): Promise<T> {
    return stopOnFailure(fn, (err) => this.classify(err, doing));
  }

  private writeCount(key: string, field: string, generation: number): number {
    return this.writes.get(key)?.get(`${generation}/${field}`) ?? 0;
  }

  private countWrite(key: string, field: string, generation: number): void {
    let perKey = this.writes.get(key);
    if (!perKey) {
      perKey = new Map();
      this.writes.set(key, perKey);
    }
    // Counts of older generations no longer matter.
    for (const k of perKey.keys()) if (!k.startsWith(`${generation}/`)) perKey.delete(k);
    const k = `${generation}/${field}`;
    perKey.set(k, (perKey.get(k) ?? 0) + 1);
  }

  private async publish(
    object: BucketObject,
    outcome: Exclude<Outcome, { kind: "gone" }>,
    observed: Observed,
  ): Promise<void> {
    const previous = object.status ?? {};
    const nowIso = new Date(this.now()).toISOString();
    const generation = object.metadata.generation;
    const status = observedStatus(previous, observed, outcome, generation);
    const standard = conditionsFor(outcome, previous.conditions, generation, nowIso);
    const previousFields = (previous.conditions ?? []).filter((c) => FIELD_TYPES.includes(c.type));
    const fields = observed.fields
      ? observed.fields.map((w) => withTransition(w, previous.conditions, generation, nowIso))
      : previousFields;
    const others = (previous.conditions ?? []).filter(
      (c) => !STANDARD_TYPES.includes(c.type) && !FIELD_TYPES.includes(c.type),
    );
    status.conditions = [...standard, ...sortFields(fields), ...others];
    const worthWriting = stampLastSyncTime(previous, status, observed.synced, nowIso);

    this.opts.metrics?.observe("Bucket", objectKey(object), {
      exists: !!status.id,
      ready: outcome.kind === "done",
      synced: status.conditions.find((c) => c.type === ConditionType.Synced)?.status === "True",
    });
    const event = transitionEvent(outcome, previous);
    if (event) this.emit(object, event.type, event.reason, event.message);
    if (!worthWriting) return;
    const written = await this.opts.writer.writeStatus(object, status);
    object.metadata = written.metadata;
    object.status = status;
  }

  private emit(object: BucketObject, type: EventType, r: string, message: string): void {
    this.opts.events.record(object, type, r, message);
  }

  /** Everything besides the cloud that could change what a reconcile decides. */
  private fingerprint(object: BucketObject): string {
    return JSON.stringify([
      object.metadata.uid,
      object.metadata.generation,
      object.metadata.deletionTimestamp ?? "",
      object.metadata.finalizers ?? [],
      object.metadata.annotations?.[PAUSED_ANNOTATION] ?? "",
      object.metadata.annotations?.[CREATE_PENDING_ANNOTATION] ?? "",
      object.status?.id ?? "",
      this.opts.providers.peekFingerprint(object),
    ]);
  }
}

function atProvider(observation: BucketObservation, target: S3Target): Record<string, unknown> {
  return dropEmpty({
    bucketName: observation.name,
    endpoint: target.endpoint,
    region: target.region,
    versioning: observation.versioning.supported ? observation.versioning.value : undefined,
    objectLockEnabled: observation.objectLock.supported
      ? objectLockEnabled(observation.objectLock.value)
      : undefined,
  });
}

function fieldCondition(result: FieldResult): WantedCondition {
  const type = fieldConditionType(result.field);
  switch (result.state) {
    case "InSync":
      return { type, status: "True", reason: BucketReason.InSync, message: "" };
    case "Updated":
      return {
        type,
        status: "False",
        reason: Reason.Updating,
        message: `${result.field} written; verifying`,
      };
    default:
      return { type, status: "False", reason: problemReason(result), message: result.message };
  }
}

function problemReason(result: Extract<FieldResult, { message: string }>): Reason {
  switch (result.state) {
    case "NotImplemented":
      return Reason.NotImplemented;
    case "Impossible":
      return reason(BucketReason.ObjectLockUnavailable);
    case "NotConverging":
      return reason(BucketReason.NotConverging);
    case "Rejected":
      return Reason.InvalidSpec;
  }
}

function withTransition(
  wanted: WantedCondition,
  previous: readonly Condition[] | undefined,
  generation: number | undefined,
  now: string,
): Condition {
  const prev = previous?.find((c) => c.type === wanted.type);
  return {
    ...wanted,
    observedGeneration: generation,
    lastTransitionTime: prev && prev.status === wanted.status ? prev.lastTransitionTime : now,
  };
}

function sortFields(conditions: Condition[]): Condition[] {
  return [...conditions].sort((a, b) => FIELD_TYPES.indexOf(a.type) - FIELD_TYPES.indexOf(b.type));
}

function objectKey(object: BucketObject): string {
  return `${object.metadata.namespace ?? ""}/${object.metadata.name ?? ""}`;
}
