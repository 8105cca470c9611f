import { randomUUID } from "node:crypto";
import { Registry } from "prom-client";
import { realClock, type Clock, type TimerHandle } from "../shared/clock.ts";
import type { EventHandler, Informer } from "./informer.ts";
import { silentLogger, type Logger } from "../shared/logging.ts";
import { RuntimeMetrics } from "./metrics.ts";
import { defaultControllerRateLimiter, type RateLimiter } from "./rate-limiter.ts";
import { objectKey, splitKey, type KubeObject } from "./resource.ts";
import { Priority, WorkQueue } from "./workqueue.ts";

export interface ReconcileContext {
  key: string;
  namespace: string | undefined;
  name: string;
  /** Unique per reconcile; also on every log line of ctx.logger. */
  reconcileID: string;
  /** Child logger bound to controller, kind, namespace, name and reconcileID. */
  logger: Logger;
  /** Aborted when the controller must stop now (shutdown deadline passed). */
  signal: AbortSignal;
  /** Failures of this key since its last success. */
  retries: number;
  priority: number;
}

/** void = done; requeueAfterMs = run again after that long; requeue = run again with backoff. */
export type ReconcileResult = void | { requeueAfterMs?: number; requeue?: boolean };

/** Level-triggered: read the current state (from the cache) for key and make the world match. Throw to retry with backoff. */
export type Reconcile = (key: string, ctx: ReconcileContext) => Promise<ReconcileResult>;

export interface ControllerOptions {
  name: string;
  reconcile: Reconcile;
  /** Kind reconciled, for log lines. */
  kind?: string;
  /** Parallel reconciles (different keys); default 1. */
  concurrency?: number;
  rateLimiter?: RateLimiter;
  registry?: Registry;
  logger?: Logger;
  clock?: Clock;
  /** Log a warning when one reconcile has run this long (it holds a worker and its key). Default 60 s. */
  slowReconcileWarnMs?: number;
}

export interface ForOptions<T extends KubeObject> {
  /** Only enqueue when this returns true (e.g. skip status-only updates). Default: always. */
  predicate?: (event: { type: "add" | "update" | "delete"; obj: T; old?: T }) => boolean;
}

export interface WatchesOptions {
  /** Priority of keys enqueued for changes of the watched kind (default Normal). */
  priority?: number;
}

/**
 * A controller: a work queue, the handlers that fill it from informers, and `concurrency` workers
 * calling reconcile. Handlers only enqueue; a key is never reconciled twice at once.
 */
export class Controller {
  readonly name: string;
  readonly queue: WorkQueue;
  private readonly reconcileFn: Reconcile;
  private readonly concurrency: number;
  private readonly logger: Logger;
  private readonly slowReconcileWarnMs: number;
  private readonly metrics: RuntimeMetrics;
  private readonly clock: Clock;
  private readonly kind: string | undefined;
  private readonly unregister: Array<() => void> = [];
  private readonly informers: Informer<KubeObject>[] = [];
  private workers: Promise<void>[] = [];
  private abort = new AbortController();
  private active = 0;
  private started = false;

  constructor(opts: ControllerOptions) {
    this.name = opts.name;
    this.reconcileFn = opts.reconcile;
    this.concurrency = Math.max(1, opts.concurrency ?? 1);
    this.clock = opts.clock ?? realClock;
    this.kind = opts.kind;
    this.metrics = RuntimeMetrics.for(opts.registry ?? new Registry());
    this.logger = (opts.logger ?? silentLogger).child({ controller: opts.name });
    this.slowReconcileWarnMs = opts.slowReconcileWarnMs ?? 60_000;
    this.queue = new WorkQueue({
      name: opts.name,
      clock: this.clock,
      rateLimiter: opts.rateLimiter ?? defaultControllerRateLimiter({ clock: this.clock }),
      metrics: this.metrics,
    });
    this.metrics.maxConcurrentReconciles.set({ controller: this.name }, this.concurrency);
    this.metrics.activeWorkers.set({ controller: this.name }, 0);
  }

  /**
   * Reconcile objects of the informer's kind by their own key. Priorities: changes seen live to
   * the spec (generation), deletion and creation are High; other updates Normal; the initial list
   * and periodic resyncs Low.
   */
  for<T extends KubeObject>(informer: Informer<T>, opts: ForOptions<T> = {}): this {
    const allow = opts.predicate ?? (() => true);
    const handler: EventHandler<T> = {
      onAdd: (obj, initial) => {
        if (allow({ type: "add", obj })) this.enqueue(objectKey(obj), initial ? Priority.Low : Priority.High);
      },
      onUpdate: (old, obj) => {
        if (allow({ type: "update", obj, old })) this.enqueue(objectKey(obj), updatePriority(old, obj));
      },
      onDelete: (obj) => {
        if (allow({ type: "delete", obj })) this.enqueue(objectKey(obj), Priority.High);
      },
    };
    this.track(informer, handler);
    return this;
  }

