// The generic managed-resource reconciler: every lifecycle rule of docs/resource-model.md lives
// here, once, for every kind (REST or S3). One reconcile reads the object from the cache and the
// resource from the cloud, decides, acts at most once per field, and ends in an Outcome that
// becomes the requeue and the conditions in exactly one place (outcome.ts).
import { isCloudDigitError } from "../../client/errors.ts";
import { pathDeeperThan } from "../../shared/nesting.ts";
import { externalDeleteDefault, PAUSED_ANNOTATION } from "../../crds/common.ts";
import { metaTime, type Condition } from "../../runtime/conditions.ts";
import type { Logger } from "../../shared/logging.ts";
import {
  isChange,
  NotConnected,
  refKey,
  Resolved,
  type Actuator,
  type Change,
  type CloudResource,
  type Dependency,
  type ManagedKind,
  type ManagedObject,
  type ManagedStatus,
  type Mismatch,
  type Operation,
  type RefusedField,
  type RemoveResult,
  type ResolvedDependency,
  type SecretReader,
} from "./actuator.ts";
import { OwnWriteLag } from "./cache-lag.ts";
import { observerOf, type CollectionObserver } from "./collection-observer.ts";
import { ConvergenceGuard } from "./convergence.ts";
import { IdentityIndex } from "./identity-index.ts";
import {
  createChangedNothing,
  errorOutcome,
  isGoneWrite,
  isStaleWrite,
  Stop,
  stopOnFailure,
} from "./errors.ts";
import {
  clearCreatePending,
  CREATE_PENDING_ANNOTATION,
  deleteWithoutCloud,
  ensureFinalizer,
  isCreatePending,
  pausedOutcome,
  removeFinalizer,
  type MetadataPatcher,
} from "./finalizer.ts";
import { remainingOutcome, type Memo } from "./memo.ts";
import { conditionsFor, ConditionType, Reason, requeueFor, type Outcome, type Requeue } from "./outcome.ts";
import {
  claim,
  desiredTags,
  INSTALLATION_TAG,
  KIND_TAG,
  NAME_TAG,
  nameIdentity,
  OWNER_TAG,
  ownershipTags,
  TAKEOVER_ANNOTATION,
  type ClaimContext,
} from "./ownership.ts";
import type {
  EventSink,
  EventType,
  ObjectCache,
  ObjectWriter,
  OutputWriter,
  ProviderResolver,
  ReconcileMetrics,
} from "./ports.ts";
import {
  isDrift,
  isReady,
  observedStatus,
  stampLastSyncTime,
  transitionEvent,
  type ObservedResource,
} from "./status.ts";
import {
  DEFAULT_TIMING,
  doneOutcome,
  pollingOutcome,
  stalledOutcome,
  staleAfterMs,
  type ReconcilerTiming,
} from "./timing.ts";

export { CREATE_PENDING_ANNOTATION, FINALIZER } from "./finalizer.ts";
export { DEFAULT_TIMING, type ReconcilerTiming } from "./timing.ts";

export interface ReconcilerOptions<O extends ManagedObject, C extends CloudResource, Client, Provider> {
  actuator: Actuator<O, C, Client, Provider>;
  /**
   * This operator installation's ID: written into ownership tags, and what "ours" means. A
   * function when it is resolved after registration (the operator reads it before controllers
   * start).
   */
  installation: string | (() => string);
  cache: ObjectCache;
  writer: ObjectWriter;
  events: EventSink;
  providers: ProviderResolver<Provider>;
  secrets: SecretReader;
  /** Needed by kinds that publish outputs. */
  outputs?: OutputWriter | undefined;
  metrics?: ReconcileMetrics | undefined;
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
  timing?: Partial<ReconcilerTiming> | undefined;
  now?: () => number;
  random?: () => number;
}

/** A condition as decided, before its transition time is known. */
interface WantedCondition {
  type: string;
  status: Condition["status"];
  reason: string;
  message: string;
}

/** What one reconcile learned about the cloud resource, published in status. */
interface Observed<C, Client> extends ObservedResource {
  /** The resource is ours and status will hold its id: clear the create-pending mark after the write. */
  clearCreatePending?: boolean;
  exists?: boolean;
  /** The connected client, once resolved: the collection observer to tell at the end. */
  client?: Client;
  /** The cloud resource as this reconcile last saw it (before its own update or delete, if any). */
  cloud?: C;
  /** Field and output conditions judged now; undefined keeps the previous ones. */
  fields?: WantedCondition[];
  /** The scope (`<project>@<region>`) the provider config resolved to in this reconcile. */
  resolvedScope?: string;
}

/** A problem with one field that needs the user, as it ends the reconcile. */
interface FieldProblem {
  field: string;
  reason: string;
  message: string;
}

/** How deep a spec may nest (a bucket policy's Condition is 6 levels down; admission allows fewer). */
export const MAX_SPEC_DEPTH = 32;

/**
 * The object with every top-level spec field that nests beyond MAX_SPEC_DEPTH left out, and the
 * path of the first such value (undefined: nothing left out, `source` is the object itself).
 */
