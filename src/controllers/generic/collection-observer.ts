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
// - check(id, seen, …): a resync's look at a settled resource. It goes with the next list of the
//   collection, or with a list of its own at most a few seconds later, so the resyncs due around
//   the same time (and the transitions being watched) share calls. Unchanged: the object's
//   reconcile is not run at all; changed: its reconciler is woken with the list's copy, as above.
//   Lists made only of checks queue at `low` priority: user-visible work goes first.
//
// A handoff is only ever an observation made after the woken object's last reconcile ended: every
// reconcile ends by watching its resource again or forgetting it, and either drops the handoffs
// and ignores the results of lists that started before. So a reconcile never acts on a copy older
// than its own last write to the cloud.
import type { Priority } from "../../client/rate-limiter.ts";

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
  /** A one-time check (a resync) rather than a watch: listed by `by` at the latest, then dropped. */
  check?: { by: number; onUnchanged: () => void };
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

/** Check timing: when the resync is due at the latest, and how long an unlisted check may live. */
export interface CheckOptions extends WatchOptions {
  /** How long the check may wait for other checks and watches to share its list. */
  gatherMs: number;
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
  private timerAt = Number.POSITIVE_INFINITY;
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
    // As soon as the poll interval allows.
    this.schedule(Number.NEGATIVE_INFINITY);
  }

  /**
   * Looks at the resource once, in a list that starts within `gatherMs`: `onUnchanged` if it is as
   * `seen` (JSON, as the reconciler last saw it), else as `watch` does on a change. Replaces a
   * watch or check of the id.
   */
  check(
    id: string,
    seen: string,
    callbacks: { onChange: () => void; onUnchanged: () => void },
    opts: CheckOptions,
  ): void {
    this.intervalMs = opts.intervalMs;
    if (opts.now) this.now = opts.now;
    const by = this.now() + opts.gatherMs;
    this.handoffs.delete(id);
    this.watches.set(id, {
      seq: ++this.seq,
      seen,
      onChange: callbacks.onChange,
      until: by + opts.ttlMs,
      check: { by, onUnchanged: callbacks.onUnchanged },
    });
    this.schedule(by);
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

  /** Makes sure a list starts by `due` (or as soon after the last one as the interval allows). */
  private schedule(due: number): void {
    // A list in flight schedules the next one itself when it ends, from every entry.
    if (this.polling || this.watches.size === 0) return;
    const at = Math.max(due, this.lastPollAt + this.intervalMs);
    if (this.timer && this.timerAt <= at) return;
    clearTimeout(this.timer);
    this.timerAt = at;
    this.timer = setTimeout(
      () => {
        this.timer = undefined;
        this.timerAt = Number.POSITIVE_INFINITY;
        void this.poll();
      },
      Math.max(0, at - this.now()),
    );
    // Watches never keep a process alive that has nothing else to do.
    this.timer.unref();
  }

  /** When the next list is due for the entries there are: now for a watch, `by` for a check. */
  private nextDue(): number {
    let due = Number.POSITIVE_INFINITY;
    for (const watch of this.watches.values()) {
      if (!watch.check) return Number.NEGATIVE_INFINITY;
      due = Math.min(due, watch.check.by);
    }
    return due;
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
    // A watch is an object a user is waiting on: ahead of new creates at the rate limiter. A list
    // of resync checks alone is background work: behind everything else.
    const priority = this.nextDue() === Number.NEGATIVE_INFINITY ? "high" : "low";
    try {
      const listed = await this.collection.listAll({ ids }, { priority });
      this.settle(ids, startSeq, new Map(listed.map((r) => [r.id, r])));
    } catch {
      // The watched objects' own reconciles look, and report the error where the user sees it.
      this.settle(ids, startSeq, undefined);
    } finally {
      this.polling = false;
      this.purgeHandoffs();
      this.schedule(this.nextDue());
    }
  }

  /** Wakes the watchers whose resource changed; `listed` undefined: the list failed, wake all. */
  private settle(ids: string[], startSeq: number, listed: Map<string, R> | undefined): void {
    const woken: Array<() => void> = [];
    for (const id of ids) {
      const watch = this.watches.get(id);
      // Watched again (or forgotten) since this list started: its result may predate a write.
      if (!watch || watch.seq > startSeq) continue;
      const resource = listed?.get(id);
      if (listed && resource && JSON.stringify(resource) === watch.seen) {
        if (watch.check) {
          this.watches.delete(id);
          woken.push(watch.check.onUnchanged);
        }
        continue;
      }
      this.watches.delete(id);
      // Not listed: gone, or not visible yet. Only its reconcile's own GET may conclude "gone".
      if (resource) this.handoffs.set(id, { resource, at: this.now() });
      woken.push(watch.onChange);
    }
    for (const call of woken) call();
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
