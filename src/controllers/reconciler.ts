// The generic managed-resource reconciler: every lifecycle rule of docs/resource-model lives here,
// once, for all kinds. One reconcile reads the object from the cache and the resource from the
// cloud, decides, acts at most once, and ends in an Outcome that becomes the requeue and the
// conditions in exactly one place (outcome.ts).
import { isCloudDigitError } from "../client/errors.ts";
import { PAUSED_ANNOTATION } from "../crds/common.ts";
import { metaTime } from "../runtime/conditions.ts";
import type { Logger } from "../runtime/logging.ts";
import {
  cloudName,
  desiredTags,
  NAME_TAG,
  OWNER_TAG,
  ownershipTags,
  refKey,
  Resolved,
  type Actuator,
  type CloudResource,
  type Dependency,
  type ManagedKind,
  type ManagedObject,
  type ManagedStatus,
  type Operation,
  type ResolvedDependency,
  type SecretReader,
  SpecError,
} from "./actuator.ts";
import type { CloudApi } from "./cloud-api.ts";
import { observerOf, type CollectionObserver } from "./collection-observer.ts";
import { OwnWriteLag } from "./cache-lag.ts";
import { cloudErrorOutcome } from "./cloud-errors.ts";
import {
  clearCreatePending,
  deleteWithoutCloud,
  doneOutcome,
  ensureFinalizer,
  isCreatePending,
  isDrift,
  isPaused,
  isReady,
  isStaleWrite,
  observedStatus,
  pollingOutcome,
  remainingOutcome,
  removeFinalizer,
  stalledOutcome,
  stampLastSyncTime,
  Stop,
  stopOnFailure,
  transitionEvent,
  type MetadataPatcher,
  type Memo,
  type ObservedResource,
} from "./lifecycle.ts";
import type { ResourceMetrics } from "./metrics.ts";
import { conditionsFor, ConditionType, Reason, requeueFor, type Outcome, type Requeue } from "./outcome.ts";
import type { EventSink, EventType, ObjectCache, ObjectWriter, ProviderResolver } from "./ports.ts";

export { CREATE_PENDING_ANNOTATION, FINALIZER } from "./lifecycle.ts";

export interface ReconcilerTiming {
  /** Default drift resync when spec.resyncPeriod is empty. */
  resyncMs: number;
  /** Fraction of jitter added to resyncs (0.1 = up to +10%). */
  resyncJitter: number;
  /** How soon to look again while the cloud is working. */
  pollMs: number;
  /** Safety re-check while waiting on something that is also watched. */
  waitRecheckMs: number;
  /** Re-check of a broken ProviderConfig: its Secrets and ServiceAccounts are not watched. */
  providerRecheckMs: number;
  /** Slow retry of a stalled object whose inputs did not change. */
  stalledRetryMs: number;
  /** Fallback when a throttled answer carries no Retry-After. */
  throttledFallbackMs: number;
  /** Re-read after a status write lost to a newer version of the object. */
  conflictRetryMs: number;
  /** Look again this soon when the cache has not shown this process's last write of the object yet. */
  cacheLagRetryMs: number;
  /** Act on the cache anyway once it has lagged a write this long (the informer relists after 30 s). */
  cacheLagMaxMs: number;
  /**
   * Safety re-check of an object whose resource the collection observer watches (it wakes the
   * object when the resource changes, so this only matters if a wake were ever lost).
   */
  watchFallbackMs: number;
  /**
   * Longest a due resync of a converged object waits for others to share its list (it is
   * background work; capped at the resync's jitter).
   */
  resyncGatherMs: number;
}

export const DEFAULT_TIMING: ReconcilerTiming = {
  resyncMs: 10 * 60_000,
  resyncJitter: 0.1,
  pollMs: 5_000,
  waitRecheckMs: 5 * 60_000,
  providerRecheckMs: 30_000,
  stalledRetryMs: 15 * 60_000,
  throttledFallbackMs: 5_000,
  conflictRetryMs: 500,
  cacheLagRetryMs: 100,
  cacheLagMaxMs: 60_000,
  watchFallbackMs: 60_000,
  resyncGatherMs: 10_000,
};

