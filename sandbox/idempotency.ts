import { createHash } from "node:crypto";
import type { Clock } from "./clock.ts";

export interface StoredResult {
  fingerprint: string;
  status: number;
  body: string;
  location?: string;
  stored_at: number;
}

const TTL_MS = 24 * 3600 * 1000;

/**
 * Results of POSTs made with an `Idempotency-Key`, scoped by principal + project + path + key
 * and kept 24 hours. Only successful (2xx) results are kept: an error leaves the key unused, so
 * the same call may be retried after the cause is fixed.
 */
export class IdempotencyStore {
  private results = new Map<string, StoredResult>();

  constructor(private readonly clock: Clock) {}

  static scope(principal: string, project: string, path: string, key: string): string {
    return `${principal}\u0000${project}\u0000${path}\u0000${key}`;
  }

  /** Digest of the raw body bytes: a retry must send the same body (clients resend what they sent). */
  static fingerprint(body: string): string {
    return createHash("sha256").update(body).digest("hex");
  }

  get(scope: string): StoredResult | undefined {
    const r = this.results.get(scope);
    if (r && this.clock.now() - r.stored_at > TTL_MS) {
      this.results.delete(scope);
      return undefined;
    }
    return r;
  }

  put(scope: string, result: StoredResult): void {
    this.results.set(scope, result);
  }

  snapshot(): [string, StoredResult][] {
    return [...this.results.entries()];
  }

  load(entries: [string, StoredResult][]): void {
    this.results = new Map(entries);
  }

  clear(): void {
    this.results.clear();
  }
}