function withinNestingBound<O extends ManagedObject>(object: O): { source: O; tooDeep?: string } {
  const tooDeep = pathDeeperThan(object.spec, MAX_SPEC_DEPTH);
  if (tooDeep === undefined) return { source: object };
  const spec: Record<string, unknown> = { ...object.spec };
  for (
    let path: string | undefined = tooDeep;
    path !== undefined;
    path = pathDeeperThan(spec, MAX_SPEC_DEPTH)
  ) {
    delete spec[path.split(/[.[]/)[0] ?? ""];
  }
  return { source: { ...object, spec }, tooDeep };
}

export class ManagedReconciler<
  O extends ManagedObject = ManagedObject,
  C extends CloudResource = CloudResource,
  Client = unknown,
  Provider = unknown,
> {
  readonly kind: ManagedKind;
  private readonly timing: ReconcilerTiming;
  private readonly now: () => number;
  private readonly random: () => number;
  /** Last converged or stalled outcome per key, to skip cloud calls until resync or an input changes. */
  private readonly memo = new Map<string, Memo>();
  /**
   * Create-pending marks (by key, the mark's value) whose create provably changed nothing but
   * whose removal was not written yet (the write failed): the next reconcile removes them first.
   */
  private readonly unappliedCreates = new Map<string, string>();
  private readonly cacheLag: OwnWriteLag;
  /** Per key being reconciled: the versions its writes produced so far, in order. */
  private readonly versionsWritten = new Map<string, string[]>();
  private readonly guard = new ConvergenceGuard();
  /** Per client (credential): the adoption index of this kind. */
  private readonly identityIndexes = new WeakMap<object, IdentityIndex<C>>();
  /** Consecutive blocked deletions per key that back off (e.g. a bucket the user is emptying). */
  private readonly blockedDeletes = new Map<string, number>();
  /** `<Field>Synced` condition types this kind publishes (field conditions and outputs). */
  private readonly fieldTypes: readonly string[];

  constructor(private readonly opts: ReconcilerOptions<O, C, Client, Provider>) {
    this.kind = opts.actuator.kind;
    this.timing = { ...DEFAULT_TIMING, ...opts.timing };
    this.now = opts.now ?? Date.now;
    this.random = opts.random ?? Math.random;
    this.cacheLag = new OwnWriteLag(this.timing.cacheLagMaxMs, this.now);
    this.fieldTypes = [
      ...(opts.actuator.fieldConditions ?? []).map(fieldConditionType),
      ...(opts.actuator.outputs ? [OUTPUTS_CONDITION] : []),
    ];
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
      this.forget(key);
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
    const { source, tooDeep } = withinNestingBound(cached);
    // A private copy: the reconcile updates metadata and status as it writes them; the cache's object is shared.
    const object = structuredClone(source);
    try {
      if (tooDeep && !object.metadata.deletionTimestamp) {
        // Bounded at admission; an object that predates the bound still ends in a condition, not
        // a stack overflow per retry. Deleting it works: the dropped fields do not matter there.
        const outcome = stalledOutcome(
          Reason.InvalidSpec,
          `spec.${tooDeep} is nested more than ${MAX_SPEC_DEPTH} levels deep; the operator cannot work with it. Write it flatter`,
          this.timing,
          this.random,
        );
        object.status = await this.publish(object, outcome, { synced: false });
        return requeueFor(outcome);
      }
      return await this.reconcileCopy(key, object, signal, logger);
    } catch (err) {
      await this.reportFailure(object, err);
      throw err;
    } finally {
      // Every write (status, finalizer, annotation) leaves its new version in the copy.
      const written = object.metadata.resourceVersion;
      if (this.cacheLag.record(key, cachedVersion, this.versionsWritten.get(key) ?? [])) {
        this.opts.cache.expectOwnWrite?.(this.kind, key, cachedVersion, written);
      }
      this.versionsWritten.delete(key);
    }
  }

  private forget(key: string): void {
    this.memo.delete(key);
    this.cacheLag.forget(key);
    this.guard.forget(key);
    this.blockedDeletes.delete(key);
    this.unappliedCreates.delete(key);
    this.opts.metrics?.forget(this.kind, key);
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

    const observed: Observed<C, Client> = { synced: false };
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
    observed: Observed<C, Client>,
    signal: AbortSignal | undefined,
    logger: Logger | undefined,
  ): Promise<Requeue | undefined | { watch: Outcome }> {
    let outcome: Outcome;
    try {
      await this.clearUnappliedCreate(key, object);
      outcome = object.metadata.deletionTimestamp
        ? await this.finalize(key, object, observed, signal)
        : await this.sync(key, object, observed, signal);
    } catch (err) {
      // A metadata write lost to a newer version of the object: not an error worth a condition.
      if (isStaleWrite(err)) return { requeueAfterMs: this.timing.conflictRetryMs };
      outcome = this.classify(err, "reconcile");
    }
    if (outcome.kind !== "gone") {
      try {
        object.status = await this.publish(object, outcome, observed);
        // Only once status holds the id may the mark go: a crash before leaves the mark, and the
        // next reconcile looks for the resource instead of creating another.
        if (observed.clearCreatePending && object.status.id) await this.clearCreatePending(object);
      } catch (err) {
        // Our cache lags our own last write: read again shortly rather than report an error.
        if (isStaleWrite(err)) return { requeueAfterMs: this.timing.conflictRetryMs };
        // Deleted while this reconcile ran (a normal race): nothing is left to report on.
        if (isGoneWrite(err)) {
          logger?.debug("the object was deleted while it was reconciled");
          this.forget(key);
          return undefined;
        }
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
      if (outcome.kind === "done" && observed.cloud && this.opts.wake && this.opts.actuator.collection) {
        memo.seen = { cloud: JSON.stringify(observed.cloud), inputs: this.fingerprint(object, true) };
      }
      this.memo.set(key, memo);
    }
    if (outcome.kind === "gone") this.forget(key);
    if (outcome.kind === "polling" && this.opts.wake) return { watch: outcome };
    return requeueFor(outcome);
  }

  // ------------------------------------------------------------------------------------------
  // Reading: through the collection observer when the kind has a collection, else by `read`

  private observer(client: Client): CollectionObserver<C> | undefined {
    const collection = this.opts.actuator.collection?.(client);
    return collection ? observerOf(collection) : undefined;
  }

  private read(client: Client, id: string, object: O, signal?: AbortSignal): Promise<C | undefined> {
    const observer = this.observer(client);
    if (observer) return observer.find(id, signal);
    const { actuator } = this.opts;
    if (!actuator.read) throw new Error(`the ${this.kind} actuator has neither collection nor read`);
    return actuator.read(client, id, object, signal);
  }

  /**
   * Hands the resource to its collection's observer, which wakes the object when it changes. Until
   * then, reconciles for other reasons (a related object's status) that change no input of this
   * one cost no cloud call: the memo answers them.
   */
  private watch(key: string, object: O, observed: Observed<C, Client>, polling: Outcome): boolean {
    const { client, cloud } = observed;
    const wake = this.opts.wake;
    const observer = client !== undefined ? this.observer(client) : undefined;
    if (!observer || !cloud || !wake) return false;
    const onChange = (): void => {
      this.memo.delete(key);
      wake(key);
    };
    observer.watch(cloud.id, cloud, onChange, {
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
    const resolution = await this.opts.providers.resolve(object, signal);
    if (!resolution.ok) return false;
    let observer: CollectionObserver<C> | undefined;
    try {
      observer = this.observer(await this.opts.actuator.connect(resolution.provider, object));
    } catch {
      return false;
    }
    if (!observer) return false;
    const next = this.done(memo.outcome.message, object);
    const period = next.kind === "done" ? next.resyncAfterMs : this.timing.resyncMs;
    observer.check(
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

  private unwatch(object: O, observed: Observed<C, Client>): void {
    const id = observed.cloud?.id ?? object.status?.id;
    if (observed.client !== undefined && id) this.observer(observed.client)?.forget(id);
  }

  /** The client for this object, or the outcome that ends the reconcile (a config to fix). */
  private async connect(
    object: O,
    observed: Observed<C, Client>,
    signal: AbortSignal | undefined,
    whyNot: (message: string) => string,
  ): Promise<Client> {
    const waiting = (message: string): Stop =>
      new Stop({
        kind: "waiting",
        reason: Reason.ProviderConfigNotReady,
        message: whyNot(message),
        recheckAfterMs: this.timing.providerRecheckMs,
      });
    const resolution = await this.opts.providers.resolve(object, signal);
    if (!resolution.ok) throw waiting(resolution.message);
    observed.resolvedScope = resolution.scope;
    signal?.throwIfAborted();
    let client: Client;
    try {
      client = await this.opts.actuator.connect(resolution.provider, object);
    } catch (err) {
      if (err instanceof NotConnected) throw waiting(err.message);
      throw new Stop(this.classify(err, "connect to"));
    }
    observed.client = client;
    return client;
  }

  // ------------------------------------------------------------------------------------------
  // Create / observe / update

  private async sync(
    key: string,
    object: O,
    observed: Observed<C, Client>,
    signal?: AbortSignal,
  ): Promise<Outcome> {
    const { actuator } = this.opts;
    const paused = pausedOutcome(object);
    if (paused) return paused;
    const observeOnly = object.spec.managementPolicy === "ObserveOnly";
    const client = await this.connect(object, observed, signal, (message) => message);
    const recordedId = object.status?.id;
    const importID = object.spec.importID;
    const naming = actuator.naming;
    const adoption = object.spec.adoptionPolicy ?? "AdoptOrCreate";
    const scope = observed.resolvedScope;
    // A recorded resource is looked for only where it lives: in another project or region it
    // would read as deleted, and be re-created there while the original leaks.
    const recordedScope = object.status?.scope;
    if (recordedId && recordedScope && scope && recordedScope !== scope) {
      return this.stalled(Reason.ScopeChanged, this.scopeChanged(recordedId, recordedScope, scope));
    }

    let cloud: C | undefined;
    /** Found by our name identity (a rebuilt cluster, a twin): may belong to anyone. */
    let foundByName = false;
    /** The id of our resource that vanished, when creating it again. */
    let recreating: string | undefined;
    const knownId = naming.by === "us" ? naming.name(object) : (recordedId ?? importID);
    if (knownId) {
      cloud = await this.call("read", () => this.read(client, knownId, object, signal));
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
            `the ${what} ${actuator.describe(knownId)} does not exist` +
              (observeOnly
                ? "; it will be looked for again at the next resync"
                : "; fix spec.importID by recreating this object"),
          );
        }
        if (recordedId && (object.spec.onExternalDelete ?? externalDeleteDefault(this.kind)) === "Stall") {
          // Keep the ID: it says what was lost, and deleting the object needs no search.
          delete observed.id;
          return this.stalled(
            Reason.DeletedExternally,
            `the ${actuator.describe(recordedId)} was deleted outside Kubernetes; onExternalDelete is Stall, so no empty replacement is created (status.id keeps the old ID). To create a new one, set spec.onExternalDelete: Recreate; to let go, delete this object`,
          );
        }
        if (recordedId) {
          this.emit(
            object,
            "Warning",
            Reason.RecreatingDeletedResource,
            `the ${actuator.describe(recordedId)} was deleted outside Kubernetes; creating it again`,
          );
          this.opts.metrics?.recreated(this.kind);
          recreating = recordedId;
        }
      }
    } else if (!observeOnly && naming.by === "cloud") {
      // Nothing recorded and a dependency missing: there is nothing to create yet, so no need to
      // look for an earlier create either (one list call saved per dependency event).
      const early = this.resolveDependencies(object, "create");
      if (early.missing) return this.waitingOn(early.missing);
      // Only a create-pending mark (written before every create, cleared only after the ID is in
      // status) means an earlier create may have happened: without it there is nothing of ours to
      // find, and a fresh object spends one call (its create) instead of two. Were the mark ever
      // lost, the create's idempotency key (the UID) still returns the earlier resource for as long
      // as the cloud keeps that key.
      if (isCreatePending(object) || adoption === "CreateOnly") {
        const found = !isCreatePending(object)
          ? []
          : await this.call("read", () => naming.findByTags(client, this.ownership(object), signal));
        cloud = found.find((c) => !actuator.observe(c, object, new Resolved()).deleting) ?? found[0];
      } else {
        // No ID and no mark: a resource carrying this object's name identity may still exist (a
        // cluster rebuilt from Git, a status-less restore, a second cluster). One shared list
        // per kind and credential answers every such object; the claim below decides.
        const index = this.identityIndex(client, (c, key, s) => naming.findByTagKey(c, key, s));
        const found = (await this.call("read", () => index.find(nameIdentity(object), signal))).filter(
          (c) => c.tags[KIND_TAG] === this.kind && !actuator.observe(c, object, new Resolved()).deleting,
        );
        const mine = found.filter((c) => c.tags[INSTALLATION_TAG] === this.opts.installation);
        const candidates = mine.length > 0 ? mine : found;
        if (candidates.length > 1) {
          return this.stalled(
            Reason.AmbiguousAdoption,
            `${candidates.length} cloud resources carry this object's identity (${candidates.map((c) => c.id).join(", ")}); set spec.importID to the one to manage and delete the others`,
          );
        }
        cloud = candidates[0];
        foundByName = cloud !== undefined;
      }
    }

    const deps = this.resolveDependencies(object, cloud ? "always" : "create");
    let created = false;
    if (!cloud && adoption === "AdoptOnly" && !observeOnly && !recordedId && !importID) {
      return this.stalled(
        Reason.AdoptionNotFound,
        `adoptionPolicy is AdoptOnly and no ${actuator.describe()} carries this object's identity (tag ${NAME_TAG}=${nameIdentity(object)}, installation ${this.installation()}); nothing is created. Set spec.adoptionPolicy: AdoptOrCreate to create it; it is looked for again now and then`,
      );
    }
    if (!cloud) {
      if (observeOnly) {
        return this.stalled(
          Reason.NotFound,
          `ObserveOnly needs spec.importID: the ID of the ${actuator.describe()} to observe`,
        );
      }
      if (deps.missing) return this.waitingOn(deps.missing);
      await this.ensureFinalizer(object, true);
      const op = this.operation(object, client, deps.resolved, signal);
      // The cloud replays a known key's first answer, so a re-creation needs a key of its own
      // (still stable across crashes: it names the vanished resource).
      if (recreating) op.idempotencyKey = `${op.idempotencyKey}/recreate/${recreating}`;
      let made: C | undefined;
      try {
        made = await actuator.create(op);
      } catch (err) {
        // Nothing was created (refused, or never sent): the mark's question is answered, and
        // deletion need not look in the cloud.
        if (createChangedNothing(err)) {
          const mark = object.metadata.annotations?.[CREATE_PENDING_ANNOTATION];
          if (mark !== undefined) this.unappliedCreates.set(key, mark);
          await this.clearUnappliedCreate(key, object);
        }
        throw new Stop(this.classify(err, "create"));
      }
      if (made) {
        created = true;
        cloud = made;
        this.emit(object, "Normal", Reason.Created, `created ${actuator.describe(made.id)}`);
      } else {
        // The name was taken when the create arrived (most likely our own create, retried after a
        // lost answer): read it, and let the ownership check below decide.
        const name = knownId ?? "";
        cloud = await this.call("read", () => this.read(client, name, object, signal));
        if (!cloud) {
          return {
            kind: "retry",
            reason: Reason.Conflict,
            message: `the cloud reports the ${actuator.describe(name)} as existing, but it cannot be read`,
          };
        }
      }
    }

    if (!created) {
      const verdict = claim(object, cloud, this.claimContext(object, naming.by === "us" || foundByName));
      if (verdict.kind === "elsewhere" && !observeOnly) {
        await this.clearCreatePending(object);
        return this.stalled(Reason.ManagedElsewhere, this.elsewhere(cloud.id, verdict));
      }
      if (verdict.kind === "adopt" && adoption === "CreateOnly" && !observeOnly) {
        await this.clearCreatePending(object);
        return this.stalled(
          Reason.AdoptionRefused,
          `the ${actuator.describe(cloud.id)} was created by this installation for an earlier ${this.kind} ${cloud.tags[NAME_TAG] ?? ""}; adoptionPolicy CreateOnly does not adopt it. Set spec.adoptionPolicy: AdoptOrCreate to manage it, or delete it`,
        );
      }
      // Importing or adopting what was not created for this object: only if it is what the spec
      // says in every field that cannot be changed later.
      const verifies =
        verdict.kind === "adopt" || verdict.kind === "takeover" || (verdict.kind === "import" && !recordedId);
      const mismatches = verifies ? (actuator.immutableMismatches?.(object, cloud, deps.resolved) ?? []) : [];
      if (mismatches.length > 0) {
        await this.clearCreatePending(object);
        return this.stalled(Reason.ImportMismatch, this.importMismatch(cloud.id, mismatches));
      }
      if (verdict.kind === "takeover") {
        observed.takeover = { from: verdict.from, time: metaTime(this.now()) };
        this.emit(
          object,
          "Normal",
          Reason.TakenOver,
          `taking over ${actuator.describe(cloud.id)} from installation ${verdict.from}; that installation now leaves it alone`,
        );
      }
      if (verdict.kind === "adopt" && !observeOnly) {
        this.emit(
          object,
          "Normal",
          Reason.Adopted,
          `adopting ${actuator.describe(cloud.id)}, created by this installation for ${this.kind} ${cloud.tags[NAME_TAG] ?? ""} (the object was re-created, e.g. in a rebuilt cluster)`,
        );
      }
      if (verdict.kind === "refused" && !observeOnly) {
        await this.clearCreatePending(object);
        return this.stalled(`${this.kind}OwnedElsewhere`, this.refusal(cloud.id, verdict.owner));
      }
      if (verdict.kind === "import" && !recordedId) {
        if (verdict.liveOwner && !observeOnly) {
          return this.stalled(
            Reason.AlreadyManaged,
            `the ${actuator.describe(cloud.id)} is already managed by ${this.kind} ${verdict.liveOwner}; two objects managing one resource would fight. Observe it with managementPolicy: ObserveOnly, or delete ${verdict.liveOwner} with deletionPolicy: Orphan first`,
          );
        }
        this.emit(object, "Normal", Reason.Imported, `imported ${actuator.describe(cloud.id)}`);
      } else if (verdict.kind === "ours" && !recordedId && !observeOnly) {
        this.emit(
          object,
          "Normal",
          Reason.Adopted,
          `found ${actuator.describe(cloud.id)} created earlier for this object; adopting it`,
        );
      }
      if (!observeOnly) await this.ensureFinalizer(object, false);
    }

    const observation = actuator.observe(cloud, object, deps.resolved);
    observed.cloud = cloud;
    observed.id = cloud.id;
    if (scope) observed.scope = scope;
    observed.state = observation.state;
    observed.atProvider = observation.atProvider;
    observed.synced = true;
    observed.exists = true;
    if (!observeOnly && isCreatePending(object)) observed.clearCreatePending = true;
    const described = actuator.describe(cloud.id);

    if (observation.failed) {
      return this.stalled(
        Reason.CloudResourceFailed,
        `the ${described} is in state ${observation.state}: ${observation.failed}`,
      );
    }
    if (observation.transitional) {
      return this.polling(
        Reason.Provisioning,
        `the ${described} is ${observation.progress ?? observation.state}`,
      );
    }
    if (observeOnly) {
      const outputs = await this.publishOutputs(object, cloud, client);
      if (this.fieldTypes.length > 0) observed.fields = outputs ? [outputs.condition] : [];
      if (outputs?.problem) return this.stalled(outputs.problem.reason, outputs.problem.message);
      if (!observation.ready)
        return this.polling(Reason.Provisioning, `the ${described} is ${observation.state}`);
      return this.done(`observing ${described} (${observation.state})`, object);
    }

    // One verdict per field; changes go through the convergence guard, then one update.
    const entries = actuator.diff(object, cloud, deps.resolved, this.ownership(object));
    const changes = entries.filter(isChange);
    const generation = object.metadata.generation ?? 0;
    const admitted = this.guard.admit(key, generation, changes);
    let written: string[] = [];
    let refused: RefusedField[] = [];
    let progress = false;
    if (admitted.write.length > 0) {
      const names = fields(admitted.write);
      if (!created && isDrift(object)) {
        this.opts.metrics?.drift(this.kind);
        this.emit(
          object,
          "Normal",
          Reason.DriftDetected,
          `the ${actuator.describe()} drifted from the spec in ${names}; correcting it`,
        );
      }
      const op = this.operation(object, client, deps.resolved, signal);
      const result = await this.call("update", () => actuator.update(op, cloud, admitted.write));
      progress = result === "progress" || (typeof result === "object" && result.progress);
      refused = typeof result === "object" ? result.refused : [];
      written = admitted.write.map((c) => c.field).filter((f) => !refused.some((r) => r.field === f));
      if (written.length > 0 && !created) {
        this.emit(object, "Normal", Reason.Updated, `updating ${written.join(", ")} of ${described}`);
      }
    }
    // A write the cloud still works on is no verdict on whether the setting sticks.
    this.guard.record(key, generation, changes, progress ? [] : written);

    const problems: FieldProblem[] = [];
    const judged: WantedCondition[] = [];
    for (const entry of entries) {
      const type = fieldConditionType(entry.field);
      if (!isChange(entry)) {
        if (entry.state === "InSync") {
          judged.push({ type, status: "True", reason: Reason.InSync, message: "" });
          continue;
        }
        const reason =
          entry.state === "NotImplemented" ? Reason.NotImplemented : (entry.reason ?? Reason.InvalidSpec);
        const message = entry.message ?? `${entry.field} cannot be set as the spec asks`;
        problems.push({ field: entry.field, reason, message });
        judged.push({ type, status: "False", reason, message });
        continue;
      }
      const refusal = refused.find((r) => r.field === entry.field);
      const stuck = admitted.notConverging.find((n) => n.field === entry.field);
      if (refusal || stuck) {
        const reason = stuck
          ? Reason.NotConverging
          : refusal?.state === "NotImplemented"
            ? Reason.NotImplemented
            : Reason.InvalidSpec;
        const message = stuck?.message ?? refusal?.message ?? "";
        problems.push({ field: entry.field, reason, message });
        judged.push({ type, status: "False", reason, message });
      } else {
        judged.push({
          type,
          status: "False",
          reason: Reason.Updating,
          message: `${entry.field} written; verifying`,
        });
      }
    }
    const outputs = await this.publishOutputs(object, cloud, client);
    if (this.fieldTypes.length > 0) {
      observed.fields = [
        ...judged.filter((c) => this.fieldTypes.includes(c.type)),
        ...(outputs ? [outputs.condition] : []),
      ];
    }

    if (written.length > 0) {
      return this.polling(
        Reason.Updating,
        `updating ${written.join(", ")}` + (progress ? " (the cloud is working on it)" : ""),
      );
    }
    const first = problems[0];
    if (first) {
      return this.stalled(first.reason, problems.map((p) => `${p.field}: ${p.message}`).join("; "));
    }
    if (outputs?.problem) return this.stalled(outputs.problem.reason, outputs.problem.message);
    if (deps.missing) return this.waitingOn(deps.missing);
    if (!observation.ready)
      return this.polling(Reason.Provisioning, `the ${described} is ${observation.state}`);
    return this.done(`${described} is ${observation.state}`, object);
  }

  /** `<namespace>/<name>` of another live object whose ownership tag the cloud resource carries. */
  private liveOwner(object: O, cloud: CloudResource): string | undefined {
    const owner = cloud.tags[OWNER_TAG];
    if (!owner || owner === object.metadata.uid) return undefined;
    const [namespace = "", name = ""] = (cloud.tags[NAME_TAG] ?? "").split("/");
    const other = this.opts.cache.get(this.kind, namespace, name);
    // An owner that no longer exists (deleted with deletionPolicy: Orphan) leaves the resource free.
    return other?.metadata.uid === owner ? `${namespace}/${name}` : undefined;
  }

  private identityIndex(
    client: Client,
    list: (client: Client, tagKey: string, signal?: AbortSignal) => Promise<C[]>,
  ): IdentityIndex<C> {
    const key = client as object;
    let index = this.identityIndexes.get(key);
    if (!index) {
      index = new IdentityIndex((signal) => list(client, NAME_TAG, signal), NAME_TAG, {
        maxAgeMs: this.timing.identityIndexMaxAgeMs,
        now: this.now,
      });
      this.identityIndexes.set(key, index);
    }
    return index;
  }

  private claimContext(object: O, reachedByName: boolean): ClaimContext {
    return {
      kind: this.kind,
      installation: this.installation(),
      reachedByName,
      liveOwner: (c) => this.liveOwner(object, c),
    };
  }

  /** Why a resource is not looked for in the scope the object now names, and what to do. */
  private scopeChanged(id: string, recorded: string, now: string): string {
    return `the ${this.opts.actuator.describe(id)} lives in ${recorded} (project@region), but this object's provider config now points at ${now}; nothing is created, changed or deleted in either. Point spec.providerConfigRef (or the config's project and region) back at ${recorded}; to move the resource, delete this object with deletionPolicy: Orphan and import it (spec.importID) under a config for the new scope`;
  }

  /** The field-by-field difference that keeps an import or adoption from going ahead. */
  private importMismatch(id: string, mismatches: Mismatch[]): string {
    const list = mismatches
      .map((m) => `${m.field}: spec ${JSON.stringify(m.spec)}, cloud ${JSON.stringify(m.cloud)}`)
      .join("; ");
    return `the ${this.opts.actuator.describe(id)} differs from the spec in fields that cannot change after creation (${list}); nothing is written. Make the spec match the cloud, or import another resource`;
  }

  /** Why a resource another installation manages is left alone, and how to move it here. */
  private elsewhere(id: string, verdict: { installation: string; name: string | undefined }): string {
    return `the ${this.opts.actuator.describe(id)} is managed by another installation of the operator (tag ${INSTALLATION_TAG}=${verdict.installation}${verdict.name ? `, object ${verdict.name}` : ""}); this object makes no change to it. To manage it from here, annotate this object ${TAKEOVER_ANNOTATION}=${verdict.installation} (the other installation then leaves it alone); to stop, delete this object with deletionPolicy: Orphan`;
  }

  /** Why a resource reached by a name the user chose is not this object's to manage. */
  private refusal(id: string, owner: string | undefined): string {
    const naming = this.opts.actuator.naming;
    const rename = naming.by === "us" ? `choose another ${naming.nameField}` : "choose another name";
    const described = this.opts.actuator.describe(id);
    return owner
      ? `${described} belongs to another Kubernetes object (tag ${OWNER_TAG}=${owner}); ${rename}, or set spec.importID: ${id} on a new object to take it over`
      : `${described} already exists and was not created by this object; ${rename}, or set spec.importID: ${id} on a new object to adopt it`;
  }

  /** Writes the outputs the actuator asks for; the OutputsSynced condition and any problem. */
  private async publishOutputs(
    object: O,
    cloud: C,
    client: Client,
  ): Promise<{ condition: WantedCondition; problem?: { reason: string; message: string } } | undefined> {
    const wanted = this.opts.actuator.outputs?.(object, cloud, client);
    if (!wanted || (!wanted.configMap && !wanted.secret)) return undefined;
    const writer = this.opts.outputs;
    if (!writer) throw new Error(`the ${this.kind} reconciler publishes outputs but has no output writer`);
    const owner = {
      kind: this.kind,
      namespace: object.metadata.namespace ?? "",
      name: object.metadata.name ?? "",
      uid: object.metadata.uid ?? "",
    };
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
    const problems: string[] = [];
    let reason: string = Reason.OutputConflict;
    const { configMap, secret } = wanted;
    if (configMap) {
      const result = await kube(() => writer.ensureConfigMap(owner, configMap.name, configMap.data));
      if (typeof result === "object") problems.push(result.conflict);
    }
    if (secret && "unavailable" in secret) {
      reason = secret.unavailable.reason;
      problems.push(secret.unavailable.message);
    } else if (secret) {
      const data = await kube(() => secret.data());
      const result = await kube(() => writer.ensureSecret(owner, secret.name, data));
      if (typeof result === "object") problems.push(result.conflict);
    }
    if (problems.length === 0) {
      return { condition: { type: OUTPUTS_CONDITION, status: "True", reason: Reason.InSync, message: "" } };
    }
    const message = problems.join("; ");
    return {
      condition: { type: OUTPUTS_CONDITION, status: "False", reason, message },
      problem: { reason, message },
    };
  }

  // ------------------------------------------------------------------------------------------
  // Deletion

  private async finalize(
    key: string,
    object: O,
    observed: Observed<C, Client>,
    signal?: AbortSignal,
  ): Promise<Outcome> {
    const recordedId = object.status?.id;
    const actuator = this.opts.actuator;
    const naming = actuator.naming;
    const id = naming.by === "us" ? naming.name(object) : (recordedId ?? object.spec.importID);
    const early = await deleteWithoutCloud(object, {
      kept:
        (recordedId ?? object.spec.importID)
          ? actuator.describe(recordedId ?? object.spec.importID)
          : undefined,
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

    const described = id ? actuator.describe(id) : actuator.describe();
    const client = await this.connect(
      object,
      observed,
      signal,
      (message) =>
        `cannot delete the ${described}: ${message}; fix the ProviderConfig, or set deletionPolicy: Orphan to keep the cloud resource`,
    );
    // Deleting in another scope would find nothing and let the real resource leak unnoticed.
    const recordedScope = object.status?.scope;
    if (recordedId && recordedScope && observed.resolvedScope && recordedScope !== observed.resolvedScope) {
      return this.stalled(
        Reason.ScopeChanged,
        `cannot delete: ${this.scopeChanged(recordedId, recordedScope, observed.resolvedScope)}; or set deletionPolicy: Orphan to keep it and let this object go`,
      );
    }
    let cloud: C | undefined;
    if (id) cloud = await this.call("read", () => this.read(client, id, object, signal));
    else if (naming.by === "cloud") {
      const found = await this.call("read", () => naming.findByTags(client, this.ownership(object), signal));
      cloud = found[0];
    }
    observed.synced = true;
    if (!cloud) {
      await this.removeFinalizer(object);
      if (id || createPending) this.emit(object, "Normal", Reason.Deleted, `deleted ${described}`);
      return { kind: "gone" };
    }
    observed.id = cloud.id;
    observed.cloud = cloud;
    observed.exists = true;
    const gone = actuator.describe(cloud.id);
    const verdict = claim(object, cloud, this.claimContext(object, naming.by === "us"));
    if (verdict.kind === "refused" || verdict.kind === "elsewhere") {
      // Never delete what is not ours; the object goes, the resource stays.
      await this.removeFinalizer(object);
      const why =
        verdict.kind === "refused"
          ? this.refusal(cloud.id, verdict.owner)
          : this.elsewhere(cloud.id, verdict);
      this.emit(object, "Warning", `KeptForeign${this.kind}`, `did not delete ${gone}: ${why}`);
      return { kind: "gone" };
    }
    const observation = actuator.observe(cloud, object, new Resolved());
    observed.state = observation.state;
    if (observation.deleting) return this.polling(Reason.Deleting, `the ${gone} is being deleted`);

    const op = this.operation(object, client, new Resolved(), signal);
    let result: RemoveResult | void;
    try {
      result = await actuator.remove(op, cloud);
    } catch (err) {
      if (isCloudDigitError(err, "conflict")) {
        return {
          kind: "waiting",
          reason: Reason.DeletionBlocked,
          message: `the cloud refuses to delete the ${gone} yet: ${err.message}`,
          recheckAfterMs: this.timing.pollMs * 2,
        };
      }
      throw new Stop(this.classify(err, "delete"));
    }
    if (typeof result === "object" && "blocked" in result) {
      const { reason, message, recheck } = result.blocked;
      let recheckAfterMs = this.timing.pollMs * 2;
      if (recheck === "slow") recheckAfterMs = this.timing.stalledRetryMs;
      if (recheck === "backoff") {
        // Soon at first (the user may be acting now), then less often, up to the wait re-check.
        const waits = this.blockedDeletes.get(key) ?? 0;
        this.blockedDeletes.set(key, waits + 1);
        recheckAfterMs = Math.min(this.timing.pollMs * 2 ** (waits + 1), this.timing.waitRecheckMs);
      }
      return { kind: "waiting", reason, message, recheckAfterMs };
    }
    this.blockedDeletes.delete(key);
    if (result === "deleted") {
      await this.removeFinalizer(object);
      this.emit(object, "Normal", Reason.Deleted, `deleted ${gone}`);
      return { kind: "gone" };
    }
    if (typeof result === "object") return this.polling(Reason.Deleting, result.progress);
    const previous = object.status?.conditions?.find((c) => c.type === ConditionType.Ready);
    if (previous?.reason !== Reason.Deleting) {
      this.emit(object, "Normal", Reason.DeleteRequested, `deleting ${gone}`);
    }
    return this.polling(Reason.Deleting, `deleting the ${gone}`);
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

  /**
   * A reconcile that failed outside every expected path still ends in a condition, so the object
   * says what went wrong; when even that write fails, the caller's error log is all there is.
   */
  private async reportFailure(object: O, err: unknown): Promise<void> {
    if (isStaleWrite(err) || isGoneWrite(err)) return;
    const message = err instanceof Error ? err.message : String(err);
    try {
      object.status = await this.publish(
        object,
        { kind: "retry", reason: Reason.ReconcileError, message: `the reconcile failed: ${message}` },
        { synced: false },
      );
    } catch {
      // The original error is rethrown and logged.
    }
  }

  /** Removes a create-pending mark known to guard nothing (see unappliedCreates). */
  private async clearUnappliedCreate(key: string, object: O): Promise<void> {
    const mark = this.unappliedCreates.get(key);
    if (mark === undefined) return;
    if (object.metadata.annotations?.[CREATE_PENDING_ANNOTATION] === mark)
      await this.clearCreatePending(object);
    this.unappliedCreates.delete(key);
  }

  private async clearCreatePending(object: O): Promise<void> {
    await clearCreatePending(object, this.patcher(object));
  }

  private async removeFinalizer(object: O): Promise<void> {
    await removeFinalizer(object, this.patcher(object));
  }

  private patcher(object: O): MetadataPatcher {
    return async (patch) =>
      this.wrote(object, await this.opts.writer.patchMetadata(this.kind, object, patch));
  }

  // ------------------------------------------------------------------------------------------
  // Outcomes, errors and status

  private done(message: string, object: O): Outcome {
    return doneOutcome(message, object, this.timing, this.random);
  }

  private polling(reason: string, message: string): Outcome {
    return pollingOutcome(reason, message, this.timing);
  }

  private stalled(reason: string, message: string): Outcome {
    return stalledOutcome(reason, message, this.timing, this.random);
  }

  /** Errors become retry (throttled, transient, conflict) or stalled (needs the user). */
  private classify(err: unknown, doing: string): Outcome {
    return errorOutcome(err, doing, `the ${this.opts.actuator.describe()}`, this.timing, this.random);
  }

  /** Runs a cloud call, turning its failure into the outcome that ends this reconcile. */
  private call<T>(doing: string, fn: () => Promise<T>): Promise<T> {
    return stopOnFailure(fn, (err) => this.classify(err, doing));
  }

  private operation(object: O, client: Client, deps: Resolved, signal?: AbortSignal): Operation<O, Client> {
    const ownership = this.ownership(object);
    return {
      client,
      object,
      installation: this.installation(),
      ownershipTags: ownership,
      desiredTags: desiredTags(object, ownership),
      idempotencyKey: object.metadata.uid ?? "",
      deps,
      secrets: this.opts.secrets,
      note: (reason, message) => this.emit(object, "Normal", reason, message),
      signal,
    };
  }

  private async publish(
    object: O,
    outcome: Exclude<Outcome, { kind: "gone" }>,
    observed: Observed<C, Client>,
  ): Promise<ManagedStatus> {
    const previous = object.status ?? {};
    const nowMs = this.now();
    const nowIso = metaTime(nowMs);
    const generation = object.metadata.generation;
    const status = observedStatus(previous, observed, outcome, generation);
    const standard = conditionsFor(
      outcome,
      previous.conditions,
      generation,
      nowIso,
      staleAfterMs(object, this.timing),
    );
    const isField = (c: Condition): boolean => this.fieldTypes.includes(c.type);
    const fieldConditions = observed.fields
      ? observed.fields.map((w) => withTransition(w, previous.conditions, generation, nowIso))
      : (previous.conditions ?? []).filter(isField);
    const others = (previous.conditions ?? []).filter((c) => !STANDARD_TYPES.includes(c.type) && !isField(c));
    status.conditions = [...standard, ...fieldConditions, ...others];
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
    const written = this.wrote(object, await this.opts.writer.writeStatus(this.kind, object, status));
    object.metadata = written.metadata;
    return status;
  }

  /** Notes the version a write of `object` produced (see OwnWriteLag); returns what was written. */
  private wrote<W extends ManagedObject>(object: O, written: W): W {
    const version = written.metadata.resourceVersion;
    if (version !== undefined) {
      const key = `${object.metadata.namespace ?? ""}/${object.metadata.name ?? ""}`;
      const versions = this.versionsWritten.get(key) ?? [];
      versions.push(version);
      this.versionsWritten.set(key, versions);
    }
    return written;
  }

  private ownership(object: O): Record<string, string> {
    return ownershipTags(object, this.kind, this.installation());
  }

  private installation(): string {
    const { installation } = this.opts;
    return typeof installation === "function" ? installation() : installation;
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
      object.metadata.annotations?.[CREATE_PENDING_ANNOTATION] ?? "",
      object.status?.id ?? "",
      deps,
      this.opts.providers.peekFingerprint(object),
    ]);
  }
}

const STANDARD_TYPES: readonly string[] = Object.values(ConditionType);
const OUTPUTS_CONDITION = "OutputsSynced";

/** Per-field condition type, e.g. `LifecycleSynced`. */
export function fieldConditionType(field: string): string {
  return `${field.charAt(0).toUpperCase()}${field.slice(1)}Synced`;
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
    ...(generation !== undefined ? { observedGeneration: generation } : {}),
    lastTransitionTime: prev && prev.status === wanted.status ? prev.lastTransitionTime : now,
  };
}

function whyNotReady(target: ManagedObject | undefined): string {
  if (!target) return "it does not exist";
  if (target.metadata.deletionTimestamp) return "it is being deleted";
  const ready = target.status?.conditions?.find((c) => c.type === ConditionType.Ready);
  if (!ready) return "it has not been reconciled yet";
  return `Ready=${ready.status} (${ready.reason}${ready.message ? `: ${ready.message}` : ""})`;
}

function fields(changes: Change[]): string {
  return changes.map((c) => c.field).join(", ");
}
