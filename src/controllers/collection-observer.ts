// Observing many resources of one collection (one kind, one credential) with one list call instead
// of a GET each. Two ways in:
//
// - find(id): finds that arrive while a call for the collection is in flight wait and go together
//   as one `list?ids=…`. When the token's budget is the bottleneck the calls queue at the rate
//   limiter, so the batches grow exactly when calls are scarce. A lone find stays a plain GET.
// - watch(id, seen, onChange): while the cloud works on a resource (creating, resizing, deleting)
//   its reconciler does not poll it itself. One list of every watched id per poll interval looks
//   at all of them; a resource that differs from what its reconciler last saw wakes that
//   reconciler, and the list's copy is handed to the woken reconcile's find, so it costs no call
//   of its own. Per poll: one call for up to 1,000 resources, instead of one each.
//
// A handoff is only ever an observation made after the woken object's last reconcile ended: every
// reconcile ends by watching its resource again or forgetting it, and either drops the handoffs
// and ignores the results of lists that started before. So a reconcile never acts on a copy older
// than its own last write to the cloud.
import type { Priority } from "../client/rate-limiter.ts";

export interface ObservableCollection<R> {
  find(id: string, opts?: { signal?: AbortSignal }): Promise<R | undefined>;
  listAll(filter: { ids: string[] }, opts?: { priority?: Priority; signal?: AbortSignal }): Promise<R[]>;
}

interface Waiter<R> {
  resolve(found: R | undefined): void;
  reject(err: unknown): void;
}

interface Watch {
  /** When it was registered, on the observer's own sequence (lists remember where they started). */
  seq: number;
  /** JSON of the resource as its reconciler last saw it. */
  seen: string;
  onChange: () => void;
  /** Dropped unwoken after this: its object's own safety re-check would have watched it again. */
  until: number;
}

interface Handoff<R> {
  resource: R;
  at: number;
}

/** Watch timing; the poll interval is the one most recently asked for. */
export interface WatchOptions {
  intervalMs: number;
  /**
   * How long the watch may last unwoken. A live object re-watches at its safety re-check, so a
   * watch this old belongs to an object nobody reconciles any more (its operator stopped).
   */
  ttlMs: number;
  now?: () => number;
}

/** A handoff nobody picked up (its object went away) is dropped after this long. */
const HANDOFF_TTL_MS = 60_000;

export class CollectionObserver<R extends { id: string }> {
  private pending = new Map<string, Array<Waiter<R>>>();
  private finding = false;

  private readonly watches = new Map<string, Watch>();
  private readonly handoffs = new Map<string, Handoff<R>>();
  private seq = 0;
  private intervalMs = 1_000;
  private now: () => number = Date.now;
  private timer: NodeJS.Timeout | undefined;
  private polling = false;
  private lastPollAt = Number.NEGATIVE_INFINITY;

  constructor(private readonly collection: ObservableCollection<R>) {}

  /** The resource by id: a fresh handoff, or a share of the next batched call. */
  find(id: string, signal?: AbortSignal): Promise<R | undefined> {
    signal?.throwIfAborted();
    const handoff = this.handoffs.get(id);
    if (handoff && this.now() - handoff.at < HANDOFF_TTL_MS) return Promise.resolve(handoff.resource);
    return new Promise<R | undefined>((resolve, reject) => {
      const waiter: Waiter<R> = { resolve, reject };
      const waiters = this.pending.get(id) ?? [];
      waiters.push(waiter);
      this.pending.set(id, waiters);
      // An aborted caller stops waiting; the shared call goes on for the others.
      signal?.addEventListener("abort", () => reject(signal.reason as Error), { once: true });
      if (!this.finding) {
        this.finding = true;
        // Let the finds started in this turn of the event loop join the first call.
        setImmediate(() => void this.drainFinds());
      }
    });
  }

  /**
   * Looks at the resource at every poll until it differs from `seen` (or is not listed), then
   * calls `onChange` once. Replaces an earlier watch of the id and drops its handoff.
   */
  watch(id: string, seen: R, onChange: () => void, opts: WatchOptions): void {
    this.intervalMs = opts.intervalMs;
    if (opts.now) this.now = opts.now;
    this.handoffs.delete(id);
    this.watches.set(id, {
      seq: ++this.seq,
      seen: JSON.stringify(seen),
      onChange,
      until: this.now() + opts.ttlMs,
    });
    this.schedule();
  }

