import { Backoff } from "./backoff.ts";
import { realClock, sleep, type Clock, type TimerHandle } from "../shared/clock.ts";
import { ApiError, isGone, type KubeClient } from "./kube-client.ts";
import { silentLogger, type Logger } from "../shared/logging.ts";
import { resourceId, type KubeObject, type ResourceType } from "./resource.ts";

/** Where a reflector delivers what it learns. */
export interface ReflectorSink<T extends KubeObject> {
  /** A full list of the reflector's scope: the cache must become exactly these objects. */
  replace(items: T[], resourceVersion: string): void;
  upsert(obj: T): void;
  remove(obj: T): void;
}

export interface ReflectorOptions {
  /** Restrict to one namespace (undefined = all namespaces, or a cluster-scoped kind). */
  namespace?: string;
  labelSelector?: string;
  fieldSelector?: string;
  /** Page size of the list (default 500). */
  pageSize?: number;
  /** Server-side watch timeout is random in [min, 2*min] seconds (default 300, like client-go). */
  minWatchTimeoutSeconds?: number;
  /**
   * Abort a watch that received no bytes for this long. Default: the watch's server-side timeout
   * plus 30 s, because kube-apiserver sends no bookmarks on a quiet resource before the timeout
   * (measured: none in 70 s), so only a stream still silent after the server should have ended it
   * is known dead (a half-open connection).
   */
  inactivityTimeoutMs?: number;
  backoffInitialMs?: number;
  backoffMaxMs?: number;
  logger?: Logger;
  clock?: Clock;
  random?: () => number;
}

export interface ReflectorStats {
  lists: number;
  watches: number;
  /** Lists forced by 410 Gone (resource version compacted or too old). */
  relistsAfterGone: number;
  /** Watches or lists that failed and were retried with backoff. */
  failures: number;
  watchdogTrips: number;
  /** Relists asked for by requestRelist (a watch found to have missed a change). */
  forcedRelists: number;
  events: number;
  bookmarks: number;
  resourceVersion: string;
}

class RelistRequested extends Error {}

class WatchdogTripped extends Error {
  constructor(ms: number) {
    super(`no data on the watch for ${ms} ms`);
  }
}

/**
 * Keeps a sink in step with the API for one resource type (and optionally one namespace):
 * list (paged), then watch from the list's resourceVersion with bookmarks; resume the watch from
 * the last seen version when it ends; back off with jitter on failures; relist on 410 Gone; and
 * abort watches that go silent.
 */