export interface ReconcilerOptions<O extends ManagedObject, C extends CloudResource> {
  actuator: Actuator<O, C>;
  cache: ObjectCache;
  writer: ObjectWriter;
  events: EventSink;
  providers: ProviderResolver;
  secrets: SecretReader;
  metrics?: ResourceMetrics | undefined;
  /**
   * Told when the cloud refused an object's credentials (it stalls), so the operator can re-check
   * the ProviderConfig and wake the object once a fixed Secret makes the credentials work again.
   */
  onCredentialsRejected?: ((object: ManagedObject) => void) | undefined;
  /**
   * Reconciles the object by key soon, ahead of other work. Given, an object waiting on the cloud
   * is not polled by its own reconciles: the collection observer watches its resource and wakes it.
   */
  wake?: ((key: string) => void) | undefined;
  timing?: Partial<ReconcilerTiming>;
  now?: () => number;
  random?: () => number;
}

/** What one reconcile learned about the cloud resource, published in status. */
interface Observed extends ObservedResource {
  /** A create succeeded: clear the create-pending mark once status holds the id. */
  clearCreatePending?: boolean;
  exists?: boolean;
  /** The credential's API, once resolved: the collection observer to tell at the end. */
  api?: CloudApi;
  /** The cloud resource as this reconcile last saw it (before its own update or delete, if any). */
  cloud?: CloudResource;
}

export class ManagedReconciler<
  O extends ManagedObject = ManagedObject,
  C extends CloudResource = CloudResource,