  /** Its reconciler no longer waits on the resource: stop watching it, drop what was handed off. */
  forget(id: string): void {
    this.seq++;
    this.watches.delete(id);
    this.handoffs.delete(id);
  }

  get watching(): number {
    return this.watches.size;
  }

  private async drainFinds(): Promise<void> {
    try {
      while (this.pending.size > 0) {
        const batch = this.pending;
        this.pending = new Map();
        const ids = [...batch.keys()];
        try {
          let byId: Map<string, R>;
          if (ids.length === 1) {
            const found = await this.collection.find(ids[0] as string);
            byId = new Map(found ? [[found.id, found]] : []);
          } else {
            byId = new Map((await this.collection.listAll({ ids })).map((r) => [r.id, r]));
          }
          for (const [id, waiters] of batch) for (const w of waiters) w.resolve(byId.get(id));
        } catch (err) {
          for (const waiters of batch.values()) for (const w of waiters) w.reject(err);
        }
      }
    } finally {
      this.finding = false;
    }
  }

  private schedule(): void {
    if (this.timer || this.polling || this.watches.size === 0) return;
    const wait = Math.max(0, this.lastPollAt + this.intervalMs - this.now());
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.poll();
    }, wait);
    // Watches never keep a process alive that has nothing else to do.
    this.timer.unref();
  }

  private async poll(): Promise<void> {
    this.polling = true;
    this.lastPollAt = this.now();
    for (const [id, watch] of this.watches) if (this.lastPollAt >= watch.until) this.watches.delete(id);
    if (this.watches.size === 0) {
      this.polling = false;
      return;
    }
    const startSeq = this.seq;
    const ids = [...this.watches.keys()];
    try {
      // Ahead of new creates at the rate limiter: these are objects a user is waiting on.
      const listed = await this.collection.listAll({ ids }, { priority: "high" });
      this.settle(ids, startSeq, new Map(listed.map((r) => [r.id, r])));
    } catch {
      // The watched objects' own reconciles look, and report the error where the user sees it.
      this.settle(ids, startSeq, undefined);
    } finally {
      this.polling = false;
      this.purgeHandoffs();
      this.schedule();
    }
  }

  /** Wakes the watchers whose resource changed; `listed` undefined: the list failed, wake all. */
  private settle(ids: string[], startSeq: number, listed: Map<string, R> | undefined): void {
    const woken: Watch[] = [];
    for (const id of ids) {
      const watch = this.watches.get(id);
      // Watched again (or forgotten) since this list started: its result may predate a write.
      if (!watch || watch.seq > startSeq) continue;
      const resource = listed?.get(id);
      if (listed && resource && JSON.stringify(resource) === watch.seen) continue;
      this.watches.delete(id);
      // Not listed: gone, or not visible yet. Only its reconcile's own GET may conclude "gone".
      if (resource) this.handoffs.set(id, { resource, at: this.now() });
      woken.push(watch);
    }
    for (const watch of woken) watch.onChange();
  }

  private purgeHandoffs(): void {
    const now = this.now();
    for (const [id, h] of this.handoffs) if (now - h.at >= HANDOFF_TTL_MS) this.handoffs.delete(id);
  }
}

const observers = new WeakMap<object, CollectionObserver<{ id: string }>>();

/** The one observer of a collection object (one per kind and credential). */
export function observerOf<R extends { id: string }>(
  collection: ObservableCollection<R>,
): CollectionObserver<R> {
  let observer = observers.get(collection) as CollectionObserver<R> | undefined;
  if (!observer) {
    observer = new CollectionObserver(collection);
    observers.set(collection, observer);
  }
  return observer;
}

/** `collection.find(id)`, shared with the other finds on that collection in flight at the time. */
export function findBatched<R extends { id: string }>(
  collection: ObservableCollection<R>,
  id: string,
  signal?: AbortSignal,
): Promise<R | undefined> {
  return observerOf(collection).find(id, signal);
}
