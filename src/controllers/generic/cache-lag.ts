// A reconcile reads its object from the informer cache, which shows this process's own writes a
// moment after the API answered them. A reconcile that runs in that moment would decide on a
// status it already replaced: see Ready=True, decide Ready=True, skip the write as unchanged, and
// leave the API at the Ready=False it wrote just before, with nothing left to correct it until the
// resync. So after a write, the object waits until the cache has moved past every version this
// process left behind.
//
// One reconcile may write several times (a finalizer, then an annotation, then status). The watch
// delivers each of those versions in turn, so the cache may show an intermediate one: a copy with
// the finalizer but without the status.id written a moment later. Acting on it would decide again
// on what the reconcile already did (e.g. look the resource up by name and write its tags again).
// So each version the reconcile wrote over, its own intermediate ones included, counts as stale.

/** Tracks, per object key, the versions this process last wrote over. */
export class OwnWriteLag {
  private readonly writtenOver = new Map<string, { versions: Set<string>; at: number }>();

  constructor(
    /** Act on the cache anyway after this long (the informer relists a watch that missed a write). */
    private readonly maxMs: number,
    private readonly now: () => number,
  ) {}

  /** Whether the cached copy is one this process has since written over. */
  lagging(key: string, cachedVersion: string | undefined): boolean {
    const entry = this.writtenOver.get(key);
    if (entry && cachedVersion !== undefined && entry.versions.has(cachedVersion)) {
      if (this.now() - entry.at < this.maxMs) return true;
    }
    this.writtenOver.delete(key);
    return false;
  }

  /**
   * After a reconcile that started from `cachedVersion` and wrote `passed` (the versions the API
   * answered, in order): every one but the last is stale. Returns whether anything was written.
   */
  record(key: string, cachedVersion: string | undefined, passed: readonly string[]): cachedVersion is string {
    const last = passed.at(-1);
    if (cachedVersion === undefined || last === undefined || last === cachedVersion) return false;
    const versions = new Set([cachedVersion, ...passed]);
    versions.delete(last);
    this.writtenOver.set(key, { versions, at: this.now() });
    return true;
  }

  forget(key: string): void {
    this.writtenOver.delete(key);
  }
}
