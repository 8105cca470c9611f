import { realClock, type Clock, type TimerHandle } from "../shared/clock.ts";
import type { KubeClient } from "./kube-client.ts";
import { silentLogger, type Logger } from "../shared/logging.ts";
import { Reflector, type ReflectorOptions, type ReflectorStats } from "./reflector.ts";
import { objectKey, resourceId, splitKey, type KubeObject, type ResourceType } from "./resource.ts";
import { ObjectStore, type IndexFunc } from "./store.ts";

/** Reactions to cache changes. They should only enqueue keys; a throw is logged and ignored. */
export interface EventHandler<T extends KubeObject = KubeObject> {
  /** isInInitialList: the object came from the first list (not a change seen live). */
  onAdd?(obj: T, isInInitialList: boolean): void;
  /** old === new (same object) on a periodic resync. */
  onUpdate?(oldObj: T, newObj: T): void;
  /** The last state known to the cache. */
  onDelete?(obj: T): void;
}

export interface InformerOptions<T extends KubeObject = KubeObject> extends Omit<
  ReflectorOptions,
  "namespace" | "logger" | "clock"
> {
  /** Watch only these namespaces (one list+watch each); undefined = all namespaces. */
  namespaces?: string[];
  indexers?: Record<string, IndexFunc<T>>;
  /**
   * Applied to each object before it is cached and handed to handlers (client-go's SetTransform),
   * e.g. stripManagedFields to save memory.
   */
  transform?: (obj: T) => T;
  /** Re-deliver every cached object as an update this often (0/undefined = never). */
  resyncPeriodMs?: number;
  /**
   * How long the cache may take to show a write this process made (see expectOwnWrite) before
   * the watch is presumed stuck and the scope is relisted. Default 30 s; 0 disables the check.
   */
  ownWriteTimeoutMs?: number;
  logger?: Logger;
  clock?: Clock;
}

/** How soon an own write still missing from the cache is looked at again when no relist could start. */
const UNSEEN_RECHECK_MS = 5_000;

/**
 * A shared informer for one resource type: one reflector per watched namespace (or one for the
 * whole cluster) feeding a single indexed cache, and handlers told of every change.
 */
export class Informer<T extends KubeObject = KubeObject> {
  readonly store: ObjectStore<T>;
  private readonly handlers = new Set<EventHandler<T>>();
  private readonly reflectors: Reflector<T>[];
  private readonly synced = new Set<number>();
  private readonly syncWaiters: Array<() => void> = [];
  private readonly logger: Logger;
  private readonly clock: Clock;
  private abort: AbortController | undefined;
  private running: Promise<void> | undefined;
  private resyncTimer: TimerHandle | undefined;
  /** Own writes the cache has not shown yet: key -> version before the write, deadline. */
  private readonly unseenWrites = new Map<string, { before: string; deadline: number }>();
  private unseenTimer: { handle: TimerHandle; at: number } | undefined;
  private readonly scopes: Array<string | undefined>;
  handlerErrors = 0;

  constructor(
    client: KubeClient,
    readonly resource: ResourceType,
    private readonly opts: InformerOptions<T> = {},
  ) {
    this.store = new ObjectStore<T>(opts.indexers ?? {});
    this.logger = (opts.logger ?? silentLogger).child({ informer: resourceId(resource) });
    this.clock = opts.clock ?? realClock;
    const scopes: Array<string | undefined> =
      resource.namespaced && opts.namespaces && opts.namespaces.length > 0
        ? [...new Set(opts.namespaces)]
        : [undefined];
    this.scopes = scopes;
    this.reflectors = scopes.map(
      (namespace, i) =>
        new Reflector<T>(client, resource, this.sinkFor(i, namespace), {
          ...opts,
          namespace,
          logger: opts.logger,
          clock: this.clock,
        }),
    );
  }

