import { keepAliveClock, type Clock, type TimerHandle } from "../shared/clock.ts";

/**
 * Who goes first when the budget is short. `high`: deletes and user-visible status reads/writes;
 * `normal`: creates and updates; `low`: background drift resync. Waiters are served strictly by
 * priority, and `low` may not dip into a reserve of tokens kept for the others, so a resync wave
 * can never starve a delete.
 */
export type Priority = "high" | "normal" | "low";

const PRIORITIES: readonly Priority[] = ["high", "normal", "low"];

export interface RateLimiterOptions {
  /** Bucket size (the documented burst). Default 60. */
  burst?: number;
  /** Sustained requests per second (the documented budget). Default 30. */
  perSecond?: number;
  /**
   * Fraction of `perSecond` actually spent. The server's bucket and ours refill at the same rate;
   * a few percent of headroom absorbs network jitter so our requests never arrive early. Default 0.95.
   */
  headroom?: number;
  /**
   * Fraction of `burst` we hold. Our bucket starts counting when it is created, the server's when
   * our first request arrives (after connection setup), so a full burst at once could run a few
   * tokens ahead of the server's. Default 0.9.
   */
  burstHeadroom?: number;
  /** Tokens that `low` requests must leave in the bucket for `high`/`normal`. Default burst / 4. */
  lowPriorityReserve?: number;
  /** Multiplicative decrease of the rate on a 429 that arrives anyway (AIMD). Default 0.7. */
  decreaseFactor?: number;
  /** Lowest fraction of the rate the decrease may reach. Default 0.1. */
  minRateFactor?: number;
  /** Additive recovery of the rate fraction per second without throttling. Default 0.1 (3 s from 0.7 to 1). */
  recoveryPerSecond?: number;
  /** Pause used when a 429 carries no usable Retry-After. Default 1000 ms. */
  defaultPauseMs?: number;
  clock?: Clock;
}

interface Waiter {
  priority: Priority;
  resolve: (waitedMs: number) => void;
  reject: (err: unknown) => void;
  enqueuedAt: number;
  signal: AbortSignal | undefined;
  onAbort: (() => void) | undefined;
}

export interface RateLimiterState {
  tokens: number;
  /** Current sustained rate after adaptive slow-down, requests per second. */
  ratePerSecond: number;
  /** Epoch ms until which every request on this credential waits (a 429's Retry-After). */
  pausedUntil: number;
  waiting: Record<Priority, number>;
}

/** A token bucket for one credential, shared by every controller that uses it. */
export class CredentialRateLimiter {
  private readonly burst: number;
  private readonly perSecond: number;
  private readonly headroom: number;
  private readonly lowReserve: number;
  private readonly decreaseFactor: number;
  private readonly minRateFactor: number;
  private readonly recoveryPerSecond: number;
  private readonly defaultPauseMs: number;
  private readonly clock: Clock;

  private tokens: number;
  private rateFactor = 1;
  private updatedAt: number;
  private pausedUntil = 0;
  private lastDecreaseAt = Number.NEGATIVE_INFINITY;
  private readonly queues: Record<Priority, Waiter[]> = { high: [], normal: [], low: [] };
  private timer: TimerHandle | undefined;

  constructor(opts: RateLimiterOptions = {}) {
    this.burst = Math.max(1, Math.floor((opts.burst ?? 60) * (opts.burstHeadroom ?? 0.9)));
    this.perSecond = opts.perSecond ?? 30;
    this.headroom = opts.headroom ?? 0.95;
    this.lowReserve = opts.lowPriorityReserve ?? Math.floor(this.burst / 4);
    this.decreaseFactor = opts.decreaseFactor ?? 0.7;
    this.minRateFactor = opts.minRateFactor ?? 0.1;
    this.recoveryPerSecond = opts.recoveryPerSecond ?? 0.1;
    this.defaultPauseMs = opts.defaultPauseMs ?? 1000;
    this.clock = opts.clock ?? keepAliveClock;
    if (!(this.burst >= 1) || !(this.perSecond > 0))
      throw new Error("rate limiter needs burst >= 1 and perSecond > 0");
    this.tokens = this.burst;
    this.updatedAt = this.clock.now();
  }

