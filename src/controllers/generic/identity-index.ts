// Rebuild-safe adoption at one list per kind and credential: an object with no recorded ID asks
// whether a resource carrying its name identity already exists before it creates one. Asking the
// cloud per object would cost a rebuild of 1,000 objects 1,000 searches; instead one list of every
// resource carrying our name tag answers every object that asks while it is fresh.
//
// A snapshot can only miss resources created after it was taken: by this process (those objects
// have an ID or a create-pending mark, and are never looked up here) or by another cluster within
// the same seconds (a race no lease-free design closes; docs/rebuild-and-twins.md).
import type { CloudResource } from "./actuator.ts";

export interface IdentityIndexOptions {
  /** How long one list answers lookups. */
  maxAgeMs: number;
  now: () => number;
}

interface Snapshot<C> {
  at: number;
  byName: Map<string, C[]>;
}

export class IdentityIndex<C extends CloudResource> {
  private snapshot: Snapshot<C> | undefined;
  private pending: Promise<Snapshot<C>> | undefined;

  constructor(
    /** Every resource of the kind carrying `tagKey`, whatever its value. */
    private readonly list: (signal?: AbortSignal) => Promise<C[]>,
    private readonly tagKey: string,
    private readonly opts: IdentityIndexOptions,
  ) {}

  /** Resources whose `tagKey` tag is `value`. */
  async find(value: string, signal?: AbortSignal): Promise<C[]> {
    const snapshot = await this.current(signal);
    return snapshot.byName.get(value) ?? [];
  }

  /** Lists made so far (for tests and metrics). */
  lists = 0;

  private current(signal?: AbortSignal): Promise<Snapshot<C>> {
    const fresh = this.snapshot && this.opts.now() - this.snapshot.at < this.opts.maxAgeMs;
    if (fresh && this.snapshot) return Promise.resolve(this.snapshot);
    // Lookups that arrive while a list is out share it; a failed list is not kept.
    this.pending ??= this.load(signal).finally(() => {
      this.pending = undefined;
    });
    return this.pending;
  }

  private async load(signal?: AbortSignal): Promise<Snapshot<C>> {
    const at = this.opts.now();
    this.lists++;
    const items = await this.list(signal);
    const byName = new Map<string, C[]>();
    for (const item of items) {
      const value = item.tags[this.tagKey];
      if (value === undefined) continue;
      const list = byName.get(value);
      if (list) list.push(item);
      else byName.set(value, [item]);
    }
    this.snapshot = { at, byName };
    return this.snapshot;
  }
}