  /** Registers a handler. If the cache is already filled, the handler first gets an add per object. */
  addEventHandler(handler: EventHandler<T>): () => void {
    this.handlers.add(handler);
    if (this.synced.size > 0) {
      for (const obj of this.store.list()) this.call(handler, "onAdd", () => handler.onAdd?.(obj, true));
    }
    return () => this.handlers.delete(handler);
  }

  addIndexer(name: string, fn: IndexFunc<T>): void {
    this.store.addIndexer(name, fn);
  }

  get(key: string): T | undefined {
    return this.store.get(key);
  }

  list(): T[] {
    return this.store.list();
  }

  byIndex(indexName: string, value: string): T[] {
    return this.store.byIndex(indexName, value);
  }

  /** True once every reflector has completed its first list. */
  hasSynced(): boolean {
    return this.synced.size === this.reflectors.length;
  }

  waitForSync(signal?: AbortSignal): Promise<void> {
    if (this.hasSynced()) return Promise.resolve();
    if (signal?.aborted) return Promise.reject(new Error("stopped before the cache synced"));
    return new Promise((resolve, reject) => {
      const onAbort = (): void => reject(new Error("stopped before the cache synced"));
      signal?.addEventListener("abort", onAbort, { once: true });
      this.syncWaiters.push(() => {
        signal?.removeEventListener("abort", onAbort);
        resolve();
      });
    });
  }

  stats(): ReflectorStats[] {
    return this.reflectors.map((r) => ({ ...r.stats }));
  }

  isRunning(): boolean {
    return this.running !== undefined;
  }

  start(): void {
    if (this.running) return;
    this.abort = new AbortController();
    const signal = this.abort.signal;
    this.running = Promise.all(this.reflectors.map((r) => r.run(signal))).then(() => undefined);
    this.scheduleResync();
  }

  /**
   * Tells the informer that this process wrote the object at `key`, which it had at version
   * `before`, and the API answered with version `written`. The watch delivers such a write within
   * milliseconds; if the cache still holds `before` after ownWriteTimeoutMs, the watch missed it
   * (it can go quiet without an error), so the scope is relisted instead of acting on a stale
   * cache until the watch times out minutes later.
   */
  expectOwnWrite(key: string, before: string | undefined, written: string | undefined): void {
    const timeoutMs = this.opts.ownWriteTimeoutMs ?? 30_000;
    if (timeoutMs <= 0 || !this.running || before === undefined || written === undefined) return;
    if (before === written || this.unseenWrites.has(key)) return;
    // Only a cache still at the version we started from can be stale about this write.
    if (this.store.get(key)?.metadata.resourceVersion !== before) return;
    const deadline = this.clock.now() + timeoutMs;
    this.unseenWrites.set(key, { before, deadline });
    this.armUnseenTimer(deadline);
  }

  async stop(): Promise<void> {
    this.abort?.abort();
    if (this.resyncTimer) this.clock.clearTimeout(this.resyncTimer);
    this.resyncTimer = undefined;
    if (this.unseenTimer) this.clock.clearTimeout(this.unseenTimer.handle);
    this.unseenTimer = undefined;
    this.unseenWrites.clear();
    await this.running;
    this.running = undefined;
  }

  private scheduleResync(): void {
    const period = this.opts.resyncPeriodMs;
    if (!period || period <= 0) return;
    this.resyncTimer = this.clock.setTimeout(() => {
      if (this.hasSynced()) {
        for (const obj of this.store.list()) this.dispatch("onUpdate", (h) => h.onUpdate?.(obj, obj));
      }
      if (this.running) this.scheduleResync();
    }, period);
  }

  private armUnseenTimer(at: number): void {
    if (this.unseenTimer && this.unseenTimer.at <= at) return;
    if (this.unseenTimer) this.clock.clearTimeout(this.unseenTimer.handle);
    this.unseenTimer = {
      at,
      handle: this.clock.setTimeout(() => this.checkUnseenWrites(), Math.max(0, at - this.clock.now())),
    };
  }