  /** Waits for a token; resolves with the milliseconds waited. Rejects when `signal` aborts. */
  acquire(priority: Priority = "normal", signal?: AbortSignal): Promise<number> {
    if (signal?.aborted) return Promise.reject(signal.reason as Error);
    const now = this.clock.now();
    this.refill(now);
    if (this.queuedAtOrAbove(priority) === 0 && this.canTake(priority, now)) {
      this.tokens -= 1;
      return Promise.resolve(0);
    }
    return new Promise<number>((resolve, reject) => {
      const waiter: Waiter = { priority, resolve, reject, enqueuedAt: now, signal, onAbort: undefined };
      if (signal) {
        waiter.onAbort = () => {
          const q = this.queues[priority];
          const i = q.indexOf(waiter);
          if (i >= 0) q.splice(i, 1);
          reject(signal.reason as Error);
          this.pump();
        };
        signal.addEventListener("abort", waiter.onAbort, { once: true });
      }
      this.queues[priority].push(waiter);
      this.pump();
    });
  }

  /**
   * The server answered 429: stop the whole credential until Retry-After has passed, and slow the
   * sustained rate down (another client may be spending the same token). Concurrent 429s from
   * requests already in flight count as one signal.
   */
  throttled(retryAfterMs: number | undefined): void {
    const now = this.clock.now();
    this.refill(now);
    const pause = retryAfterMs ?? this.defaultPauseMs;
    const alreadyPaused = now < this.pausedUntil;
    this.pausedUntil = Math.max(this.pausedUntil, now + pause);
    this.tokens = 0;
    if (!alreadyPaused && now - this.lastDecreaseAt >= 1000) {
      this.rateFactor = Math.max(this.minRateFactor, this.rateFactor * this.decreaseFactor);
      this.lastDecreaseAt = now;
    }
    this.pump();
  }

  state(): RateLimiterState {
    this.refill(this.clock.now());
    return {
      tokens: this.tokens,
      ratePerSecond: this.rate(),
      pausedUntil: this.pausedUntil,
      waiting: {
        high: this.queues.high.length,
        normal: this.queues.normal.length,
        low: this.queues.low.length,
      },
    };
  }

  private rate(): number {
    return this.perSecond * this.headroom * this.rateFactor;
  }

  private refill(now: number): void {
    const from = Math.max(this.updatedAt, this.pausedUntil);
    if (now > from) {
      const seconds = (now - from) / 1000;
      this.tokens = Math.min(this.burst, this.tokens + seconds * this.rate());
      this.rateFactor = Math.min(1, this.rateFactor + seconds * this.recoveryPerSecond);
    }
    this.updatedAt = Math.max(this.updatedAt, now);
  }

  private needed(priority: Priority): number {
    return priority === "low" ? 1 + this.lowReserve : 1;
  }

  private canTake(priority: Priority, now: number): boolean {
    return now >= this.pausedUntil && this.tokens >= this.needed(priority);
  }

  private queuedAtOrAbove(priority: Priority): number {
    let n = 0;
    for (const p of PRIORITIES) {
      n += this.queues[p].length;
      if (p === priority) break;
    }
    return n;
  }

  private head(): Waiter | undefined {
    for (const p of PRIORITIES) {
      const w = this.queues[p][0];
      if (w) return w;
    }
    return undefined;
  }

  /** Grants tokens to waiters in priority order and arms one timer for the next grant. */
  private pump(): void {
    if (this.timer) this.clock.clearTimeout(this.timer);
    this.timer = undefined;
    const now = this.clock.now();
    this.refill(now);
    let next = this.head();
    while (next && this.canTake(next.priority, now)) {
      this.queues[next.priority].shift();
      this.tokens -= 1;
      if (next.onAbort) next.signal?.removeEventListener("abort", next.onAbort);
      next.resolve(now - next.enqueuedAt);
      next = this.head();
    }
    if (!next) return;
    const waitMs =
      now < this.pausedUntil
        ? this.pausedUntil - now
        : Math.ceil(((this.needed(next.priority) - this.tokens) / this.rate()) * 1000);
    this.timer = this.clock.setTimeout(() => this.pump(), Math.max(1, waitMs));
  }
}

/**
 * One limiter per credential identity (the server's budget is per token), shared by every
 * controller and client object that uses that credential.
 */
export class RateLimiterRegistry {
  private readonly limiters = new Map<string, CredentialRateLimiter>();

  constructor(private readonly options: RateLimiterOptions = {}) {}

  forCredential(identity: string): CredentialRateLimiter {
    let limiter = this.limiters.get(identity);
    if (!limiter) {
      limiter = new CredentialRateLimiter(this.options);
      this.limiters.set(identity, limiter);
    }
    return limiter;
  }

  /** Drops a limiter no longer in use (e.g. after a token rotation). */
  forget(identity: string): void {
    this.limiters.delete(identity);
  }
}
