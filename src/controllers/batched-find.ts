// Observing many resources of one kind with one list call instead of a GET each. Finds by id that
// arrive while a call for the same collection (so the same credential) is in flight wait and go
// together as one `list?ids=…`: when the token's budget is the bottleneck the calls queue at the
// rate limiter, so the batches grow exactly when calls are scarce. A lone find stays a plain GET.

interface FindableCollection<R> {
  find(id: string, opts?: { signal?: AbortSignal }): Promise<R | undefined>;
  listAll(filter: { ids: string[] }): Promise<R[]>;
}

interface Waiter<R> {
  resolve(found: R | undefined): void;
  reject(err: unknown): void;
}

class FindBatcher<R extends { id: string }> {
  private pending = new Map<string, Array<Waiter<R>>>();
  private running = false;

  constructor(private readonly collection: FindableCollection<R>) {}

  find(id: string, signal?: AbortSignal): Promise<R | undefined> {
    signal?.throwIfAborted();
    return new Promise<R | undefined>((resolve, reject) => {
      const waiter: Waiter<R> = { resolve, reject };
      const waiters = this.pending.get(id) ?? [];
      waiters.push(waiter);
      this.pending.set(id, waiters);
      // An aborted caller stops waiting; the shared call goes on for the others.
      signal?.addEventListener("abort", () => reject(signal.reason as Error), { once: true });
      if (!this.running) {
        this.running = true;
        // Let the finds started in this turn of the event loop join the first call.
        setImmediate(() => void this.drain());
      }
    });
  }

  private async drain(): Promise<void> {
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
      this.running = false;
    }
  }
}

const batchers = new WeakMap<object, FindBatcher<{ id: string }>>();

/** `collection.find(id)`, shared with the other finds on that collection in flight at the time. */
export function findBatched<R extends { id: string }>(
  collection: FindableCollection<R>,
  id: string,
  signal?: AbortSignal,
): Promise<R | undefined> {
  let batcher = batchers.get(collection) as FindBatcher<R> | undefined;
  if (!batcher) {
    batcher = new FindBatcher(collection);
    batchers.set(collection, batcher);
  }
  return batcher.find(id, signal);
}
