import type { Clock } from "./clock.ts";

export interface RateLimitSettings {
  /** Bucket size: how many requests may arrive at once. */
  burst: number;
  /** Refill per second: the sustained rate. */
  perSecond: number;
}

export const DEFAULT_RATE_LIMIT: RateLimitSettings = { burst: 60, perSecond: 30 };

export type RateDecision =
  { allowed: true; remaining: number } | { allowed: false; retryAfterSeconds: number };

interface Bucket {
  tokens: number;
  updatedAt: number;
}

/**
 * Token bucket per key (one key per API token or OIDC principal), as Cloud Digit documents it:
 * 60 requests burst, 30 requests/s sustained. A refused request costs nothing. `Retry-After` is
 * the whole number of seconds after which at least one request will be allowed again.
 */
export class RateLimiter {
  private readonly buckets = new Map<string, Bucket>();

  constructor(
    private settings: RateLimitSettings,
    private readonly clock: Clock,
  ) {}

  configure(settings: RateLimitSettings): void {
    this.settings = settings;
    this.buckets.clear();
  }

  current(): RateLimitSettings {
    return { ...this.settings };
  }

  take(key: string): RateDecision {
    const now = this.clock.now();
    const { burst, perSecond } = this.settings;
    let bucket = this.buckets.get(key);
    if (!bucket) {
      bucket = { tokens: burst, updatedAt: now };
      this.buckets.set(key, bucket);
    } else if (now > bucket.updatedAt) {
      bucket.tokens = Math.min(burst, bucket.tokens + ((now - bucket.updatedAt) / 1000) * perSecond);
      bucket.updatedAt = now;
    }
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return { allowed: true, remaining: Math.floor(bucket.tokens) };
    }
    const secondsUntilOne = (1 - bucket.tokens) / perSecond;
    return { allowed: false, retryAfterSeconds: Math.max(1, Math.ceil(secondsUntilOne)) };
  }
}
