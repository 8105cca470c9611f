// The NotConverging guard, for every kind: a field written again and again for one generation of
// the spec while the cloud keeps reporting something else (a server that silently normalises or
// drops a setting) is a write loop that costs API budget forever. After a few such writes the field
// is left alone and named in a condition until the spec changes. A write the cloud is still working
// on ("progress") is not a verdict and does not count; a field back in sync starts over, so later
// drift repairs are never "not converging".
import type { Change } from "./actuator.ts";

/** Writes of one field for one generation that did not stick before the guard stops writing it. */
export const MAX_WRITES_PER_GENERATION = 3;

export interface NotConverging {
  field: string;
  message: string;
}

export class ConvergenceGuard {
  /** Per object key: `${generation}/${field}` -> writes that took effect but did not stick. */
  private readonly writes = new Map<string, Map<string, number>>();

  /** Splits the changes into those to write and those that stopped converging. */
  admit(
    key: string,
    generation: number,
    changes: Change[],
  ): { write: Change[]; notConverging: NotConverging[] } {
    const counts = this.writes.get(key);
    const write: Change[] = [];
    const notConverging: NotConverging[] = [];
    for (const change of changes) {
      const count = counts?.get(`${generation}/${change.field}`) ?? 0;
      if (count < MAX_WRITES_PER_GENERATION) write.push(change);
      else
        notConverging.push({
          field: change.field,
          message: `${change.field} was written ${MAX_WRITES_PER_GENERATION} times but the cloud still reports ${show(change.from)} where the spec says ${show(change.to)}; it may not keep this setting as written. Change the spec to try again`,
        });
    }
    return { write, notConverging };
  }

  /** Records writes that took effect; forgets fields that are in sync (not among `changes`). */
  record(key: string, generation: number, changes: Change[], written: readonly string[]): void {
    let counts = this.writes.get(key);
    if (!counts) {
      if (written.length === 0) return;
      counts = new Map();
      this.writes.set(key, counts);
    }
    const changed = new Set(changes.map((c) => `${generation}/${c.field}`));
    // Counts of older generations, and of fields now in sync, no longer matter.
    for (const k of counts.keys()) if (!changed.has(k)) counts.delete(k);
    for (const field of written) {
      const k = `${generation}/${field}`;
      counts.set(k, (counts.get(k) ?? 0) + 1);
    }
    if (counts.size === 0) this.writes.delete(key);
  }

  forget(key: string): void {
    this.writes.delete(key);
  }
}

/** A short rendering of a value for a message. */
function show(value: unknown): string {
  const text = typeof value === "string" ? value : JSON.stringify(value);
  return text.length > 200 ? `${text.slice(0, 197)}...` : text;
}