  /** Reconcile the keys map(obj) returns whenever an object of another kind changes (old and new state on updates). */
  watches<T extends KubeObject>(
    informer: Informer<T>,
    map: (obj: T) => string[],
    opts: WatchesOptions = {},
  ): this {
    const priority = opts.priority ?? Priority.Normal;
    const enqueueAll = (...objs: T[]): void => {
      const keys = new Set<string>();
      for (const o of objs) for (const k of map(o)) keys.add(k);
      for (const k of keys) this.enqueue(k, priority);
    };
    this.track(informer, {
      onAdd: (obj, initial) => {
        if (!initial) enqueueAll(obj);
      },
      onUpdate: (old, obj) => {
        if (old !== obj) enqueueAll(old, obj);
      },
      onDelete: (obj) => enqueueAll(obj),
    });
    return this;
  }

  enqueue(key: string, priority: number = Priority.Normal): void {
    this.queue.add(key, { priority });
  }

  enqueueAfter(key: string, delayMs: number, priority: number = Priority.Normal): void {
    this.queue.addAfter(key, delayMs, { priority });
  }

  /** The informers this controller reads (the manager waits for them to sync before start()). */
  watchedInformers(): Informer<KubeObject>[] {
    return [...this.informers];
  }

  activeWorkers(): number {
    return this.active;
  }

  isStarted(): boolean {
    return this.started;
  }

  /** Starts the workers. Keys enqueued before start are processed now. */
  start(): void {
    if (this.started) return;
    this.started = true;
    this.logger.info({ workers: this.concurrency }, "starting workers");
    for (let i = 0; i < this.concurrency; i++) this.workers.push(this.workerLoop());
  }

  /**
   * Stops taking keys and waits for reconciles in flight; after deadlineMs their signal is aborted
   * and stop() returns without waiting further. Returns true if everything finished in time.
   */
  async stop(deadlineMs = 30_000): Promise<boolean> {
    for (const u of this.unregister.splice(0)) u();
    const drained = this.queue.shutDownWithDrain();
    if (!this.started) return true;
    let timer: TimerHandle | undefined;
    const finished = await Promise.race([
      drained.then(() => true),
      new Promise<boolean>((resolve) => {
        timer = this.clock.setTimeout(() => resolve(false), deadlineMs);
      }),
    ]);
    if (timer) this.clock.clearTimeout(timer);
    if (!finished) {
      this.logger.warn(
        { inFlight: this.queue.processingCount() },
        "reconciles did not finish before the deadline",
      );
      this.abort.abort(new Error("controller stopping"));
    } else {
      await Promise.all(this.workers);
    }
    this.logger.info({ finished }, "stopped");
    return finished;
  }

  private track<T extends KubeObject>(informer: Informer<T>, handler: EventHandler<T>): void {
    this.informers.push(informer as unknown as Informer<KubeObject>);
    this.unregister.push(informer.addEventHandler(handler));
  }

  private async workerLoop(): Promise<void> {
    for (;;) {
      const item = await this.queue.get();
      if (!item) return;
      this.active++;
      this.metrics.activeWorkers.set({ controller: this.name }, this.active);
      try {
        await this.reconcileOne(item.key, item.retries, item.priority);
      } finally {
        this.queue.done(item.key);
        this.active--;
        this.metrics.activeWorkers.set({ controller: this.name }, this.active);
      }
    }
  }

  private async reconcileOne(key: string, retries: number, priority: number): Promise<void> {
    const { namespace, name } = splitKey(key);
    const reconcileID = randomUUID();
    const logger = this.logger.child({
      ...(this.kind ? { kind: this.kind } : {}),
      ...(namespace ? { namespace } : {}),
      name,
      reconcileID,
    });
    const ctx: ReconcileContext = {
      key,
      namespace,
      name,
      reconcileID,
      logger,
      signal: this.abort.signal,
      retries,
      priority,
    };
    const began = this.clock.now();
    const slow = this.clock.setTimeout(
      () => logger.warn({ runningMs: this.clock.now() - began }, "reconcile still running"),
      this.slowReconcileWarnMs,
    );
    let result: "success" | "error" | "requeue" | "requeue_after";
    let requeueAfterMs: number | undefined;
    try {
      const out = await this.reconcileFn(key, ctx);
      if (out && out.requeueAfterMs !== undefined && out.requeueAfterMs > 0) {
        this.queue.forget(key);
        requeueAfterMs = out.requeueAfterMs;
        this.queue.addAfter(key, requeueAfterMs, { priority: Priority.Low });
        result = "requeue_after";
      } else if (out && out.requeue) {
        this.queue.addRateLimited(key, { priority });
        result = "requeue";
      } else {
        this.queue.forget(key);
        result = "success";
      }
    } catch (err) {
      result = "error";
      this.metrics.reconcileErrors.inc({ controller: this.name });
      logger.error({ err, retries }, "reconcile failed; retrying with backoff");
      this.queue.addRateLimited(key, { priority });
    }
    this.clock.clearTimeout(slow);
    const tookMs = this.clock.now() - began;
    this.metrics.reconcileTotal.inc({ controller: this.name, result });
    this.metrics.reconcileTime.observe({ controller: this.name }, tookMs / 1000);
    logger.debug({ result, tookMs, priority, retries, requeueAfterMs }, "reconciled");
  }
}

function updatePriority(old: KubeObject, obj: KubeObject): number {
  if (old === obj) return Priority.Low; // periodic resync
  if (old.metadata.generation !== obj.metadata.generation) return Priority.High;
  if (old.metadata.deletionTimestamp !== obj.metadata.deletionTimestamp) return Priority.High;
  return Priority.Normal;
}
