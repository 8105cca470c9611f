/**
 * Time as the operator sees it. Everything that waits (queue delays, backoff, resync, leader
 * election, the client's rate limiter, retries and token refresh) goes through a Clock so unit
 * tests can drive time by hand with the FakeClock of src/shared/testing/fake-clock.ts.
 */
export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
  /** Calls `fn` after `ms` (a negative delay counts as 0); clearTimeout cancels it. */
  setTimeout(fn: () => void, ms: number): TimerHandle;
  clearTimeout(handle: TimerHandle): void;
}

export interface TimerHandle {
  readonly id: number;
}

interface RealTimerHandle extends TimerHandle {
  timer: NodeJS.Timeout;
}

let nextRealId = 1;

/** Wall-clock time; `keepAlive: false` unrefs every timer, so a pending one never holds the process. */
function wallClock(keepAlive: boolean): Clock {
  return {
    now: () => Date.now(),
    setTimeout(fn, ms) {
      const timer = setTimeout(fn, Math.max(0, ms));
      if (!keepAlive) timer.unref();
      const handle: RealTimerHandle = { id: nextRealId++, timer };
      return handle;
    },
    clearTimeout(handle) {
      clearTimeout((handle as RealTimerHandle).timer);
    },
  };
}

/**
 * Wall-clock time for background schedules (queue delays, resyncs, lease renewals, event
 * flushes): their timers are unref'd, so one left pending after shutdown does not delay exit.
 */
export const realClock: Clock = wallClock(false);

/**
 * Wall-clock time for waits somebody awaits (the client's rate-limit waits, retry backoff, call
 * deadlines): their timers keep the process alive like plain setTimeout, so a script awaiting a
 * request does not exit in the middle of a backoff once its sockets have gone idle.
 */
export const keepAliveClock: Clock = wallClock(true);

/** Resolves after ms on the given clock, or rejects early when the signal aborts. */
export function sleep(clock: Clock, ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(abortReason(signal));
    const onAbort = (): void => {
      clock.clearTimeout(handle);
      reject(abortReason(signal));
    };
    const handle = clock.setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}

function abortReason(signal: AbortSignal | undefined): Error {
  const reason: unknown = signal?.reason;
  return reason instanceof Error ? reason : new Error("aborted");
}

/** A duration with random jitter added: base * (1 + factor * random), like client-go's wait.Jitter. */
export function jitter(baseMs: number, factor: number, random: () => number = Math.random): number {
  return baseMs * (1 + factor * random());
}
