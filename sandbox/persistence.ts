import { mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import type { StoredResult } from "./idempotency.ts";
import type { PendingTransition, Resource } from "./model.ts";

export interface PersistedState {
  version: 1;
  saved_at: string;
  resources: Resource[];
  transitions: PendingTransition[];
  idempotency: [string, StoredResult][];
}

/**
 * Optional persistence for the playground: the whole state as one JSON file, written at most
 * every `debounceMs` after a change (temp file + rename, so a crash never leaves half a file).
 */
export class Persistence {
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly path: string,
    private readonly snapshot: () => PersistedState,
    private readonly debounceMs = 100,
  ) {}

  static load(path: string): PersistedState | undefined {
    let text: string;
    try {
      text = readFileSync(path, "utf8");
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ENOENT") return undefined;
      throw err;
    }
    const parsed = JSON.parse(text) as PersistedState;
    if (parsed.version !== 1 || !Array.isArray(parsed.resources)) {
      throw new Error(`${path} is not a sandbox state file (version 1)`);
    }
    return parsed;
  }

  schedule(): void {
    if (this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      try {
        this.flush();
      } catch (err) {
        // A full disk must not take the API down; the next change tries again.
        process.emitWarning(`sandbox: could not save state to ${this.path}: ${String(err)}`);
      }
    }, this.debounceMs);
    this.timer.unref();
  }

  flush(): void {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    mkdirSync(dirname(this.path), { recursive: true });
    const tmp = `${this.path}.${process.pid}.tmp`;
    writeFileSync(tmp, JSON.stringify(this.snapshot()));
    renameSync(tmp, this.path);
  }
}