> {
  readonly kind: ManagedKind;
  private readonly timing: ReconcilerTiming;
  private readonly now: () => number;
  private readonly random: () => number;
  /** Last converged or stalled outcome per key, to skip cloud calls until resync or an input changes. */
  private readonly memo = new Map<string, Memo>();
  private readonly cacheLag: OwnWriteLag;

  constructor(private readonly opts: ReconcilerOptions<O, C>) {
    this.kind = opts.actuator.kind;
    this.timing = { ...DEFAULT_TIMING, ...opts.timing };
    this.now = opts.now ?? Date.now;
    this.random = opts.random ?? Math.random;
    this.cacheLag = new OwnWriteLag(this.timing.cacheLagMaxMs, this.now);
  }

  /** Reconciles one object by namespace/name; returns when to run again (undefined: only on events). */
  async reconcile(
    namespace: string,
    name: string,
    signal?: AbortSignal,
    logger?: Logger,
  ): Promise<Requeue | undefined> {
    const key = `${namespace}/${name}`;
    const cached = this.opts.cache.get(this.kind, namespace, name) as O | undefined;
    if (!cached) {
      this.memo.delete(key);
      this.cacheLag.forget(key);
      this.opts.metrics?.forget(this.kind, key);
      return undefined;
    }
    const cachedVersion = cached.metadata.resourceVersion;
    if (this.cacheLag.lagging(key, cachedVersion)) {
      logger?.debug(
        { resourceVersion: cachedVersion },
        "the cache has not shown this process's last write yet",
      );
      return { requeueAfterMs: this.timing.cacheLagRetryMs };
    }
    // A private copy: the reconcile updates metadata and status as it writes them; the cache's object is shared.
    const object = structuredClone(cached);
    try {
      return await this.reconcileCopy(key, object, signal, logger);
    } finally {
      // Every write (status, finalizer, annotation) leaves its new version in the copy.
      const written = object.metadata.resourceVersion;
      if (this.cacheLag.record(key, cachedVersion, written)) {
        this.opts.cache.expectOwnWrite?.(this.kind, key, cachedVersion, written);
      }
    }
  }

  private async reconcileCopy(
    key: string,
    object: O,
    signal: AbortSignal | undefined,
    logger: Logger | undefined,
  ): Promise<Requeue | undefined> {
    const memo = this.memo.get(key);
    const fingerprint = memo && this.fingerprint(object, memo.outcome.kind === "polling");
    if (memo && memo.fingerprint === fingerprint && this.now() < memo.until) {
      // Nothing that could change the decision changed: no cloud call, no status write.
      logger?.debug({ outcome: memo.outcome.kind }, "inputs unchanged since the last outcome; no cloud call");
      return requeueFor(remainingOutcome(memo, this.now()));
    }
    if (
      memo?.seen &&
      memo.fingerprint === fingerprint &&
      (await this.resyncByCheck(key, object, memo, signal))
    ) {
      logger?.debug("resync: the cloud resource is checked in its collection's next list");
      return requeueFor(remainingOutcome(memo, this.now()));
    }
    this.memo.delete(key);

    const observed: Observed = { synced: false };
    let watching = false;
    try {
      const requeue = await this.decideAndPublish(key, object, observed, signal, logger);
      if (requeue && "watch" in requeue) {
        watching = this.watch(key, object, observed, requeue.watch);
        return { requeueAfterMs: watching ? this.timing.watchFallbackMs : this.timing.pollMs };
      }
      return requeue;
    } finally {
      // Any end but a watch: results of lists that started before this reconcile may predate its writes.
      if (!watching) this.unwatch(object, observed);
    }
  }

  /** The reconcile proper; `watch` for a polling outcome whose resource the observer may watch. */
  private async decideAndPublish(
    key: string,
    object: O,
    observed: Observed,
    signal: AbortSignal | undefined,
    logger: Logger | undefined,
  ): Promise<Requeue | undefined | { watch: Outcome }> {
    let outcome: Outcome;
    try {
      outcome = object.metadata.deletionTimestamp
        ? await this.finalize(object, observed, signal)
        : await this.sync(object, observed, signal);
    } catch (err) {
      // A metadata write lost to a newer version of the object: not an error worth a condition.
      if (isStaleWrite(err)) return { requeueAfterMs: this.timing.conflictRetryMs };
      outcome = err instanceof Stop ? err.outcome : this.classify(err, "reconcile");
    }
    if (outcome.kind !== "gone") {
      try {
        object.status = await this.publish(object, outcome, observed);
        if (observed.clearCreatePending) await this.clearCreatePending(object);
      } catch (err) {
        // Our cache lags our own last write: read again shortly rather than report an error.
        if (isStaleWrite(err)) return { requeueAfterMs: this.timing.conflictRetryMs };
        throw err;
      }
    }
    this.opts.metrics?.outcome(this.kind, outcome.kind);
    logger?.debug(
      {
        outcome: outcome.kind,
        ...("reason" in outcome ? { reason: outcome.reason, why: outcome.message } : {}),
      },
      "outcome",
    );
    if (outcome.kind === "stalled" && outcome.reason === Reason.Unauthenticated) {
      this.opts.onCredentialsRejected?.(object);
    }
    if (outcome.kind === "done" || outcome.kind === "stalled") {
      const wait = outcome.kind === "done" ? outcome.resyncAfterMs : outcome.retryAfterMs;
      // Fingerprint of the object as this reconcile left it (finalizer added, id recorded).
      const memo: Memo = { fingerprint: this.fingerprint(object), outcome, until: this.now() + wait };
      if (outcome.kind === "done" && observed.cloud && this.opts.wake) {
        memo.seen = { cloud: JSON.stringify(observed.cloud), inputs: this.fingerprint(object, true) };
      }
      this.memo.set(key, memo);
    }
    if (outcome.kind === "gone") this.opts.metrics?.forget(this.kind, key);
    if (outcome.kind === "polling" && this.opts.wake) return { watch: outcome };
    return requeueFor(outcome);
  }

  private observer(api: CloudApi): CollectionObserver<C> {
    return observerOf(this.opts.actuator.collection(api));
  }

  /**
   * Hands the resource to its collection's observer, which wakes the object when it changes. Until
   * then, reconciles for other reasons (a related object's status) that change no input of this
   * one cost no cloud call: the memo answers them.
   */
  private watch(key: string, object: O, observed: Observed, polling: Outcome): boolean {
    const { api, cloud } = observed;
    const wake = this.opts.wake;
    if (!api || !cloud || !wake) return false;
    const onChange = (): void => {
      this.memo.delete(key);
      wake(key);
    };
    this.observer(api).watch(cloud.id, cloud as C, onChange, {
      intervalMs: this.timing.pollMs,
      ttlMs: 2 * this.timing.watchFallbackMs,
      now: this.now,
    });
    const until = this.now() + this.timing.watchFallbackMs;
    this.memo.set(key, { fingerprint: this.fingerprint(object, true), outcome: polling, until });
    return true;
  }

  /**
   * A due resync of a converged object whose inputs (dependencies' status included) are as its
   * last reconcile saw them: the same decision would follow from the same cloud resource, so only
   * the resource is looked at, in a list shared with the other resyncs of the next few seconds and
   * any watches. Unchanged, nothing else happens; changed (or unlisted, or the list failed), the
   * object is woken and reconciled as usual. False when the check cannot be made (no provider).
   */
  private async resyncByCheck(key: string, object: O, memo: Memo, signal?: AbortSignal): Promise<boolean> {
    const wake = this.opts.wake;
    const id = object.status?.id;
    if (!wake || !id || !memo.seen || memo.outcome.kind !== "done") return false;
    if (this.fingerprint(object, true) !== memo.seen.inputs) return false;
    const provider = await this.opts.providers.resolve(object, signal);
    if (!provider.ok) return false;
    const next = this.done(memo.outcome.message, object);
    const period = next.kind === "done" ? next.resyncAfterMs : this.timing.resyncMs;
    this.observer(provider.api).check(
      id,
      memo.seen.cloud,
      {
        onChange: () => {
          this.opts.metrics?.resyncCheck(this.kind, "changed");
          this.memo.delete(key);
          wake(key);
        },
        onUnchanged: () => this.opts.metrics?.resyncCheck(this.kind, "unchanged"),
      },
      {
        intervalMs: this.timing.pollMs,
        // Resyncs are jittered by this fraction anyway; waiting a little of it lets lists be shared.
        gatherMs: Math.min(this.timing.resyncGatherMs, period * this.timing.resyncJitter),
        ttlMs: 2 * this.timing.watchFallbackMs,
        now: this.now,
      },
    );
    memo.until = this.now() + period;
    return true;
  }

  private unwatch(object: O, observed: Observed): void {
    const id = observed.cloud?.id ?? object.status?.id;
    if (observed.api && id) this.observer(observed.api).forget(id);
  }

  // ------------------------------------------------------------------------------------------
  // Create / observe / update

  private async sync(object: O, observed: Observed, signal?: AbortSignal): Promise<Outcome> {
    const { actuator } = this.opts;
    if (isPaused(object)) return { kind: "paused" };
    const observeOnly = object.spec.managementPolicy === "ObserveOnly";

    const provider = await this.opts.providers.resolve(object, signal);
    if (!provider.ok) {
      return {
        kind: "waiting",
        reason: Reason.ProviderConfigNotReady,
        message: provider.message,
        recheckAfterMs: this.timing.providerRecheckMs,
      };
    }
    const api = provider.api;
    observed.api = api;
    const recordedId = object.status?.id;
    const importID = object.spec.importID;

    let cloud: C | undefined;
    let adopted = false;
    /** The id of our resource that vanished, when creating it again. */
    let recreating: string | undefined;
    const knownId = recordedId ?? importID;
    if (knownId) {
      cloud = await this.call("read", () => this.observer(api).find(knownId, signal));
      if (!cloud) {
        observed.id = null;
        observed.state = null;
        observed.atProvider = null;
        observed.synced = true;
        observed.exists = false;
        if (observeOnly || importID) {
          const what = observeOnly ? "observed" : "imported";
          return this.stalled(
            observeOnly ? Reason.NotFound : Reason.ImportNotFound,
            `the ${what} ${this.kind} ${knownId} does not exist in the cloud` +
              (observeOnly
                ? "; it will be looked for again at the next resync"
                : "; fix spec.importID by recreating this object"),
          );
        }
        this.emit(
          object,
          "Warning",
          Reason.RecreatingDeletedResource,
          `the cloud ${this.kind} ${knownId} was deleted outside Kubernetes; creating it again`,
        );
        this.opts.metrics?.recreated(this.kind);
        recreating = knownId;
      }
    } else if (!observeOnly) {
      // Nothing recorded and a dependency missing: there is nothing to create yet, so no need to
      // look for an earlier create either (one list call saved per dependency event).
      const early = this.resolveDependencies(object, "create");
      if (early.missing) return this.waitingOn(early.missing);
      // Only a create-pending mark (written before every create, cleared only after the ID is in
      // status) means an earlier create may have happened: without it there is nothing of ours to
      // find, and a fresh object spends one call (its create) instead of two. Were the mark ever
      // lost, the create's idempotency key (the UID) still returns the earlier resource for as long
      // as the cloud keeps that key.
      if (isCreatePending(object)) {
        const found = await this.call("read", () =>
          actuator.findByTags(api, ownershipTags(object, this.kind), signal),
        );
        cloud = found.find((c) => c.state !== "deleting") ?? found[0];
        adopted = cloud !== undefined;
      }
    }

    const deps = this.resolveDependencies(object, cloud ? "always" : "create");
    if (!cloud) {
      if (observeOnly) {
        return this.stalled(
          Reason.NotFound,
          `ObserveOnly needs spec.importID: the ID of the ${this.kind} to observe`,
        );
      }
      if (deps.missing) return this.waitingOn(deps.missing);
      await this.ensureFinalizer(object, true);
      const op = this.operation(object, api, deps.resolved, signal);
      // The cloud replays a known key's first answer, so a re-creation needs a key of its own
      // (still stable across crashes: it names the vanished resource).
      if (recreating) op.idempotencyKey = `${op.idempotencyKey}/recreate/${recreating}`;
      let created: C;
      try {
        created = await actuator.create(op);
      } catch (err) {
        // The server refused: nothing was created, so deletion need not look in the cloud.
        if ((isCloudDigitError(err) && err.terminal) || err instanceof SpecError)
          await this.clearCreatePending(object);
        throw new Stop(this.classify(err, "create"));
      }
      this.emit(object, "Normal", Reason.Created, `created cloud ${this.kind} ${created.id}`);
      // The status written at the end of this reconcile records the id; only then is the
      // create-pending mark cleared. A crash in between leaves the mark and no id: the next
      // reconcile finds the resource by its ownership tags instead of creating another.
      observed.clearCreatePending = true;
      cloud = created;
    } else {
      if (adopted) {
        this.emit(
          object,
          "Normal",
          Reason.Adopted,
          `found cloud ${this.kind} ${cloud.id} created earlier for this object; adopting it`,
        );
      } else if (importID && !recordedId) {
        const owner = this.liveOwner(object, cloud);
        if (owner && !observeOnly) {
          return this.stalled(
            Reason.AlreadyManaged,
            `the cloud ${this.kind} ${cloud.id} is already managed by ${this.kind} ${owner}; two objects managing one resource would fight. Observe it with managementPolicy: ObserveOnly, or delete ${owner} with deletionPolicy: Orphan first`,
          );
        }
        this.emit(object, "Normal", Reason.Imported, `imported cloud ${this.kind} ${cloud.id}`);
      }
      if (!observeOnly) await this.ensureFinalizer(object, false);
    }

    const observation = actuator.observe(cloud, object, deps.resolved);
    observed.cloud = cloud;
    observed.id = cloud.id;
    observed.state = observation.state;
    observed.atProvider = observation.atProvider;
    observed.synced = true;
    observed.exists = true;

    if (observation.failed) {
      return this.stalled(
        Reason.CloudResourceFailed,
        `the cloud ${this.kind} ${cloud.id} is in state ${observation.state}: ${observation.failed}`,
      );
    }
    if (observation.transitional) {
      return this.polling(
        Reason.Provisioning,
        `the cloud ${this.kind} ${cloud.id} is ${observation.progress ?? observation.state}`,
      );
    }
    if (observeOnly) {
      if (!observation.ready)
        return this.polling(Reason.Provisioning, `the cloud ${this.kind} is ${observation.state}`);
      return this.done(`observing cloud ${this.kind} ${cloud.id} (${observation.state})`, object);
    }

    const changes = actuator.diff(object, cloud, deps.resolved);
    if (changes.length > 0) {
      if (isDrift(object)) {
        this.opts.metrics?.drift(this.kind);
        this.emit(
          object,
          "Normal",
          Reason.DriftDetected,
          `the cloud ${this.kind} drifted from the spec in ${fields(changes)}; correcting it`,
        );
      }
      const op = this.operation(object, api, deps.resolved, signal);
      const result = await this.call("update", () => actuator.update(op, cloud, changes));
      this.emit(
        object,
        "Normal",
        Reason.Updated,
        `updating ${fields(changes)} of cloud ${this.kind} ${cloud.id}`,
      );
      return this.polling(
        Reason.Updating,
        `updating ${fields(changes)}` + (result === "progress" ? " (the cloud is working on it)" : ""),
      );
    }
    if (deps.missing) return this.waitingOn(deps.missing);
    if (!observation.ready)
      return this.polling(Reason.Provisioning, `the cloud ${this.kind} is ${observation.state}`);
    return this.done(`cloud ${this.kind} ${cloud.id} is ${observation.state}`, object);
  }

  /** `<namespace>/<name>` of another live object whose ownership tag the cloud resource carries. */
  private liveOwner(object: O, cloud: C): string | undefined {
    const owner = cloud.tags[OWNER_TAG];
    if (!owner || owner === object.metadata.uid) return undefined;
    const [namespace = "", name = ""] = (cloud.tags[NAME_TAG] ?? "").split("/");
    const other = this.opts.cache.get(this.kind, namespace, name);
    // An owner that no longer exists (deleted with deletionPolicy: Orphan) leaves the resource free.
    return other?.metadata.uid === owner ? `${namespace}/${name}` : undefined;
  }

  // ------------------------------------------------------------------------------------------
  // Deletion

  private async finalize(object: O, observed: Observed, signal?: AbortSignal): Promise<Outcome> {
    const { actuator } = this.opts;
    const id = object.status?.id ?? object.spec.importID;
    const early = await deleteWithoutCloud(object, {
      keptId: id,
      noun: `cloud ${this.kind}`,
      removeFinalizer: () => this.removeFinalizer(object),
      emit: (type, reason, message) => this.emit(object, type, reason, message),
    });
    if (early) return early;
    const createPending = isCreatePending(object);

    const blockers = this.opts.cache
      .dependants(object.metadata.namespace ?? "", {
        kind: this.kind,
        name: object.metadata.name ?? "",
      })
      .filter((d) => d.blocksDeletion);
    if (blockers.length > 0) {
      const names = blockers.map((b) => `${b.kind} ${b.object.metadata.name ?? ""}`).join(", ");
      return {
        kind: "waiting",
        reason: Reason.DeletionBlocked,
        message: `waiting for ${names} to be deleted first (they use this ${this.kind})`,
        recheckAfterMs: this.timing.waitRecheckMs,
      };
    }

    const provider = await this.opts.providers.resolve(object, signal);
    if (!provider.ok) {
      return {
        kind: "waiting",
        reason: Reason.ProviderConfigNotReady,
        message: `cannot delete the cloud ${this.kind}${id ? ` ${id}` : ""}: ${provider.message}; fix the ProviderConfig, or set deletionPolicy: Orphan to keep the cloud resource`,
        recheckAfterMs: this.timing.providerRecheckMs,
      };
    }
    const api = provider.api;
    observed.api = api;
    let cloud: C | undefined;
    if (id) cloud = await this.call("read", () => this.observer(api).find(id, signal));
    else {
      const found = await this.call("read", () =>
        actuator.findByTags(api, ownershipTags(object, this.kind), signal),
      );
      cloud = found[0];
    }
    observed.synced = true;
    if (!cloud) {
      await this.removeFinalizer(object);
      if (id || createPending)
        this.emit(object, "Normal", Reason.Deleted, `deleted cloud ${this.kind}${id ? ` ${id}` : ""}`);
      return { kind: "gone" };
    }
    observed.id = cloud.id;
    observed.cloud = cloud;
    observed.state = cloud.state;
    observed.exists = true;
    if (cloud.state === "deleting")
      return this.polling(Reason.Deleting, `the cloud ${this.kind} ${cloud.id} is being deleted`);
    const op = this.operation(object, api, new Resolved(), signal);
    try {
      await actuator.remove(op, cloud);
    } catch (err) {
      if (isCloudDigitError(err, "conflict")) {
        return {
          kind: "waiting",
          reason: Reason.DeletionBlocked,
          message: `the cloud refuses to delete ${this.kind} ${cloud.id} yet: ${err.message}`,
          recheckAfterMs: this.timing.pollMs * 2,
        };
      }
      throw new Stop(this.classify(err, "delete"));
    }
    if (object.status?.state !== "deleting") {
      this.emit(object, "Normal", Reason.DeleteRequested, `deleting cloud ${this.kind} ${cloud.id}`);
    }
    return this.polling(Reason.Deleting, `deleting the cloud ${this.kind} ${cloud.id}`);
  }

  // ------------------------------------------------------------------------------------------
  // Dependencies

  private resolveDependencies(
    object: O,
    phase: "create" | "always",
  ): { resolved: Resolved; missing: { dep: Dependency; why: string } | undefined } {
    const namespace = object.metadata.namespace ?? "";
    const byKey = new Map<string, ResolvedDependency>();
    let missing: { dep: Dependency; why: string } | undefined;
    for (const dep of this.opts.actuator.dependencies(object)) {
      const target = this.opts.cache.get(dep.kind, namespace, dep.name);
      const ready =
        target !== undefined && !target.metadata.deletionTimestamp && isReady(target) && !!target.status?.id;
      byKey.set(refKey(dep), {
        ref: { kind: dep.kind, name: dep.name },
        ready,
        id: target?.status?.id,
        state: target?.status?.state,
        atProvider: target?.status?.atProvider ?? {},
      });
      if (!ready && !missing && (phase === "create" || dep.neededFor === "always")) {
        missing = { dep, why: whyNotReady(target) };
      }
    }
    return { resolved: new Resolved(byKey), missing };
  }

  private waitingOn(missing: { dep: Dependency; why: string }): Outcome {
    return {
      kind: "waiting",
      reason: Reason.DependencyNotReady,
      message: `waiting for ${missing.dep.kind} "${missing.dep.name}" to be Ready: ${missing.why}`,
      recheckAfterMs: this.timing.waitRecheckMs,
    };
  }

  // ------------------------------------------------------------------------------------------
  // Finalizer and annotations

  private async ensureFinalizer(object: O, beforeCreate: boolean): Promise<void> {
    await ensureFinalizer(object, beforeCreate, () => metaTime(this.now()), this.patcher(object));
  }

  private async clearCreatePending(object: O): Promise<void> {
    await clearCreatePending(object, this.patcher(object));
  }

  private async removeFinalizer(object: O): Promise<void> {
    await removeFinalizer(object, this.patcher(object));
  }

  private patcher(object: O): MetadataPatcher {
    return (patch) => this.opts.writer.patchMetadata(this.kind, object, patch);
  }

  // ------------------------------------------------------------------------------------------
  // Outcomes, errors and status

  private done(message: string, object: O): Outcome {
    return doneOutcome(message, object, this.timing, this.random);
  }

  private polling(reason: Reason, message: string): Outcome {
    return pollingOutcome(reason, message, this.timing);
  }

  private stalled(reason: Reason, message: string): Outcome {
    return stalledOutcome(reason, message, this.timing, this.random);
  }

  /** Errors become retry (throttled, transient, conflict) or stalled (needs the user). */
  private classify(err: unknown, doing: string): Outcome {
    if (err instanceof Stop) return err.outcome;
    if (isCloudDigitError(err)) {
      const message = `cannot ${doing} the cloud ${this.kind}: ${err.message}`;
      return cloudErrorOutcome(err, message, this.timing, this.random);
    }
    if (err instanceof SpecError)
      return this.stalled(Reason.InvalidSpec, `cannot ${doing} the cloud ${this.kind}: ${err.message}`);
    const message = err instanceof Error ? err.message : String(err);
    return { kind: "retry", reason: Reason.ReconcileError, message: `cannot ${doing}: ${message}` };
  }

  /** Runs a cloud call, turning its failure into the outcome that ends this reconcile. */
  private call<T>(doing: string, fn: () => Promise<T>): Promise<T> {
    return stopOnFailure(fn, (err) => this.classify(err, doing));
  }

  private operation(object: O, api: CloudApi, deps: Resolved, signal?: AbortSignal): Operation<O> {
    return {
      api,
      object,
      cloudName: cloudName(object),
      desiredTags: desiredTags(object, this.kind),
      idempotencyKey: object.metadata.uid ?? "",
      deps,
      secrets: this.opts.secrets,
      signal,
    };
  }

  private async publish(
    object: O,
    outcome: Exclude<Outcome, { kind: "gone" }>,
    observed: Observed,
  ): Promise<ManagedStatus> {
    const previous = object.status ?? {};
    const nowIso = metaTime(this.now());
    const status = observedStatus(previous, observed, outcome, object.metadata.generation);
    status.conditions = conditionsFor(outcome, previous.conditions, object.metadata.generation, nowIso);
    const worthWriting = stampLastSyncTime(previous, status, observed.synced, nowIso);

    this.opts.metrics?.observe(
      this.kind,
      `${object.metadata.namespace ?? ""}/${object.metadata.name ?? ""}`,
      {
        exists: observed.exists ?? !!status.id,
        ready: outcome.kind === "done",
        synced: status.conditions.find((c) => c.type === ConditionType.Synced)?.status === "True",
      },
    );
    const event = transitionEvent(outcome, previous);
    if (event) this.emit(object, event.type, event.reason, event.message);
    if (!worthWriting) return previous;
    const written = await this.opts.writer.writeStatus(this.kind, object, status);
    object.metadata = written.metadata;
    return status;
  }

  private emit(object: O, type: EventType, reason: string, message: string): void {
    this.opts.events.record(this.kind, object, type, reason, message);
  }

  /**
   * Everything (besides the cloud itself) that could change what a reconcile decides: the spec
   * (generation), the lifecycle metadata, the dependencies' readiness and the provider config.
   *
   * `withDependencyStatus`: also the dependencies' reported state and atProvider. A wait on the
   * cloud may end on what a dependency reports (a VM is Ready once each attached Volume says it is
   * in use by it) while the watched resource itself does not change.
   */
  private fingerprint(object: O, withDependencyStatus = false): string {
    const namespace = object.metadata.namespace ?? "";
    const deps = this.opts.actuator.dependencies(object).map((d) => {
      const t = this.opts.cache.get(d.kind, namespace, d.name);
      const base = [refKey(d), t?.status?.id ?? "", t ? isReady(t) : false, !!t?.metadata.deletionTimestamp];
      return withDependencyStatus ? [...base, t?.status?.state ?? "", t?.status?.atProvider ?? {}] : base;
    });
    // Objects that act on this one's cloud resource (a VM attaching this Volume): their changes
    // change what the cloud reports here.
    const actors = this.opts.cache
      .dependants(namespace, { kind: this.kind, name: object.metadata.name ?? "" })
      .filter((d) => d.neededFor === "always")
      .map((d) => [
        d.kind,
        d.object.metadata.name,
        d.object.metadata.generation,
        d.object.status?.atProvider ?? {},
      ]);
    return JSON.stringify([
      object.metadata.uid,
      actors,
      object.metadata.generation,
      object.metadata.deletionTimestamp ?? "",
      object.metadata.finalizers ?? [],
      object.metadata.annotations?.[PAUSED_ANNOTATION] ?? "",
      object.status?.id ?? "",
      deps,
      this.opts.providers.peekFingerprint(object),
    ]);
  }
}

function whyNotReady(target: ManagedObject | undefined): string {
  if (!target) return "it does not exist";
  if (target.metadata.deletionTimestamp) return "it is being deleted";
  const ready = target.status?.conditions?.find((c) => c.type === ConditionType.Ready);
  if (!ready) return "it has not been reconciled yet";
  return `Ready=${ready.status} (${ready.reason}${ready.message ? `: ${ready.message}` : ""})`;
}

function fields(changes: { field: string }[]): string {
  return changes.map((c) => c.field).join(", ");
}