  private checkUnseenWrites(): void {
    this.unseenTimer = undefined;
    const now = this.clock.now();
    const stale = new Map<number, string[]>();
    for (const [key, { before, deadline }] of this.unseenWrites) {
      if (this.store.get(key)?.metadata.resourceVersion !== before) {
        this.unseenWrites.delete(key);
      } else if (deadline <= now) {
        const { namespace } = splitKey(key);
        const index = this.scopes.findIndex((s) => s === undefined || s === namespace);
        if (index < 0) {
          this.unseenWrites.delete(key);
          continue;
        }
        const keys = stale.get(index);
        if (keys) keys.push(key);
        else stale.set(index, [key]);
      }
    }
    for (const [index, keys] of stale) {
      const relisting = this.reflectors[index]?.requestRelist(
        `the watch did not deliver a write this process made ${this.opts.ownWriteTimeoutMs ?? 30_000} ms ago`,
      );
      // A relist brings the cache up to date; without one (one ran recently, or a list is under
      // way) look again shortly, until the cache moves past the version or a relist starts.
      for (const key of keys) {
        const entry = this.unseenWrites.get(key);
        if (!entry) continue;
        if (relisting) this.unseenWrites.delete(key);
        else entry.deadline = now + UNSEEN_RECHECK_MS;
      }
    }
    let next = Number.POSITIVE_INFINITY;
    for (const { deadline } of this.unseenWrites.values()) next = Math.min(next, deadline);
    if (next !== Number.POSITIVE_INFINITY && this.running) this.armUnseenTimer(next);
  }

  private sinkFor(index: number, namespace: string | undefined) {
    const inScope = (obj: T): boolean => namespace === undefined || obj.metadata.namespace === namespace;
    const transform = this.opts.transform ?? ((o: T) => o);
    return {
      replace: (raw: T[]) => {
        const initial = !this.synced.has(index);
        const seen = new Set<string>();
        for (const obj of raw.map(transform)) {
          seen.add(objectKey(obj));
          this.applyUpsert(obj, initial);
        }
        for (const old of this.store.list()) {
          if (inScope(old) && !seen.has(objectKey(old))) this.applyRemove(old);
        }
        if (initial) {
          this.synced.add(index);
          if (this.hasSynced()) {
            this.logger.debug({ objects: this.store.size }, "cache synced");
            for (const w of this.syncWaiters.splice(0)) w();
          }
        }
      },
      upsert: (obj: T) => this.applyUpsert(transform(obj), false),
      remove: (obj: T) => this.applyRemove(transform(obj)),
    };
  }

  private applyUpsert(obj: T, initial: boolean): void {
    const old = this.store.upsert(obj);
    if (!old) {
      this.dispatch("onAdd", (h) => h.onAdd?.(obj, initial));
    } else if (old.metadata.resourceVersion !== obj.metadata.resourceVersion) {
      this.dispatch("onUpdate", (h) => h.onUpdate?.(old, obj));
    }
  }

  private applyRemove(obj: T): void {
    const old = this.store.remove(objectKey(obj));
    // A delete seen on the watch carries the final state; after a relist only our last copy exists.
    this.dispatch("onDelete", (h) => h.onDelete?.(obj.metadata.resourceVersion ? obj : (old ?? obj)));
  }

  private dispatch(what: string, fn: (h: EventHandler<T>) => void): void {
    for (const h of this.handlers) this.call(h, what, () => fn(h));
  }

  private call(_h: EventHandler<T>, what: string, fn: () => void): void {
    try {
      fn();
    } catch (err) {
      this.handlerErrors++;
      this.logger.error({ err, handler: what }, "event handler threw; ignored");
    }
  }
}

/** A transform dropping metadata.managedFields, which controllers rarely read and which can be half an object's size. */
export function stripManagedFields<T extends KubeObject>(obj: T): T {
  if (obj.metadata.managedFields === undefined) return obj;
  const { managedFields: _dropped, ...metadata } = obj.metadata;
  return { ...obj, metadata };
}
