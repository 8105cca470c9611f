// A reconcile reads its object from the informer cache, which shows this process's own writes a
// moment after the API answered them. A reconcile that runs in that moment would decide on a
// status it already replaced: see Ready=True, decide Ready=True, skip the write as unchanged, and
// leave the API at the Ready=False it wrote just before, with nothing left to correct it until the
// resync. So after a write, the object waits until the cache has moved past the version written over.

/** Tracks, per object key, the cached version this process last wrote over. */
export class OwnWriteLag {
  private readonly writtenOver = new Map<string, { resourceVersion: string; at: number }>();

  constructor(
    /** Act on the cache anyway after this long (the informer relists a watch that missed a write). */
    private readonly maxMs: number,
    private readonly now: () => number,
  ) {}

  /** Whether the cached copy is still the one this process last wrote over. */
  lagging(key: string, cachedVersion: string | undefined): boolean {
    const entry = this.writtenOver.get(key);
    if (entry && entry.resourceVersion === cachedVersion && this.now() - entry.at < this.maxMs) return true;
    this.writtenOver.delete(key);
    return false;
  }

  /** After a reconcile: a copy whose version moved from the cached one was written (returns whether). */
  record(
    key: string,
    cachedVersion: string | undefined,
    versionAfter: string | undefined,
  ): cachedVersion is string {
    if (cachedVersion === undefined || versionAfter === cachedVersion) return false;
    this.writtenOver.set(key, { resourceVersion: cachedVersion, at: this.now() });
    return true;
  }

  forget(key: string): void {
    this.writtenOver.delete(key);
  }
}