export class Reflector<T extends KubeObject = KubeObject> {
  readonly stats: ReflectorStats = {
    lists: 0,
    watches: 0,
    relistsAfterGone: 0,
    failures: 0,
    watchdogTrips: 0,
    forcedRelists: 0,
    events: 0,
    bookmarks: 0,
    resourceVersion: "",
  };
  private readonly logger: Logger;
  private readonly clock: Clock;
  private readonly random: () => number;
  private readonly backoff: Backoff;
  /** Aborts the watch in progress, if any. */
  private abortWatch: ((reason: RelistRequested) => void) | undefined;
  private lastForcedRelistAt = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly client: KubeClient,
    readonly resource: ResourceType,
    private readonly sink: ReflectorSink<T>,
    private readonly opts: ReflectorOptions = {},
  ) {
    this.clock = opts.clock ?? realClock;
    this.random = opts.random ?? Math.random;
    this.backoff = new Backoff(opts.backoffInitialMs ?? 800, opts.backoffMaxMs ?? 30_000, 1.0, this.random);
    this.logger = (opts.logger ?? silentLogger).child({
      reflector: resourceId(resource),
      ...(opts.namespace !== undefined ? { scope: opts.namespace } : {}),
    });
  }

  /** Runs until the signal aborts. Never throws (failures are retried). */
  async run(signal: AbortSignal): Promise<void> {
    let needList = true;
    while (!signal.aborted) {
      try {
        if (needList) {
          await this.listAndReplace(signal);
          needList = false;
        }
        const began = this.clock.now();
        const received = await this.watchOnce(signal);
        // A watch that ends at once without news (a proxy closing streams, an apiserver going
        // away) would otherwise be retried in a hot loop.
        if (received === 0 && this.clock.now() - began < 1000)
          await this.pause(signal, "watch ended at once");
        else this.backoff.reset();
      } catch (err) {
        if (signal.aborted) break;
        if (err instanceof RelistRequested) {
          needList = true;
          continue;
        }
        if (isGone(err)) {
          this.stats.relistsAfterGone++;
          this.logger.info(
            { resourceVersion: this.stats.resourceVersion },
            "resource version expired (410); relisting",
          );
          needList = true;
          continue;
        }
        this.stats.failures++;
        if (err instanceof WatchdogTripped) this.stats.watchdogTrips++;
        await this.pause(signal, describe(err));
      }
    }
  }

  /**
   * Drops the watch in progress and lists again: for a caller that knows the watch missed a change
   * (it wrote an object and the cache never saw the write). A watch can go quiet without an error
   * (a stuck watch cache, a proxy that keeps the connection but stops forwarding); waiting for the
   * inactivity watchdog would take minutes. At most one forced relist per `minIntervalMs`.
   * Returns whether a relist was started.
   */
  requestRelist(why: string, minIntervalMs = 60_000): boolean {
    const now = this.clock.now();
    if (!this.abortWatch || now - this.lastForcedRelistAt < minIntervalMs) return false;
    this.lastForcedRelistAt = now;
    this.stats.forcedRelists++;
    this.logger.warn({ resourceVersion: this.stats.resourceVersion }, `relisting: ${why}`);
    this.abortWatch(new RelistRequested(why));
    return true;
  }

  private async pause(signal: AbortSignal, why: string): Promise<void> {
    const delay = this.backoff.next();
    this.logger.warn(
      { retryInMs: Math.round(delay), attempt: this.backoff.attempts },
      `watch interrupted: ${why}`,
    );
    await sleep(this.clock, delay, signal).catch(() => undefined);
  }

  private async listAndReplace(signal: AbortSignal): Promise<void> {
    const items: T[] = [];
    let cont: string | undefined;
    let resourceVersion: string;
    do {
      const page = await this.client.list<T>(this.resource, {
        namespace: this.opts.namespace,
        labelSelector: this.opts.labelSelector,
        fieldSelector: this.opts.fieldSelector,
        limit: this.opts.pageSize ?? 500,
        continue: cont,
        signal,
      });
      for (const item of page.items) items.push(item);
      cont = page.metadata.continue || undefined;
      resourceVersion = page.metadata.resourceVersion ?? "";
    } while (cont);
    this.stats.lists++;
    this.stats.resourceVersion = resourceVersion;
    this.sink.replace(items, resourceVersion);
    this.logger.debug({ count: items.length, resourceVersion }, "listed");
  }

  /** One watch stream; resolves with the number of events received when the server ends it. */
  private async watchOnce(signal: AbortSignal): Promise<number> {
    const min = this.opts.minWatchTimeoutSeconds ?? 300;
    const timeoutSeconds = Math.floor(min * (1 + this.random()));
    const inactivityMs = this.opts.inactivityTimeoutMs ?? timeoutSeconds * 1000 + 30_000;
    const watchAbort = new AbortController();
    const onOuterAbort = (): void => watchAbort.abort(signal.reason);
    // The stop may have come while we were listing: a listener added now would never fire.
    if (signal.aborted) return 0;
    signal.addEventListener("abort", onOuterAbort, { once: true });
    let tripped = false;
    let watchdog: TimerHandle | undefined;
    const armWatchdog = (): void => {
      if (watchdog) this.clock.clearTimeout(watchdog);
      watchdog = this.clock.setTimeout(() => {
        tripped = true;
        watchAbort.abort(new WatchdogTripped(inactivityMs));
      }, inactivityMs);
    };
    let received = 0;
    let relist: RelistRequested | undefined;
    this.abortWatch = (reason) => {
      relist = reason;
      watchAbort.abort(reason);
    };
    this.stats.watches++;
    try {
      armWatchdog();
      const stream = this.client.watch(this.resource, {
        namespace: this.opts.namespace,
        labelSelector: this.opts.labelSelector,
        fieldSelector: this.opts.fieldSelector,
        resourceVersion: this.stats.resourceVersion,
        allowWatchBookmarks: true,
        timeoutSeconds,
        signal: watchAbort.signal,
        onActivity: armWatchdog,
      });
      for await (const event of stream) {
        const obj = event.object as T;
        const rv = obj.metadata?.resourceVersion;
        switch (event.type) {
          case "BOOKMARK":
            this.stats.bookmarks++;
            break;
          case "ADDED":
          case "MODIFIED":
            received++;
            this.stats.events++;
            this.sink.upsert(obj);
            break;
          case "DELETED":
            received++;
            this.stats.events++;
            this.sink.remove(obj);
            break;
        }
        if (rv) this.stats.resourceVersion = rv;
      }
      // Asked to relist as the stream ended: list anyway.
      if (relist) throw relist;
      return received;
    } catch (err) {
      if (relist) throw relist;
      if (tripped) throw new WatchdogTripped(inactivityMs);
      throw err;
    } finally {
      this.abortWatch = undefined;
      if (watchdog) this.clock.clearTimeout(watchdog);
      signal.removeEventListener("abort", onOuterAbort);
      watchAbort.abort();
    }
  }
}

function describe(err: unknown): string {
  if (err instanceof ApiError) return err.message;
  if (err instanceof Error)
    return err.cause instanceof Error ? `${err.message}: ${err.cause.message}` : err.message;
  return String(err);
}
